# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/synthesize_lr.py: the synthetic-LR Cityscapes of section 5.1."""
import filecmp
import hashlib
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from scipy import ndimage
from skimage import data

from mmssg.cli import synthesize_lr
from mmssg.degradation.functional import align_kernel, isotropic_gaussian_kernel
from mmssg.utils import EXIT_OK, EXIT_SKIPPED

LABELS = (0, 8, 10, 13, 255)
IMG = 'leftImg8bit'


@pytest.fixture(scope='module')
def tool():
    return vars(synthesize_lr)


def _write(path, img):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), img)


@pytest.fixture
def cityscapes(tmp_path):
    """Cityscapes layout: 2 splits, 2 cities, photo crops, labels, one corrupt, one odd size."""
    root = tmp_path / 'cityscapes'
    photos = [
        data.astronaut()[100:164, 100:196],
        data.coffee()[150:214, 200:296],
        data.chelsea()[50:114, 150:246],
        data.rocket()[200:264, 300:396]
    ]
    rng = np.random.default_rng(0)
    entries = [('train', 'aachen', 'aachen_000000_000019'),
               ('train', 'bochum', 'bochum_000000_000313'),
               ('val', 'frankfurt', 'frankfurt_000000_000294'),
               ('val', 'frankfurt', 'frankfurt_000001_000058')]
    for (split, city, stem), photo in zip(entries, photos):
        _write(root / 'leftImg8bit' / split / city / f'{stem}_leftImg8bit.png', photo[..., ::-1])
        seg = rng.choice(np.array(LABELS, np.uint8), size=photo.shape[:2])
        _write(root / 'gtFine' / split / city / f'{stem}_gtFine_labelTrainIds.png', seg)
    # Odd size (not divisible by 4): cropped to 64 x 96.
    odd = data.astronaut()[300:366, 300:398]
    _write(root / 'leftImg8bit' / 'val' / 'lindau' / 'lindau_000000_000019_leftImg8bit.png',
           odd[..., ::-1])
    _write(root / 'gtFine' / 'val' / 'lindau' / 'lindau_000000_000019_gtFine_labelTrainIds.png',
           np.full(odd.shape[:2], 8, np.uint8))
    (root / 'leftImg8bit' / 'val' / 'lindau' /
     'lindau_000000_000020_leftImg8bit.png').write_bytes(b'garbage')
    return root


def _digests(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = osp.join(dirpath, n)
            out[osp.relpath(p, root)] = hashlib.sha256(open(p, 'rb').read()).hexdigest()
    return out


def test_writes_lr_images_labels_and_hr_ground_truth_in_cityscapes_layout(
        tool, cityscapes, tmp_path):
    before = _digests(cityscapes)
    out = tmp_path / 'synthetic'
    status = tool['main']([str(cityscapes), str(out), '--seed', '0', '--no-progress'])
    assert status == EXIT_SKIPPED  # the corrupt image
    assert _digests(cityscapes) == before  # inputs untouched
    summary = json.load(open(out / 'synthesis_summary.json'))
    assert summary['src_dir'] == str(cityscapes)
    assert summary['images_found'] == 6 and summary['images_read'] == 5
    assert summary['labels_written'] == 5 and summary['parameters']['seed'] == 0
    [skipped] = summary['skipped']
    assert skipped['file'] == osp.join(IMG, 'val', 'lindau', 'lindau_000000_000020_leftImg8bit.png')
    assert 'decode' in skipped['reason']
    assert summary['cropped'] == [
        osp.join(IMG, 'val', 'lindau', 'lindau_000000_000019_leftImg8bit.png')
    ]
    assert summary['converted_to_8bit'] == [] and summary['without_labels'] == []

    stem = 'val/frankfurt/frankfurt_000000_000294'
    hr_path = cityscapes / 'leftImg8bit' / f'{stem}_leftImg8bit.png'
    lr = cv2.imread(str(out / 'leftImg8bit' / f'{stem}_leftImg8bit.png'), cv2.IMREAD_UNCHANGED)
    assert lr.shape == (16, 24, 3) and lr.dtype == np.uint8
    assert filecmp.cmp(hr_path, out / 'leftImg8bit_hr' / f'{stem}_leftImg8bit.png', shallow=False)
    seg_hr = cv2.imread(
        str(cityscapes / 'gtFine' / f'{stem}_gtFine_labelTrainIds.png'), cv2.IMREAD_UNCHANGED)
    seg_lr = cv2.imread(
        str(out / 'gtFine' / f'{stem}_gtFine_labelTrainIds.png'), cv2.IMREAD_UNCHANGED)
    assert seg_lr.shape == (16, 24) and set(np.unique(seg_lr)) <= set(LABELS)
    np.testing.assert_array_equal(seg_lr, seg_hr[2::4, 2::4])

    odd_lr = cv2.imread(
        str(out / 'leftImg8bit' / 'val' / 'lindau' / 'lindau_000000_000019_leftImg8bit.png'))
    odd_hr = cv2.imread(
        str(out / 'leftImg8bit_hr' / 'val' / 'lindau' / 'lindau_000000_000019_leftImg8bit.png'))
    src_odd = cv2.imread(
        str(cityscapes / 'leftImg8bit' / 'val' / 'lindau' / 'lindau_000000_000019_leftImg8bit.png'))
    assert odd_lr.shape == (16, 24, 3) and odd_hr.shape == (64, 96, 3)
    np.testing.assert_array_equal(odd_hr, src_odd[:64, :96])
    assert not (out / 'leftImg8bit' / 'val' / 'lindau' /
                'lindau_000000_000020_leftImg8bit.png').exists()


def test_lr_images_are_blurred_downsampled_hr_plus_noise_of_std_8(tool, cityscapes, tmp_path):
    out = tmp_path / 'synthetic'
    tool['main'](
        [str(cityscapes),
         str(out), '--seed', '3', '--splits', 'train', 'val', '--no-progress'])
    kernel = align_kernel(isotropic_gaussian_kernel(11, 1.5), 4).astype(np.float64)
    residuals = []
    for dirpath, _, names in os.walk(out / 'leftImg8bit_hr'):
        for n in names:
            hr = cv2.imread(osp.join(dirpath, n)).astype(np.float64)
            lr = cv2.imread(osp.join(dirpath, n).replace('leftImg8bit_hr',
                                                         'leftImg8bit')).astype(np.float64)
            clean = np.stack(
                [ndimage.convolve(hr[..., c], kernel, mode='reflect') for c in range(3)],
                -1)[::4, ::4]
            keep = (clean > 30) & (clean < 225)  # away from clipping
            residuals.append((lr - clean)[keep])
    residual = np.concatenate(residuals)
    # ~5000 samples: the std estimate has a standard error of 0.08; rounding adds 1/12 to the
    # variance.
    assert residual.size > 4000
    assert residual.std() == pytest.approx(
        np.sqrt(64 + 1 / 12), abs=0.4) and abs(residual.mean()) < 0.5


def test_output_depends_on_the_seed_only_not_on_workers(tool, cityscapes, tmp_path):
    tool['main']([str(cityscapes), str(tmp_path / 'a'), '--seed', '7', '--no-progress'])
    tool['main'](
        [str(cityscapes),
         str(tmp_path / 'b'), '--seed', '7', '--workers', '2', '--no-progress'])
    tool['main']([str(cityscapes), str(tmp_path / 'c'), '--seed', '8', '--no-progress'])
    a, b, c = (_digests(tmp_path / x / 'leftImg8bit') for x in 'abc')
    assert len(a) == 5 and a == b
    assert all(a[k] != c[k] for k in a)
    assert _digests(tmp_path / 'a' / 'gtFine') == _digests(tmp_path / 'c' /
                                                           'gtFine')  # labels carry no noise


def test_refuses_an_output_root_inside_the_source_root(tool, cityscapes):
    for out in (cityscapes, cityscapes / 'leftImg8bit' / 'lr'):
        with pytest.raises(ValueError, match='inside .* SRC_ROOT'):
            tool['main']([str(cityscapes), str(out), '--seed', '0', '--no-progress'])
    with pytest.raises(FileNotFoundError, match='split folder not found.*test'):
        tool['main'](
            [str(cityscapes),
             str(cityscapes.parent / 'x'), '--seed', '0', '--splits', 'test'])


def test_a_filled_output_root_is_refused_without_overwrite(tool, cityscapes, tmp_path):
    out = tmp_path / 'lr'
    assert tool['main']([str(cityscapes), str(out), '--seed', '7', '--no-progress']) \
        == EXIT_SKIPPED  # the corrupt image
    before = _digests(out)
    with pytest.raises(FileExistsError, match=r'already holds 16 of the files.*--overwrite'):
        tool['main']([str(cityscapes), str(out), '--seed', '8', '--no-progress'])
    assert _digests(out) == before
    tool['main']([str(cityscapes), str(out), '--seed', '8', '--no-progress', '--overwrite'])
    assert _digests(out) != before


def test_links_into_the_source_root_are_refused(tool, cityscapes, tmp_path):
    link = tmp_path / 'link_to_source'
    link.symlink_to(cityscapes, target_is_directory=True)
    before = _digests(cityscapes)
    for out in (link, link / 'leftImg8bit'):
        with pytest.raises(ValueError, match='inside .* SRC_ROOT'):
            tool['main']([str(cityscapes), str(out), '--seed', '0', '--no-progress'])
    assert _digests(cityscapes) == before


def test_image_seed_is_a_function_of_seed_and_path():
    mod = synthesize_lr
    a = mod.image_seed(0, 'val/x/a_leftImg8bit.png')
    assert a == mod.image_seed(0, 'val/x/a_leftImg8bit.png')
    assert a != mod.image_seed(1, 'val/x/a_leftImg8bit.png') != mod.image_seed(
        0, 'val/x/b_leftImg8bit.png')
    assert 0 <= a < 2**32


def test_16_bit_images_are_degraded_as_their_8_bit_rounding_and_bad_labels_are_skipped(
        tool, tmp_path):
    src = tmp_path / 'src'
    photo = data.astronaut()[100:164, 100:196, ::-1]  # BGR, 64 x 96
    for name, img in (('eight', photo), ('sixteen', photo.astype(np.uint16) * 257)):
        _write(src / IMG / 'val' / name / f'{name}_leftImg8bit.png', img)
    _write(src / 'gtFine' / 'val' / 'eight' / 'eight_gtFine_labelTrainIds.png',
           np.zeros((10, 10), np.uint8))  # does not match its image
    out = tmp_path / 'out'
    status = tool['main']([str(src), str(out), '--seed', '0', '--no-progress', '--splits', 'val'])
    assert status == EXIT_SKIPPED
    summary = json.load(open(out / 'synthesis_summary.json'))
    [skipped] = summary['skipped']
    assert skipped['file'] == osp.join('gtFine', 'val', 'eight', 'eight_gtFine_labelTrainIds.png')
    assert 'expected a single-channel 96x64 map' in skipped['reason']
    assert summary['images_read'] == 2 and summary['labels_written'] == 0
    assert summary['converted_to_8bit'] == [
        osp.join(IMG, 'val', 'sixteen', 'sixteen_leftImg8bit.png')
    ]
    hr = cv2.imread(
        str(out / 'leftImg8bit_hr' / 'val' / 'sixteen' / 'sixteen_leftImg8bit.png'),
        cv2.IMREAD_UNCHANGED)
    assert hr.dtype == np.uint8
    np.testing.assert_array_equal(hr, photo)
    lr = cv2.imread(str(out / IMG / 'val' / 'sixteen' / 'sixteen_leftImg8bit.png'))
    assert lr.shape == (16, 24, 3)
    os.remove(src / 'gtFine' / 'val' / 'eight' / 'eight_gtFine_labelTrainIds.png')
    assert tool['main'](
        [str(src),
         str(tmp_path / 'clean'), '--seed', '0', '--splits', 'val', '--no-progress']) == EXIT_OK
