# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN kernel post-processing: bicubic prior, centring, x4 composition."""
import numpy as np

from mmssg.degradation.functional import kernel_center_of_mass
from mmssg.degradation.kernelgan.kernels import (bicubic_kernel, center_kernel, compose_x4_kernel,
                                                 postprocess_kernel, zero_negligible_values)
from mmssg.testing import gaussian_kernel, valid_blur_and_subsample


def test_x4_composition_equals_two_x2_steps():
    rng = np.random.default_rng(0)
    kernel_x2 = rng.random((13, 13))
    kernel_x2 /= kernel_x2.sum()
    image = rng.standard_normal((83, 80))
    twice = valid_blur_and_subsample(valid_blur_and_subsample(image, kernel_x2), kernel_x2)
    full = compose_x4_kernel(kernel_x2)
    assert full.shape == (37, 37)
    once = valid_blur_and_subsample(image, full, scale=4)
    assert once.shape == twice.shape == (12, 11)
    np.testing.assert_allclose(once, twice, rtol=1e-10, atol=1e-12)


def test_x4_crop_keeps_a_compact_kernel():
    kernel_x2 = gaussian_kernel(sigma_row=1.0, sigma_col=1.2)
    full = compose_x4_kernel(kernel_x2)
    cropped = compose_x4_kernel(kernel_x2, size=25)
    assert cropped.shape == (25, 25)
    assert abs(cropped.sum() - 1) < 1e-9
    # The crop drops only the negligible far tails of the composition.
    np.testing.assert_allclose(cropped, full[6:-6, 6:-6] / full[6:-6, 6:-6].sum(), atol=1e-12)
    assert full[6:-6, 6:-6].sum() > 0.999 * full.sum()


def test_bicubic_kernel_is_centred_and_normalised():
    kernel = bicubic_kernel()
    assert kernel.shape == (13, 13) and kernel.dtype == np.float32
    assert abs(kernel.sum() - 1) < 1e-6
    np.testing.assert_allclose(kernel_center_of_mass(kernel), [6, 6], atol=1e-6)
    np.testing.assert_allclose(kernel, kernel.T)
    assert kernel.min() < 0  # bicubic has negative lobes


def test_postprocess_centres_normalises_and_composes():
    off_centre = np.zeros((13, 13))
    off_centre[3:9, 5:12] = gaussian_kernel(size=13, sigma_row=1.0, sigma_col=1.5)[3:9, 3:10]
    off_centre += 1e-4 * np.random.default_rng(0).standard_normal((13, 13))  # noise floor
    assert np.abs(np.array(kernel_center_of_mass(off_centre)) - 6).max() > 1.5

    for scale, size in ((2, 13), (4, 25)):
        kernel = postprocess_kernel(off_centre, scale=scale)
        assert kernel.dtype == np.float32 and kernel.shape == (size, size)
        assert abs(kernel.sum() - 1) < 1e-5
        assert kernel.min() >= 0
        np.testing.assert_allclose(kernel_center_of_mass(kernel), [size // 2] * 2, atol=0.1)


def test_zero_negligible_values_removes_floor_and_negatives():
    kernel = gaussian_kernel(sigma_row=1.0, sigma_col=1.0) - 1e-4
    cleaned = zero_negligible_values(kernel, keep=40)
    assert cleaned.min() == 0 and abs(cleaned.sum() - 1) < 1e-12
    assert (cleaned > 0).sum() <= 60  # the corners are gone
    assert (cleaned > 0).sum() >= 40


def test_center_kernel_moves_centre_of_mass_only():
    kernel = np.zeros((13, 13))
    kernel[4, 8] = 1.0
    kernel[5, 8] = 1.0
    centred = center_kernel(kernel)
    np.testing.assert_allclose(kernel_center_of_mass(centred), [6, 6], atol=0.05)
    assert abs(centred.sum() - 1) < 1e-12
