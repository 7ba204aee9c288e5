# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/joint_step.py: the plugin's training turns against plain PyTorch."""
import json

import pytest

from benchmarks.speed import joint_step

TURNS = ('plugin guided', 'plain guided', 'plugin adapted', 'plain adapted')


def test_joint_step_times_both_sides_of_every_mode(tmp_path):
    out = tmp_path / 'rows.json'
    assert joint_step.main([
        '--tiny', '--batch', '1', '--lr-size', '16', '--iters', '1', '--warmup', '0', '--threads',
        '1', '--modes', 'fp32', 'fp32+fused', '--json',
        str(out)
    ]) == 0
    rows = json.loads(out.read_text())['rows']
    assert [row['mode'] for row in rows] == ['fp32', 'fp32+fused']
    for row in rows:
        assert 'error' not in row, row
        assert all(row[f'{turn} ms'] > 0 for turn in TURNS)
        assert row['plugin avg ms'] == pytest.approx(
            (row['plugin guided ms'] + row['plugin adapted ms']) / 2)
        assert row['ratio avg'] == pytest.approx(row['plugin avg ms'] / row['plain avg ms'])
        assert row['plugin img/s'] > 0 and row['peak GiB'] > 0


def test_joint_step_checks_every_mode_before_measuring():
    with pytest.raises(SystemExit, match="unknown mode 'fp32\\+warp'"):
        joint_step.parse_args(['--modes', 'fp32', 'fp32+warp'])
    mode = joint_step.parse_mode('bf16_cl_compile')  # an alias of earlier runs
    assert mode['channels_last'] and mode['levers'] == {'compile_gen'}
