# Copyright (c) mmssg contributors. All rights reserved.
"""The noise-window test (Eq. 2-4), its settings and the cutting out of noise patches."""
import dataclasses
import math

import numpy as np
import pytest
from skimage import data

from mmssg.degradation import noise_patches as N
from mmssg.degradation.noise_patches import NoiseCriteria
from mmssg.testing import noise_patch_positions_reference

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
    # Expected patch variance: sigma^2 + 1/12 (8-bit rounding) + the field's own ramp inside the
    # window. A std estimated from 3 * 128^2 samples has a relative error of 1/sqrt(2n) = 0.3 %,
    # so 3 % is >= 10x that.
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
    kept = N.noise_patch_positions(img, NoiseCriteria(patch_size=64, sub_size=16))
    assert len(kept) and (kept[:, 1] >= 256).all()
    # Eq. 2-3 alone accept a constant patch (|0 - 0| <= 0): phi (Eq. 4) is what rejects it.
    without_phi = N.noise_patch_positions(img, NoiseCriteria(patch_size=64, sub_size=16, phi=0))
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
    criteria = NoiseCriteria(**kwargs)
    fast = N.noise_patch_positions(img, criteria)
    slow = noise_patch_positions_reference(img, criteria)
    np.testing.assert_array_equal(fast, slow)
    candidates = len(range(0, 192 - criteria.patch_size + 1, criteria.stride)) * len(
        range(0, 256 - criteria.patch_size + 1, criteria.stride))
    assert 0 < len(fast) < candidates  # a non-trivial split: both kinds of patches are present
    # Float input goes through the same code path and gives the same answer.
    np.testing.assert_array_equal(N.noise_patch_positions(img.astype(np.float32), criteria), fast)


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
    np.testing.assert_allclose(
        patches[0], img[10:50, 20:60].astype(np.float64) - [1, 2, 3], atol=1e-2)
    with pytest.raises(ValueError, match=r'\[30, 40\].*40x40 patch outside the 60x50 image'):
        N.extract_noise_patches(img, np.array([[0, 0], [30, 40]]), 40)
    with pytest.raises(ValueError, match=r'\[-1, 0\]'):
        N.extract_noise_patches(img, np.array([[-1, 0]]), 40)


def test_collect_noise_patches_is_positions_then_extraction_and_keeps_the_window_statistics():
    img = _add_noise(_clean_scene(192)[:, 128:], 5, seed=3)
    criteria = NoiseCriteria(patch_size=64, sub_size=16)
    windows = N.find_noise_windows(img, criteria)
    assert len(windows.corners) > 0
    np.testing.assert_array_equal(windows.corners, N.noise_patch_positions(img, criteria))
    patches = N.collect_noise_patches(img, criteria)
    expected = N.extract_noise_patches(img, windows.corners, 64)  # means computed afresh
    np.testing.assert_allclose(patches, expected, atol=1e-4)
    cut = np.stack([img[y:y + 64, x:x + 64].astype(np.float64) for y, x in windows.corners])
    np.testing.assert_allclose(windows.means, cut.mean(axis=(1, 2)), rtol=1e-9)
    np.testing.assert_allclose(windows.variances, cut.var(axis=(1, 2)), rtol=1e-9)
    # An image smaller than P has no window; a 2-D image is refused.
    assert N.noise_patch_positions(img[:63]).shape == (0, 2)
    with pytest.raises(ValueError, match=r'\(H, W, C\).*\(64, 64\)'):
        N.noise_patch_positions(img[:64, :64, 0])


def test_noise_criteria_defaults_are_the_papers_and_the_strides_follow_the_sizes():
    paper = NoiseCriteria()
    assert dataclasses.astuple(paper) == (128, 32, 64, 32, 0.1, 0.3, 0.5)
    small = NoiseCriteria(patch_size=32, sub_size=16)
    assert (small.stride, small.sub_stride) == (16, 16)
    assert NoiseCriteria(
        64, 16, stride=24, sub_stride=8).as_dict() == dict(
            patch_size=64, sub_size=16, stride=24, sub_stride=8, mu=0.1, gamma=0.3, phi=0.5)
    assert NoiseCriteria(128, stride=64) == paper  # a default given explicitly is the same
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'mu'"):
        paper.mu = 0.2


@pytest.mark.parametrize('kwargs, message', [
    (dict(patch_size=0), 'patch_size must be a positive integer, got 0'),
    (dict(patch_size=64.0), 'patch_size must be a positive integer, got 64.0'),
    (dict(sub_size=True), 'sub_size must be a positive integer, got True'),
    (dict(patch_size=16), r'sub_size \(32\) must not exceed patch_size \(16\)'),
    (dict(patch_size=1, sub_size=1), 'stride must be a positive integer, got 0'),
    (dict(sub_stride=-2), 'sub_stride must be a positive integer, got -2'),
    (dict(mu=-0.1), 'mu must be a finite number >= 0, got -0.1'),
    (dict(gamma='0.3'), "gamma must be a finite number >= 0, got '0.3'"),
    (dict(phi=math.nan), 'phi must be a finite number >= 0, got nan'),
])
def test_noise_criteria_refuse_bad_settings_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NoiseCriteria(**kwargs)
