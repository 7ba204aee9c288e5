# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/inference_tiling.py: whole-frame against tiled inference, time and memory."""
import json

from benchmarks.speed import inference_tiling

SMALL = ['--generator', 'demo', '--width', '32', '--height', '16', '--tile', '8', '--threads', '1']


def test_inference_tiling_times_whole_and_tiled_frames(tmp_path):
    out = tmp_path / 'runs.json'
    assert inference_tiling.main(
        SMALL + ['--in-process', '--overlaps', '4', '--repeats', '1', '--json',
                 str(out)]) == 0
    runs = json.loads(out.read_text())['runs']
    assert [(r['variant'], r['overlap']) for r in runs] == [('whole', 0), ('tiled', 4)]
    for run in runs:
        assert run['shape'] == [1, 3, 64, 128]
        assert run['seconds'] > 0 and run['peak_mib'] >= 0


def test_inference_tiling_children_get_the_parents_settings():
    # on a CPU each variant runs in a child process: this script with the variant's arguments
    args = inference_tiling.parse_args(SMALL + ['--dtype', 'bf16'])
    command = inference_tiling.child_command(args, 'tiled', 4)
    assert command[3] == inference_tiling.__file__
    child = inference_tiling.parse_args(command[4:])
    assert (child.variant, child.overlap) == ('tiled', 4)
    for name in ('config', 'generator', 'width', 'height', 'tile', 'threads', 'dtype'):
        assert getattr(child, name) == getattr(args, name), name
