# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/inference_folder.py: tools/inference.py's folder loop in frames/s."""
import json

import cv2
import numpy as np

from benchmarks.speed import inference_folder


def test_inference_folder_times_the_tool_loop_and_the_model_alone(tmp_path):
    out, keep = tmp_path / 'rates.json', tmp_path / 'run'
    assert inference_folder.main([
        '--generator', 'bicubic', '--width', '64', '--height', '32', '--frames', '2', '--workers',
        '0', '2', '--repeats', '1', '--json',
        str(out), '--keep',
        str(keep)
    ]) == 0
    rates = json.loads(out.read_text())['frames_per_second']
    assert set(rates) == {'tool, --workers 0', 'tool, --workers 2', inference_folder.MODEL_ALONE}
    assert all(len(values) == 1 and values[0] > 0 for values in rates.values())
    # both loops wrote every frame, x4, the same pixels
    names = sorted(p.name for p in (keep / 'lr').iterdir())
    assert names == ['frame000.png', 'frame001.png']
    for name in names:
        in_turn, overlapped = (cv2.imread(str(keep / sr / name)) for sr in ('sr0', 'sr2'))
        assert in_turn.shape == (128, 256, 3)
        np.testing.assert_array_equal(in_turn, overlapped)
