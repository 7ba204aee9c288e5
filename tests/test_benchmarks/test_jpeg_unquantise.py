# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/jpeg_unquantise.py: the un-quantised periodograms tried at x4."""
import json
import math

import numpy as np
import pytest
from scipy.fft import dct
from scipy.optimize import minimize_scalar

from benchmarks.accuracy import jpeg_unquantise, kernel_cameras
from mmssg.degradation.power_spectra import image_power_spectrum, pool_power_spectra
from mmssg.degradation.spectral_kernels import spectral_pool_kernel


def test_dct_basis_is_jpegs_orthonormal_transform():
    np.testing.assert_allclose(
        jpeg_unquantise.dct_basis(), dct(np.eye(8), norm='ortho', axis=0), atol=1e-12)


def rounded_laplacian_counts(scales, steps, samples, rng):
    """``(4, 8, 8)`` counts of Laplacian coefficients of ``scales`` rounded to ``steps``."""
    values = rng.laplace(0, scales, (samples, 8, 8))
    rounded = np.abs(np.rint(values / steps))
    nonzero = rounded >= 1
    return np.stack([(~nonzero).sum(0),
                     nonzero.sum(0),
                     np.where(nonzero, rounded - 0.5, 0).sum(0), (rounded**2).sum(0)]).astype(float)


def test_laplacian_fit_is_the_likelihoods_maximum_and_recovers_the_variance():
    rng = np.random.default_rng(0)
    steps = np.full((8, 8), 10.0)
    # from almost no rounding (scale 50 steps) to almost all zeros (scale a tenth of a step)
    scales = 10 * np.geomspace(0.1, 50, 64).reshape(8, 8)
    counts = rounded_laplacian_counts(scales, steps, 20000, rng)
    variances = jpeg_unquantise.laplacian_variances(counts, steps.reshape(-1))
    for v, u in [(0, 0), (3, 5), (7, 7)]:
        zeros, nonzeros, excess, _ = counts[:, v, u]

        def negative_log_likelihood(r):
            return -(
                zeros * math.log(1 - r) + 2 * excess * math.log(r) + nonzeros * math.log(1 - r * r))

        best = minimize_scalar(
            negative_log_likelihood,
            bounds=(1e-9, 1 - 1e-9),
            method='bounded',
            options=dict(xatol=1e-12)).x
        assert variances[v, u] == pytest.approx(2 * (10 / (-2 * math.log(best)))**2, rel=1e-4)
    np.testing.assert_allclose(variances, 2 * scales**2, rtol=0.1)
    # the decoded variance alone is far off where most coefficients are zeroed
    decoded = steps**2 * counts[3] / counts[:2].sum(0)
    assert decoded[0, 0] < 0.5 * 2 * scales[0, 0]**2


def test_unquantised_pools_read_jpeg_closer_to_the_clean_fit_on_power_law_content():
    """The benchmark's clearest development finding, on content the fit models: the x4
    cameras at quality 90-95 (where JPEG rounds more than it zeroes), un-quantised, read
    closer to the clean pool of the same images."""
    from mmssg.testing import power_law_image
    images = [np.repeat(power_law_image(512, seed)[..., None], 3, axis=2) for seed in range(4)]
    distances = []
    for seed in (0, 1, 2):
        for camera in kernel_cameras.draw_cameras(12, 4, seed):
            if (camera['quality'] or 0) < 90:
                continue
            rng = np.random.default_rng(0)
            clean = [jpeg_unquantise.degrade(hr, camera['kernel'], 4, rng) for hr in images]
            decoded = [kernel_cameras.jpeg(lr, camera['quality']) for lr in clean]
            clean_cov = spectral_pool_kernel(
                pool_power_spectra([image_power_spectrum(lr) for lr in clean]), 4).covariance
            for variant, spectrum in (('as decoded', image_power_spectrum),
                                      ('un-quantised', lambda lr, q=camera['quality']:
                                       jpeg_unquantise.unquantised_power_spectrum(lr, q))):
                cov = spectral_pool_kernel(
                    pool_power_spectra([spectrum(lr) for lr in decoded]), 4,
                    camera['quality']).covariance
                distances.append(
                    (variant, np.linalg.norm(cov - clean_cov) / np.linalg.norm(clean_cov)))
    mean = {v: np.mean([d for k, d in distances if k == v]) for v in jpeg_unquantise.VARIANTS}
    assert len(distances) == 12
    assert mean['un-quantised'] < 0.8 * mean['as decoded']


def test_rows_compare_both_variants_and_the_decoded_one_is_the_tools_fit(tmp_path):
    rows_file = tmp_path / 'rows.json'
    assert jpeg_unquantise.main([
        '--scales', '4', '--seeds', '0', '--cameras', '4', '--max-images', '2', '--json',
        str(rows_file), '--out',
        str(tmp_path / 'report.md')
    ]) == 0
    rows = json.loads(rows_file.read_text())['rows']
    assert list(rows) == ['as is', 'downscaled by 2', 'power-law twins']
    # cameras 1 (quality 75) and 3 (85) are the JPEG ones, one row per variant
    assert [(r['quality'], r['variant'])
            for r in rows['as is']] == [(q, v) for q in (75, 85) for v in jpeg_unquantise.VARIANTS]
    camera = kernel_cameras.draw_cameras(4, 4, 0)[3]
    images = jpeg_unquantise.content_sets(2)['as is']
    rng = np.random.default_rng([0, 4, 3, 38])
    decoded = [
        kernel_cameras.jpeg(jpeg_unquantise.degrade(hr, camera['kernel'], 4, rng), 85)
        for _, hr in images
    ]
    tool = spectral_pool_kernel(
        pool_power_spectra([image_power_spectrum(lr) for lr in decoded]), 4, 85).covariance
    truth = kernel_cameras.kernel_covariance(camera['kernel'])
    err = np.linalg.norm(tool - truth) / np.linalg.norm(truth)
    assert rows['as is'][2]['err'] == pytest.approx(err, rel=1e-6)
    assert rows['as is'][3]['err'] != rows['as is'][2]['err']
    report = (tmp_path / 'report.md').read_text()
    assert report.startswith('command: python -m benchmarks.accuracy.jpeg_unquantise')
    assert '| power-law twins | x4 | un-quantised |' in report


def test_kernel_cameras_unquantises_only_x4_jpeg_when_asked():
    from mmssg.testing import power_law_image
    image = np.clip(power_law_image(128, 0), 0, 255).astype(np.uint8)
    decoded = kernel_cameras.jpeg(np.repeat(image[..., None], 3, axis=2), 90)
    named = [('a', None)]
    plain = image_power_spectrum(decoded).power
    for scale, quality, unquantise in [(4, 90, False), (2, 90, True), (4, None, True)]:
        spectrum = kernel_cameras.image_spectra([decoded], named, scale, quality, unquantise)[0]
        np.testing.assert_array_equal(spectrum.power, plain)
    asked = kernel_cameras.image_spectra([decoded], named, 4, 90, True)[0].power
    expected = jpeg_unquantise.unquantised_power_spectrum(decoded, 90).power
    np.testing.assert_array_equal(asked, expected)
    assert not np.allclose(asked, plain)
