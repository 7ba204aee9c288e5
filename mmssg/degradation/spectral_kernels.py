# Copyright (c) mmssg contributors. All rights reserved.
"""Blur-kernel estimation from the power spectrum: an anisotropic Gaussian per LR image.

The estimator fits :mod:`.spectral_model` (an aliased, Gaussian-blurred power law plus noise) to
the LR image's averaged periodogram (Welch: Hann-windowed 64 px tiles of the luminance,
overlapping by three quarters), in log power, robustly (soft L1), over every frequency bin but
DC; the pool kernel is the sampled, centred Gaussian of the fitted blur, :data:`KERNEL_SIZE`
taps a side.

What it needs: a roughly scale-invariant image (the power law, perhaps with a knee) and a
noise floor that is flat. ``benchmarks/accuracy/kernel_estimation.py`` measures it against
known anisotropic blurs (``benchmarks/RESULTS.md#kernel_estimation``). A photograph whose
content is itself soft (scikit-image's ``cell``, ``retina``) is read as a wide blur: one
image cannot tell it from the camera's. Images of one camera share one blur: ``pooled=True``
averages their periodograms before the fit, which averages out the content of each. JPEG
shapes the spectrum: its quantisation zeroes the weak high frequencies (noise and the blurred
content's tail) and its block edges add power along the axes, which the x2 fit read as almost
no blur. Given the encoder's quality (:func:`~.jpeg_detection.file_jpeg_quality`), the x2 fit
leaves out the bins whose power quantisation decides (:func:`~.jpeg_detection.quantised_bins`)
and, pooled, the bins near the axes where the blocks add power
(:func:`~.jpeg_detection.block_edge_bins`); at x4, where the blur shows only in the LR image's
highest frequencies, leaving bins out lost more than it saved: the quantised ones on the
development split, the block edges on the sealed test split
(benchmarks/RESULTS.md#kernel_estimation).

Unlike KernelGAN it has no randomness and no training: an image's kernel is the same
alone or in any batch (``pooled=False``), and a folder takes seconds.
"""
import math
from typing import List, NamedTuple, Optional, Sequence

import numpy as np
from scipy.optimize import least_squares

from .functional import gaussian_kernel_from_covariance
from .jpeg_detection import block_edge_bins, quantised_bins
from .power_spectra import (SPECTRUM_TILE, TILE_STEP_FRACTION, PowerSpectrum, image_power_spectrum,
                            pool_power_spectra)
from .spectral_model import (EXPONENT_PRIOR, ISOTROPY_PRIOR_WEIGHT, AliasedGaussianBlurSpectrum,
                             BlurPriors)

#: Version of the fitted model, recorded with every pool (:func:`fit_settings`). Any change
#: that changes the kernels (the model, the loss and its scale, the knee's start, the lowest
#: frequency fitted, the variance clamp) bumps it, so that an older pool is not reused (1: a
#: pure power law, one image's fit on 32 px tiles; 2: the content's knee and the priors; 3: JPEG's
#: quantised bins left out at the scales of :data:`JPEG_MASKED_SCALES`; 4: the same for the
#: per-image ``spectral`` fit of a JPEG file, told its quality: pooled kernels are those of 3;
#: 5: a JPEG pool's block-edge bins left out at x2, and the interval's band term).
MODEL_VERSION = 5
#: Scales at which a JPEG pool's quantised and block-edge bins are left out of the fit.
JPEG_MASKED_SCALES = (2, )
#: Fewest images whose periodogram leaves JPEG's block-edge bins out: one image's fit, whose
#: content does not average out, lost more with them than it gained on the development split.
BLOCK_EDGE_MIN_IMAGES = 2
#: Side of the pool kernels, whatever the scale: 3.5 sigmas either side up to 3.4 HR px
#: (wider blurs lose their tails, renormalised).
KERNEL_SIZE = 25
#: Scales the model is written for.
SCALES = (2, 4)
# Smallest kernel variance (HR px^2) used to build a kernel, so that a degenerate fit
# (no blur along one axis) still gives an invertible covariance.
_MIN_VARIANCE = 0.01
#: Largest variance (HR px^2) a pool kernel takes: 3.5 sigmas fill half its side. A fit
#: beyond it (a flat spectrum, all noise, leaves the blur undetermined) is clamped.
MAX_VARIANCE = ((KERNEL_SIZE // 2) / 3.5)**2
#: Fewest images a pooled fit takes by default (``tools/data/estimate_kernels.py
#: --min-pooled-images``): pooled over fewer, which images they are moves a camera's kernel
#: beyond the benchmark's tolerances (benchmarks/RESULTS.md#kernel_estimation-pooled-subsets).
MIN_POOLED_IMAGES = 8
# Fewest bins a JPEG-aware fit keeps (a tenth of a 64 px tile's), else it fits the quantised
# bins too.
_MIN_JPEG_BINS = 400


class SpectralKernel(NamedTuple):
    """A pool kernel and how it was found.

    Attributes:
        kernel (np.ndarray): float32 ``(KERNEL_SIZE, KERNEL_SIZE)`` kernel summing to 1.
        covariance (np.ndarray): Its Gaussian's covariance, HR pixels squared, ``(x, y)``:
            the fitted blur.
        fit (SpectralFit): The fit it came from.
        clamped (bool): The fitted blur was wider than :data:`MAX_VARIANCE` along an axis
            (and was clamped to it): the image told little about its blur.
    """
    kernel: np.ndarray
    covariance: np.ndarray
    fit: 'SpectralFit'
    clamped: bool


class SpectralFit(NamedTuple):
    """Result of :func:`fit_gaussian_blur`.

    Attributes:
        covariance (np.ndarray): ``2 x 2`` blur covariance, HR pixels squared, ``(x, y)``.
        exponent (float): Fitted power-law exponent of the content.
        noise_power (float): Fitted flat noise floor (periodogram units).
        cost (float): Final robust cost of the fit (priors included).
        knee_frequency (float): Fitted knee of the content (cycles per LR pixel): below it
            the content's spectrum flattens.
    """
    covariance: np.ndarray
    exponent: float
    noise_power: float
    cost: float
    knee_frequency: float = 0.0


def fit_gaussian_blur(spectrum: PowerSpectrum,
                      scale: int,
                      min_frequency_bin: int = 1,
                      start_sigma: float = 0.5,
                      left_out: Optional[np.ndarray] = None,
                      max_frequency: Optional[float] = None) -> SpectralFit:
    """Fit :class:`~.spectral_model.AliasedGaussianBlurSpectrum` to a periodogram.

    Args:
        spectrum (PowerSpectrum): From :func:`image_power_spectrum` or
            :func:`pool_power_spectra`.
        scale (int): The down-sampling factor the image was made with (2 or 4).
        min_frequency_bin (int): Bins closer than this to DC (in bins) are left
            out. Default: 1 (only DC).
        start_sigma (float): Starting blur sigma, LR pixels. Default: 0.5.
        left_out (np.ndarray, optional): Boolean ``(tile, tile)`` bins not to fit (say,
            :func:`~.jpeg_detection.quantised_bins`). Default: None (all but DC).
        max_frequency (float, optional): Bins further than this from DC (cycles per LR
            pixel) are left out. Default: None (up to the corners, 0.71).

    Returns:
        SpectralFit: The blur covariance in HR pixels squared and the other fitted values.
    """
    if scale not in SCALES:
        raise ValueError(f'scale must be one of {SCALES}, got {scale}')
    tile = spectrum.power.shape[0]
    freqs = np.fft.fftfreq(tile)
    freq_y, freq_x = np.meshgrid(freqs, freqs, indexing='ij')
    radius = np.hypot(freq_x, freq_y)
    used = radius >= min_frequency_bin / tile
    if max_frequency is not None:
        used &= radius <= max_frequency
    if left_out is not None:
        used &= ~left_out
    if not np.all(spectrum.power[used] > 0):
        raise ValueError('the power spectrum has empty bins (a constant image?)')
    model = AliasedGaussianBlurSpectrum(freq_y[used], freq_x[used], scale)
    observed = np.log(spectrum.power[used])
    priors = BlurPriors(model, 1 / math.sqrt(spectrum.num_images))
    # SciPy's trust-region step can divide by a zero norm on a rank-deficient Jacobian (say,
    # a knee far below the lowest bin has no effect); its warning only: the fits are the same.
    with np.errstate(divide='ignore'):
        best = least_squares(
            lambda p: np.concatenate([model.log_power(p) - observed,
                                      priors.residuals(p)]),
            model.initial_params(observed, start_sigma),
            jac=lambda p: np.concatenate([model.jacobian(p), priors.jacobian(p)]),
            loss='soft_l1',
            f_scale=0.5)
    return SpectralFit(
        covariance=model.covariance(best.x) * scale**2,
        exponent=float(best.x[1]),
        noise_power=float(math.exp(best.x[9])),
        cost=float(best.cost),
        knee_frequency=float(math.exp(best.x[10] / 2)))


def kernel_from_covariance(covariance: np.ndarray, size: int = KERNEL_SIZE) -> np.ndarray:
    """A pool kernel: the sampled, centred Gaussian of a blur covariance.

    Variances under 0.01 px^2 are raised to it (a fit with no blur along an axis); the
    caller keeps them under :data:`MAX_VARIANCE` (larger ones lose their tails).

    Args:
        covariance (np.ndarray): ``2 x 2`` symmetric, HR pixels squared, ``(x, y)``.
        size (int): Odd kernel side. Default: :data:`KERNEL_SIZE`.

    Returns:
        np.ndarray: float32 ``(size, size)`` kernel summing to 1.
    """
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    values = np.maximum(values, _MIN_VARIANCE)
    return gaussian_kernel_from_covariance(vectors @ np.diag(values) @ vectors.T, size)


def spectral_pool_kernel(spectrum: PowerSpectrum,
                         scale: int,
                         jpeg_quality: Optional[int] = None,
                         **band) -> SpectralKernel:
    """The pool kernel of one periodogram: the fitted blur.

    Args:
        spectrum (PowerSpectrum): One image's periodogram or several images' pooled one.
        scale (int): 2 or 4.
        jpeg_quality (int, optional): The images' JPEG quality: at the scales of
            :data:`JPEG_MASKED_SCALES` the bins its quantisation decides are left out, and
            the block-edge bins too from a pool of :data:`BLOCK_EDGE_MIN_IMAGES` or more.
            Default: None (not compressed, or not known).
        **band: ``min_frequency_bin`` and ``max_frequency`` of :func:`fit_gaussian_blur`
            (the interval's alternative bands, :mod:`.kernel_uncertainty`). Default: every
            bin but DC.

    Returns:
        SpectralKernel: The kernel, its covariance (clamped to :data:`MAX_VARIANCE`) and fit.
    """
    left_out = None
    if jpeg_quality is not None and scale in JPEG_MASKED_SCALES:
        edges = np.zeros(spectrum.power.shape, bool)
        if spectrum.num_images >= BLOCK_EDGE_MIN_IMAGES:
            edges = block_edge_bins(spectrum.power.shape[0])
        left_out = edges | quantised_bins(spectrum.power, jpeg_quality)
        # A very low quality leaves too few bins to fit the model: keep the quantised ones.
        if (~left_out).sum() < _MIN_JPEG_BINS:
            left_out = edges
    fit = fit_gaussian_blur(spectrum, scale, left_out=left_out, **band)
    values, vectors = np.linalg.eigh(fit.covariance)
    covariance = vectors @ np.diag(np.clip(values, _MIN_VARIANCE, MAX_VARIANCE)) @ vectors.T
    return SpectralKernel(
        kernel_from_covariance(covariance), covariance, fit, bool(values[-1] > MAX_VARIANCE))


def fit_settings(scale: int) -> dict:
    """What determines a spectral pool kernel besides its images: the scale, the kernel
    size, the model's version, the periodogram's tiles and the priors. A kernel pool records
    them; a pool made with other settings has other kernels.

    Args:
        scale (int): The pool's scale, 2 or 4.

    Returns:
        dict: JSON-ready settings (lists, not tuples), as a pool's summary records them.
    """
    return dict(
        scale=scale,
        kernel_size=KERNEL_SIZE,
        model=MODEL_VERSION,
        tile=SPECTRUM_TILE,
        tile_step=SPECTRUM_TILE // TILE_STEP_FRACTION,
        exponent_prior=list(EXPONENT_PRIOR),
        isotropy_prior=ISOTROPY_PRIOR_WEIGHT)


def estimate_kernels_spectral(images: Sequence[np.ndarray],
                              scale: int,
                              pooled: bool = False,
                              tile: int = SPECTRUM_TILE,
                              names: Optional[Sequence[str]] = None) -> List[SpectralKernel]:
    """Estimate pool kernels with the spectral Gaussian fit.

    Args:
        images (list[np.ndarray]): LR images, see :func:`luminance`; at least
            ``tile`` pixels a side.
        scale (int): 2 or 4.
        pooled (bool): One fit to the pooled periodogram of all images (they share one
            camera), the same kernel for each. Default: False (one fit per image).
        tile (int): Periodogram tile side. Default: :data:`SPECTRUM_TILE`.
        names (list[str], optional): Image names for error messages.

    Returns:
        list[SpectralKernel]: One per image (see :func:`spectral_pool_kernel`).
    """
    if not len(images):
        raise ValueError('no images to estimate kernels from')
    names = names or [f'image {i}' for i in range(len(images))]
    spectra = [image_power_spectrum(im, tile, name) for im, name in zip(images, names)]
    if pooled:
        return [spectral_pool_kernel(pool_power_spectra(spectra), scale)] * len(spectra)
    return [spectral_pool_kernel(s, scale) for s in spectra]
