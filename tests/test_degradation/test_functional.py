# Copyright (c) mmssg contributors. All rights reserved.
"""The degradation building blocks: kernels, alignment, blur, down-sampling, noise."""
import numpy as np
import pytest
from scipy import ndimage
from skimage import data

from mmssg.degradation import functional as F


def _photo(h=64, w=48):
    return data.astronaut()[100:100 + h, 150:150 + w].astype(np.float32)


def _scipy_blur(img, kernel):
    return np.stack([
        ndimage.convolve(img[..., c].astype(np.float64), kernel.astype(np.float64), mode='reflect')
        for c in range(img.shape[2])
    ],
                    axis=-1)


def _second_moments(kernel):
    r = kernel.shape[0] // 2
    ax = np.arange(-r, r + 1, dtype=np.float64)
    k = kernel.astype(np.float64)
    return float(k.sum(axis=1) @ ax**2), float(k.sum(axis=0) @ ax**2)  # rows (y), cols (x)


def test_isotropic_gaussian_has_requested_size_sum_and_spread():
    kernel = F.isotropic_gaussian_kernel(11, 1.5)
    assert kernel.shape == (11, 11) and kernel.dtype == np.float32
    assert abs(kernel.sum() - 1) < 1e-6
    np.testing.assert_allclose(kernel, kernel.T, atol=1e-8)
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1], atol=1e-8)
    assert F.kernel_center_of_mass(kernel) == pytest.approx((5, 5), abs=1e-6)
    # Truncation at 5 px = 3.3 sigma removes < 1 % of the variance.
    var_y, var_x = _second_moments(kernel)
    assert var_y == pytest.approx(1.5**2, rel=0.02) and var_x == pytest.approx(1.5**2, rel=0.02)


def test_anisotropic_gaussian_spreads_along_its_rotated_axis():
    wide = F.anisotropic_gaussian_kernel(31, 4.0, 1.5, 0.0)
    var_y, var_x = _second_moments(wide)
    assert var_x == pytest.approx(16, rel=0.03) and var_y == pytest.approx(2.25, rel=0.03)
    np.testing.assert_allclose(
        F.anisotropic_gaussian_kernel(31, 4.0, 1.5, np.pi / 2), wide.T, atol=1e-7)
    with pytest.raises(ValueError, match='odd'):
        F.anisotropic_gaussian_kernel(10, 1, 1)


@pytest.mark.parametrize('bad, match', [
    (np.ones((3, 3, 1)) / 9, r'2-D, got shape \(3, 3, 1\)'),
    (np.ones((3, 5)) / 15, r'square, got shape \(3, 5\)'),
    (np.ones((4, 4)) / 16, r'odd size, got shape \(4, 4\)'),
    (np.full((3, 3), np.nan), 'finite'),
    (np.ones((3, 3)) / 8, 'sum to 1.*got sum 1.125'),
])
def test_validate_kernel_names_the_source_and_the_value(bad, match):
    with pytest.raises(ValueError, match=match) as err:
        F.validate_kernel(bad, source='pool/k_007.npy')
    assert 'pool/k_007.npy' in str(err.value)


def test_validate_kernel_accepts_a_float64_kernel_within_tolerance():
    kernel = F.isotropic_gaussian_kernel(5, 1.0).astype(np.float64) * (1 + 1e-4)
    out = F.validate_kernel(kernel, source='x')
    assert out.dtype == np.float32 and out.shape == (5, 5)


def test_align_kernel_moves_the_centre_of_mass_by_half_a_block():
    kernel = F.anisotropic_gaussian_kernel(21, 3.0, 1.2, 0.4)
    for scale in (2, 3, 4):
        aligned = F.align_kernel(kernel, scale)
        size = aligned.shape[0]
        assert aligned.shape == (size, size) and size % 2 == 1
        assert abs(aligned.sum() - 1) < 1e-5
        com = F.kernel_center_of_mass(aligned)
        assert com == pytest.approx((size // 2 - (scale - 1) / 2, ) * 2, abs=1e-4)
        F.validate_kernel(aligned, source=f'aligned x{scale}')


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_delta_kernel_samples_the_centre_of_each_hr_block(scale):
    """The alignment scheme, stated in ``align_kernel``.

    LR pixel i is the HR block centre s*i + (s-1)/2.
    """
    hr = _photo(12 * scale, 10 * scale)
    delta = np.zeros((5, 5), np.float32)
    delta[2, 2] = 1
    lr = F.blur_downsample(hr, F.align_kernel(delta, scale), scale)
    blocks = hr.reshape(12, scale, 10, scale, 3)
    if scale % 2:  # odd: the block's centre pixel
        expected = blocks[:, scale // 2, :, scale // 2]
    else:  # even: the mean of the 2x2 central pixels (s=4: HR[4i+1:4i+3, 4j+1:4j+3])
        mid = slice(scale // 2 - 1, scale // 2 + 1)
        expected = blocks[:, mid, :, mid].mean(axis=(1, 3))
    assert lr.shape == (12, 10, 3)
    np.testing.assert_allclose(lr, expected, atol=1e-4)


def test_blur_is_a_true_convolution_with_reflect_borders():
    img = _photo(40, 36)
    kernel = F.anisotropic_gaussian_kernel(9, 2.5, 0.8, 0.7)
    kernel[0, 0] += 0.05  # asymmetric: a correlation would differ
    kernel /= kernel.sum()
    np.testing.assert_allclose(F.blur(img, kernel), _scipy_blur(img, kernel), atol=2e-3)


@pytest.mark.parametrize('scale, shape', [(4, (64, 48)), (4, (61, 50)), (2, (33, 20)),
                                          (3, (30, 27))])
def test_blur_downsample_equals_blur_then_stride(scale, shape):
    img = _photo(*shape)
    kernel = F.align_kernel(F.anisotropic_gaussian_kernel(25, 3.0, 1.5, 1.0), scale)
    fast = F.blur_downsample(img, kernel, scale)
    slow = _scipy_blur(img, kernel)[::scale, ::scale]
    assert fast.shape == slow.shape
    np.testing.assert_allclose(fast, slow, atol=2e-3)


def test_blur_downsample_handles_a_kernel_larger_than_the_image():
    img = _photo(8, 12)
    kernel = F.align_kernel(F.isotropic_gaussian_kernel(31, 5.0), 4)
    np.testing.assert_allclose(
        F.blur_downsample(img, kernel, 4), _scipy_blur(img, kernel)[::4, ::4], atol=2e-3)


def test_aligned_degradation_commutes_with_flips():
    """Sampling at block centres is symmetric: degrading a flipped image flips the LR image.

    Sampling HR[::4] with a centred kernel (no alignment) is 1.5 px off-centre and fails this.
    """
    hr = _photo(64, 48)
    kernel = F.isotropic_gaussian_kernel(11, 1.5)
    aligned = F.align_kernel(kernel, 4)
    lr = F.blur_downsample(hr, aligned, 4)
    np.testing.assert_allclose(F.blur_downsample(hr[:, ::-1], aligned, 4), lr[:, ::-1], atol=1e-3)
    np.testing.assert_allclose(F.blur_downsample(hr[::-1], aligned, 4), lr[::-1], atol=1e-3)
    naive = F.blur_downsample(hr, kernel, 4)
    assert np.abs(F.blur_downsample(hr[:, ::-1], kernel, 4) - naive[:, ::-1]).max() > 1


def test_downsample_labels_takes_the_pixel_nearest_the_block_centre():
    rng = np.random.default_rng(0)
    seg = rng.choice(np.array([0, 7, 13, 255], np.uint8), size=(32, 24))
    lr = F.downsample_labels(seg, 4)
    assert lr.shape == (8, 6) and lr.dtype == np.uint8
    np.testing.assert_array_equal(lr, seg[2::4, 2::4])
    assert set(np.unique(lr)) <= {0, 7, 13, 255}
    np.testing.assert_array_equal(F.downsample_labels(seg[:30, :24], 3), seg[1:30:3, 1::3])


def test_gaussian_noise_uses_the_global_state_and_has_the_requested_std():
    np.random.seed(3)
    a = F.gaussian_noise((200, 200, 3), 8)
    np.random.seed(3)
    b = F.gaussian_noise((200, 200, 3), 8)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    assert a.std() == pytest.approx(8, rel=0.02) and abs(a.mean()) < 0.1


def test_quantize_clips_and_rounds_and_noise_shapes_are_checked():
    img = np.array([[-3.2, 0.4, 127.5, 128.6, 254.7, 300.0]], np.float32)
    np.testing.assert_array_equal(F.quantize(img), [[0, 0, 128, 129, 255, 255]])
    np.testing.assert_allclose(
        F.quantize(img, round_values=False), [[0, 0.4, 127.5, 128.6, 254.7, 255]], rtol=1e-6)
    with pytest.raises(ValueError, match=r'\(4, 4, 3\).*\(4, 5, 3\)'):
        F.add_noise(np.zeros((4, 5, 3)), np.zeros((4, 4, 3)))
    patch = np.arange(36, dtype=np.float32).reshape(6, 6)
    np.testing.assert_array_equal(F.crop_noise(patch, 2, 3, 4, 3), patch[4:6, 3:6])
    with pytest.raises(ValueError, match='does not fit a 6x6'):
        F.crop_noise(patch, 3, 3, 4, 0)


def test_kernel_sigmas_recover_an_anisotropic_gaussian():
    from mmssg.degradation.functional import anisotropic_gaussian_kernel, kernel_sigmas
    minor, major = kernel_sigmas(anisotropic_gaussian_kernel(31, 1.2, 2.5, 0.7))
    assert minor == pytest.approx(1.2, abs=0.02) and major == pytest.approx(2.5, abs=0.02)
