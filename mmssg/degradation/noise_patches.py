# Copyright (c) mmssg contributors. All rights reserved.
"""The noise-window test of section 3.2 (Eq. 2-4) and the cutting out of noise patches.

A patch ``p`` of size ``P`` slides over a real LR image; sub-patches ``q`` of
size ``q`` scan ``p``. ``p`` is a noise patch when, for every ``q``,

- ``|Mean(q) - Mean(p)| <= mu * Mean(p)``     (Eq. 2)
- ``|Var(q) - Var(p)| <= gamma * Var(p)``      (Eq. 3)

and ``Var(p) >= phi`` (Eq. 4, rejects saturated, flat patches). The paper
uses ``P`` = the LR training patch (128), ``q`` = 32, ``mu`` = 0.1,
``gamma`` = 0.3, ``phi`` = 0.5 (0-255 scale); :class:`NoiseCriteria` holds
these settings.

Choices made here:

- **Strides.** ``p`` slides with stride ``P // 2`` and ``q`` scans ``p`` with
  stride ``q`` (non-overlapping sub-patches), the settings of GCBD (Chen et
  al. 2018, the paper's reference [6]). Windows start at 0; the last rows or
  columns that do not fill a whole window are not scanned.
- **Colour.** Mean and variance are taken per channel; a patch is kept only
  when all three channels pass all three conditions. The stored patch keeps
  its colour noise (each channel minus its own mean).
- **Statistics.** Mean and (population) variance of each window come from
  integral images, evaluated at all ``(p, q)`` window pairs at once with fancy
  indexing: no Python loop over windows. The integral images are taken on the
  grid of ``g x g`` blocks, ``g = gcd(P, q, strides)`` (32 with the defaults),
  from block sums of ``x`` and ``x**2`` (exact integer sums for 8-bit
  images); ``g = 1`` falls back to ``cv2.integral2``. The tests hold a
  straightforward loop over windows to check it against.
"""
import math
import numbers
from dataclasses import asdict, dataclass
from typing import NamedTuple, Optional

import cv2
import numpy as np


@dataclass(frozen=True)
class NoiseCriteria:
    """Window sizes, strides and tolerances of the noise-window test (Eq. 2-4).

    Args:
        patch_size (int): ``P``, side of ``p`` (the LR training patch). Default: 128.
        sub_size (int): ``q``, side of ``q``; at most ``P``. Default: 32.
        stride (int | None): Stride of ``p``. Default: ``P // 2``.
        sub_stride (int | None): Stride of ``q`` inside ``p``. Default: ``q``.
        mu (float): Mean tolerance of Eq. 2. Default: 0.1.
        gamma (float): Variance tolerance of Eq. 3. Default: 0.3.
        phi (float): Minimum variance of Eq. 4, 0-255 scale. Default: 0.5.

    The strides left as None are filled in, so ``NoiseCriteria(64).stride == 32``.
    """
    patch_size: int = 128
    sub_size: int = 32
    stride: Optional[int] = None
    sub_stride: Optional[int] = None
    mu: float = 0.1
    gamma: float = 0.3
    phi: float = 0.5

    def __post_init__(self):
        self._set('patch_size', _positive_int('patch_size', self.patch_size))
        self._set('sub_size', _positive_int('sub_size', self.sub_size))
        if self.sub_size > self.patch_size:
            raise ValueError(
                f'sub_size ({self.sub_size}) must not exceed patch_size ({self.patch_size})')
        stride = self.patch_size // 2 if self.stride is None else self.stride
        sub_stride = self.sub_size if self.sub_stride is None else self.sub_stride
        self._set('stride', _positive_int('stride', stride))
        self._set('sub_stride', _positive_int('sub_stride', sub_stride))
        for name in ('mu', 'gamma', 'phi'):
            value = getattr(self, name)
            if (not isinstance(value, numbers.Real) or isinstance(value, bool)
                    or not math.isfinite(value) or value < 0):
                raise ValueError(f'{name} must be a finite number >= 0, got {value!r}')
            self._set(name, float(value))

    def _set(self, name, value):
        object.__setattr__(self, name, value)  # the dataclass is frozen

    def as_dict(self):
        """The settings as a plain dict (for summaries)."""
        return asdict(self)


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f'{name} must be a positive integer, got {value!r}')
    return int(value)


class NoiseWindows(NamedTuple):
    """The windows ``p`` that passed Eq. 2-4, in row-major order.

    Attributes:
        corners (np.ndarray): ``(N, 2)`` int64 ``(row, col)`` top-left corners.
        means (np.ndarray): ``(N, C)`` float64 per-channel means.
        variances (np.ndarray): ``(N, C)`` float64 per-channel population variances.
    """
    corners: np.ndarray
    means: np.ndarray
    variances: np.ndarray


def _uniform(mean_p, var_p, mean_q, var_q, criteria):
    """Eq. 2-4 on broadcastable per-channel statistics; ``q`` on axes -3, -2."""
    mean_ok = np.abs(mean_q - mean_p[..., None, None, :]) <= (
        criteria.mu * mean_p[..., None, None, :])
    var_ok = np.abs(var_q - var_p[..., None, None, :]) <= criteria.gamma * var_p[..., None, None, :]
    per_channel = mean_ok.all(axis=(-3, -2)) & var_ok.all(axis=(-3, -2)) & (var_p >= criteria.phi)
    return per_channel.all(axis=-1)


def _integral_images(img, unit):
    """Integral images of ``x`` and ``x**2`` on a grid of ``unit x unit`` pixel blocks.

    ``out[i, j]`` is the sum over pixels ``[0, unit*i) x [0, unit*j)``, shape
    ``(H//unit + 1, W//unit + 1, C)``, float64 (exact for 8-bit images). With
    ``unit > 1`` only block sums are formed (integer arithmetic for uint8),
    far cheaper than a full-resolution integral image.
    """
    H, W, C = img.shape
    if unit == 1:
        src = img if img.dtype in (np.uint8, np.float32, np.float64) else img.astype(np.float64)
        sums, sqsums = cv2.integral2(src, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
        return sums.reshape(H + 1, W + 1, C), sqsums.reshape(H + 1, W + 1, C)
    hb, wb = H // unit, W // unit
    x = img[:hb * unit, :wb * unit].reshape(hb, unit, wb * unit * C)
    # Sum each band of `unit` rows (contiguous inner loops), in integers for
    # uint8: the narrowest accumulator that cannot overflow.
    if x.dtype == np.uint8:
        acc = np.uint16 if unit * 255 <= np.iinfo(np.uint16).max else np.uint32
        sq_acc = np.uint32 if unit * 255**2 <= np.iinfo(np.uint32).max else np.uint64
        row_sums = x.sum(axis=1, dtype=acc)
        row_sqsums = np.square(x, dtype=np.uint16).sum(axis=1, dtype=sq_acc)
    else:
        x = x.astype(np.float64)
        row_sums, row_sqsums = x.sum(axis=1), np.square(x).sum(axis=1)
    # Then the `unit` columns of each block, per channel, as a product with a
    # 0/1 matrix (exact in float64): numpy reduces a 3-long channel axis slowly.
    gather = np.tile(np.eye(C), (unit, 1))
    grids = []
    for rows in (row_sums, row_sqsums):
        blocks = (rows.reshape(hb * wb, unit * C).astype(np.float64) @ gather).reshape(hb, wb, C)
        integral = np.zeros((hb + 1, wb + 1, C), np.float64)
        integral[1:, 1:] = blocks.cumsum(axis=0).cumsum(axis=1)
        grids.append(integral)
    return grids[0], grids[1]


def find_noise_windows(img, criteria=None):
    """The windows ``p`` of one image that pass Eq. 2-4, with their statistics.

    Args:
        img (np.ndarray): ``(H, W, C)`` image, 0-255 scale (uint8 or float).
        criteria (NoiseCriteria, optional): Default: the paper's settings.

    Returns:
        NoiseWindows: Corners, per-channel means and variances of the kept
        windows (none when the image is smaller than ``P``).
    """
    criteria = criteria or NoiseCriteria()
    img = np.asarray(img)
    if img.ndim != 3:
        raise ValueError(f'expected an (H, W, C) image, got shape {img.shape}')
    H, W, C = img.shape
    P, q = criteria.patch_size, criteria.sub_size
    if H < P or W < P:
        return NoiseWindows(np.zeros((0, 2), np.int64), np.zeros((0, C)), np.zeros((0, C)))
    # Every window is a union of unit x unit blocks on the grid starting at 0.
    unit = math.gcd(math.gcd(P, q), math.gcd(criteria.stride, criteria.sub_stride))
    sums, sqsums = _integral_images(img, unit)

    def window_stats(y, x, size):  # y, x, size in pixels, multiples of unit
        y0, x0, y1, x1 = y // unit, x // unit, (y + size) // unit, (x + size) // unit
        n = float(size * size)
        s = sums[y1, x1] - sums[y0, x1] - sums[y1, x0] + sums[y0, x0]
        s2 = sqsums[y1, x1] - sqsums[y0, x1] - sqsums[y1, x0] + sqsums[y0, x0]
        mean = s / n
        return mean, s2 / n - mean * mean

    py = np.arange(0, H - P + 1, criteria.stride)
    px = np.arange(0, W - P + 1, criteria.stride)
    qo = np.arange(0, P - q + 1, criteria.sub_stride)
    # p on axes (0, 1), q offsets on axes (2, 3), channels last.
    mean_p, var_p = window_stats(py[:, None], px[None, :], P)
    qy = py[:, None, None, None] + qo[None, None, :, None]
    qx = px[None, :, None, None] + qo[None, None, None, :]
    mean_q, var_q = window_stats(qy, qx, q)
    rows, cols = np.nonzero(_uniform(mean_p, var_p, mean_q, var_q, criteria))
    corners = np.stack([py[rows], px[cols]], axis=1).astype(np.int64)
    return NoiseWindows(corners, mean_p[rows, cols], var_p[rows, cols])


def noise_patch_positions(img, criteria=None):
    """Top-left corners of the noise patches of one image (vectorised).

    Args:
        img (np.ndarray): ``(H, W, C)`` image, 0-255 scale (uint8 or float).
        criteria (NoiseCriteria, optional): Default: the paper's settings.

    Returns:
        np.ndarray: ``(N, 2)`` int64 ``(row, col)`` corners, row-major order.
    """
    return find_noise_windows(img, criteria).corners


# Depths cv2.subtract reads; it takes a per-channel scalar for up to 4 channels.
_CV2_DEPTHS = (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)


def _check_corners(img, positions, size):
    outside = (positions < 0).any(axis=1) | (positions[:, 0] > img.shape[0] - size) | (
        positions[:, 1] > img.shape[1] - size)
    if outside.any():
        raise ValueError(f'patch corner {positions[outside][0].tolist()} (row, col) puts a '
                         f'{size}x{size} patch outside the {img.shape[1]}x{img.shape[0]} image')


def subtract_patch_mean(patch, mean, out=None):
    """``patch - mean`` per channel, as float32: how every stored noise patch is made.

    The one place where pixels become a noise patch, used when patches are cut
    out (:func:`extract_noise_patches`) and when a compact pool rebuilds them
    (:mod:`mmssg.degradation.pools.noise_files`), so both give the same bits.
    cv2 subtracts the mean (rounded to float32) from the pixels (converted to
    float32) in float32; numpy broadcasting a ``(C,)`` mean loops over the
    C-long last axis, which is slower. cv2 reads native byte order only.

    Args:
        patch (np.ndarray): ``(P, Q, C)`` pixels.
        mean (Sequence[float]): ``C`` per-channel means.
        out (np.ndarray, optional): ``(P, Q, C)`` float32 array to write into.

    Returns:
        np.ndarray: ``(P, Q, C)`` float32.
    """
    rows, cols, channels = patch.shape
    out = np.empty(patch.shape, np.float32) if out is None else out
    if channels <= 4 and patch.dtype.type in _CV2_DEPTHS and patch.dtype.isnative:
        scalar = tuple(float(m) for m in mean) + (0., ) * (4 - channels)
        cv2.subtract(patch, scalar, dst=out, dtype=cv2.CV_32F)
    else:
        row = np.tile(np.asarray(mean, np.float32), cols)
        np.subtract(
            patch.reshape(rows, cols * channels),
            row,
            out=out.reshape(rows, cols * channels),
            dtype=np.float32)
    return out


def extract_noise_patches(img, positions, patch_size, means=None):
    """Cut patches at ``positions`` and subtract each channel's mean.

    Args:
        img (np.ndarray): ``(H, W, C)`` image.
        positions (np.ndarray): ``(N, 2)`` top-left corners.
        patch_size (int): Side of the patches.
        means (np.ndarray | None): ``(N, C)`` per-channel means of the
            patches if already known; computed otherwise.

    Returns:
        np.ndarray: ``(N, P, P, C)`` float32 zero-mean patches.
    """
    img = np.asarray(img)
    P, C = patch_size, img.shape[2]
    positions = np.asarray(positions, np.int64).reshape(-1, 2)
    _check_corners(img, positions, P)
    out = np.empty((len(positions), P, P, C), np.float32)
    use_cv2 = C <= 4 and img.dtype.type in _CV2_DEPTHS and img.dtype.isnative
    for n, (y, x) in enumerate(positions):  # loop over kept patches only
        patch = img[y:y + P, x:x + P]
        if means is not None:
            mean = means[n]
        elif use_cv2:
            mean = cv2.mean(patch)[:C]
        else:
            mean = patch.mean(axis=(0, 1), dtype=np.float64)
        subtract_patch_mean(patch, mean, out=out[n])
    return out


def collect_noise_patches(img, criteria=None):
    """The zero-mean noise patches of one image (Eq. 2-4).

    Args:
        img (np.ndarray): ``(H, W, C)`` image, 0-255 scale (uint8 or float).
        criteria (NoiseCriteria, optional): Default: the paper's settings.

    Returns:
        np.ndarray: ``(N, P, P, C)`` float32 patches, channel order of ``img``.
    """
    criteria = criteria or NoiseCriteria()
    windows = find_noise_windows(img, criteria)
    return extract_noise_patches(img, windows.corners, criteria.patch_size, windows.means)
