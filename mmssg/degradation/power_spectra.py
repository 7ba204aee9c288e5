# Copyright (c) mmssg contributors. All rights reserved.
"""Averaged periodograms of LR images: what :mod:`.spectral_kernels` fits a blur to.

One image's spectrum is the Welch average of its luminance's Hann-windowed tiles; the
spectrum of several images of one camera is the tile-weighted average of theirs.
"""
from typing import NamedTuple, Sequence

import numpy as np

from .functional import drop_alpha

#: Side of the square periodogram tiles (LR pixels), for one image's fit and a pooled one. The
#: Hann window mixes each bin with its neighbours, which distorts the steep low frequencies of
#: a natural spectrum, and at x4 the fit reads that as a change of blur; 64 px tiles leak less
#: than 32 px ones, pooled and per image (docs/findings.md, the spectral fit).
SPECTRUM_TILE = 64
#: Tiles start every quarter tile (three-quarters overlap): a 128x128 image gives 25 tiles.
TILE_STEP_FRACTION = 4
# Rec. 601 luma weights: the blur is the same in every channel, the noise is averaged.
_LUMA = np.array([0.299, 0.587, 0.114])


class PowerSpectrum(NamedTuple):
    """An averaged periodogram.

    Attributes:
        power (np.ndarray): ``(tile, tile)`` mean power, FFT order (DC at ``[0, 0]``).
        num_tiles (int): Tiles averaged.
        num_images (int): Images the tiles came from. Default: 1.
    """
    power: np.ndarray
    num_tiles: int
    num_images: int = 1


def luminance(image: np.ndarray, name: str = 'image') -> np.ndarray:
    """``(H, W)`` float64 luminance on the 0-255 scale.

    Args:
        image (np.ndarray): ``(H, W)`` or ``(H, W, C)`` with C in {1, 3, 4} (alpha
            dropped); uint8, uint16, or float in [0, 1].
        name (str): How to name the image in error messages. Default: 'image'.

    Returns:
        np.ndarray: The luminance (Rec. 601 weights for RGB).
    """
    image = drop_alpha(image, name)
    if image.dtype == np.uint16:
        scale = 255 / 65535
    elif np.issubdtype(image.dtype, np.floating):
        scale = 255.0
    else:
        scale = 1.0
    image = image.astype(np.float64) * scale
    if image.ndim == 3:
        image = image @ _LUMA if image.shape[2] == 3 else image[..., 0]
    return image


def image_power_spectrum(image: np.ndarray,
                         tile: int = SPECTRUM_TILE,
                         name: str = 'image') -> PowerSpectrum:
    """Welch periodogram of an image's luminance: Hann tiles overlapping by three quarters.

    Each tile loses its window-weighted mean (so that no DC leaks into the lowest bins);
    the power is normalised by the window's energy, so white noise of variance ``v``
    gives a flat ``v``.

    Args:
        image (np.ndarray): See :func:`luminance`; at least ``tile`` pixels a side.
        tile (int): Tile side (even). Default: :data:`SPECTRUM_TILE`.
        name (str): How to name the image in error messages. Default: 'image'.

    Returns:
        PowerSpectrum: The mean periodogram of the image's tiles.
    """
    gray = luminance(image, name)
    height, width = gray.shape
    if height < tile or width < tile:
        raise ValueError(f'{name}: size {width}x{height} is too small; the spectral '
                         f'estimator needs at least {tile}x{tile} pixels')
    window = np.outer(np.hanning(tile), np.hanning(tile))
    step = max(tile // TILE_STEP_FRACTION, 1)
    lefts = range(0, width - tile + 1, step)
    power, count = np.zeros((tile, tile)), 0
    for top in range(0, height - tile + 1, step):  # a row of tiles at a time: bounded memory
        tiles = np.stack([gray[top:top + tile, s:s + tile] for s in lefts])
        means = (tiles * window).sum(axis=(1, 2)) / window.sum()
        power += (np.abs(np.fft.fft2((tiles - means[:, None, None]) * window))**2).sum(axis=0)
        count += len(tiles)
    return PowerSpectrum(power / (count * (window**2).sum()), count)


def pool_power_spectra(spectra: Sequence[PowerSpectrum]) -> PowerSpectrum:
    """The periodogram of several images together (their tiles weighted equally).

    Args:
        spectra (Sequence[PowerSpectrum]): One or more periodograms of the same tile size.

    Returns:
        PowerSpectrum: The tile-weighted mean power over every tile of every image.
    """
    if not spectra:
        raise ValueError('no power spectra to pool')
    total = sum(s.num_tiles for s in spectra)
    power = sum(s.power * s.num_tiles for s in spectra) / total
    return PowerSpectrum(power, total, sum(s.num_images for s in spectra))
