# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/own_camera_steps.py: the own-camera data steps, timed at a tiny size."""
import json

import pytest

from benchmarks.speed import own_camera_steps


def test_every_step_is_timed_and_its_output_made(tmp_path):
    out, work = tmp_path / 'steps.json', tmp_path / 'work'
    assert own_camera_steps.main([
        '--work-dir',
        str(work), '--frames', '8', '--frame-size', '160', '128', '--label-size', '48', '32',
        '--workers', '1', '--threads', '1', '--json',
        str(out)
    ]) == 0
    report = json.loads(out.read_text())
    assert set(report['seconds']) == {'noise_pool', 'kernel_pool', 'pseudo_labels_one_frame'}
    assert all(seconds > 0 for seconds in report['seconds'].values())
    assert report['peak_rss_gib'] > 0
    assert len(list((work / 'kernels_x4').glob('*.npy'))) == 8
    assert len(list((work / 'labels').rglob('*.png'))) == 1


def test_a_folder_with_files_is_refused_and_kept(tmp_path):
    (tmp_path / 'mine.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match=str(tmp_path)):
        own_camera_steps.main(['--work-dir', str(tmp_path)])
    assert (tmp_path / 'mine.txt').read_text() == 'keep me'
