# Copyright (c) mmssg contributors. All rights reserved.
"""The demo dataset generator: layout, labels, the hidden camera, determinism, reuse."""
import filecmp
import glob
import importlib.util
import json
import os
import re

import cv2
import numpy as np
import pytest
from scipy import ndimage

from mmssg.datasets import demo_data as dd

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LR_SIZE = (64, 32)
COUNTS = dict(num_train=4, num_val=2, num_clean=2)
TINY = ['--lr-size', '32', '16', '--num-train', '3', '--num-val', '1', '--num-clean', '1',
        '--quiet']
REQUIRED = ('road', 'sidewalk', 'building', 'vegetation', 'sky', 'car', 'person', 'pole')
OLD_MTIME_NS = 1_000_000_000 * 10**9  # 2001-09-09: "a file nobody rewrote"


def load_cli():
    """``tools/data/make_demo_data.py`` as a module (its ``main`` runs in this process)."""
    path = os.path.join(REPO_ROOT, 'tools', 'data', 'make_demo_data.py')
    spec = importlib.util.spec_from_file_location('make_demo_data', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_rgb(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None and image.dtype == np.uint8 and image.ndim == 3, path
    return image[..., ::-1]


def read_labels(path):
    labels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert labels is not None and labels.dtype == np.uint8 and labels.ndim == 2, path
    return labels


def rel_files(root):
    return sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, '**', '*'),
                                                              recursive=True)
                  if os.path.isfile(p))


def mtimes(root):
    return {rel: os.stat(os.path.join(root, rel)).st_mtime_ns for rel in rel_files(root)}


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo') / 'data'
    summary = dd.make_demo_dataset(str(root), seed=3, lr_size=LR_SIZE, log=lambda msg: None,
                                   **COUNTS)
    return root, summary


def lr_image_files(root, split):
    return sorted(glob.glob(str(root / 'cityscapes' / 'leftImg8bit' / split / '*' /
                                '*_leftImg8bit.png')))


def label_file(root, lr_file):
    split, city, name = lr_file.split(os.sep)[-3:]
    stem = name[:-len('_leftImg8bit.png')]
    return root / 'cityscapes' / 'gtFine' / split / city / f'{stem}_gtFine_labelTrainIds.png'


def hr_file(root, lr_file):
    split, city, name = lr_file.split(os.sep)[-3:]
    return root / 'cityscapes' / 'leftImg8bit_hr' / split / city / name


# ------------------------------------------------------------------ layout and content


def test_layout_and_naming(dataset):
    root, summary = dataset
    assert sorted(os.listdir(root)) == sorted(dd.GENERATED_ENTRIES)
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
        assert len(glob.glob(str(root / 'cityscapes' / 'leftImg8bit_hr' / split / '*' /
                                 '*_leftImg8bit.png'))) == count
    train_cities = {p.split(os.sep)[-2] for p in lr_image_files(root, 'train')}
    val_cities = {p.split(os.sep)[-2] for p in lr_image_files(root, 'val')}
    assert 2 <= len(cities) <= 3 and not train_cities & val_cities
    clean = sorted(os.listdir(root / 'clean_hr'))
    assert clean == sorted(['render_0000.png', 'render_0001.png'] +
                           [f'photo_{name}.png' for name in dd.PHOTO_NAMES])
    assert set(rel_files(root)) == set(dd.expected_files(**COUNTS))
    on_disk = json.loads((root / 'summary.json').read_text())
    assert on_disk['complete'] and on_disk['seed'] == 3
    assert on_disk['lr_size'] == [64, 32] and on_disk['hr_size'] == [256, 128]
    assert on_disk['counts'] == dict(train=4, val=2, clean_renders=2, clean_photos=6)
    camera = json.loads((root / 'camera_model.json').read_text())
    assert camera['blur_sigma_major'] == dd.CameraModel().blur_sigma_major
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
    photos = dd.load_photographs()
    for name, photo in photos.items():  # the photographs as they are
        np.testing.assert_array_equal(read_rgb(root / 'clean_hr' / f'photo_{name}.png'), photo)


def test_required_classes_present_and_summary_counts_them(dataset):
    root, summary = dataset
    histogram = np.zeros(256, np.int64)
    for path in lr_image_files(root, 'train'):
        histogram += np.bincount(read_labels(label_file(root, path)).ravel(), minlength=256)
    names = [dd.CITYSCAPES_CLASSES[i] for i in np.nonzero(histogram[:19])[0]]
    assert set(REQUIRED) <= set(names)
    freqs = summary['class_pixel_frequency']['train']
    for i, name in enumerate(dd.CITYSCAPES_CLASSES):
        assert freqs[name] == pytest.approx(histogram[i] / histogram.sum(), abs=1e-5)


def test_required_classes_in_most_images():
    """Most scenes (here at the default size) hold most of the required classes."""
    per_image = []
    for index in range(6):
        _, labels = dd.generate_scene(11, 'train', index, (512, 256))
        lr_labels = dd.downsample_labels(labels, 4)
        present = {dd.CITYSCAPES_CLASSES[i] for i in np.unique(lr_labels) if i < 19}
        per_image.append(len(present & set(REQUIRED)))
    assert min(per_image) >= 7


def test_labels_agree_with_image_content(dataset):
    root, _ = dataset
    colours = {name: [] for name in ('sky', 'road', 'vegetation')}
    top_centre_sky, bottom_road = [], []
    for split in ('train', 'val'):
        for path in lr_image_files(root, split):
            labels = read_labels(label_file(root, path))
            hr = read_rgb(hr_file(root, path)).astype(np.float64)
            # the LR label (i, j) names the HR pixel (4i + 2, 4j + 2)
            sampled = hr[2::4, 2::4]
            for name in colours:
                colours[name].append(sampled[labels == dd.CITYSCAPES_CLASSES.index(name)])
            width = labels.shape[1]
            top_centre_sky.append(np.mean(labels[0, 2 * width // 5:3 * width // 5] == dd.SKY))
            bottom_road.append(np.mean(labels[-1] == dd.ROAD))
    sky, road, vegetation = (np.concatenate(colours[n]).mean(0) for n in
                             ('sky', 'road', 'vegetation'))
    assert sky[2] > sky[0] + 20 and sky.mean() > road.mean() + 40  # blue and bright
    assert np.ptp(road) < 15  # grey asphalt
    assert vegetation[1] > vegetation[0] and vegetation[1] > vegetation[2]  # green
    assert min(top_centre_sky) > 0.5 and min(bottom_road) > 0.9


def test_label_boundaries_are_image_edges_and_files_match_the_library(dataset):
    """Labels are drawn with the image: the image changes where the label changes."""
    root, _ = dataset
    path = lr_image_files(root, 'train')[0]
    hr, hr_labels = dd.generate_scene(3, 'train', 0, (256, 128))
    np.testing.assert_array_equal(read_rgb(hr_file(root, path)), hr)
    np.testing.assert_array_equal(read_labels(label_file(root, path)),
                                  dd.downsample_labels(hr_labels, 4))
    grey = hr.astype(np.float64).mean(-1)
    step = np.abs(np.diff(grey, axis=1))
    boundary = hr_labels[:, 1:] != hr_labels[:, :-1]
    assert boundary.any()
    assert step[boundary].mean() > 3 * step[~boundary].mean()


# ------------------------------------------------------------------ the hidden camera


def test_camera_kernel_has_the_configured_shape():
    camera = dd.CameraModel()
    kernel = dd.camera_kernel(camera)
    assert kernel.shape == (2 * camera.blur_radius, ) * 2
    assert kernel.sum() == pytest.approx(1.0)
    taps = np.arange(kernel.shape[0]) - (kernel.shape[0] - 1) / 2
    cols, rows = np.meshgrid(taps, taps)
    x, y = cols, -rows  # screen coordinates with y up
    cov = np.array([[np.sum(kernel * x * x), np.sum(kernel * x * y)],
                    [np.sum(kernel * x * y), np.sum(kernel * y * y)]])
    assert np.sum(kernel * x) == pytest.approx(0, abs=1e-9)  # centred between the taps
    values, vectors = np.linalg.eigh(cov)
    # truncation at 3.2 sigma shrinks the variance by a few per cent
    assert np.sqrt(values) == pytest.approx([camera.blur_sigma_minor,
                                             camera.blur_sigma_major], rel=0.05)
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])) % 180
    assert angle == pytest.approx(camera.blur_angle_deg, abs=1.0)


def test_downsampling_takes_block_centres():
    camera = dd.CameraModel()
    ramp_x = np.tile(np.arange(64, dtype=np.float32), (32, 1))
    lr = dd.blur_and_downsample(ramp_x, camera)
    assert lr.shape == (8, 16)
    # away from the mirrored borders a symmetric kernel reproduces the block centre 4j + 1.5
    np.testing.assert_allclose(lr[2:-2, 2:-2], (4 * np.arange(16) + 1.5)[None, 2:-2]
                               * np.ones((4, 1)), atol=1e-3)
    labels = (np.arange(16)[:, None] * 16 + np.arange(16)[None, :]).astype(np.uint8)
    np.testing.assert_array_equal(dd.downsample_labels(labels, 4),
                                  labels[2::4, 2::4])
    with pytest.raises(ValueError):
        dd.blur_and_downsample(ramp_x, dd.CameraModel(scale=3))


def test_real_lr_is_blurred_and_noisy_as_configured():
    """Real LR = blur + subsample + noise: less detail than a box down-sampling of the HR
    render, and a residual against the noise-free camera output whose standard deviation
    in the sky is the configured one.

    Tolerance of the noise check: JPEG (quality 90, 4:2:0) quantises away part of the
    high-frequency noise and moves chroma noise between channels; measured over 12 scenes
    the ratio measured/configured std is 0.95 on average (0.87 for green, 1.02 for blue),
    each image within [0.78, 1.2] per channel. Pooling three scenes and three channels
    (~1500 sky pixels, sampling error ~2%) the ratio must lie in [0.8, 1.1]; a camera without
    noise gives ~0.1, one with twice the noise ~1.9.
    """
    camera = dd.CameraModel()
    residuals, expected = [], []
    for index in range(3):
        hr, labels = dd.generate_scene(5, 'train', index, (512, 256))
        lr = dd.apply_camera(hr, camera, dd.scene_rng(5, 'train', index, 1)).astype(np.float64)
        box = hr.reshape(64, 4, 128, 4, 3).mean(axis=(1, 3))

        def high_frequency_energy(image):
            return np.mean(ndimage.laplace(image.mean(-1))**2)

        assert high_frequency_energy(lr) < 0.85 * high_frequency_energy(box)
        clean = dd.blur_and_downsample(hr, camera)
        sky = ndimage.binary_erosion(dd.downsample_labels(labels, 4) == dd.SKY,
                                     np.ones((5, 5)), border_value=0)
        assert sky.sum() > 100
        residual = (lr - clean)[sky]
        assert np.abs(residual.mean()) < 1.0  # zero-mean noise, no colour shift
        residuals.append(residual)
        expected.append(camera.noise_sigma(clean[sky]))
    ratio = np.concatenate(residuals).std() / np.sqrt(np.mean(np.concatenate(expected)**2))
    assert 0.8 < ratio < 1.1


# ------------------------------------------------------------------ CLI: determinism, reuse


def test_same_seed_gives_identical_files_and_other_seeds_differ(tmp_path):
    cli = load_cli()
    for name, seed in (('a', 7), ('b', 7), ('c', 8)):
        assert cli.main([str(tmp_path / name), '--seed', str(seed)] + TINY) == 0
    files = rel_files(tmp_path / 'a')
    assert files == rel_files(tmp_path / 'b') == rel_files(tmp_path / 'c')
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'b', files, shallow=False)
    assert not mismatch and not errors
    rendered = [f for f in files if f.endswith('.png') and 'photo_' not in f]
    _, mismatch, _ = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'c', rendered, shallow=False)
    assert sorted(mismatch) == sorted(rendered)


def test_rerun_reuses_and_fresh_regenerates(tmp_path, capsys):
    cli = load_cli()
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


def test_incomplete_dataset_is_regenerated(tmp_path, capsys):
    cli = load_cli()
    out = tmp_path / 'data'
    assert cli.main([str(out)] + TINY) == 0
    label = glob.glob(str(out / 'cityscapes' / 'gtFine' / 'train' / '*' / '*.png'))[0]
    os.remove(label)
    capsys.readouterr()
    assert cli.main([str(out)] + TINY) == 0
    assert 'incomplete' in capsys.readouterr().out
    assert os.path.isfile(label)


def test_errors_name_the_output(tmp_path, capsys):
    cli = load_cli()
    a_file = tmp_path / 'a_file'
    a_file.write_text('x')
    assert cli.main([str(a_file)] + TINY) != 0
    assert str(a_file) in capsys.readouterr().err
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'cityscapes').mkdir()
    (foreign / 'cityscapes' / 'precious.png').write_text('x')
    for extra in ([], ['--fresh']):
        assert cli.main([str(foreign)] + TINY + extra) != 0
        assert str(foreign) in capsys.readouterr().err
    assert (foreign / 'cityscapes' / 'precious.png').read_text() == 'x'
    assert a_file.read_text() == 'x'
    # a demo dataset made with other arguments is kept unless --fresh
    out = tmp_path / 'data'
    assert cli.main([str(out), '--seed', '1'] + TINY) == 0
    capsys.readouterr()
    assert cli.main([str(out), '--seed', '2'] + TINY) != 0
    err = capsys.readouterr().err
    assert str(out) in err and 'seed' in err and '--fresh' in err
    assert cli.main([str(out), '--seed', '2', '--fresh'] + TINY) == 0
    assert json.loads((out / 'summary.json').read_text())['seed'] == 2
