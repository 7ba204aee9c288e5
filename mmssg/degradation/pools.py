# Copyright (c) mmssg contributors. All rights reserved.
"""Loading the two degradation pools of section 3.2 (blur kernels, noise patches).

A pool is a flat folder of ``*.npy`` files, as ``tools/data/estimate_kernels.py``
and ``tools/data/collect_noise_patches.py`` write them (one file per source
image, named by the image's path relative to the source folder, its folders
joined by ``__``), next to a ``summary.json`` that the loaders ignore. Files
are taken in sorted name order.

- Kernel pool: one kernel per file, float, 2-D, square, odd-sized, summing to
  1, centred (a true convolution kernel at HR resolution for the pool's scale).
- Noise pool: one ``(N, P, P, 3)`` float32 array per file: ``N`` noise patches
  of ``P x P`` pixels, RGB, mean-subtracted per channel (not clipped), on the
  0-255 scale.
"""
import os
import os.path as osp
import warnings
from typing import List, NamedTuple

import numpy as np

from .functional import kernel_center_of_mass, validate_kernel


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
                f'{path}: kernel centre of mass {com} is off the array centre '
                f'({centre}, {centre}); pool kernels are expected to be centred')
        kernels.append(kernel)
    return KernelPool(kernels, files, kernel_dir)


def _open_noise_file(path):
    """Memory-map one noise file and check its layout."""
    arr = np.load(path, mmap_mode='r', allow_pickle=False)
    if arr.ndim != 4 or arr.shape[1] != arr.shape[2] or arr.shape[3] != 3:
        raise ValueError(f'{path}: noise patches must have shape (N, P, P, 3), got {arr.shape}')
    if arr.dtype != np.float32:
        raise ValueError(f'{path}: noise patches must be float32, got {arr.dtype}')
    return arr


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
    arrays, names = [], []
    for name in _npy_files(noise_dir, 'noise'):
        arr = _open_noise_file(osp.join(noise_dir, name))
        if arr.shape[0]:
            arrays.append(arr)
            names.append(name)
    if not arrays:
        raise ValueError(
            f'noise pool folder {noise_dir} holds no noise patches (all .npy files are empty)')
    sizes = sorted({arr.shape[1] for arr in arrays})
    if len(sizes) > 1:
        raise ValueError(f'noise pool folder {noise_dir} mixes patch sizes {sizes}')
    counts = np.array([a.shape[0] for a in arrays], np.int64)
    return NoisePool(arrays, names, counts, sizes[0], noise_dir)
