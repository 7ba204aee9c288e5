# Copyright (c) mmssg contributors. All rights reserved.
"""How far a pooled spectral kernel can be trusted: an interval on each of its sigmas.

A pooled fit (:func:`~.spectral_kernels.spectral_pool_kernel` of
:func:`~.power_spectra.pool_power_spectra`) is wrong mostly because the images' content does
not average out: which images are pooled moves the kernel
(``benchmarks/RESULTS.md#kernel_estimation-pooled-subsets``). The interval measures exactly
that, by a delete-a-group jackknife over the images: the images are dealt into ``G`` groups
(image ``i`` to group ``i mod G``, at most :data:`MAX_GROUPS`), the fit is repeated ``G``
times with one group left out, and the spread of the log sigmas gives their standard error
``se = sqrt((G - 1) / G * sum (t_g - mean t)^2)``; the interval is
``sigma * exp(+- t_{G-1} se)`` with Student's ``t`` quantile of :data:`LEVEL`.

Why the jackknife rather than the fit's curvature or a bootstrap: the curvature of the least
squares treats the periodogram's bins as independent, which the Hann window's leakage and the
shared content of neighbouring bins make them not, and it knows nothing of how the content
varies between images; a bootstrap over images draws at random (the tool has no randomness
and a pool's summary must be the same on every run) and needs more refits for the same
precision. ``G`` refits cost ``G`` times one fit.

The jackknife does not see a bias that every image shares: a content that the model does not
fit, JPEG's quantisation read as blur. Where the model holds, the fit reads the same blur from
any band of frequencies; where it does not, the blur depends on which bins it is read from. So
the interval also reaches the fits of :data:`ALTERNATIVE_BANDS` (the outer bins left out, where
aliasing, noise and JPEG's quantisation weigh most; the lowest bins left out, where the
content's knee acts): its half-width in log sigma is the jackknife's plus the largest change of
the log sigma between the fit of every bin and an alternative band's fit of the same pool.
On the kernel benchmark's development split that band term is what covers most estimates that
miss the truth by more than 15 % (benchmarks/RESULTS.md#kernel_estimation).
"""
import math
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from scipy import stats

from .power_spectra import PowerSpectrum, pool_power_spectra
from .spectral_kernels import SpectralKernel, spectral_pool_kernel

#: Nominal coverage of the interval on each sigma.
LEVEL = 0.9
#: Most jackknife groups (refits): past about ten, Student's ``t`` quantile and the standard
#: error's own scatter gain little, and a pool of hundreds of images stays ten refits.
MAX_GROUPS = 10
#: An interval is wide when it reaches further than this, relatively, from the estimate on
#: either side on either sigma: it cannot then vouch for the 15 % tolerance that the kernel
#: benchmark holds a sigma to (issue 35), and the kernel may be that far off.
WIDE_RELATIVE = 0.15
#: The other bands the interval reaches the fit of (:func:`band_sensitivity`), as keyword
#: arguments of :func:`~.spectral_kernels.spectral_pool_kernel`: no bin further than 0.4
#: cycle per LR pixel from DC (the outer band and corners left out), and none nearer than 3
#: bins (the lowest frequencies left out).
ALTERNATIVE_BANDS = (dict(max_frequency=0.4), dict(min_frequency_bin=3))


class SigmaInterval(NamedTuple):
    """Intervals on a pooled kernel's sigmas (HR px) at :data:`LEVEL`.

    Attributes:
        minor (tuple[float, float]): On the minor principal sigma.
        major (tuple[float, float]): On the major principal sigma.
        level (float): Nominal coverage.
        groups (int): Jackknife groups (refits); 1 when there was one image (no interval).
        relative_width (float): How far the interval reaches from the estimate, relatively,
            on the worse side of the worse sigma (``inf`` without an interval).
        wide (bool): ``relative_width`` over :data:`WIDE_RELATIVE`, or a clamped fit.
        band_sensitivity (float): How far, relatively, the fits of
            :data:`ALTERNATIVE_BANDS` move the worse sigma (part of ``relative_width``).
    """
    minor: Tuple[float, float]
    major: Tuple[float, float]
    level: float
    groups: int
    relative_width: float
    wide: bool
    band_sensitivity: float = 0.0


def principal_sigmas(covariance: np.ndarray) -> np.ndarray:
    """``(minor, major)`` principal sigmas of a ``2 x 2`` covariance."""
    return np.sqrt(np.clip(np.linalg.eigvalsh(covariance), 1e-12, None))


def jackknife_log_sigmas(spectra: Sequence[PowerSpectrum],
                         scale: int,
                         groups: int,
                         jpeg_quality: Optional[int] = None) -> np.ndarray:
    """``(groups, 2)`` log principal sigmas of the fits with one group left out each."""
    fits = []
    for left_out in range(groups):
        kept = [s for i, s in enumerate(spectra) if i % groups != left_out]
        result = spectral_pool_kernel(pool_power_spectra(kept), scale, jpeg_quality)
        fits.append(np.log(principal_sigmas(result.covariance)))
    return np.array(fits)


def band_sensitivity(pooled: PowerSpectrum,
                     scale: int,
                     estimate: SpectralKernel,
                     jpeg_quality: Optional[int] = None) -> np.ndarray:
    """``(2,)`` largest ``|log sigma|`` change, minor and major, from ``estimate`` to the fit
    of the same periodogram in each of :data:`ALTERNATIVE_BANDS`.

    Args:
        pooled (PowerSpectrum): The periodogram ``estimate`` was fitted to.
        scale (int): 2 or 4.
        estimate (SpectralKernel): Its fit over every bin.
        jpeg_quality (int, optional): As ``estimate`` was fitted with. Default: None.
    """
    base = np.log(principal_sigmas(estimate.covariance))
    changes = []
    for band in ALTERNATIVE_BANDS:
        refit = spectral_pool_kernel(pooled, scale, jpeg_quality, **band)
        changes.append(np.abs(np.log(principal_sigmas(refit.covariance)) - base))
    return np.max(changes, axis=0)


def sigma_interval(spectra: Sequence[PowerSpectrum],
                   scale: int,
                   estimate: SpectralKernel,
                   level: float = LEVEL,
                   max_groups: int = MAX_GROUPS,
                   jpeg_quality: Optional[int] = None) -> SigmaInterval:
    """The interval on each sigma of ``estimate``, the fit of all ``spectra``: the jackknife's
    half-width (with its bias estimate) plus :func:`band_sensitivity`, in log sigma.

    Args:
        spectra (Sequence[PowerSpectrum]): The periodograms of the pooled images, one each.
        scale (int): 2 or 4.
        estimate (SpectralKernel): The fit of all of them.
        level (float): Nominal coverage. Default: :data:`LEVEL`.
        max_groups (int): Most refits. Default: :data:`MAX_GROUPS`.
        jpeg_quality (int, optional): As the estimate was fitted with
            (:func:`~.spectral_kernels.spectral_pool_kernel`). Default: None.

    Returns:
        SigmaInterval: The intervals, and whether they are wide.
    """
    sigmas = principal_sigmas(estimate.covariance)
    groups = min(len(spectra), max_groups)
    if groups < 2:
        bounds = [(0.0, math.inf)] * 2
        return SigmaInterval(*bounds, level, 1, math.inf, True)
    logs = jackknife_log_sigmas(spectra, scale, groups, jpeg_quality)
    error = np.sqrt((groups - 1) / groups * ((logs - logs.mean(axis=0))**2).sum(axis=0))
    # The fit is nonlinear in the pooled spectrum, so a pool of few images is biased too: the
    # jackknife's own estimate of that bias widens the interval on both sides.
    bias = np.abs((groups - 1) * (logs.mean(axis=0) - np.log(sigmas)))
    bands = band_sensitivity(pool_power_spectra(spectra), scale, estimate, jpeg_quality)
    half = stats.t.ppf((1 + level) / 2, groups - 1) * error + bias + bands
    bounds = [(float(s * math.exp(-h)), float(s * math.exp(h))) for s, h in zip(sigmas, half)]
    relative = float(math.expm1(half.max()))
    return SigmaInterval(*bounds, level, groups, relative,
                         bool(relative > WIDE_RELATIVE or estimate.clamped),
                         float(math.expm1(bands.max())))


def pooled_kernel_interval(
        spectra: Sequence[PowerSpectrum],
        scale: int,
        jpeg_quality: Optional[int] = None) -> Tuple[SpectralKernel, SigmaInterval]:
    """``spectral-pooled``'s kernel of ``spectra`` and the interval on its sigmas.

    Args:
        spectra (Sequence[PowerSpectrum]): One periodogram per image of one camera.
        scale (int): 2 or 4.
        jpeg_quality (int, optional): The images' JPEG quality, if known
            (:func:`~.spectral_kernels.spectral_pool_kernel`). Default: None.
    """
    result = spectral_pool_kernel(pool_power_spectra(spectra), scale, jpeg_quality)
    return result, sigma_interval(spectra, scale, result, jpeg_quality=jpeg_quality)


def interval_record(interval: SigmaInterval) -> dict:
    """The JSON fields of an interval, as a pool's summary records them."""
    return dict(
        sigma_interval=dict(
            minor=[round(v, 4) for v in interval.minor],
            major=[round(v, 4) for v in interval.major],
            level=interval.level,
            groups=interval.groups,
            relative_width=round(interval.relative_width, 4),
            band_sensitivity=round(interval.band_sensitivity, 4)),
        wide_interval=interval.wide)


def warn_line(interval: SigmaInterval, source: str) -> List[str]:
    """The warning a wide interval prints (none when it is not wide)."""
    if not interval.wide:
        return []
    (lo_minor, hi_minor), (lo_major, hi_major) = interval.minor, interval.major
    return [
        f'warning: {source}: the pooled kernel is uncertain: its {100 * interval.level:.0f} % '
        f'interval reaches {100 * interval.relative_width:.0f} % from the estimate (minor sigma '
        f'{lo_minor:.2f}-{hi_minor:.2f}, major {lo_major:.2f}-{hi_major:.2f} HR px; more than '
        f'{100 * WIDE_RELATIVE:.0f} % is wide; fits of other frequency bands move it up to '
        f'{100 * interval.band_sensitivity:.0f} %): the images do not fix the blur; add images '
        'of the same camera, or check the kernel against a known blur'
    ]
