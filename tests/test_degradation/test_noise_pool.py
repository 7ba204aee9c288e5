# Copyright (c) mmssg contributors. All rights reserved.
"""Noise-patch collection (Eq. 2-4), the folder tool and the pool loaders."""
import json
import os
import os.path as osp
import runpy

import cv2
import numpy as np
import pytest
from skimage import data

from mmssg.degradation import noise_pool as N

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SKY = np.array([150, 160, 185], np.float32)


def _clean_scene(size=384):
    """A real photograph (coffee, textured) next to a sky-like flat field with a gentle gradient."""
    photo = data.coffee()[:size, :size].astype(np.float32)
    ramp = np.linspace(0, 12, size, dtype=np.float32)[:, None, None]  # 12 grey levels top to bottom
    field = np.broadcast_to(SKY - ramp, (size, size, 3))
    return np.concatenate([photo, field], axis=1)


def _add_noise(clean, sigma, seed=0):
    """Gaussian noise then 8-bit quantisation, as a camera would."""
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(clean + rng.normal(0, sigma, clean.shape)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize('sigma', [3, 8])
def test_collected_patches_have_the_std_of_the_added_noise(sigma):
    clean = _clean_scene()
    img = _add_noise(clean, sigma)
    positions = N.noise_patch_positions(img)  # paper settings: P=128, q=32, mu .1, gamma .3, phi .5
    patches = N.extract_noise_patches(img, positions, 128)
    # The textured photo (left half) never passes; most of the flat field (right half) does.
    assert len(positions) and (positions[:, 1] >= 384).all()
    field_candidates = len(range(0, 384 - 128 + 1, 64))**2
    assert len(positions) >= 0.8 * field_candidates
    # Expected patch variance: sigma^2 + 1/12 (8-bit rounding) + the field's own ramp inside the window.
    # A std estimated from 3 * 128^2 samples has a relative error of 1/sqrt(2n) = 0.3 %, so 3 % is >= 10x that.
    expected = np.array([
        np.sqrt(sigma**2 + 1 / 12 + clean[y:y + 128, x:x + 128].var(axis=(0, 1)).mean())
        for y, x in positions
    ])
    stds = np.sqrt(np.mean(np.square(patches, dtype=np.float64), axis=(1, 2, 3)))
    np.testing.assert_allclose(stds, expected, rtol=0.03)
    # And, in the terms a user reads it: the pool's noise level is sigma (the ramp adds < 10 %).
    assert abs(np.median(stds) - sigma) <= 0.1 * sigma


@pytest.mark.parametrize('name', ['astronaut', 'coffee', 'chelsea'])
def test_clean_photographs_give_few_or_no_patches(name):
    img = getattr(data, name)()
    candidates = len(range(0, img.shape[0] - 128 + 1, 64)) * len(
        range(0, img.shape[1] - 128 + 1, 64))
    kept = len(N.noise_patch_positions(img))
    assert kept <= 0.05 * candidates, (name, kept, candidates)


def test_saturated_flat_regions_never_pass():
    img = np.zeros((256, 384, 3), np.uint8)
    img[:, :128] = 255  # saturated white
    img[:, 128:256] = 0  # saturated black
    img[:, 256:] = _add_noise(np.full((256, 128, 3), 120, np.float32), 4)  # noisy grey: passes
    kept = N.noise_patch_positions(img, patch_size=64, sub_size=16)
    assert len(kept) and (kept[:, 1] >= 256).all()
    # Eq. 2-3 alone accept a constant patch (|0 - 0| <= 0): phi (Eq. 4) is what rejects it.
    without_phi = N.noise_patch_positions(img, patch_size=64, sub_size=16, phi=0)
    assert (without_phi[:, 1] < 256).any()


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(patch_size=64, sub_size=16),  # defaults: stride P/2, sub-stride q
        dict(patch_size=64, sub_size=16, stride=64),
        dict(patch_size=64, sub_size=16, stride=24,
             sub_stride=8),  # overlapping q's, stride not a multiple
        dict(patch_size=60, sub_size=18, stride=14,
             sub_stride=12),  # the q's do not cover p; 2x2 blocks
        dict(patch_size=63, sub_size=21,
             stride=17),  # no common block size: full-resolution integral images
        dict(patch_size=64, sub_size=16, mu=0.03, gamma=0.25,
             phi=20),  # stricter: some field patches fail
    ])
def test_vectorised_collector_agrees_exactly_with_the_loop_reference(kwargs):
    clean = _clean_scene(192)[:,
                              128:].copy()  # 192 x 256: photo on the left, flat field on the right
    for y, x in ((20, 230), (150, 100), (100, 180)):
        clean[y:y + 6, x:x + 6] += 40  # small defects: only the windows covering them must fail
    img = _add_noise(clean, 5, seed=1)
    fast = N.noise_patch_positions(img, **kwargs)
    slow = N.noise_patch_positions_reference(img, **kwargs)
    np.testing.assert_array_equal(fast, slow)
    stride = kwargs.get('stride', kwargs['patch_size'] // 2)
    candidates = len(range(0, 192 - kwargs['patch_size'] + 1, stride)) * len(
        range(0, 256 - kwargs['patch_size'] + 1, stride))
    assert 0 < len(fast) < candidates  # a non-trivial split: both kinds of patches are present
    # Float input goes through the same code path and gives the same answer.
    np.testing.assert_array_equal(N.noise_patch_positions(img.astype(np.float32), **kwargs), fast)


def test_extracted_patches_are_zero_mean_per_channel_and_unclipped():
    img = _add_noise(np.full((64, 64, 3), [20, 128, 240], np.float32), 6)
    patches = N.extract_noise_patches(img, np.array([[0, 0], [32, 16]]), 32)
    assert patches.shape == (2, 32, 32, 3) and patches.dtype == np.float32
    np.testing.assert_allclose(patches.mean(axis=(1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(
        patches[1], img[32:64, 16:48] - img[32:64, 16:48].mean(axis=(0, 1)), atol=1e-4)
    assert patches.min() < 0 < patches.max()


@pytest.mark.parametrize('dtype,channels', [(np.uint8, 3), (np.uint16, 1), (np.float64, 4),
                                            (np.int64, 3), (np.uint8, 5)])
def test_extracted_patches_match_numpy_for_every_depth_and_channel_count(dtype, channels):
    """cv2's fast path (<= 4 channels, its depths) and the numpy fallback agree with numpy."""
    img = (np.random.default_rng(1).random((70, 90, channels)) * 250).astype(dtype)
    positions = np.array([[0, 0], [5, 7], [30, 50]])
    patches = N.extract_noise_patches(img, positions, 40)
    expected = np.stack([
        img[y:y + 40, x:x + 40] - img[y:y + 40, x:x + 40].mean(axis=(0, 1), dtype=np.float64)
        for y, x in positions
    ])
    assert patches.shape == (3, 40, 40, channels) and patches.dtype == np.float32
    np.testing.assert_allclose(patches, expected, atol=1e-4)


def test_extraction_reads_big_endian_images_and_refuses_corners_outside_the_image():
    img = (np.random.default_rng(2).random((50, 60, 3)) * 60000).astype('>u2')
    patches = N.extract_noise_patches(img, np.array([[10, 20]]), 40, means=np.array([[1., 2., 3.]]))
    np.testing.assert_allclose(patches[0], img[10:50, 20:60].astype(np.float64) - [1, 2, 3],
                               atol=1e-2)
    with pytest.raises(ValueError, match=r'\[30, 40\].*40x40 patch outside the 50x60 image'):
        N.extract_noise_patches(img, np.array([[0, 0], [30, 40]]), 40)
    with pytest.raises(ValueError, match=r'\[-1, 0\]'):
        N.extract_noise_patches(img, np.array([[-1, 0]]), 40)


@pytest.fixture
def lr_folder(tmp_path):
    """Real-LR-like images on disk (PNG, BGR as cv2 writes them), one corrupt."""
    src = tmp_path / 'real_lr' / 'city'
    src.mkdir(parents=True)
    rng = np.random.default_rng(5)
    flat = np.zeros((256, 256, 3), np.float32)
    flat[:] = [60, 120, 200]  # RGB
    noise = rng.normal(0, 1, flat.shape) * np.array([2, 5, 9])  # R, G, B noise levels differ
    rgb = np.clip(np.rint(flat + noise), 0, 255).astype(np.uint8)
    cv2.imwrite(str(src / 'flat_0001.png'), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(src / 'photo_0002.png'), cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR))
    (src / 'broken_0003.png').write_bytes(b'\x89PNG\r\n\x1a\n not really a png')
    return tmp_path / 'real_lr'


def test_collect_noise_pool_writes_rgb_pools_a_summary_and_skips_unreadable_images(
        lr_folder, tmp_path):
    out = tmp_path / 'noise_pool'
    summary = N.collect_noise_pool(
        str(lr_folder), str(out), patch_size=64, sub_size=16, progress=False)
    assert summary['images_found'] == 3 and summary['images_read'] == 2
    assert summary['skipped_unreadable'] == [str(lr_folder / 'city' / 'broken_0003.png')]
    assert sorted(os.listdir(out)) == ['flat_0001.npy',
                                       'summary.json']  # the clean photo gives none
    pool = np.load(out / 'flat_0001.npy')
    assert pool.dtype == np.float32 and pool.shape[1:] == (64, 64, 3)
    assert summary['patches_kept'] == len(pool) == summary['patches_per_image']['flat_0001']
    assert summary['patches_per_image']['photo_0002'] == 0
    # RGB on disk: the channel with the strongest noise (B, 9) is last.
    np.testing.assert_allclose(pool.std(axis=(0, 1, 2)), [2, 5, 9], rtol=0.05)
    with open(out / 'summary.json') as f:
        on_disk = json.load(f)
    assert on_disk['parameters']['stride'] == 32 and on_disk['parameters']['sub_stride'] == 16
    dist = on_disk['patch_std']
    assert dist['count'] == len(pool) and sum(dist['histogram']['counts']) == len(pool)
    assert dist['percentiles']['5'] <= dist['percentiles']['50'] <= dist['percentiles']['95']
    assert dist['mean'] == pytest.approx(np.sqrt((4 + 25 + 81) / 3), rel=0.05)
    # The summary's per-patch stds (from the window statistics) are those of the stored patches.
    stored = np.sqrt(np.mean(np.square(pool, dtype=np.float64), axis=(1, 2, 3)))
    assert dist['mean'] == pytest.approx(stored.mean(), rel=1e-6)
    assert dist['max'] == pytest.approx(stored.max(), rel=1e-6)


def test_collection_tool_cli_runs_with_workers(lr_folder, tmp_path):
    tool = runpy.run_path(
        osp.join(REPO_ROOT, 'tools', 'data', 'collect_noise_patches.py'), run_name='tool')
    serial = tool['main']([
        str(lr_folder),
        str(tmp_path / 'a'), '--patch-size', '64', '--sub-size', '16', '--no-progress'
    ])
    parallel = tool['main']([
        str(lr_folder),
        str(tmp_path / 'b'), '--patch-size', '64', '--sub-size', '16', '--workers', '2',
        '--no-progress'
    ])
    assert serial['patches_kept'] == parallel['patches_kept'] > 0
    assert len(parallel['skipped_unreadable']) == 1
    np.testing.assert_array_equal(
        np.load(tmp_path / 'a' / 'flat_0001.npy'), np.load(tmp_path / 'b' / 'flat_0001.npy'))


def test_collect_noise_pool_errors_name_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        N.collect_noise_pool(str(tmp_path / 'nowhere'), str(tmp_path / 'out'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no images.*empty'):
        N.collect_noise_pool(str(tmp_path / 'empty'), str(tmp_path / 'out'))


def test_load_noise_pool_memory_maps_and_validates(tmp_path):
    pool_dir = tmp_path / 'noise'
    pool_dir.mkdir()
    np.save(pool_dir / 'a.npy', np.zeros((3, 16, 16, 3), np.float32))
    np.save(pool_dir / 'b.npy', np.ones((2, 16, 16, 3), np.float32))
    np.save(pool_dir / 'c.npy', np.zeros((0, 16, 16, 3),
                                         np.float32))  # an empty pool file is skipped
    (pool_dir / 'summary.json').write_text('{}')
    pool = N.load_noise_pool(str(pool_dir))
    assert pool.names == ['a.npy', 'b.npy'] and pool.counts.tolist() == [3, 2
                                                                         ] and pool.patch_size == 16
    assert all(isinstance(a, np.memmap) for a in pool.arrays)
    np.save(pool_dir / 'd.npy', np.zeros((2, 16, 16), np.float32))
    with pytest.raises(ValueError, match=r'd\.npy.*\(N, P, P, 3\).*\(2, 16, 16\)'):
        N.load_noise_pool(str(pool_dir))
    os.remove(pool_dir / 'd.npy')
    np.save(pool_dir / 'd.npy', np.zeros((2, 16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match=r'd\.npy.*float32.*uint8'):
        N.load_noise_pool(str(pool_dir))
    with pytest.raises(FileNotFoundError, match='noise pool folder not found.*missing'):
        N.load_noise_pool(str(tmp_path / 'missing'))
    (tmp_path / 'bare').mkdir()
    with pytest.raises(FileNotFoundError, match='bare.*no .npy'):
        N.load_noise_pool(str(tmp_path / 'bare'))


def test_load_kernel_pool_validates_every_file(tmp_path):
    from mmssg.degradation.functional import isotropic_gaussian_kernel
    pool_dir = tmp_path / 'kernels'
    pool_dir.mkdir()
    np.save(pool_dir / 'k0.npy', isotropic_gaussian_kernel(13, 2.0))
    pool = N.load_kernel_pool(str(pool_dir))
    assert pool.names == ['k0.npy'] and pool.kernels[0].shape == (13, 13)
    np.save(pool_dir / 'k1.npy', np.ones((13, 13), np.float32))
    with pytest.raises(ValueError, match=r'k1\.npy.*sum to 1.*got sum 169'):
        N.load_kernel_pool(str(pool_dir))
    np.save(pool_dir / 'k1.npy', np.ones((12, 12), np.float32) / 144)
    with pytest.raises(ValueError, match=r'k1\.npy.*odd size.*\(12, 12\)'):
        N.load_kernel_pool(str(pool_dir))
    os.remove(pool_dir / 'k1.npy')
    off = np.zeros((13, 13), np.float32)
    off[2, 2] = 1
    np.save(pool_dir / 'k2.npy', off)
    with pytest.warns(UserWarning, match='k2.npy.*centre of mass'):
        N.load_kernel_pool(str(pool_dir))
    with pytest.raises(FileNotFoundError, match='kernel pool folder not found'):
        N.load_kernel_pool(str(tmp_path / 'nope'))
