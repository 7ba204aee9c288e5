# Copyright (c) mmssg contributors. All rights reserved.
"""The demo dataset on disk: layout, sizes, summary, determinism, reuse, refusals."""
import filecmp
import glob
import json
import os
import re

import numpy as np
import pytest

from mmssg.cli import make_demo_data
from mmssg.demo import DemoDatasetError
from mmssg.demo import io as demo_io
from mmssg.demo.camera import CameraModel
from mmssg.demo.labels import CITYSCAPES_CLASSES
from mmssg.demo.textures import PHOTO_NAMES, load_photographs
from mmssg.testing.demo_files import (COUNTS, REQUIRED, hr_file, label_file, lr_image_files,
                                      read_labels, read_rgb, rel_files)

TINY = [
    '--lr-size', '32', '16', '--num-train', '3', '--num-val', '1', '--num-clean', '1', '--quiet'
]
OLD_MTIME_NS = 1_000_000_000 * 10**9  # 2001-09-09: "a file nobody rewrote"


def mtimes(root):
    return {rel: os.stat(os.path.join(root, rel)).st_mtime_ns for rel in rel_files(root)}


# ------------------------------------------------------------------ layout and content


def test_layout_and_naming(dataset):
    root, summary = dataset
    assert sorted(os.listdir(root)) == sorted(demo_io.GENERATED_ENTRIES)
    name_re = re.compile(r'^([a-z]+)_(\d{6})_(\d{6})_leftImg8bit\.png$')
    cities = set()
    for split, count in (('train', 4), ('val', 2)):
        lr_files = lr_image_files(root, split)
        assert len(lr_files) == count
        for path in lr_files:
            city, name = path.split(os.sep)[-2:]
            match = name_re.match(name)
            assert match and match.group(1) == city, path
            cities.add(city)
            assert label_file(root, path).is_file()
            assert hr_file(root, path).is_file()
        assert len(glob.glob(str(root / 'cityscapes' / 'gtFine' / split / '*' / '*'))) == count
        assert len(
            glob.glob(
                str(root / 'cityscapes' / 'leftImg8bit_hr' / split / '*' /
                    '*_leftImg8bit.png'))) == count
    train_cities = {p.split(os.sep)[-2] for p in lr_image_files(root, 'train')}
    val_cities = {p.split(os.sep)[-2] for p in lr_image_files(root, 'val')}
    assert 2 <= len(cities) <= 3 and not train_cities & val_cities
    clean = sorted(os.listdir(root / 'clean_hr'))
    assert clean == sorted(['render_0000.png', 'render_0001.png'] +
                           [f'photo_{name}.png' for name in PHOTO_NAMES])
    assert set(rel_files(root)) == set(demo_io.expected_files(**COUNTS))
    on_disk = json.loads((root / 'summary.json').read_text())
    assert on_disk['complete'] and on_disk['seed'] == 3
    assert on_disk['generator'] == demo_io.GENERATOR_NAME == 'mmssg.demo'
    assert on_disk['lr_size'] == [64, 32] and on_disk['hr_size'] == [256, 128]
    assert on_disk['counts'] == dict(train=4, val=2, clean_renders=2, clean_photos=6)
    camera = json.loads((root / 'camera_model.json').read_text())
    assert camera['blur_sigma_major'] == CameraModel().blur_sigma_major
    assert np.asarray(camera['kernel_hr']).shape == (14, 14)
    assert summary['reused'] is False


def test_sizes_and_label_values(dataset):
    root, _ = dataset
    for split in ('train', 'val'):
        for path in lr_image_files(root, split):
            lr, labels, hr = read_rgb(path), read_labels(label_file(root, path)), read_rgb(
                hr_file(root, path))
            assert lr.shape == (32, 64, 3) and labels.shape == (32, 64)
            assert hr.shape == (128, 256, 3)
            assert set(np.unique(labels)) <= set(range(19)) | {255}
    for path in glob.glob(str(root / 'clean_hr' / 'render_*.png')):
        assert read_rgb(path).shape == (128, 256, 3)
    photos = load_photographs()
    for name, photo in photos.items():  # the photographs as they are
        np.testing.assert_array_equal(read_rgb(root / 'clean_hr' / f'photo_{name}.png'), photo)


def test_required_classes_present_and_summary_counts_them(dataset):
    root, summary = dataset
    histogram = np.zeros(256, np.int64)
    for path in lr_image_files(root, 'train'):
        histogram += np.bincount(read_labels(label_file(root, path)).ravel(), minlength=256)
    names = [CITYSCAPES_CLASSES[i] for i in np.nonzero(histogram[:19])[0]]
    assert set(REQUIRED) <= set(names)
    freqs = summary['class_pixel_frequency']['train']
    for i, name in enumerate(CITYSCAPES_CLASSES):
        assert freqs[name] == pytest.approx(histogram[i] / histogram.sum(), abs=1e-5)


# ------------------------------------------------------------------ CLI: determinism, reuse


def test_same_seed_gives_identical_files_and_other_seeds_differ(tmp_path):
    cli = make_demo_data
    # 'b' is rendered by two worker processes: the same files as one process
    for name, seed, workers in (('a', 7, 1), ('b', 7, 2), ('c', 8, 1)):
        argv = [str(tmp_path / name), '--seed', str(seed), '--workers', str(workers)]
        assert cli.main(argv + TINY) == 0
    files = rel_files(tmp_path / 'a')
    assert files == rel_files(tmp_path / 'b') == rel_files(tmp_path / 'c')
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'b', files, shallow=False)
    assert not mismatch and not errors
    rendered = [f for f in files if f.endswith('.png') and 'photo_' not in f]
    _, mismatch, _ = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'c', rendered, shallow=False)
    assert sorted(mismatch) == sorted(rendered)


def test_rerun_reuses_and_fresh_regenerates(tmp_path, capsys):
    cli = make_demo_data
    out = tmp_path / 'data'
    assert cli.main([str(out), '--seed', '1'] + TINY) == 0
    for rel in rel_files(out):
        os.utime(out / rel, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    (out / 'notes.txt').write_text('mine')
    capsys.readouterr()
    assert cli.main([str(out), '--seed', '1'] + TINY) == 0
    assert 'Reusing' in capsys.readouterr().out
    before = mtimes(out)
    assert set(before.values()) == {OLD_MTIME_NS} | {before['notes.txt']}
    assert cli.main([str(out), '--seed', '1', '--fresh'] + TINY) == 0
    after = mtimes(out)
    assert set(after) == set(before)
    assert all(after[rel] != OLD_MTIME_NS for rel in after if rel != 'notes.txt')
    assert (out / 'notes.txt').read_text() == 'mine'  # --fresh deletes only its own entries


def test_dataset_written_under_the_former_generator_name_is_reused(tmp_path, capsys):
    """Datasets made when the generator was ``mmssg.datasets.demo_data`` stay ours."""
    cli = make_demo_data
    out = tmp_path / 'data'
    assert cli.main([str(out)] + TINY) == 0
    summary = json.loads((out / 'summary.json').read_text())
    summary['generator'] = 'mmssg.datasets.demo_data'
    (out / 'summary.json').write_text(json.dumps(summary))
    capsys.readouterr()
    assert cli.main([str(out)] + TINY) == 0
    assert 'Reusing' in capsys.readouterr().out
    summary['generator'] = 'someone.else'
    (out / 'summary.json').write_text(json.dumps(summary))
    with pytest.raises(demo_io.DemoDatasetError, match='holds no demo dataset'):
        demo_io.check_output_dir(str(out))


def test_incomplete_dataset_is_regenerated(tmp_path, capsys):
    cli = make_demo_data
    out = tmp_path / 'data'
    assert cli.main([str(out)] + TINY) == 0
    label = glob.glob(str(out / 'cityscapes' / 'gtFine' / 'train' / '*' / '*.png'))[0]
    os.remove(label)
    capsys.readouterr()
    assert cli.main([str(out)] + TINY) == 0
    assert 'incomplete' in capsys.readouterr().out
    assert os.path.isfile(label)


def test_errors_name_the_output(tmp_path):
    cli = make_demo_data
    a_file = tmp_path / 'a_file'
    a_file.write_text('x')
    with pytest.raises(DemoDatasetError, match=str(a_file)):
        cli.main([str(a_file)] + TINY)
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'cityscapes').mkdir()
    (foreign / 'cityscapes' / 'precious.png').write_text('x')
    for extra in ([], ['--fresh']):
        with pytest.raises(DemoDatasetError, match=str(foreign)):
            cli.main([str(foreign)] + TINY + extra)
    assert (foreign / 'cityscapes' / 'precious.png').read_text() == 'x'
    assert a_file.read_text() == 'x'
    # a demo dataset made with other arguments is kept unless --fresh
    out = tmp_path / 'data'
    assert cli.main([str(out), '--seed', '1'] + TINY) == 0
    with pytest.raises(DemoDatasetError) as error:
        cli.main([str(out), '--seed', '2'] + TINY)
    assert str(out) in str(error.value) and 'seed' in str(error.value)
    assert '--fresh' in str(error.value)
    assert cli.main([str(out), '--seed', '2', '--fresh'] + TINY) == 0
    assert json.loads((out / 'summary.json').read_text())['seed'] == 2
