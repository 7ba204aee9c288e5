# Copyright (c) mmssg contributors. All rights reserved.
"""Noise-patch pool (section 3.2, Eq. 2-4) and the loaders of both degradation pools.

A patch ``p`` of size ``P`` slides over a real LR image; sub-patches ``q`` of
size ``q`` scan ``p``. ``p`` is a noise patch when, for every ``q``,

- ``|Mean(q) - Mean(p)| <= mu * Mean(p)``     (Eq. 2)
- ``|Var(q) - Var(p)| <= gamma * Var(p)``      (Eq. 3)

and ``Var(p) >= phi`` (Eq. 4, rejects saturated, flat patches). The paper
uses ``P`` = the LR training patch (128), ``q`` = 32, ``mu`` = 0.1,
``gamma`` = 0.3, ``phi`` = 0.5 (0-255 scale).

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
  images); ``g = 1`` falls back to ``cv2.integral2``.
  :func:`noise_patch_positions_reference` is the straightforward loop used to
  test and benchmark it.

Pool on disk: one ``<image_stem>.npy`` per source image that gave at least one
patch, shape ``(N, P, P, 3)``, float32, RGB, mean-subtracted per channel (not
clipped), and ``summary.json``.
"""
import json
import math
import os
import os.path as osp
import warnings
from concurrent.futures import ProcessPoolExecutor
from typing import List, NamedTuple

import cv2
import numpy as np

from ..utils.images import IMG_EXTENSIONS, list_images
from .functional import kernel_center_of_mass, validate_kernel



def _check_params(img, patch_size, sub_size, stride, sub_stride):
    if img.ndim != 3:
        raise ValueError(f'expected an (H, W, C) image, got shape {img.shape}')
    stride = patch_size // 2 if stride is None else stride
    sub_stride = sub_size if sub_stride is None else sub_stride
    for name, value in (('patch_size', patch_size), ('sub_size', sub_size), ('stride', stride),
                        ('sub_stride', sub_stride)):
        if int(value) != value or value < 1:
            raise ValueError(f'{name} must be a positive integer, got {value}')
    if sub_size > patch_size:
        raise ValueError(f'sub_size ({sub_size}) must not exceed patch_size ({patch_size})')
    return int(stride), int(sub_stride)


def _uniform(mean_p, var_p, mean_q, var_q, mu, gamma, phi):
    """Eq. 2-4 on broadcastable per-channel statistics; ``q`` on axes -3, -2."""
    mean_ok = np.abs(mean_q - mean_p[..., None, None, :]) <= mu * mean_p[..., None, None, :]
    var_ok = np.abs(var_q - var_p[..., None, None, :]) <= gamma * var_p[..., None, None, :]
    per_channel = mean_ok.all(axis=(-3, -2)) & var_ok.all(axis=(-3, -2)) & (var_p >= phi)
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


def _find_noise_patches(img, patch_size, sub_size, stride, sub_stride, mu, gamma, phi):
    """Corners, per-channel means and variances of the kept patches.

    See :func:`noise_patch_positions`. Returns ``(N, 2)`` int64 corners and
    ``(N, C)`` float64 means and population variances.
    """
    img = np.asarray(img)
    stride, sub_stride = _check_params(img, patch_size, sub_size, stride, sub_stride)
    H, W, C = img.shape
    if H < patch_size or W < patch_size:
        return np.zeros((0, 2), np.int64), np.zeros((0, C)), np.zeros((0, C))
    # Every window is a union of unit x unit blocks on the grid starting at 0.
    unit = math.gcd(math.gcd(patch_size, sub_size), math.gcd(stride, sub_stride))
    sums, sqsums = _integral_images(img, unit)

    def window_stats(y, x, size):  # y, x, size in pixels, multiples of unit
        y0, x0, y1, x1 = y // unit, x // unit, (y + size) // unit, (x + size) // unit
        n = float(size * size)
        s = sums[y1, x1] - sums[y0, x1] - sums[y1, x0] + sums[y0, x0]
        s2 = sqsums[y1, x1] - sqsums[y0, x1] - sqsums[y1, x0] + sqsums[y0, x0]
        mean = s / n
        return mean, s2 / n - mean * mean

    py = np.arange(0, H - patch_size + 1, stride)
    px = np.arange(0, W - patch_size + 1, stride)
    qo = np.arange(0, patch_size - sub_size + 1, sub_stride)
    # p on axes (0, 1), q offsets on axes (2, 3), channels last.
    mean_p, var_p = window_stats(py[:, None], px[None, :], patch_size)
    qy = py[:, None, None, None] + qo[None, None, :, None]
    qx = px[None, :, None, None] + qo[None, None, None, :]
    mean_q, var_q = window_stats(qy, qx, sub_size)
    keep = _uniform(mean_p, var_p, mean_q, var_q, mu, gamma, phi)
    rows, cols = np.nonzero(keep)
    corners = np.stack([py[rows], px[cols]], axis=1).astype(np.int64)
    return corners, mean_p[rows, cols], var_p[rows, cols]


def noise_patch_positions(img,
                          patch_size=128,
                          sub_size=32,
                          stride=None,
                          sub_stride=None,
                          mu=0.1,
                          gamma=0.3,
                          phi=0.5):
    """Top-left corners of the noise patches of one image (vectorised).

    Args:
        img (np.ndarray): ``(H, W, C)`` image, 0-255 scale (uint8 or float).
        patch_size (int): ``P``, side of ``p``. Default: 128.
        sub_size (int): ``q``, side of ``q``. Default: 32.
        stride (int | None): Stride of ``p``. Default: ``P // 2``.
        sub_stride (int | None): Stride of ``q`` inside ``p``. Default: ``q``.
        mu (float): Mean tolerance of Eq. 2. Default: 0.1.
        gamma (float): Variance tolerance of Eq. 3. Default: 0.3.
        phi (float): Minimum variance of Eq. 4. Default: 0.5.

    Returns:
        np.ndarray: ``(N, 2)`` int64 ``(row, col)`` corners, row-major order.
    """
    return _find_noise_patches(img, patch_size, sub_size, stride, sub_stride, mu, gamma, phi)[0]


def noise_patch_positions_reference(img,
                                    patch_size=128,
                                    sub_size=32,
                                    stride=None,
                                    sub_stride=None,
                                    mu=0.1,
                                    gamma=0.3,
                                    phi=0.5):
    """Loop-over-windows version of :func:`noise_patch_positions` (for tests).

    Every ``p`` and every ``q`` inside it is cut out and measured with
    ``np.mean`` / ``np.var``; the conditions are checked literally, window by
    window, channel by channel. Same arguments and result.
    """
    img = np.asarray(img)
    stride, sub_stride = _check_params(img, patch_size, sub_size, stride, sub_stride)
    H, W, C = img.shape
    kept = []
    for y in range(0, H - patch_size + 1, stride):
        for x in range(0, W - patch_size + 1, stride):
            p = img[y:y + patch_size, x:x + patch_size].astype(np.float64)
            ok = True
            for c in range(C):
                mean_p, var_p = np.mean(p[..., c]), np.var(p[..., c])
                ok &= bool(var_p >= phi)
                for j in range(0, patch_size - sub_size + 1, sub_stride):
                    for i in range(0, patch_size - sub_size + 1, sub_stride):
                        q = p[j:j + sub_size, i:i + sub_size, c]
                        ok &= bool(abs(np.mean(q) - mean_p) <= mu * mean_p)
                        ok &= bool(abs(np.var(q) - var_p) <= gamma * var_p)
            if ok:
                kept.append((y, x))
    return np.array(kept, np.int64).reshape(-1, 2)


# Depths cv2.subtract reads; it takes a per-channel scalar for up to 4 channels.
_CV2_DEPTHS = (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)


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
    outside = (positions < 0).any(axis=1) | (positions[:, 0] > img.shape[0] - P) | (
        positions[:, 1] > img.shape[1] - P)
    if outside.any():
        raise ValueError(f'patch corner {positions[outside][0].tolist()} (row, col) puts a '
                         f'{P}x{P} patch outside the {img.shape[0]}x{img.shape[1]} image')
    out = np.empty((len(positions), P, P, C), np.float32)
    # numpy broadcasting a (C,) mean loops over the C-long last axis, about 4x
    # slower here than cv2's vectorised scalar subtraction (or numpy on rows).
    # cv2 reads native byte order only.
    use_cv2 = C <= 4 and img.dtype.type in _CV2_DEPTHS and img.dtype.isnative
    for n, (y, x) in enumerate(positions):  # loop over kept patches only
        patch = img[y:y + P, x:x + P]
        if means is not None:
            mean = means[n]
        elif use_cv2:
            mean = cv2.mean(patch)[:C]
        else:
            mean = patch.mean(axis=(0, 1), dtype=np.float64)
        if use_cv2:
            scalar = tuple(float(m) for m in mean) + (0.,) * (4 - C)
            cv2.subtract(patch, scalar, dst=out[n].reshape(P, P, C), dtype=cv2.CV_32F)
        else:
            row = np.tile(np.asarray(mean, np.float32), P)
            np.subtract(patch.reshape(P, P * C), row, out=out[n].reshape(P, P * C),
                        dtype=np.float32)
    return out


def collect_noise_patches(img,
                          patch_size=128,
                          sub_size=32,
                          stride=None,
                          sub_stride=None,
                          mu=0.1,
                          gamma=0.3,
                          phi=0.5):
    """The zero-mean noise patches of one image (Eq. 2-4).

    Args: see :func:`noise_patch_positions`.

    Returns:
        np.ndarray: ``(N, P, P, C)`` float32 patches, channel order of ``img``.
    """
    positions, means, _ = _find_noise_patches(img, patch_size, sub_size, stride, sub_stride, mu,
                                              gamma, phi)
    return extract_noise_patches(img, positions, patch_size, means)


# ----------------------------------------------------------------------------- folder tool


def _collect_one(args):
    """Worker: read one image (as RGB), collect its patches, save ``<stem>.npy``."""
    path, out_dir, params = args
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        return dict(path=path, ok=False, count=0, stds=[])
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    positions, means, variances = _find_noise_patches(img, **params)
    if len(positions):
        patches = extract_noise_patches(img, positions, params['patch_size'], means)
        np.save(osp.join(out_dir, osp.splitext(osp.basename(path))[0] + '.npy'), patches)
    # A zero-mean patch's RMS over pixels and channels, from the window statistics.
    stds = np.sqrt(variances.mean(axis=1))
    return dict(path=path, ok=True, count=int(len(positions)), stds=stds.tolist())


def _std_distribution(stds, bins=20):
    stds = np.asarray(stds, np.float64)
    if stds.size == 0:
        return dict(count=0)
    counts, edges = np.histogram(stds, bins=bins)
    pct = (1, 5, 25, 50, 75, 95, 99)
    return dict(
        count=int(stds.size),
        mean=float(stds.mean()),
        min=float(stds.min()),
        max=float(stds.max()),
        percentiles={
            str(p): float(v)
            for p, v in zip(pct, np.percentile(stds, pct))
        },
        histogram=dict(bin_edges=edges.tolist(), counts=counts.tolist()))


def collect_noise_pool(src_dir,
                       out_dir,
                       patch_size=128,
                       sub_size=32,
                       stride=None,
                       sub_stride=None,
                       mu=0.1,
                       gamma=0.3,
                       phi=0.5,
                       workers=1,
                       progress=True):
    """Build a noise pool from every image under ``src_dir``.

    Images are processed in parallel (a process pool of ``workers``; 1 runs
    in-process) with a tqdm progress bar. Unreadable images are skipped and
    listed in the summary. Images that give no patch get no ``.npy`` file.

    Args:
        src_dir (str): Folder of real LR images (searched recursively).
        out_dir (str): Pool folder to write; created if needed.
        patch_size, sub_size, stride, sub_stride, mu, gamma, phi: See
            :func:`noise_patch_positions`.
        workers (int): Number of processes. Default: 1.
        progress (bool): Show a tqdm bar. Default: True.

    Returns:
        dict: The summary, also written to ``out_dir/summary.json``.
    """
    from tqdm import tqdm

    if not osp.isdir(src_dir):
        raise FileNotFoundError(f'source folder of real LR images not found: {src_dir}')
    files = [osp.join(src_dir, name) for name in list_images(src_dir)]
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {src_dir}')
    stems = {}
    for f in files:
        stems.setdefault(osp.splitext(osp.basename(f))[0], []).append(f)
    clashes = {s: fs for s, fs in stems.items() if len(fs) > 1}
    if clashes:
        raise ValueError(f'images under {src_dir} share file stems, the pool would mix them: '
                         f'{dict(list(clashes.items())[:5])}')
    if osp.abspath(out_dir) == osp.abspath(src_dir):
        raise ValueError(f'out_dir must differ from src_dir, got {out_dir}')
    stride_, sub_stride_ = _check_params(
        np.zeros((1, 1, 3)), patch_size, sub_size, stride, sub_stride)
    params = dict(
        patch_size=patch_size,
        sub_size=sub_size,
        stride=stride_,
        sub_stride=sub_stride_,
        mu=mu,
        gamma=gamma,
        phi=phi)
    os.makedirs(out_dir, exist_ok=True)
    jobs = [(f, out_dir, params) for f in files]
    results = []
    bar = tqdm(total=len(jobs), desc='noise patches', unit='img', disable=not progress)
    if workers <= 1:
        for job in jobs:
            results.append(_collect_one(job))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for res in pool.map(_collect_one, jobs, chunksize=1):
                results.append(res)
                bar.update()
    bar.close()
    read = [r for r in results if r['ok']]
    stds = [s for r in read for s in r['stds']]
    summary = dict(
        src_dir=osp.abspath(src_dir),
        images_found=len(files),
        images_read=len(read),
        images_with_patches=sum(1 for r in read if r['count']),
        skipped_unreadable=[r['path'] for r in results if not r['ok']],
        patches_kept=len(stds),
        patches_per_image={osp.splitext(osp.basename(r['path']))[0]: r['count']
                           for r in read},
        parameters=dict(
            params, color='all three channels must pass', layout='(N, P, P, 3) float32 RGB'),
        patch_std=_std_distribution(stds))
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary


# ----------------------------------------------------------------------------- loaders


class KernelPool(NamedTuple):
    """Validated kernels of a kernel-pool folder, in file-name order."""
    kernels: List[np.ndarray]
    names: List[str]
    root: str


class NoisePool(NamedTuple):
    """Memory-mapped noise arrays of a noise-pool folder, in file-name order."""
    arrays: List[np.ndarray]
    names: List[str]
    counts: np.ndarray
    patch_size: int
    root: str


def _npy_files(pool_dir, what):
    if not osp.isdir(pool_dir):
        raise FileNotFoundError(f'{what} pool folder not found: {pool_dir}')
    files = sorted(f for f in os.listdir(pool_dir) if f.endswith('.npy'))
    if not files:
        raise FileNotFoundError(f'{what} pool folder {pool_dir} holds no .npy files')
    return files


def load_kernel_pool(kernel_dir, center_tol=0.5):
    """Load and validate every ``*.npy`` kernel of a kernel-pool folder.

    Kernels are small, so they are read into memory. Each must pass
    :func:`~mmssg.degradation.functional.validate_kernel` (2-D, square, odd,
    finite, sums to 1); a kernel whose centre of mass is more than
    ``center_tol`` pixels from the array centre triggers a warning (the pool
    convention is centred kernels).

    Args:
        kernel_dir (str): The pool folder.
        center_tol (float): Accepted distance of the centre of mass from the
            array centre before warning. Default: 0.5.

    Returns:
        KernelPool: ``kernels`` (float32 arrays), ``names`` (file names), ``root``.
    """
    files = _npy_files(kernel_dir, 'kernel')
    kernels = []
    for name in files:
        path = osp.join(kernel_dir, name)
        kernel = validate_kernel(np.load(path, allow_pickle=False), source=path)
        centre = kernel.shape[0] // 2
        com = kernel_center_of_mass(kernel)
        if max(abs(com[0] - centre), abs(com[1] - centre)) > center_tol:
            warnings.warn(
                f'{path}: kernel centre of mass {com} is off the array centre ({centre}, {centre}); '
                'pool kernels are expected to be centred')
        kernels.append(kernel)
    return KernelPool(kernels, files, kernel_dir)


def load_noise_pool(noise_dir):
    """Open every ``*.npy`` of a noise-pool folder read-only, memory-mapped.

    ``np.load(mmap_mode='r')`` reads only the headers now; the pages are read
    on demand and shared through the OS page cache by every process that maps
    the same files. Empty arrays are skipped.

    Args:
        noise_dir (str): The pool folder.

    Returns:
        NoisePool: ``arrays`` (memmaps of shape ``(N, P, P, 3)``), ``names``,
        ``counts`` (``N`` per file), ``patch_size`` (``P``), ``root``.
    """
    files = _npy_files(noise_dir, 'noise')
    arrays, names, sizes = [], [], set()
    for name in files:
        path = osp.join(noise_dir, name)
        arr = np.load(path, mmap_mode='r', allow_pickle=False)
        if arr.ndim != 4 or arr.shape[1] != arr.shape[2] or arr.shape[3] != 3:
            raise ValueError(f'{path}: noise patches must have shape (N, P, P, 3), got {arr.shape}')
        if arr.dtype != np.float32:
            raise ValueError(f'{path}: noise patches must be float32, got {arr.dtype}')
        if arr.shape[0] == 0:
            continue
        arrays.append(arr)
        names.append(name)
        sizes.add(arr.shape[1])
    if not arrays:
        raise ValueError(
            f'noise pool folder {noise_dir} holds no noise patches (all .npy files are empty)')
    if len(sizes) > 1:
        raise ValueError(f'noise pool folder {noise_dir} mixes patch sizes {sorted(sizes)}')
    counts = np.array([a.shape[0] for a in arrays], np.int64)
    return NoisePool(arrays, names, counts, sizes.pop(), noise_dir)
