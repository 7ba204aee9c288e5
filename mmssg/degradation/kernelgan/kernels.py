# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN kernel post-processing: bicubic prior, boundary mask, centring, x4 composition.

Pure numpy. A pool kernel is a true convolution kernel, odd-sized and centred:
``LR = (HR conv k)[::s, ::s]`` up to a grid offset, with its centre of mass at
the array centre.
"""
from typing import Optional

import numpy as np
from scipy import ndimage

from ..functional import kernel_center_of_mass

GENERATOR_KERNEL_SIZES = (7, 5, 3, 1, 1, 1)
# The x2 kernel is the composition of the generator's layers: 7+5+3-2 = 13.
KERNEL_SIZE_X2 = sum(GENERATOR_KERNEL_SIZES) - len(GENERATOR_KERNEL_SIZES) + 1
# The published x4 kernel: the full composition (3k-2 = 37) cropped by k//2 a side.
KERNEL_SIZE_X4 = 2 * KERNEL_SIZE_X2 - 1


def _keys_cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution function (the 'bicubic' of MATLAB's imresize)."""
    x = np.abs(x)
    near = (a + 2) * x**3 - (a + 3) * x**2 + 1
    far = a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def bicubic_kernel(size: int = KERNEL_SIZE_X2, scale: int = 2) -> np.ndarray:
    """The bicubic anti-aliasing kernel of a x``scale`` downscale, centred.

    It is the cubic stretched by ``scale`` and sampled at integer offsets from
    the centre, so that, like the pool kernels, it is odd-sized and centred
    (MATLAB's even-sized version carries a half-pixel shift instead).

    Args:
        size (int): Odd side length of the returned array. Default: 13.
        scale (int): Downscaling factor. Default: 2.

    Returns:
        np.ndarray: ``(size, size)`` float32 kernel summing to 1.
    """
    if size % 2 == 0:
        raise ValueError(f'kernel size must be odd, got {size}')
    offsets = np.arange(size) - size // 2
    taps = _keys_cubic(offsets / scale)
    taps /= taps.sum()
    return np.outer(taps, taps).astype(np.float32)


def boundary_penalty_mask(size: int = KERNEL_SIZE_X2, penalty: float = 30.) -> np.ndarray:
    """Weights that penalise kernel mass far from the centre.

    The central ``(size - 4) x (size - 4)`` square is free; the two-pixel frame
    around it is weighted by ``penalty * (1 - g / g.max())``, ``g`` a broad
    Gaussian, so that the corners cost most.

    Args:
        size (int): Kernel side length. Default: 13.
        penalty (float): Weight scale of the frame. Default: 30.

    Returns:
        np.ndarray: ``(size, size)`` float32 mask.
    """
    offsets = np.arange(size) - (size - 1) / 2
    sq_radius = offsets[:, None]**2 + offsets[None, :]**2
    mask = penalty * (1 - np.exp(-sq_radius / (2 * size**2)))
    free = 2
    mask[free:size - free, free:size - free] = 0
    return mask.astype(np.float32)


def zero_negligible_values(kernel: np.ndarray, keep: int = 40, ratio: float = 0.75) -> np.ndarray:
    """Zero values that are small next to the kernel's ``keep`` largest ones.

    As published: subtract ``ratio`` times the ``(keep + 1)``-th largest value,
    clip at zero and renormalise. This removes the faint noise floor (and
    negative lobes) that the linear generator leaves over the whole support.

    Args:
        kernel (np.ndarray): 2-D kernel.
        keep (int): How many of the largest values to measure against. Default: 40.
        ratio (float): Fraction of the ``(keep + 1)``-th largest value subtracted.
            Default: 0.75.

    Returns:
        np.ndarray: Non-negative kernel summing to 1, same shape.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    values = np.sort(kernel.ravel())[::-1]
    floor = ratio * values[min(keep, values.size - 1)]
    kept = np.clip(kernel - floor, 0, None)
    if kept.sum() <= 0:
        raise ValueError('kernel has no positive mass left after zeroing negligible values')
    return kept / kept.sum()


def center_kernel(kernel: np.ndarray, tolerance: float = 0.05, max_rounds: int = 5) -> np.ndarray:
    """Shift a kernel so that its centre of mass is at the array centre.

    The shift is linear interpolation on a padded copy, which moves the centre
    of mass by exactly the shift and keeps the kernel non-negative; cropping
    back to the original size can cut a little mass off-centre, hence a few
    rounds.

    Args:
        kernel (np.ndarray): 2-D, odd-sized kernel with a positive sum.
        tolerance (float): Largest accepted distance (pixels) of the centre of
            mass from the centre, per axis. Default: 0.05.
        max_rounds (int): Maximum number of shift-and-crop rounds. Default: 5.

    Returns:
        np.ndarray: Kernel of the same shape, summing to 1.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    kernel = kernel / kernel.sum()
    target = (np.array(kernel.shape) - 1) / 2
    for _ in range(max_rounds):
        shift = target - np.array(kernel_center_of_mass(kernel))
        if np.all(np.abs(shift) <= tolerance):
            break
        pad = int(np.ceil(np.abs(shift).max())) + 1
        shifted = ndimage.shift(np.pad(kernel, pad), shift, order=1, mode='constant')
        kernel = shifted[pad:pad + kernel.shape[0], pad:pad + kernel.shape[1]]
        kernel = kernel / kernel.sum()
    return kernel


def compose_x4_kernel(kernel_x2: np.ndarray, size: Optional[int] = None) -> np.ndarray:
    """The x4 kernel of two successive "blur with ``k``, keep every 2nd pixel" steps.

    Blurring with ``k`` after subsampling by 2 equals blurring with ``k``
    dilated by 2 before it, so the two steps are one blur with
    ``k4 = k conv dilate2(k)`` followed by subsampling by 4. For a ``k x k``
    input the full result is ``(3k - 2) x (3k - 2)``.

    Args:
        kernel_x2 (np.ndarray): Square, odd-sized convolution kernel of one step.
        size (int, optional): Crop the result centrally to ``size x size`` (odd)
            and renormalise. None keeps the exact full composition. Default: None.

    Returns:
        np.ndarray: The x4 convolution kernel (float64).
    """
    kernel_x2 = np.asarray(kernel_x2, dtype=np.float64)
    k = kernel_x2.shape[0]
    full = np.zeros((3 * k - 2, 3 * k - 2))
    # k4[2i + j] += k[i] k[j]: each tap of the dilated copy places a scaled k.
    for r in range(k):
        for c in range(k):
            full[2 * r:2 * r + k, 2 * c:2 * c + k] += kernel_x2[r, c] * kernel_x2
    if size is None:
        return full
    if size % 2 == 0 or size > full.shape[0]:
        raise ValueError(f'crop size must be odd and at most {full.shape[0]}, got {size}')
    margin = (full.shape[0] - size) // 2
    cropped = full[margin:margin + size, margin:margin + size]
    return cropped / cropped.sum()


def postprocess_kernel(kernel_x2: np.ndarray, scale: int = 2, keep: int = 40) -> np.ndarray:
    """Turn the generator's raw x2 kernel into a pool kernel.

    Zero negligible values, centre, and for x4 compose the result with itself
    and crop it to ``2k - 1`` (as published), then centre again.

    Args:
        kernel_x2 (np.ndarray): Raw ``(k, k)`` convolution kernel of the generator.
        scale (int): 2 or 4. Default: 2.
        keep (int): See :func:`zero_negligible_values`. Default: 40.

    Returns:
        np.ndarray: float32, square, odd-sized, centred kernel summing to 1
        (13x13 for x2, 25x25 for x4 with the default generator).
    """
    if scale not in (2, 4):
        raise ValueError(f'scale must be 2 or 4, got {scale}')
    kernel = center_kernel(zero_negligible_values(kernel_x2, keep=keep))
    if scale == 4:
        kernel = center_kernel(compose_x4_kernel(kernel, size=2 * kernel.shape[0] - 1))
    kernel = kernel / kernel.sum()
    return kernel.astype(np.float32)
