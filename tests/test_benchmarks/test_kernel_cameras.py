# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/kernel_cameras.py: the sealed kernel benchmark's splits and cameras."""
import json
import math

import cv2
import numpy as np
import pytest

from benchmarks.accuracy import kernel_cameras, kernel_photos
from mmssg.degradation.functional import kernel_covariance


def test_splits_are_fixed_disjoint_and_real_photographs_outside_scikit_image():
    dev, test = kernel_photos.SPLITS['dev'], kernel_photos.SPLITS['test']
    assert not set(dev) & set(test) and len(test) >= 8
    # the sealed split holds no image the fit was tuned on (scikit-image's, the renders)
    assert not [s for s in test if s.startswith(('skimage:', 'render:'))]
    with pytest.raises(ValueError, match="split must be one of \\['dev', 'test'\\], got 'tune'"):
        kernel_photos.load_split('tune')
    with pytest.raises(FileNotFoundError, match="'no_such_package' is not installed"):
        kernel_photos.package_file('no_such_package:a.jpg')
    with pytest.raises(FileNotFoundError, match='apt-get install -y no-such-package'):
        kernel_photos.package_file('debian:no-such-package:examples/a.jpg')
    # installed (tools/setup_env.sh) but without the file: dpkg left /usr/share/doc out?
    with pytest.raises(FileNotFoundError, match='although opencv-doc is installed') as error:
        kernel_photos.package_file('debian:opencv-doc:examples/data/no_such_photo.jpg')
    assert 'path-include=/usr/share/doc/opencv-doc/*' in str(error.value)


def test_development_photographs_of_debian_load_and_give_an_x4_tile():
    # opencv-doc's photographs, installed by tools/setup_env.sh
    debian = [s for s in kernel_photos.DEV_IMAGES if s.startswith('debian:')]
    assert len(debian) >= 5
    for source in debian:
        image = kernel_photos.read_source(source)
        assert image.dtype == np.uint8 and image.shape[2] == 3
        assert min(image.shape[:2]) >= 4 * 64


def test_test_photographs_load_and_jpeg_sources_are_area_downscaled():
    for source in kernel_photos.TEST_IMAGES:
        image = kernel_photos.read_source(source)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        path = kernel_photos.package_file(source)
        height, width = cv2.imread(path).shape[:2]
        factor = 1
        if path.endswith('.jpg'):
            factor = kernel_photos.DOWNSCALE.get(source, kernel_photos.JPEG_DOWNSCALE)
            assert factor >= 2
        assert image.shape[:2] == (height // factor, width // factor)
        # every test image gives at least one 64 px LR tile at x4
        assert min(image.shape[:2]) >= 4 * 64


def test_cameras_cover_the_issues_range():
    cameras = [c for seed in range(3) for c in kernel_cameras.draw_cameras(12, 4, seed)]
    sizes, ratios = [], []
    for camera in cameras:
        minor, major = np.sqrt(np.linalg.eigvalsh(kernel_covariance(camera['kernel'])))
        sizes.append(math.sqrt(minor * major))
        ratios.append(major / minor)
    assert 0.79 <= min(sizes) and max(sizes) <= 2.51 and max(sizes) - min(sizes) > 1.4
    assert min(ratios) >= 0.99 and max(ratios) <= 2.51
    qualities = [c['quality'] for c in cameras]
    assert qualities.count(None) == len(cameras) // 2
    assert {q for q in qualities if q} == set(kernel_cameras.JPEG_QUALITIES)
    assert all(75 <= q <= 95 for q in qualities if q)


def test_report_scores_each_camera_against_its_truth(tmp_path):
    rows = tmp_path / 'rows.json'
    assert kernel_cameras.main([
        '--split', 'dev', '--scales', '2', '--cameras', '2', '--max-images', '2', '--json',
        str(rows), '--out',
        str(tmp_path / 'report.md')
    ]) == 0
    results = json.loads(rows.read_text())['results']['2']
    assert [r['camera'] for r in results] == [0, 1] and results[1]['quality'] is not None
    for row, camera in zip(results, kernel_cameras.draw_cameras(2, 2, 0)):
        cov = kernel_covariance(camera['kernel'])
        minor, major = np.sqrt(np.linalg.eigvalsh(cov))
        assert (row['true_minor'], row['true_major']) == pytest.approx((minor, major))
        iso = np.trace(cov) / 2 * np.eye(2)
        assert row['iso_err'] == pytest.approx(np.linalg.norm(iso - cov) / np.linalg.norm(cov))
        interval = row['interval']
        assert interval['groups'] == 2 and interval['minor'][0] <= interval['minor'][1]
        assert row['covered'] == (
            interval['minor'][0] <= minor <= interval['minor'][1]
            and interval['major'][0] <= major <= interval['major'][1])
    report = (tmp_path / 'report.md').read_text()
    assert report.startswith('command: python -m benchmarks.accuracy.kernel_cameras --split dev')
    assert '| x2, clean | 1 |' in report and '| x2 | 0 | 1 | 75 |' in report


def test_method_spectral_scores_each_image_on_its_own(tmp_path):
    rows = tmp_path / 'rows.json'
    assert kernel_cameras.main([
        '--split', 'dev', '--method', 'spectral', '--scales', '2', '--cameras', '1', '--max-images',
        '2', '--json',
        str(rows)
    ]) == 0
    results = json.loads(rows.read_text())['results']['2']
    names = list(kernel_photos.DEV_IMAGES[:2])
    assert [r['image'] for r in results] == names and [r['camera'] for r in results] == [0, 0]
    # one image each: no interval, never counted as covered
    assert all(not r['covered'] and not r['interval']['wide'] for r in results)
    assert results[0]['est'] != results[1]['est']
