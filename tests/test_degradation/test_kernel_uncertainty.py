# Copyright (c) mmssg contributors. All rights reserved.
"""The pooled kernel's interval on its sigmas: coverage on simulated pools, wide warnings."""
import json
import math

import numpy as np
import pytest
from scipy import ndimage

from mmssg.degradation.functional import (add_noise, align_kernel, anisotropic_gaussian_kernel,
                                          blur_downsample, gaussian_noise, kernel_covariance,
                                          quantize)
from mmssg.degradation.kernel_uncertainty import (ALTERNATIVE_BANDS, LEVEL, WIDE_RELATIVE,
                                                  interval_record, pooled_kernel_interval,
                                                  principal_sigmas, sigma_interval, warn_line)
from mmssg.degradation.power_spectra import image_power_spectrum, pool_power_spectra
from mmssg.degradation.spectral_kernels import spectral_pool_kernel
from mmssg.testing.configs import power_law_image

KERNEL = anisotropic_gaussian_kernel(25, 2.0, 1.2, 0.5)


def sharpen(image, amount=1.5):
    """An unsharp mask (Gaussian sigma 1 px), as camera pipelines sharpen: more fine detail
    than the power law the fit models."""
    image = image.astype(np.float64)
    return np.clip(image + amount * (image - ndimage.gaussian_filter(image, 1.0)), 0, 255)


def simulated_pool(pool, images=8, scale=2, size=192, sharpened=False):
    """One camera's periodograms: power-law scenes whose exponent varies from image to image
    (as photographs' do; ``sharpened``: each through :func:`sharpen`), blurred with
    :data:`KERNEL`, subsampled, noise sigma 2, 8 bits."""
    rng = np.random.default_rng([35, pool])
    spectra = []
    for index in range(images):
        hr = power_law_image(size, [pool, index], exponent=rng.uniform(1.8, 2.4))
        hr = sharpen(hr).astype(np.uint8) if sharpened else hr
        lr = blur_downsample(hr, align_kernel(KERNEL, scale), scale)
        lr = quantize(add_noise(lr, gaussian_noise(lr.shape, 2.0, rng)))
        spectra.append(image_power_spectrum(lr))
    return spectra


def _covers(bounds, value):
    return bounds[0] <= value <= bounds[1]


def test_interval_holds_the_truth_at_about_its_nominal_rate():
    # the truth measured from the kernel itself, not from the model's parameters
    minor, major = np.sqrt(np.linalg.eigvalsh(kernel_covariance(KERNEL)))
    hits, wrong_hits, widths = [], [], []
    for pool in range(15):
        estimate, interval = pooled_kernel_interval(simulated_pool(pool), 2)
        assert interval.level == LEVEL and interval.groups == 8
        assert interval.minor[0] < principal_sigmas(estimate.covariance)[0] < interval.minor[1]
        hits += [_covers(interval.minor, minor), _covers(interval.major, major)]
        # a blur 30 % wider than the camera's is not what the interval allows
        wrong_hits += [_covers(interval.minor, 1.3 * minor), _covers(interval.major, 1.3 * major)]
        widths.append(interval.relative_width)
    assert 0.7 <= np.mean(hits) <= 1.0, np.mean(hits)
    assert np.mean(wrong_hits) <= 0.1
    # eight clean x2 images fix the blur: the interval is narrow and gives no warning
    assert np.median(widths) < WIDE_RELATIVE


def test_the_interval_reaches_the_fits_of_the_other_bands():
    spectra = simulated_pool(3)
    estimate, interval = pooled_kernel_interval(spectra, 2)
    for band in ALTERNATIVE_BANDS:
        minor, major = principal_sigmas(
            spectral_pool_kernel(pool_power_spectra(spectra), 2, **band).covariance)
        assert _covers(interval.minor, minor) and _covers(interval.major, major)
    assert 0 < interval.band_sensitivity <= interval.relative_width


def test_content_the_model_does_not_fit_widens_the_interval_and_warns():
    # every image sharpened: a bias all images share, which the jackknife over images
    # cannot see; the fits of the other bands disagree, and the interval says so
    minor = np.sqrt(np.linalg.eigvalsh(kernel_covariance(KERNEL)))[0]
    for pool in range(3):
        _, plain = pooled_kernel_interval(simulated_pool(pool), 2)
        estimate, sharp = pooled_kernel_interval(simulated_pool(pool, sharpened=True), 2)
        assert principal_sigmas(estimate.covariance)[0] < 0.95 * minor  # read narrow
        assert sharp.band_sensitivity > 2 * plain.band_sensitivity
        assert sharp.wide and not plain.wide
        assert sharp.relative_width > plain.relative_width + sharp.band_sensitivity / 2


def test_one_image_gives_no_interval_and_a_warning():
    spectra = simulated_pool(0, images=1)
    estimate, interval = pooled_kernel_interval(spectra, 2)
    assert interval.groups == 1 and interval.wide and math.isinf(interval.relative_width)
    assert interval.minor == (0.0, math.inf)
    lines = warn_line(interval, 'data/real_lr')
    assert len(lines) == 1 and lines[0].startswith('warning: data/real_lr: the pooled kernel')


def test_groups_are_at_most_the_cap_and_the_record_is_json():
    spectra = simulated_pool(1, images=5)
    estimate, _ = pooled_kernel_interval(spectra, 2)
    interval = sigma_interval(spectra, 2, estimate, max_groups=3)
    assert interval.groups == 3
    record = json.loads(json.dumps(interval_record(interval)))
    assert record['sigma_interval']['groups'] == 3
    assert record['wide_interval'] == interval.wide
    assert record['sigma_interval']['major'] == pytest.approx(list(interval.major), abs=1e-4)
    assert record['sigma_interval']['band_sensitivity'] == pytest.approx(
        interval.band_sensitivity, abs=1e-4)
    assert bool(warn_line(interval, 'x')) == interval.wide


def test_a_clamped_fit_is_wide_however_steady():
    spectra = simulated_pool(2, images=3)
    estimate, _ = pooled_kernel_interval(spectra, 2)
    interval = sigma_interval(spectra, 2, estimate._replace(clamped=True))
    assert interval.wide
