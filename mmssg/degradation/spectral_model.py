# Copyright (c) mmssg contributors. All rights reserved.
"""The model a blur is fitted with: the LR periodogram of a blurred, aliased power law.

An LR image is ``(HR conv k)[::s, ::s] + n``. Natural images have power spectra close to a
power law ``A(theta) |nu|^-alpha``; a Gaussian blur of covariance ``C`` (HR pixels squared)
multiplies that by ``exp(-4 pi^2 nu^T C nu)``; subsampling by ``s`` folds the ``s x s``
copies of the HR band into the LR band (aliasing); noise adds a flat floor. The estimator
(:func:`~.spectral_kernels.fit_gaussian_blur`) fits exactly that model to an LR image's
averaged periodogram. The content's free parameters are its amplitude, its
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
every pool kernel, so the model does too.
"""
import math

import numpy as np

from .functional import align_kernel

#: Prior of the content's power-law exponent, ``(centre, weight)``: natural images are close
#: to 2. It keeps a content that is not a power law from being fitted as a flat spectrum under
#: a wide blur and a high noise floor.
EXPONENT_PRIOR = (2.0, 1.0)
#: Weight of the isotropy prior on the blur's log anisotropy (``logm`` of its covariance less
#: its trace part): without it one image's anisotropic content can collapse the minor axis.
ISOTROPY_PRIOR_WEIGHT = 6.0
# Where the content's knee starts the fit (cycles per LR pixel): near the lowest bins.
_KNEE_START = 1 / 32


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
