# Copyright (c) mmssg contributors. All rights reserved.
import numpy as np
import pytest

from mmssg.degradation.power_spectra import (SPECTRUM_TILE, TILE_STEP_FRACTION, PowerSpectrum,
                                             image_power_spectrum, pool_power_spectra)


def test_white_noise_gives_a_flat_spectrum_at_its_variance():
    rng = np.random.default_rng(0)
    noise = 0.5 + rng.normal(0, 5.0, (256, 192)) / 255  # float images are on a 0-1 scale
    spectrum = image_power_spectrum(noise)
    steps = [(side - SPECTRUM_TILE) // (SPECTRUM_TILE // TILE_STEP_FRACTION) + 1
             for side in noise.shape]
    assert spectrum.num_tiles == steps[0] * steps[1] and spectrum.num_images == 1
    assert spectrum.power.shape == (SPECTRUM_TILE, SPECTRUM_TILE)
    power = spectrum.power.ravel()[1:]  # DC is removed with each tile's mean
    assert abs(power.mean() / 25.0 - 1) < 0.05  # variance 5^2 = 25, spread over every bin
    assert spectrum.power[0, 0] < 0.05 * power.mean()


def test_input_forms_agree():
    gray = np.random.default_rng(1).integers(0, 256, (96, 128)).astype(np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=2)
    spectra = [
        image_power_spectrum(im).power
        for im in (gray, rgb, rgb.astype(np.uint16) * 257, gray.astype(np.float32) / 255)
    ]
    for power in spectra[1:]:  # DC is removed (rounding error only): compared absolutely
        np.testing.assert_allclose(power.ravel()[1:], spectra[0].ravel()[1:], rtol=1e-5)
        assert power[0, 0] < 1e-6 * power.max()


def test_pooling_weighs_every_tile_equally_and_counts_the_images():
    small = PowerSpectrum(np.full((4, 4), 1.0), 1)
    large = PowerSpectrum(np.full((4, 4), 4.0), 3, num_images=2)
    pooled = pool_power_spectra([small, large])
    np.testing.assert_allclose(pooled.power, (1.0 * 1 + 4.0 * 3) / 4)
    assert (pooled.num_tiles, pooled.num_images) == (4, 3)
    with pytest.raises(ValueError, match='no power spectra'):
        pool_power_spectra([])


def test_an_image_smaller_than_a_tile_is_refused_by_name():
    with pytest.raises(
            ValueError, match=f'lr7.png: size 100x40 is too small.*'
            f'{SPECTRUM_TILE}x{SPECTRUM_TILE}'):
        image_power_spectrum(np.zeros((40, 100)), name='lr7.png')
