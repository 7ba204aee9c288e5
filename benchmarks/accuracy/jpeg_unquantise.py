# Copyright (c) mmssg contributors. All rights reserved.
"""A JPEG pool's periodograms with the quantisation undone: tried at x4, not used (the
development split here; benchmarks/RESULTS.md#kernel_estimation gives the test split's).

JPEG rounds each 8x8 block's DCT coefficient ``(v, u)`` to a multiple of its table's step
``Q``: where ``Q`` is small against the coefficients it adds rounding noise (read as a sharper
camera), where it is large it zeroes most of them (read as a blurrier one), and which a
coefficient suffers depends on the content. :func:`unquantised_power_spectrum` estimates each
coefficient's variance before rounding from the decoded image's own coefficients: a Laplacian
of scale ``b`` rounded to steps of ``Q`` is zero with probability ``1 - r`` and ``+-j`` with
probability ``r^(2j-1) (1 - r^2) / 2`` (``r = exp(-Q / 2b)``), whose maximum-likelihood ``r``
has a closed form in the counts of zeros and non-zeros and the sum of ``|j| - 1/2``; the
variance is ``2 b^2``. The periodogram is multiplied, bin by bin, by how much the blocks' power
there changes when every coefficient's decoded variance is replaced by its estimate (each
weighted by its basis function's power at that frequency). It assumes the block grid starts
at the first pixel and the IJG table at the quality; a coefficient zero in every block stays
lost. ``kernel_cameras --unquantise`` fits the sealed benchmark's pools so.

The JPEG cameras of :mod:`.kernel_cameras` (every other camera, quality 75-95) degrade three
sets of development content: the photographs as they are, area-downscaled by 2 (sharper, as
the test split's are) and their random-phase power-law twins (the content the fit models).
Each camera's pool is fitted three ways: with its periodograms as they are, with them
un-quantised (:func:`unquantised_power_spectrum`), both told the quality as the tool tells a
JPEG pool (so x2 leaves out its quantised and block-edge bins in both), and the same images
before JPEG. The report gives per set, scale and variant, for
the cameras at quality 85 or more and at 75, the mean covariance error against the truth, the
share that beats the isotropic guess of the true size, and the mean covariance distance to
the clean fit of the same images: what JPEG alone moves the kernel by, whatever the content's
own bias (which no JPEG setting should be chosen to offset). The sealed test split is never
read here.

Example::

    OMP_NUM_THREADS=1 python -m benchmarks.accuracy.jpeg_unquantise \
        --out unquantise.md --json unquantise.json
"""
import math
import time

import numpy as np

from mmssg.degradation.functional import kernel_covariance
from mmssg.degradation.jpeg_detection import BLOCK, ijg_table
from mmssg.degradation.power_spectra import (SPECTRUM_TILE, PowerSpectrum, image_power_spectrum,
                                             luminance, pool_power_spectra)
from mmssg.degradation.spectral_kernels import spectral_pool_kernel

try:
    from benchmarks.accuracy.jpeg_block_edges import (jpeg_camera_parser, jpeg_camera_rows,
                                                      photograph_sets)
    from benchmarks.accuracy.kernel_cameras import jpeg, power_law_twins
    from benchmarks.accuracy.kernel_photos import load_split
    from benchmarks.accuracy.kernel_scoring import compare, degrade
    from benchmarks.accuracy.report_files import publish
except ImportError:  # run as a script from benchmarks/accuracy
    from jpeg_block_edges import jpeg_camera_parser, jpeg_camera_rows, photograph_sets
    from kernel_cameras import jpeg, power_law_twins
    from kernel_photos import load_split
    from kernel_scoring import compare, degrade
    from report_files import publish

VARIANTS = ('as decoded', 'un-quantised')


def dct_basis(size: int = BLOCK) -> np.ndarray:
    """``(size, size)`` orthonormal DCT-II basis, one function per row (JPEG's transform)."""
    positions = np.arange(size)
    basis = np.cos(math.pi * (2 * positions[None, :] + 1) * np.arange(size)[:, None] / (2 * size))
    basis[0] /= math.sqrt(2)
    return basis * math.sqrt(2 / size)


def block_coefficient_counts(image: np.ndarray,
                             table: np.ndarray,
                             name: str = 'image') -> np.ndarray:
    """Per DCT coefficient, what its Laplacian fit needs, over the image's whole 8x8 blocks.

    Args:
        image (np.ndarray): Decoded pixels (see :func:`~mmssg.degradation.power_spectra.luminance`).
        table (np.ndarray): The 64 quantisation steps, row-major (``(v, u)``).
        name (str): How to name the image in error messages. Default: 'image'.

    Returns:
        np.ndarray: ``(4, 8, 8)``: zeros, non-zeros, the sum of ``|j| - 1/2`` over the
        non-zeros, and the sum of ``j^2`` (``j`` the coefficient over its step, rounded).
    """
    gray = luminance(image, name) - 128
    rows, cols = gray.shape[0] // BLOCK, gray.shape[1] // BLOCK
    if not rows or not cols:
        raise ValueError(f'{name}: size {gray.shape[0]}x{gray.shape[1]} holds no '
                         f'{BLOCK}x{BLOCK} JPEG block')
    blocks = gray[:rows * BLOCK, :cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK)
    basis = dct_basis()
    coefficients = np.einsum('vi,ricj,uj->rcvu', basis, blocks, basis)
    steps = np.abs(np.rint(coefficients / np.reshape(table, (BLOCK, BLOCK))))
    nonzero = steps >= 1
    return np.stack([(~nonzero).sum(axis=(0, 1)),
                     nonzero.sum(axis=(0, 1)),
                     np.where(nonzero, steps - 0.5, 0).sum(axis=(0, 1)),
                     (steps**2).sum(axis=(0, 1))]).astype(np.float64)


def laplacian_variances(counts: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``(8, 8)`` maximum-likelihood variances of the coefficients before rounding.

    Args:
        counts (np.ndarray): From :func:`block_coefficient_counts`.
        table (np.ndarray): The 64 quantisation steps, row-major.
    """
    zeros, nonzeros, excess, _ = counts
    # d/dr of zeros log(1 - r) + 2 excess log r + nonzeros log(1 - r^2) = 0, times r (1 - r^2).
    quadratic = zeros + 2 * excess + 2 * nonzeros
    ratio = (np.sqrt(zeros**2 + 8 * excess * quadratic) - zeros) / np.maximum(2 * quadratic, 1)
    with np.errstate(divide='ignore'):
        scale = np.reshape(table, (BLOCK, BLOCK)) / (-2 * np.log(np.clip(ratio, 0, 1 - 1e-12)))
    return 2 * scale**2


def unquantisation_gain(counts: np.ndarray, table: np.ndarray, tile: int) -> np.ndarray:
    """``(tile, tile)`` factor, FFT order, from the decoded to the estimated block power.

    Args:
        counts (np.ndarray): From :func:`block_coefficient_counts`.
        table (np.ndarray): The 64 quantisation steps, row-major.
        tile (int): The periodogram's tile side.
    """
    decoded = np.reshape(table, (BLOCK, BLOCK))**2 * counts[3] / (counts[0] + counts[1])
    estimated = laplacian_variances(counts, table)
    decoded[0, 0] = estimated[0, 0] = 1.0  # DC: the fit leaves it out
    # |DFT|^2 of each basis function at the tile's frequencies: (frequency, coefficient).
    phases = np.exp(-2j * math.pi * np.outer(np.fft.fftfreq(tile), np.arange(BLOCK)))
    response = np.abs(phases @ dct_basis().T)**2
    before = np.einsum('yv,vu,xu->yx', response, decoded, response)
    return np.einsum('yv,vu,xu->yx', response, estimated, response) / before


def unquantised_power_spectrum(image: np.ndarray,
                               quality: int,
                               tile: int = SPECTRUM_TILE,
                               name: str = 'image') -> PowerSpectrum:
    """The periodogram (:func:`~mmssg.degradation.power_spectra.image_power_spectrum`) of a
    decoded JPEG image, its quantisation undone (see the module's description).

    Args:
        image (np.ndarray): The decoded pixels, block grid at the first pixel.
        quality (int): The encoder's IJG quality
            (:func:`~mmssg.degradation.jpeg_detection.file_jpeg_quality`).
        tile (int): Periodogram tile side. Default: :data:`SPECTRUM_TILE`.
        name (str): How to name the image in error messages. Default: 'image'.
    """
    return unquantised(image_power_spectrum(image, tile, name), image, quality, name)


def unquantised(spectrum: PowerSpectrum,
                image: np.ndarray,
                quality: int,
                name: str = 'image') -> PowerSpectrum:
    """``spectrum`` (the periodogram of ``image``) with the image's quantisation undone.

    Args:
        spectrum (PowerSpectrum): The decoded image's periodogram.
        image (np.ndarray): The decoded pixels, block grid at the first pixel.
        quality (int): The encoder's IJG quality.
        name (str): How to name the image in error messages. Default: 'image'.
    """
    if not 1 <= quality <= 100:
        raise ValueError(f'{name}: JPEG quality must be in 1-100, got {quality}')
    table = ijg_table(quality).astype(np.float64)
    counts = block_coefficient_counts(image, table, name)
    gain = unquantisation_gain(counts, table, spectrum.power.shape[0])
    return spectrum._replace(power=spectrum.power * gain)


def content_sets(max_images=None):
    """The photographs as they are, downscaled by 2, and the power-law twins of the former."""
    sets = photograph_sets(load_split('dev'), max_images)
    return {**sets, 'power-law twins': power_law_twins(sets['as is'])}


def camera_rows(images, camera, scale, seed, index):
    """One row per variant for one JPEG camera."""
    rng = np.random.default_rng([seed, scale, index, 38])
    clean = [degrade(hr, camera['kernel'], scale, rng) for _, hr in images]
    quality = camera['quality']
    decoded = [jpeg(lr, quality) for lr in clean]
    clean_cov = spectral_pool_kernel(
        pool_power_spectra([image_power_spectrum(lr) for lr in clean]), scale).covariance
    as_decoded = [image_power_spectrum(lr) for lr in decoded]
    spectra = {
        'as decoded': as_decoded,
        'un-quantised': [unquantised(s, lr, quality) for s, lr in zip(as_decoded, decoded)]
    }
    cov = kernel_covariance(camera['kernel'])
    iso_err = compare(np.trace(cov) / 2 * np.eye(2), cov)['err']
    rows = []
    for variant in VARIANTS:
        estimate = spectral_pool_kernel(pool_power_spectra(spectra[variant]), scale,
                                        quality).covariance
        rows.append(
            dict(
                scale=scale,
                seed=seed,
                camera=index,
                quality=quality,
                variant=variant,
                err=compare(estimate, cov)['err'],
                iso_err=iso_err,
                from_clean=compare(estimate, clean_cov)['err']))
    return rows


def summary(rows):
    """``err | beats iso | from clean`` of some rows, or dashes."""
    if not rows:
        return '- | - | -'
    return (f'{np.mean([r["err"] for r in rows]):.3f} | '
            f'{100 * np.mean([r["err"] < r["iso_err"] for r in rows]):.0f}% | '
            f'{np.mean([r["from_clean"] for r in rows]):.3f}')


def markdown(rows_by_set, seconds):
    """The summary table: per set, scale and variant, quality >= 85 and 75."""
    lines = [
        f'dev split only, JPEG cameras, {seconds:.0f} s', '',
        '| content | scale | periodograms | q >= 85: err | beats iso | from clean fit | '
        'q 75: err | beats iso | from clean fit |', '|---' * 9 + '|'
    ]
    for name, rows in rows_by_set.items():
        for scale in dict.fromkeys(r['scale'] for r in rows):
            for variant in VARIANTS:
                chosen = [r for r in rows if r['scale'] == scale and r['variant'] == variant]
                high = summary([r for r in chosen if r['quality'] >= 85])
                low = summary([r for r in chosen if r['quality'] < 85])
                lines.append(f'| {name} | x{scale} | {variant} | {high} | {low} |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    return jpeg_camera_parser(__doc__.splitlines()[0]).parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    rows_by_set = jpeg_camera_rows(content_sets(args.max_images), args, camera_rows)
    report = markdown(rows_by_set, time.time() - start)
    publish('python -m benchmarks.accuracy.jpeg_unquantise', argv, args, report,
            dict(args=vars(args), rows=rows_by_set))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
