# Copyright (c) mmssg contributors. All rights reserved.
"""How the kernel benchmarks make an LR image of a known camera and score a kernel against it.

The degradation is the documented path of ``DomainAdaptedDegradation`` (the kernel aligned to
the sampling grid, :func:`~mmssg.degradation.functional.blur_downsample`, Gaussian noise,
8 bits); a kernel is scored by its covariance (HR px^2) against the true one.
"""
import math

import numpy as np

from mmssg.degradation.functional import (add_noise, align_kernel, blur_downsample, gaussian_noise,
                                          quantize)

#: Noise sigma (0-255) of the benchmarks' cameras.
NOISE_SIGMA = 2.0


def degrade(hr, kernel, scale, rng, noise=NOISE_SIGMA):
    """The documented path: aligned kernel, blur and subsample, noise (sigma 2), 8 bits."""
    lr = blur_downsample(hr, align_kernel(kernel, scale), scale)
    lr = quantize(add_noise(lr, gaussian_noise(lr.shape, noise, rng)))
    return lr.astype(np.uint8)


def principal(cov):
    """``(minor sigma, major sigma, major-axis angle in degrees [0, 180))``."""
    values, vectors = np.linalg.eigh(cov)
    sigmas = np.sqrt(np.clip(values, 0, None))
    angle = math.degrees(math.atan2(vectors[1, 1], vectors[0, 1])) % 180
    return float(sigmas[0]), float(sigmas[1]), angle


def compare(cov_est, cov_true):
    """Relative covariance error, sigmas and angle error of one estimate."""
    minor, major, angle = principal(cov_est)
    true_angle = principal(cov_true)[2]
    diff = abs(angle - true_angle) % 180
    return dict(
        err=float(np.linalg.norm(cov_est - cov_true) / np.linalg.norm(cov_true)),
        minor=minor,
        major=major,
        angle_err=min(diff, 180 - diff))
