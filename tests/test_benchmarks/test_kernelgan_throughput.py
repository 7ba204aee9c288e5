# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/kernelgan_throughput.py: KernelGAN images per second against the batch."""
import json

import cv2
import pytest

from benchmarks.speed import kernelgan_throughput

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def test_kernelgan_throughput_sweeps_the_batch_sizes(tmp_path):
    out = tmp_path / 'sweep.json'
    assert kernelgan_throughput.main([
        '--batches', '1', '2', '--iters', '1', '--warmup', '0', '--frame-size', '192', '96',
        '--json',
        str(out)
    ]) == 0
    rows = json.loads(out.read_text())['sweep']
    assert [row['batch'] for row in rows] == [1, 2]
    for row in rows:
        assert row['setup_s'] > 0 and row['step_s'] > 0
        # a batch at the paper's 3000 iterations: its set-up and 3000 steps, shared by its images
        assert row['seconds_per_image'] == pytest.approx(
            (row['setup_s'] + kernelgan_throughput.PAPER_ITERS * row['step_s']) / row['batch'])
        assert row['dataset_hours'] == pytest.approx(2975 * row['seconds_per_image'] / 3600)


def test_kernelgan_throughput_writes_frames_for_the_tool(tmp_path):
    assert kernelgan_throughput.main(
        ['--write-frames',
         str(tmp_path), '--num-frames', '2', '--frame-size', '64', '32']) == 0
    frames = sorted(tmp_path.iterdir())
    assert [f.name for f in frames] == ['frame_00000.png', 'frame_00001.png']
    first, second = (cv2.imread(str(f)) for f in frames)
    assert first.shape == (32, 64, 3) and (first != second).any()
