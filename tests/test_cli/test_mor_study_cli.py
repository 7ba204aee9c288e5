# Copyright (c) mmssg contributors. All rights reserved.
"""tools/analysis/mor_study.py on bad input, the demo layout and the report."""
import json
import os
import socket

import pytest

from mmssg.evaluation.mor_study import StudyFileError, StudyStore
from mmssg.testing.mor_study import PHOTOS, make_study_folders


@pytest.fixture(scope='module')
def main():
    from mmssg.cli.mor_study import main
    return main


def _method_args(folders):
    return [f'{name}={folder}' for name, folder in folders.items()]


def test_folders_with_different_images_are_listed_and_refused(tmp_path, main):
    folders, lr = make_study_folders(tmp_path / 'in', photos=PHOTOS[:3])
    (folders['soft'] / 'coffee.png').unlink()
    (folders['blurry'] / 'chelsea.png').rename(folders['blurry'] / 'cat.png')
    study = tmp_path / 'study.sqlite'
    with pytest.raises(ValueError) as info:
        main(['serve', *_method_args(folders), '--lr', str(lr), '--study', str(study)])
    assert str(info.value).splitlines()[1:] == [
        f'  {folders["sharp"]} lacks 1: cat', f'  {folders["soft"]} lacks 2: cat, coffee',
        f'  {folders["blurry"]} lacks 1: chelsea'
    ]
    assert not study.exists()  # refused before anything was created


def test_a_port_in_use_is_named(tmp_path, main):
    folders, lr = make_study_folders(tmp_path / 'in', photos=PHOTOS[:1])
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f'port {port} on 127.0.0.1 is already in use'):
            main([
                'serve', *_method_args(folders), '--study',
                str(tmp_path / 's.sqlite'), '--port',
                str(port)
            ])


def test_non_image_files_are_skipped_with_a_warning(tmp_path, main, capsys):
    folders, lr = make_study_folders(tmp_path / 'in', photos=PHOTOS[:2])
    (folders['sharp'] / 'summary.json').write_text('{}')
    status = main([
        'serve', *map(str, folders.values()), '--lr',
        str(lr), '--study',
        str(tmp_path / 's.sqlite'), '--check'
    ])
    out, err = capsys.readouterr()
    assert status == 3
    assert f'warning: skipped {folders["sharp"] / "summary.json"}: not an image file' in err
    assert '2 images x 3 methods (sharp, soft, blurry)' in out
    assert out.strip().splitlines()[-1] == '1 file(s) skipped (listed above)'
    assert (folders['sharp'] / 'summary.json').read_text() == '{}'


def test_demo_layout_is_read_with_display_names_and_a_missing_demo_says_what_to_run(
        tmp_path, main, capsys):
    with pytest.raises(FileNotFoundError, match='run `make demo` first'):
        main(['serve', '--demo', str(tmp_path), '--check'])
    folders, lr = make_study_folders(tmp_path / 'sr', blur={'bicubic': 3.0, 'ssg_rwsr': 0.0})
    (tmp_path / 'data' / 'cityscapes' / 'leftImg8bit').mkdir(parents=True)
    lr.rename(tmp_path / 'data' / 'cityscapes' / 'leftImg8bit' / 'val')
    assert main(['serve', '--demo', str(tmp_path), '--check']) == 0
    assert '(bicubic, SSG-RWSR)' in capsys.readouterr().out
    assert StudyStore.open(str(tmp_path / 'mor_study.sqlite')).methods == ['bicubic', 'SSG-RWSR']


def test_report_writes_markdown_and_json_from_the_stored_answers(tmp_path, main, capsys):
    study = str(tmp_path / 'study.sqlite')
    store = StudyStore.open_or_create(study, ['x', 'y', 'z'], ['i1', 'i2'], seed=0)
    preferences = {'ann': ['x', 'y', 'z'], 'bob': [['x', 'y'], 'z']}
    for participant, ranking in preferences.items():
        while (view := store.next_view(participant)):
            store.submit(participant, view['image'], ranking)
    assert main(['report', '--study', study, '--bootstrap', '300']) == 0
    summary = json.load(open(tmp_path / 'study.json'))
    # x: 1, 1, 1.5, 1.5; y: 2, 2, 1.5, 1.5; z: 3 every time
    assert {m: v['mor'] for m, v in summary['methods'].items()} == dict(x=1.25, y=1.75, z=3.0)
    assert summary['methods']['z']['ci95'] == [3.0, 3.0]
    assert summary['methods']['x']['rankings'] == 4
    assert summary['preference']['x']['y'] == 0.75 and summary['preference']['y']['z'] == 1.0
    markdown = (tmp_path / 'study.md').read_text()
    assert '| **x** | **1.25** |' in markdown and '| y | 1.75 |' in markdown
    assert markdown in capsys.readouterr().out
    same = str(tmp_path / 'report.txt')
    with pytest.raises(ValueError, match=f'^--markdown {same} is also --json '):
        main(['report', '--study', study, '--json', same, '--markdown', same])
    assert not os.path.exists(same)


def test_report_on_a_corrupt_database_reports_it_and_leaves_it(tmp_path, main):
    study = tmp_path / 'study.sqlite'
    study.write_bytes(b'\x00' * 4096)
    with pytest.raises(StudyFileError, match='left untouched'):
        main(['report', '--study', str(study)])
    assert study.read_bytes() == b'\x00' * 4096 and not (tmp_path / 'study.json').exists()
    with pytest.raises(FileNotFoundError, match='study database not found'):
        main(['report', '--study', str(tmp_path / 'missing.sqlite')])


def test_a_port_out_of_range_is_a_usage_error_before_the_database_is_made(tmp_path, main):
    study = tmp_path / 'study.sqlite'
    folders, _ = make_study_folders(tmp_path / 'in', photos=PHOTOS[:1])
    with pytest.raises(SystemExit) as stopped:
        main(['serve', *_method_args(folders), '--study', str(study), '--port', '99999'])
    assert stopped.value.code == 2 and not study.exists()


def test_a_study_database_inside_a_method_folder_is_refused(tmp_path, main):
    folders, _ = make_study_folders(tmp_path / 'in', photos=PHOTOS[:1])
    name, folder = next(iter(folders.items()))
    before = sorted(os.listdir(folder))
    study = os.path.join(folder, 'study.sqlite')
    with pytest.raises(ValueError, match=f'^--study {study} lies inside the images of {name}'):
        main(['serve', *_method_args(folders), '--study', study, '--check'])
    assert sorted(os.listdir(folder)) == before
