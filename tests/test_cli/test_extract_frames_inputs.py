# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/extract_frames.py on image folders whose images or whose OUT need care: an
unreadable image where ``--count`` samples, transparency a frame would lose, grey with alpha,
links in OUT that lead into SRC, and ``--min-change`` values it refuses."""
import json
import os

import cv2
import numpy as np
import pytest
from PIL import Image

from mmssg.cli.extract_frames import main
from mmssg.utils import EXIT_OK, EXIT_SKIPPED, EXIT_USAGE


def run(*args):
    return main([*map(str, args), '--no-progress'])


def summary_of(out):
    with open(out / 'summary.json') as f:
        return json.load(f)


def snapshot(folder):
    """``{relative path: bytes}`` of every file under a folder."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob('*') if path.is_file()
    }


def grey(level, size=(4, 6)):
    return np.full(size, level, np.uint8)


def test_count_takes_the_next_readable_image_after_one_it_cannot_use(tmp_path, capsys):
    src = tmp_path / 'cnt'
    src.mkdir()
    (src / '0.png').write_bytes(b'not a png')  # unreadable
    for number in (1, 2, 4, 5, 6):
        cv2.imwrite(str(src / f'{number}.png'), grey(30 * number))
    # a transparent value a frame would lose
    Image.fromarray(grey(90)).save(src / '3.png', transparency=5)
    out = tmp_path / 'frames'
    # the positions 0, 3 and 6: 0.png and 3.png cannot be used, 1.png and 4.png are next
    assert run(src, out, '--count', '3', '--min-change', '0') == EXIT_SKIPPED
    summary = summary_of(out)
    assert summary['frames'] == ['cnt/cnt_000001.png', 'cnt/cnt_000004.png', 'cnt/cnt_000006.png']
    assert [s['file'] for s in summary['skipped']] == ['0.png', '3.png']
    for index in (1, 4, 6):
        np.testing.assert_array_equal(
            cv2.imread(str(out / 'cnt' / f'cnt_{index:06d}.png'), cv2.IMREAD_UNCHANGED),
            grey(30 * index))
    assert 'wrote 3 frame(s)' in capsys.readouterr().out


def test_transparency_a_frame_would_lose_is_skipped_naming_why(tmp_path, capsys):
    src = tmp_path / 'footage'
    src.mkdir()
    Image.fromarray(grey(40)).save(src / 'a.png', transparency=5)
    cv2.imwrite(str(src / 'b.png'), grey(200))
    out = tmp_path / 'frames'
    assert run(src, out) == EXIT_SKIPPED
    summary = summary_of(out)
    assert summary['frames'] == ['footage/footage_000001.png']
    assert not (out / 'footage' / 'footage_000000.png').exists()
    (skipped, ) = summary['skipped']
    assert skipped['file'] == 'a.png'
    assert 'transparency' in skipped['reason'] and 'RGBA PNG' in skipped['reason']
    captured = capsys.readouterr()
    assert f'skipped a.png: {skipped["reason"]}' in captured.err
    assert 'converted:' not in captured.out


def test_grey_with_alpha_is_kept_as_equal_colour_channels_and_said_so(tmp_path, capsys):
    src = tmp_path / 'footage'
    src.mkdir()
    plane = np.arange(24, dtype=np.uint8).reshape(4, 6) * 10
    alpha = np.full((4, 6), 128, np.uint8)
    Image.fromarray(np.dstack([plane, alpha]), 'LA').save(src / 'a.png')
    out = tmp_path / 'frames'
    assert run(src, out) == EXIT_OK
    frame = cv2.imread(str(out / 'footage' / 'footage_000000.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(frame, np.dstack([plane] * 3 + [alpha]))
    line = 'converted: a.png: a grey image with alpha, read as 8-bit colour with alpha; ' \
        'stored as colour with alpha, three equal colour channels'
    assert line in capsys.readouterr().out


def source_with_frame_name(tmp_path):
    """SRC holding an image named like the frame of its first image, and its bytes."""
    src = tmp_path / 'sy_src'
    src.mkdir()
    cv2.imwrite(str(src / 'a.png'), grey(0))
    cv2.imwrite(str(src / 'sy_src_000000.png'), grey(128))
    return src, snapshot(src)


@pytest.mark.parametrize('link', ['sequence folder', 'frame'])
def test_a_link_in_out_that_leads_into_src_is_refused(tmp_path, link):
    src, before = source_with_frame_name(tmp_path)
    out = tmp_path / 'sy_out'
    out.mkdir()
    if link == 'sequence folder':
        path = out / 'sy_src'
        os.symlink('../sy_src', path)
    else:
        (out / 'sy_src').mkdir()
        path = out / 'sy_src' / 'sy_src_000000.png'
        os.symlink(src / 'sy_src_000000.png', path)
    with pytest.raises(ValueError, match='OUT holds a link') as error:
        run(src, out, '--overwrite')
    assert str(path) in str(error.value) and f'SRC {src}' in str(error.value)
    assert snapshot(src) == before
    assert sorted(os.listdir(out)) == ['sy_src']


def test_overwrite_removes_no_stale_frame_through_a_link_into_src(tmp_path):
    src, before = source_with_frame_name(tmp_path)
    out = tmp_path / 'sy_out'
    out.mkdir()
    os.symlink(src, out / 'old')  # a previous run's sequence, now a link to SRC
    (out / 'summary.json').write_text(
        json.dumps(dict(tool='extract_frames', frames=['old/sy_src_000000.png'])))
    assert run(src, out, '--overwrite', '--min-change', '0') == EXIT_OK
    assert snapshot(src) == before
    assert os.path.islink(out / 'old')
    assert summary_of(out)['frames'] == ['sy_src/sy_src_000000.png', 'sy_src/sy_src_000001.png']


@pytest.mark.parametrize('value', ['nan', 'inf', '-inf', '-1'])
def test_a_min_change_that_is_no_finite_number_from_0_is_refused(tmp_path, capsys, value):
    src = tmp_path / 'footage'
    src.mkdir()
    cv2.imwrite(str(src / 'a.png'), grey(10))
    with pytest.raises(SystemExit) as error:
        run(src, tmp_path / 'frames', f'--min-change={value}')
    assert error.value.code == EXIT_USAGE
    assert f'--min-change must be a finite number, 0 or more, got {float(value)}' in \
        capsys.readouterr().err
    assert not (tmp_path / 'frames').exists()
