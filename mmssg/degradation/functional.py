# Copyright (c) mmssg contributors. All rights reserved.
"""Small pure functions that degrade an HR image into an LR image (Eq. 1, 5, 6).

BasicSR-style building blocks composed by the transforms in
:mod:`mmssg.datasets.transforms`: Gaussian kernels, kernel validation, kernel
alignment to the x``s`` sampling grid, blur, stride down-sampling (of images
and of label maps), noise and quantisation.

Conventions:

- Images are ``(H, W)`` or ``(H, W, C)`` arrays on the 0-255 scale; the
  computations are done in float32.
- A kernel is a 2-D, square, odd-sized array that sums to 1. Blurring is a
  *true convolution* (the kernel is flipped) whose origin is the array centre,
  with ``reflect`` borders (``d c b a | a b c d``, i.e. ``cv2.BORDER_REFLECT``
  and ``scipy.ndimage.convolve(mode='reflect')``).
- Sampling grid: LR pixel ``i`` stands for the HR block ``[s*i, s*i + s)``,
  whose centre is the HR coordinate ``s*i + (s-1)/2``. :func:`align_kernel`
  moves a centred kernel by that sub-pixel offset once, after which
  :func:`blur_downsample` keeps every ``s``-th blurred pixel starting at 0.
"""
import math

import cv2
import numpy as np

#: Tolerance on ``|sum(kernel) - 1|`` accepted by :func:`validate_kernel`.
KERNEL_SUM_ATOL = 1e-3


def isotropic_gaussian_kernel(kernel_size=11, sigma=1.5):
    """A normalised isotropic Gaussian kernel centred in its array.

    Args:
        kernel_size (int): Odd side length of the kernel.
        sigma (float): Standard deviation in pixels.

    Returns:
        np.ndarray: ``(kernel_size, kernel_size)`` float32 kernel summing to 1.
    """
    return anisotropic_gaussian_kernel(kernel_size, sigma, sigma, 0.0)


def anisotropic_gaussian_kernel(kernel_size, sigma_x, sigma_y, theta=0.0):
    """A normalised anisotropic (rotated) Gaussian kernel centred in its array.

    Args:
        kernel_size (int): Odd side length of the kernel.
        sigma_x (float): Standard deviation along the first principal axis.
        sigma_y (float): Standard deviation along the second principal axis.
        theta (float): Rotation of the first principal axis from the x axis,
            in radians (counter-clockwise in array coordinates ``(x, y)``).

    Returns:
        np.ndarray: ``(kernel_size, kernel_size)`` float32 kernel summing to 1.
    """
    if sigma_x <= 0 or sigma_y <= 0:
        raise ValueError(f'sigmas must be positive, got sigma_x={sigma_x}, sigma_y={sigma_y}')
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    return gaussian_kernel_from_covariance(rot @ np.diag([sigma_x**2, sigma_y**2]) @ rot.T,
                                           kernel_size)


def gaussian_kernel_from_covariance(covariance, kernel_size):
    """A normalised Gaussian kernel with a given covariance, centred in its array.

    Args:
        covariance (np.ndarray): ``2 x 2`` symmetric positive-definite matrix in
            array coordinates ``(x, y)`` = (column, row), in pixels squared (the
            order of :func:`kernel_covariance`).
        kernel_size (int): Odd side length of the kernel.

    Returns:
        np.ndarray: ``(kernel_size, kernel_size)`` float32 kernel summing to 1.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd integer, got {kernel_size}')
    cov = np.asarray(covariance, dtype=np.float64)
    if cov.shape != (2, 2) or not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov)[0] <= 0:
        raise ValueError(f'covariance must be a symmetric positive-definite 2x2 matrix, got {cov}')
    radius = kernel_size // 2
    ax = np.arange(-radius, radius + 1, dtype=np.float64)
    xx, yy = np.meshgrid(ax, ax)  # xx varies along columns, yy along rows
    xy = np.stack([xx, yy], axis=-1)
    kernel = np.exp(-0.5 * np.einsum('...i,ij,...j->...', xy, np.linalg.inv(cov), xy))
    return (kernel / kernel.sum()).astype(np.float32)


def validate_kernel(kernel, source='kernel', atol=KERNEL_SUM_ATOL):
    """Check that ``kernel`` is a usable blur kernel and return it as float32.

    A kernel must be a 2-D, square, odd-sized array of finite numbers that
    sums to 1 within ``atol``.

    Args:
        kernel (np.ndarray): The candidate kernel.
        source (str): Where the kernel comes from (a file path, a config
            key); named in the error messages.
        atol (float): Accepted ``|sum - 1|``.

    Returns:
        np.ndarray: The kernel as a float32 array (not renormalised).

    Raises:
        ValueError: Naming ``source`` and the offending value.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f'{source}: a blur kernel must be 2-D, got shape {kernel.shape}')
    if kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f'{source}: a blur kernel must be square, got shape {kernel.shape}')
    if kernel.shape[0] % 2 == 0:
        raise ValueError(f'{source}: a blur kernel must have an odd size, got shape {kernel.shape}')
    if not np.issubdtype(kernel.dtype, np.number) or np.iscomplexobj(kernel):
        raise ValueError(f'{source}: a blur kernel must be real-valued, got dtype {kernel.dtype}')
    if not np.all(np.isfinite(kernel)):
        raise ValueError(f'{source}: a blur kernel must be finite, got '
                         f'{int(np.sum(~np.isfinite(kernel)))} non-finite values')
    total = float(np.sum(kernel, dtype=np.float64))
    if abs(total - 1.0) > atol:
        raise ValueError(
            f'{source}: a blur kernel must sum to 1 (tolerance {atol}), got sum {total:.6g}')
    return kernel.astype(np.float32)


def kernel_center_of_mass(kernel):
    """The ``(row, col)`` centre of mass of a kernel, in array coordinates."""
    kernel = np.asarray(kernel, dtype=np.float64)
    rows = np.arange(kernel.shape[0])
    cols = np.arange(kernel.shape[1])
    total = kernel.sum()
    return float(kernel.sum(axis=1) @ rows / total), float(kernel.sum(axis=0) @ cols / total)


def kernel_covariance(kernel):
    """The second-moment matrix of a kernel about its centre of mass.

    Args:
        kernel (np.ndarray): 2-D kernel with a positive sum (normalised here).

    Returns:
        np.ndarray: ``2 x 2`` float64 matrix in array coordinates ``(x, y)`` =
        (column, row), pixels squared: for a Gaussian kernel (not truncated), its
        covariance.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    kernel = kernel / kernel.sum()
    rows, cols = np.mgrid[:kernel.shape[0], :kernel.shape[1]]
    cy, cx = kernel_center_of_mass(kernel)
    dy, dx = rows - cy, cols - cx
    cxy = (kernel * dx * dy).sum()
    return np.array([[(kernel * dx * dx).sum(), cxy], [cxy, (kernel * dy * dy).sum()]])


def kernel_sigmas(kernel):
    """Standard deviations of a kernel along its principal axes, ``(minor, major)``.

    The square roots of the eigenvalues of :func:`kernel_covariance`: for an
    anisotropic Gaussian they are its two sigmas. Used to compare estimated kernels with
    a known blur.
    """
    minor, major = np.sqrt(np.clip(np.linalg.eigvalsh(kernel_covariance(kernel)), 0, None))
    return float(minor), float(major)


def _shift_1d_linear(kernel, shift, axis):
    """``out[t] = kernel[t + shift]`` along ``axis`` by linear interpolation.

    The kernel must be zero-padded enough that no mass leaves the array.
    """
    whole = int(math.floor(shift))
    frac = shift - whole
    src = np.moveaxis(kernel, axis, 0)
    out = np.zeros_like(src)
    n = src.shape[0]
    for offset, weight in ((whole, 1.0 - frac), (whole + 1, frac)):
        if weight == 0:
            continue
        lo, hi = max(0, -offset), min(n, n - offset)  # out[t] takes src[t + offset]
        out[lo:hi] += weight * src[lo + offset:hi + offset]
    return np.moveaxis(out, 0, axis)


def align_kernel(kernel, scale):
    """Move a centred kernel onto the x``scale`` sampling grid.

    A centred kernel blurs around each HR pixel; the LR pixel ``i`` must be the
    blur around the centre of its HR block, ``s*i + d`` with ``d = (s-1)/2``.
    Because blurring is a true convolution (``B[y] = sum_t k[t] X[y - (t - c)]``
    with ``c`` the array centre), the kernel is moved by ``-d`` along both axes:
    ``k'[t] = k[t + d]``, with linear interpolation for the fractional part.
    The array grows by ``ceil(d)`` zeros on every side first (so it stays odd,
    square and centred-origin and no mass is lost) and the result is
    renormalised to sum 1.

    For ``s = 4`` (``d = 1.5``) the result is the kernel convolved with the
    2x2 box ``[[.25, .25], [.25, .25]]`` and moved by one pixel, so a delta
    kernel gives ``LR[i, j] = mean(HR[4i+1:4i+3, 4j+1:4j+3])``. For odd ``s``
    the shift is an integer and the kernel is only moved, not blurred.

    Args:
        kernel (np.ndarray): A valid, centred kernel (see :func:`validate_kernel`).
        scale (int): The down-sampling factor ``s``.

    Returns:
        np.ndarray: The aligned float32 kernel, of size ``K + 2*ceil((s-1)/2)``.
    """
    if int(scale) != scale or scale < 1:
        raise ValueError(f'scale must be a positive integer, got {scale}')
    kernel = np.asarray(kernel, dtype=np.float64)
    shift = (scale - 1) / 2
    pad = int(math.ceil(shift))
    if pad == 0:
        return kernel.astype(np.float32)
    out = np.pad(kernel, pad)
    out = _shift_1d_linear(out, shift, axis=0)
    out = _shift_1d_linear(out, shift, axis=1)
    return (out / out.sum()).astype(np.float32)


def drop_alpha(image, name='image'):
    """An ``(H, W)`` or ``(H, W, C)`` image as an array, its alpha channel dropped.

    Args:
        image (np.ndarray): The image; C must be 1, 3 or 4.
        name (str): How to name the image in error messages. Default: 'image'.

    Raises:
        ValueError: Another shape, naming the image and its shape.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] in (1, 3, 4):
        image = image[..., :3]
    elif image.ndim != 2:
        raise ValueError(f'{name}: expected an (H, W) or (H, W, C) image with C in '
                         f'{{1, 3, 4}}, got shape {image.shape}')
    return image


def _as_float32(img):
    img = np.asarray(img)
    return img if img.dtype == np.float32 else img.astype(np.float32)


def blur(img, kernel):
    """True convolution of ``img`` with ``kernel`` (origin at the kernel centre).

    Args:
        img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` image.
        kernel (np.ndarray): Odd-sized 2-D kernel.

    Returns:
        np.ndarray: The float32 blurred image, same shape, ``reflect`` borders.
    """
    img = _as_float32(img)
    kernel = np.ascontiguousarray(np.asarray(kernel, dtype=np.float32)[::-1, ::-1])
    if img.ndim == 3 and img.shape[2] > 4:  # cv2.filter2D takes at most 4 channels
        return np.stack([blur(img[..., c], kernel[::-1, ::-1]) for c in range(img.shape[2])],
                        axis=-1)
    out = cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT)
    return out.reshape(img.shape)


def downsample(img, scale):
    """Keep every ``scale``-th pixel starting at 0: ``img[::s, ::s]``."""
    return img[::scale, ::scale]


def downsample_labels(seg, scale):
    """Nearest-neighbour down-sampling of a label map onto the LR grid.

    LR pixel ``i`` takes the HR label at ``s*i + s//2``: the pixel nearest to
    the block centre ``s*i + (s-1)/2`` (exactly the centre for odd ``s``; for
    even ``s`` the lower-right of the two central pixels, as PIL's NEAREST and
    torch's ``nearest-exact`` do). Labels are never interpolated, so the output
    holds only values of the input.

    Args:
        seg (np.ndarray): ``(H, W)`` label map.
        scale (int): The down-sampling factor ``s``.

    Returns:
        np.ndarray: ``(ceil((H - s//2) / s), ...)`` label map, same dtype.
    """
    return np.ascontiguousarray(seg[scale // 2::scale, scale // 2::scale])


def blur_downsample(img, kernel, scale):
    """``downsample(blur(img, kernel), scale)``, computed at the kept pixels only.

    The kernel is split into its ``s*s`` polyphase components so that the
    output costs ``K*K`` multiply-adds per LR pixel and channel instead of per
    HR pixel (16x less work at x4). All-zero border rows/columns of the kernel
    (as left by :func:`align_kernel`) are skipped.

    Args:
        img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` image.
        kernel (np.ndarray): Odd-sized 2-D kernel (origin at its centre).
        scale (int): The down-sampling factor ``s``.

    Returns:
        np.ndarray: float32 ``(ceil(H/s), ceil(W/s)[, C])`` image.
    """
    img = _as_float32(img)
    if img.ndim == 3 and img.shape[2] > 4:
        return np.stack([blur_downsample(img[..., c], kernel, scale) for c in range(img.shape[2])],
                        axis=-1)
    s = int(scale)
    corr = np.asarray(kernel, dtype=np.float32)[::-1, ::-1]  # correlation taps
    centre = corr.shape[0] // 2
    rows = np.flatnonzero(np.any(corr != 0, axis=1))
    cols = np.flatnonzero(np.any(corr != 0, axis=0))
    if rows.size == 0:
        raise ValueError('blur_downsample: the kernel is all zeros')
    corr = corr[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    # LR[i] = sum_u corr[u] * X[s*i + u + start], X reflected outside the image.
    start_y, start_x = rows[0] - centre, cols[0] - centre
    H, W = img.shape[:2]
    h, w = -(-H // s), -(-W // s)
    taps_y, taps_x = -(-corr.shape[0] // s), -(-corr.shape[1] // s)
    pad_top, pad_left = max(0, -start_y), max(0, -start_x)
    need_h = s * (h + taps_y) + start_y + pad_top  # rows of the padded image read
    need_w = s * (w + taps_x) + start_x + pad_left
    pad_bottom, pad_right = max(0, need_h - pad_top - H), max(0, need_w - pad_left - W)
    padded = cv2.copyMakeBorder(img, pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_REFLECT)
    padded = padded.reshape(padded.shape[:2] + img.shape[2:])
    oy, ox = start_y + pad_top, start_x + pad_left
    out = np.zeros((h, w) + img.shape[2:], np.float32)
    for a in range(min(s, corr.shape[0])):
        for b in range(min(s, corr.shape[1])):
            taps = np.ascontiguousarray(corr[a::s, b::s])
            if not taps.any():
                continue
            phase = padded[oy + a::s, ox + b::s][:h + taps.shape[0] - 1, :w + taps.shape[1] - 1]
            res = cv2.filter2D(
                np.ascontiguousarray(phase),
                -1,
                taps,
                anchor=(0, 0),
                borderType=cv2.BORDER_CONSTANT)
            out += res.reshape(phase.shape)[:h, :w]
    return out


def gaussian_noise(shape, sigma, rng=None):
    """Zero-mean Gaussian noise, float32.

    Args:
        shape (tuple): Output shape.
        sigma (float): Standard deviation (0-255 scale).
        rng (np.random.Generator | np.random.RandomState | None): Source of
            randomness; ``None`` uses numpy's global state (as mmcv transforms
            do, so that mmengine's per-worker seeding applies).

    Returns:
        np.ndarray: float32 noise of ``shape``.
    """
    rng = np.random if rng is None else rng
    return (rng.standard_normal(shape) * sigma).astype(np.float32)


def crop_noise(noise_patch, height, width, top, left):
    """The ``height x width`` window of ``noise_patch`` at ``(top, left)``."""
    ph, pw = noise_patch.shape[:2]
    if top < 0 or left < 0 or top + height > ph or left + width > pw:
        raise ValueError(
            f'crop {height}x{width} at ({top}, {left}) does not fit a {ph}x{pw} noise patch')
    return noise_patch[top:top + height, left:left + width]


def add_noise(img, noise):
    """``img + noise`` in float32; the shapes must match exactly."""
    if img.shape != noise.shape:
        raise ValueError(f'noise of shape {noise.shape} does not match the image shape {img.shape}')
    return _as_float32(img) + noise.astype(np.float32, copy=False)


def quantize(img, round_values=True):
    """Clip to [0, 255] and (optionally) round, as an 8-bit camera would.

    Args:
        img (np.ndarray): Image on the 0-255 scale.
        round_values (bool): Round to integers (half to even, as ``np.rint``).

    Returns:
        np.ndarray: float32 image.
    """
    out = np.clip(_as_float32(img), 0, 255)
    return np.rint(out, out=out) if round_values else out
