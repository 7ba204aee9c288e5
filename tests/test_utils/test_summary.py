# Copyright (c) mmssg contributors. All rights reserved.
"""The data tools' summary file and last printed line."""
import json
import os

from mmssg.utils import EXIT_OK, EXIT_SKIPPED, finish, skipped_input, write_summary


def test_write_summary_puts_the_common_fields_first_and_writes_in_one_step(tmp_path):
    out = tmp_path / 'new' / 'out'
    skipped = [
        skipped_input('a/b.png', ValueError('a/b.png: cannot decode')),
        skipped_input('c.png', 'too small')
    ]
    summary = write_summary(str(out), 'src', 3, 1, skipped, dict(scale=4), extra=[1, 2])
    on_disk = json.loads((out / 'summary.json').read_text())
    assert on_disk == summary
    assert list(on_disk) == [
        'src_dir', 'images_found', 'images_read', 'skipped', 'parameters', 'extra'
    ]
    assert on_disk['src_dir'] == os.path.abspath('src')
    assert on_disk['skipped'] == [
        dict(file='a/b.png', reason='ValueError: a/b.png: cannot decode'),
        dict(file='c.png', reason='too small')
    ]
    assert os.listdir(out) == ['summary.json']  # no temporary file left
    write_summary(str(out), 'src', 0, 0, [], {}, name='other.json')
    assert sorted(os.listdir(out)) == ['other.json', 'summary.json']


def test_finish_lists_skipped_inputs_and_ends_with_their_count(capsys):
    skipped = [skipped_input('x.png', 'unreadable')]
    assert finish('wrote 2 files', skipped, 'out/summary.json') == EXIT_SKIPPED
    captured = capsys.readouterr()
    assert captured.err == 'skipped x.png: unreadable\n'
    assert captured.out.splitlines()[-1] == (
        'wrote 2 files; 1 input(s) skipped (listed in out/summary.json)')
    assert finish('wrote 3 files', [], 'out/summary.json') == EXIT_OK
    assert capsys.readouterr().out == 'wrote 3 files; 0 input(s) skipped\n'
