# Copyright (c) mmssg contributors. All rights reserved.
"""Blur-kernel estimation from the power spectrum: an anisotropic Gaussian per LR image.

An LR image is ``(HR conv k)[::s, ::s] + n``. Natural images have power spectra close to a
power law ``A(theta) |nu|^-alpha``; a Gaussian blur of covariance ``C`` (HR pixels squared)
multiplies that by ``exp(-4 pi^2 nu^T C nu)``; subsampling by ``s`` folds the ``s x s``
copies of the HR band into the LR band (aliasing); noise adds a flat floor. The estimator
fits exactly that model to the LR image's averaged periodogram (Welch: Hann-windowed 64 px
tiles of the luminance, overlapping by three quarters), in log power, robustly (soft L1),
over every frequency bin but DC. The content's free parameters are its amplitude, its
exponent, a knee below which it flattens (``(|nu|^2 + nu_0^2)^(-alpha/2)``: a scene with a
grain size, or little coarse structure) and a second and fourth angular harmonic of its
amplitude (scenes with mostly horizontal or vertical structure), so that anisotropic
*content* is not read as anisotropic *blur*: the former changes the spectrum by a factor
that does not depend on frequency, the latter by one that grows with it. Two priors keep a
single image's fit from trading content for blur: the exponent near 2 (weakly) and the blur
near isotropic unless the spectrum says otherwise (without them an image whose content is
no power law was fitted as a flat spectrum under a wide blur and a high noise floor, and
anisotropic content could collapse the blur's minor axis); a pooled periodogram of ``n``
images weighs them ``1/sqrt(n)``. The degradation transforms add :func:`alignment_kernel` to
every pool kernel, so the model does too; the pool kernel is the sampled, centred Gaussian
of the fitted blur, :data:`KERNEL_SIZE` taps a side.

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

from .functional import align_kernel, gaussian_kernel_from_covariance
from .jpeg_detection import block_edge_bins, quantised_bins
from .power_spectra import (SPECTRUM_TILE, TILE_STEP_FRACTION, PowerSpectrum, image_power_spectrum,
                            pool_power_spectra)

#: Prior of the content's power-law exponent, ``(centre, weight)``: natural images are close
#: to 2. It keeps a content that is not a power law from being fitted as a flat spectrum under
#: a wide blur and a high noise floor.
EXPONENT_PRIOR = (2.0, 1.0)
#: Weight of the isotropy prior on the blur's log anisotropy (``logm`` of its covariance less
#: its trace part): without it one image's anisotropic content can collapse the minor axis.
ISOTROPY_PRIOR_WEIGHT = 6.0
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
# Where the content's knee starts the fit (cycles per LR pixel): near the lowest bins.
_KNEE_START = 1 / 32


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


class AliasedGaussianBlurSpectrum:
    """The model of an LR periodogram: aliased, Gaussian-blurred power law plus noise.

    ``P(f) = sum_m A(theta_m) (|nu_m|^2 + nu_0^2)^(-alpha/2) |H(nu_m)|^2
    exp(-4 pi^2 nu_m^T C nu_m) + N``
    with ``H`` the transfer function of :func:`alignment_kernel` (which the degradation
    transforms add to every pool kernel) and ``nu_m = f + m`` over the aliases that lie in
    the HR band (``|nu| <= s/2`` per axis, halved on its edge), frequencies in cycles per
    LR pixel, ``C`` in LR pixels squared (``C_HR / s^2``) and
    ``A(theta) = exp(a0 + a2 cos 2theta + b2 sin 2theta + a4 cos 4theta + b4 sin 4theta)``.
    The knee ``nu_0`` lets the content flatten at low frequencies (a scene with a grain size,
    or little coarse structure): these change the spectrum where the blur does not.

    Parameters (one vector, in this order): ``a0, alpha``, the Cholesky factor
    of ``C`` (``log l11, l21, log l22``), ``a2, b2, a4, b4``, ``log N`` and ``log nu_0^2``.

    Args:
        freq_y (np.ndarray): Row frequencies of the fitted bins (cycles per LR pixel).
        freq_x (np.ndarray): Column frequencies, same shape.
        scale (int): The down-sampling factor ``s``.
    """

    num_params = 11

    def __init__(self, freq_y: np.ndarray, freq_x: np.ndarray, scale: int):
        self.scale = scale
        half = scale / 2
        aliases = []
        for m_y in range(-(scale // 2), scale // 2 + 1):
            for m_x in range(-(scale // 2), scale // 2 + 1):
                nu_y, nu_x = freq_y + m_y, freq_x + m_x
                # The periodic HR spectrum: each alias once, half weight on the band edge.
                weight = ((np.abs(nu_y) <= half) * np.where(np.abs(nu_y) == half, 0.5, 1.0) *
                          (np.abs(nu_x) <= half) * np.where(np.abs(nu_x) == half, 0.5, 1.0))
                if weight.any():
                    aliases.append((weight, nu_y, nu_x))
        weight, nu_y, nu_x = (np.stack(a) for a in zip(*aliases))  # (aliases, bins)
        with np.errstate(divide='ignore'):
            self.log_weight = np.log(weight) + self._log_alignment_power(nu_y, nu_x, scale)
        # Quadratic-form monomials of the blur, and the content's regressors.
        self.monomials = np.stack([nu_x * nu_x, 2 * nu_x * nu_y, nu_y * nu_y])
        theta = np.arctan2(nu_y, nu_x)
        self.harmonics = np.stack(
            [np.cos(2 * theta),
             np.sin(2 * theta),
             np.cos(4 * theta),
             np.sin(4 * theta)])
        self.r2 = nu_x**2 + nu_y**2

    @staticmethod
    def _log_alignment_power(nu_y: np.ndarray, nu_x: np.ndarray, scale: int) -> np.ndarray:
        """``log |H|^2`` of :func:`alignment_kernel` at LR frequencies (``-inf`` at zeros)."""
        kernel = alignment_kernel(scale)
        rows, cols = np.nonzero(kernel)
        phase = -2j * math.pi / scale * (nu_y[..., None] * rows + nu_x[..., None] * cols)
        power = np.abs((kernel[rows, cols] * np.exp(phase)).sum(axis=-1))**2
        return np.log(np.maximum(power, 0))

    @staticmethod
    def covariance(params: np.ndarray) -> np.ndarray:
        """``C`` (LR pixels squared, ``(x, y)``) from its Cholesky parameters."""
        factor = np.array([[math.exp(params[2]), 0.0], [params[3], math.exp(params[4])]])
        return factor @ factor.T

    def _alias_log_power(self, params: np.ndarray) -> np.ndarray:
        """``(aliases, bins)`` log power of each alias before noise."""
        cov = self.covariance(params)
        quad = np.tensordot([cov[0, 0], cov[0, 1], cov[1, 1]], self.monomials, axes=1)
        return (self.log_weight + params[0] + np.tensordot(params[5:9], self.harmonics, axes=1) -
                0.5 * params[1] * np.log(self.r2 + math.exp(params[10])) - 4 * math.pi**2 * quad)

    def log_power(self, params: np.ndarray) -> np.ndarray:
        """Model log power at the fitted bins."""
        terms = self._alias_log_power(params)
        return np.logaddexp(np.logaddexp.reduce(terms, axis=0), params[9])

    def jacobian(self, params: np.ndarray) -> np.ndarray:
        """``(bins, num_params)`` derivatives of :meth:`log_power`."""
        terms = self._alias_log_power(params)
        total = np.logaddexp(np.logaddexp.reduce(terms, axis=0), params[9])
        share = np.exp(terms - total)  # each alias's part of the modelled power
        xx, xy2, yy = self.monomials
        l11, l21, l22 = math.exp(params[2]), params[3], math.exp(params[4])
        # d quad / d (log l11, l21, log l22) through C = L L^T.
        d_quad = [
            2 * l11 * l11 * xx + l11 * l21 * xy2, l11 * xy2 + 2 * l21 * yy, 2 * l22 * l22 * yy
        ]
        knee2 = math.exp(params[10])
        columns = [share.sum(axis=0), (share * -0.5 * np.log(self.r2 + knee2)).sum(axis=0)]
        columns += [(share * -4 * math.pi**2 * d).sum(axis=0) for d in d_quad]
        columns += [(share * h).sum(axis=0) for h in self.harmonics]
        columns.append(np.exp(params[9] - total))
        columns.append((share * -0.5 * params[1] * knee2 / (self.r2 + knee2)).sum(axis=0))
        return np.stack(columns, axis=1)

    def initial_params(self, log_power: np.ndarray, sigma: float) -> np.ndarray:
        """A start: ``1/f^2`` content through the observed level, isotropic blur ``sigma``.

        Args:
            log_power (np.ndarray): Observed log power at the fitted bins.
            sigma (float): Starting blur standard deviation, LR pixels.
        """
        params = np.zeros(self.num_params)
        # The unaliased copy is the one with the smallest |nu|.
        params[0] = np.median(log_power + np.log(np.maximum(self.r2, 1e-300)).min(axis=0))
        params[1] = 2.0
        params[2] = params[4] = math.log(sigma)
        params[9] = np.quantile(log_power, 0.05)
        params[10] = 2 * math.log(_KNEE_START)
        return params


def log_anisotropy(covariance: np.ndarray) -> np.ndarray:
    """``(s1, s2)`` of ``logm(C) = [[s0 + s1, s2], [s2, s0 - s1]]``: zero for an isotropic
    blur, of length ``log(major sigma / minor sigma)`` along the major axis's double angle.
    In closed form rather than ``scipy.linalg.logm``: the fit evaluates it in every residual.

    Args:
        covariance (np.ndarray): ``2 x 2`` symmetric positive definite.
    """
    deviator = np.array([(covariance[0, 0] - covariance[1, 1]) / 2, covariance[0, 1]])
    half_trace = (covariance[0, 0] + covariance[1, 1]) / 2
    radius = math.hypot(*deviator)
    if radius < 1e-12 * half_trace:
        return deviator / half_trace
    return deviator * math.atanh(min(radius / half_trace, 1 - 1e-15)) / radius


class BlurPriors:
    """The fit's priors as extra residuals: the exponent near :data:`EXPONENT_PRIOR`'s
    centre, the blur near isotropic (:data:`ISOTROPY_PRIOR_WEIGHT`).

    Args:
        model (AliasedGaussianBlurSpectrum): The fitted model (for its covariance).
        weight (float): Scales both: ``1 / sqrt(images)`` for a pooled periodogram, whose
            content averages out and needs them less.
    """

    def __init__(self, model: AliasedGaussianBlurSpectrum, weight: float):
        self.model = model
        self.weight = weight

    def residuals(self, params: np.ndarray) -> np.ndarray:
        """``(3,)``: exponent, then the two log-anisotropy components, weighted."""
        centre, exponent_weight = EXPONENT_PRIOR
        anisotropy = ISOTROPY_PRIOR_WEIGHT * log_anisotropy(self.model.covariance(params))
        return self.weight * np.concatenate([[exponent_weight * (params[1] - centre)], anisotropy])

    def jacobian(self, params: np.ndarray) -> np.ndarray:
        """``(3, num_params)``; the anisotropy's by central differences of its closed form."""
        jac = np.zeros((3, len(params)))
        jac[0, 1] = self.weight * EXPONENT_PRIOR[1]
        for index in (2, 3, 4):  # the Cholesky factor of C
            step = np.zeros(len(params))
            step[index] = 1e-6
            change = self.residuals(params + step) - self.residuals(params - step)
            jac[1:, index] = change[1:] / 2e-6
        return jac


def fit_gaussian_blur(spectrum: PowerSpectrum,
                      scale: int,
                      min_frequency_bin: int = 1,
                      start_sigma: float = 0.5,
                      left_out: Optional[np.ndarray] = None,
                      max_frequency: Optional[float] = None) -> SpectralFit:
    """Fit :class:`AliasedGaussianBlurSpectrum` to a periodogram.

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


def alignment_kernel(scale: int) -> np.ndarray:
    """The blur :func:`align_kernel` adds to every pool kernel at ``scale``.

    The degradation transforms move a pool kernel onto the LR sampling grid by linear
    interpolation, which at even scales blurs by a 2-tap box along each axis (it zeroes
    the HR Nyquist frequency, which a Gaussian of its variance, 1/4, would not). The
    spectrum sees the pool kernel and this one together, so the model includes it.
    """
    delta = np.zeros((3, 3), np.float32)
    delta[1, 1] = 1
    return align_kernel(delta, scale)


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
