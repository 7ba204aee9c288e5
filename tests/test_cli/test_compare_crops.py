# Copyright (c) mmssg contributors. All rights reserved.
"""tools/analysis/compare_crops.py: the crops shown are the source pixels, labelled; bad input."""
import os

import cv2
import numpy as np
import pytest

from mmssg.cli import compare_crops as tool

NAMES = ('aachen/a_leftImg8bit', 'bonn/b_leftImg8bit')
LR_SIZE = (24, 32)  # (h, w)


def compare_crops(argv):
    return tool.main(argv), tool


def write_folder(folder, images, ext='.png'):
    for name, img in images.items():
        path = folder / (name + ext)
        os.makedirs(path.parent, exist_ok=True)
        assert cv2.imwrite(str(path), img)
    return str(folder)


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(0)
    h, w = LR_SIZE
    lr = {n: rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for n in NAMES}
    hr = {n: rng.integers(0, 256, (4 * h, 4 * w, 3), dtype=np.uint8) for n in NAMES}
    up = {
        n: cv2.resize(img, (4 * w, 4 * h), interpolation=cv2.INTER_CUBIC)
        for n, img in lr.items()
    }
    sharp = {n: img.copy() for n, img in up.items()}
    for img in sharp.values():  # the methods differ only in one block: the automatic crop
        img[40:56, 64:96] = 255 - img[40:56, 64:96]
    paths = {
        key: write_folder(tmp_path / key, images)
        for key, images in (('lr', lr), ('hr', hr), ('up', up), ('sharp', sharp))
    }
    return paths, dict(lr=lr, hr=hr, up=up, sharp=sharp)


def test_every_panel_shows_the_source_pixels_under_its_label(tmp_path, folders):
    paths, images = folders
    out = str(tmp_path / 'fig.png')
    status, _ = compare_crops([
        '--lr', paths['lr'], '--method', f'Bicubic={paths["up"]}', '--method',
        f'Sharp={paths["sharp"]}', '--hr', paths['hr'], '--images', NAMES[1] + '.png', NAMES[0],
        '--crop', '8', '12', '40', '24', '--zoom', '3', '--out', out
    ])
    assert status == 0
    fig = cv2.imread(out)
    label_h, gap, zoom = tool.LABEL_HEIGHT, tool.GAP, 3
    panel_w, panel_h = 40 * zoom, 24 * zoom
    assert fig.shape == (label_h + 2 * (gap + panel_h), 4 * panel_w + 3 * gap, 3)
    for col, key in enumerate(('lr', 'up', 'sharp', 'hr')):
        left = col * (panel_w + gap)
        assert (fig[:label_h, left:left + panel_w] < 128).any(), f'no label over column {col}'
        for row, name in enumerate((NAMES[1], NAMES[0])):
            top = label_h + gap + row * (panel_h + gap)
            shown = fig[top:top + panel_h, left:left + panel_w]
            if key == 'lr':  # LR box (2, 3, 10, 6), each pixel repeated scale * zoom times
                source, step = images['lr'][name][3:9, 2:12], 4 * zoom
            else:
                source, step = images[key][name][12:36, 8:48], zoom
            assert np.array_equal(shown[::step, ::step], source), (key, name)
            assert np.array_equal(shown[step - 1::step, step - 1::step], source), (key, name)


def test_automatic_crop_finds_where_the_methods_differ(tmp_path, folders, capsys):
    paths, _ = folders
    compare_crops([
        '--lr', paths['lr'], '--method', f'A={paths["up"]}', '--method', f'B={paths["sharp"]}',
        '--crop-size', '32', '16', '--out',
        str(tmp_path / 'auto.png')
    ])
    assert f'{NAMES[0]}: crop x=64 y=40 w=32 h=16' in capsys.readouterr().out


def test_a_method_folder_with_other_image_names_lists_the_differences(tmp_path, folders):
    paths, images = folders
    odd = tmp_path / 'odd'
    write_folder(odd, {
        NAMES[0]: images['up'][NAMES[0]],
        'bonn/extra_leftImg8bit': images['up'][NAMES[1]]
    })
    with pytest.raises(ValueError) as error:
        compare_crops([
            '--lr', paths['lr'], '--method', f'Bicubic={paths["up"]}', '--method', f'Odd={odd}',
            '--out',
            str(tmp_path / 'x.png')
        ])
    message = str(error.value)
    assert f'Odd ({odd}): lacks {NAMES[1]}; has extra bonn/extra_leftImg8bit' in message
    assert 'Bicubic' not in message.split('\n', 1)[1]


def test_bad_crops_and_sizes_are_refused(tmp_path, folders):
    paths, images = folders
    args = ['--lr', paths['lr'], '--method', f'A={paths["up"]}', '--out', str(tmp_path / 'x.png')]
    with pytest.raises(ValueError, match='multiples of --scale 4'):
        compare_crops(args + ['--crop', '2', '0', '16', '16'])
    with pytest.raises(ValueError, match='outside'):
        compare_crops(args + ['--crop', '120', '0', '16', '16'])
    small = write_folder(tmp_path / 'small', {n: img[:40] for n, img in images['up'].items()})
    with pytest.raises(ValueError, match='expected 128x96'):
        compare_crops(
            ['--lr', paths['lr'], '--method', f'A={small}', '--out',
             str(tmp_path / 'x.png')])


def test_an_out_no_image_format_takes_is_a_usage_error(tmp_path, folders, capsys):
    paths, _ = folders
    with pytest.raises(SystemExit) as stopped:
        compare_crops([
            '--lr', paths['lr'], '--method', f'Up={paths["up"]}', '--out',
            str(tmp_path / 'fig.txt')
        ])
    assert stopped.value.code == 2
    assert f'--out {tmp_path / "fig.txt"}: expected a .png, ' in capsys.readouterr().err
