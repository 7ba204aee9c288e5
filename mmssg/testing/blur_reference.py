# Copyright (c) mmssg contributors. All rights reserved.
"""Reference blur operators for the KernelGAN tests (numpy / scipy, independent of mmssg)."""
import numpy as np
from scipy import ndimage
from scipy.signal import convolve2d


def gaussian_kernel(size=13, sigma_row=0.8, sigma_col=2.0):
    """Axis-aligned anisotropic Gaussian, centred, summing to 1."""
    offsets = np.arange(size) - size // 2
    rows, cols = np.meshgrid(offsets, offsets, indexing='ij')
    kernel = np.exp(-0.5 * (rows**2 / sigma_row**2 + cols**2 / sigma_col**2))
    return kernel / kernel.sum()


def blur_and_subsample(image, kernel, scale=2):
    """Reference degradation: true convolution, then keep every ``scale``-th pixel."""
    image = image.astype(np.float64)
    if image.ndim == 3:
        return np.stack(
            [blur_and_subsample(image[..., c], kernel, scale) for c in range(image.shape[2])],
            axis=-1)
    return ndimage.convolve(image, kernel, mode='reflect')[::scale, ::scale]


def valid_blur_and_subsample(image, kernel, scale=2):
    """The same without padding: the generator's exact operator."""
    return convolve2d(image, kernel, mode='valid')[::scale, ::scale]
