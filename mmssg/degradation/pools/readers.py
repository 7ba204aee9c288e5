# Copyright (c) mmssg contributors. All rights reserved.
"""Loading the two degradation pools of section 3.2 (blur kernels, noise patches).

A pool is a flat folder of files as :mod:`.kernel_writer` and :mod:`.noise_writer` write
them (one file per source image, named by the image's path relative to the source folder, its
folders joined by ``__``), next to summaries (``summary.json``, and
``summary.shard-I-of-N.json`` from sharded runs) that only the kernel loader reads, to check
scales and sizes. Files are taken in sorted name order.

- Kernel pool: one ``.npy`` kernel per file, float, 2-D, square, odd-sized,
  summing to 1, centred (a true convolution kernel at HR resolution for the
  pool's scale).
- Noise pool: per file, ``N`` noise patches of ``P x P`` pixels, RGB,
  mean-subtracted per channel (not clipped), on the 0-255 scale; either a
  compact ``.npz`` (source pixels plus means, what the noise tool writes) or
  an ``(N, P, P, 3)`` float32 ``.npy`` (what it wrote before); see
  :mod:`.noise_files`. Both load; a patch reads the same bits from either.
"""
import os
import os.path as osp
import warnings
from collections import Counter
from typing import List, NamedTuple, Sequence

import numpy as np

from ..functional import kernel_center_of_mass, validate_kernel
from .noise_files import open_noise_file
from .records import read_summaries


class KernelPool(NamedTuple):
    """Validated kernels of a kernel-pool folder, in file-name order."""
    kernels: List[np.ndarray]
    names: List[str]
    root: str


class NoisePool(NamedTuple):
    """Readers of the noise files of a noise-pool folder, in file-name order.

    ``arrays[i][j]`` reads patch ``j`` of file ``i``, ``(P, P, 3)`` float32
    (:class:`~.noise_files.CompactNoisePatches` or
    :class:`~.noise_files.Float32NoisePatches`).
    """
    arrays: list
    names: List[str]
    counts: np.ndarray
    patch_size: int
    root: str


def _pool_files(pool_dir, what, suffixes: Sequence[str] = ('.npy', )):
    if not osp.isdir(pool_dir):
        raise FileNotFoundError(f'{what} pool folder not found: {pool_dir}')
    files = sorted(f for f in os.listdir(pool_dir) if f.endswith(tuple(suffixes)))
    if not files:
        raise FileNotFoundError(
            f'{what} pool folder {pool_dir} holds no {" or ".join(suffixes)} files')
    return files


def _recorded_kernels(kernel_dir):
    """``{kernel file: (summary path, scale, kernel size)}`` from the folder's summaries."""
    recorded = {}
    for path, summary in read_summaries(kernel_dir):
        run_scale = summary.get('parameters', {}).get('scale')
        run_size = summary.get('kernel_size')
        for item in summary.get('images', []):
            settings = item.get('settings') or {}
            recorded[item.get('pool_file')] = (path, settings.get('scale', run_scale),
                                               settings.get('kernel_size', run_size))
    return recorded


def _check_recorded(path, kernel, recorded, scale):
    """A kernel against what the pool's summaries say about it (scale, size)."""
    name = osp.basename(path)
    size = kernel.shape[0]
    if name in recorded:
        summary, kernel_scale, kernel_size = recorded[name]
        if scale is not None and kernel_scale is not None and kernel_scale != scale:
            raise ValueError(f'{summary} records {name} as a x{kernel_scale} kernel, but the '
                             f'pool is loaded for scale {scale}; estimate the pool with '
                             f'--scale {scale} or use the x{kernel_scale} pool for that scale')
        if kernel_size is not None and size != kernel_size:
            raise ValueError(f'{path}: {size}x{size} kernel, but {summary} records '
                             f'kernel_size {kernel_size}')
        return
    sizes = {entry[2] for entry in recorded.values() if entry[2] is not None}
    if sizes and size not in sizes:
        summaries = sorted({entry[0] for entry in recorded.values()})
        raise ValueError(f'{path}: {size}x{size} kernel in a pool whose summaries '
                         f'({", ".join(summaries)}) record {sorted(sizes)}-pixel kernels')


def load_kernel_pool(kernel_dir, center_tol=0.5, scale=None):
    """Load and validate every ``*.npy`` kernel of a kernel-pool folder.

    Kernels are small, so they are read into memory. Each must pass
    :func:`~mmssg.degradation.functional.validate_kernel` (2-D, square, odd,
    finite, sums to 1); a kernel whose centre of mass is more than
    ``center_tol`` pixels from the array centre triggers a warning (the pool
    convention is centred kernels). Where the folder's summaries record a
    kernel (:mod:`.kernel_writer` writes them), its size must be
    the recorded one and its scale ``scale``; a kernel they do not record
    must have a size they record. A folder without summaries (kernels made
    by hand) is taken as it is.

    Args:
        kernel_dir (str): The pool folder.
        center_tol (float): Accepted distance of the centre of mass from the
            array centre before warning. Default: 0.5.
        scale (int, optional): The scale the pool is used for; checked
            against the summaries. Default: None (not checked).

    Returns:
        KernelPool: ``kernels`` (float32 arrays), ``names`` (file names), ``root``.
    """
    files = _pool_files(kernel_dir, 'kernel')
    recorded = _recorded_kernels(kernel_dir)
    kernels = []
    for name in files:
        path = osp.join(kernel_dir, name)
        kernel = validate_kernel(np.load(path, allow_pickle=False), source=path)
        _check_recorded(path, kernel, recorded, scale)
        centre = kernel.shape[0] // 2
        com = kernel_center_of_mass(kernel)
        if max(abs(com[0] - centre), abs(com[1] - centre)) > center_tol:
            warnings.warn(f'{path}: kernel centre of mass {com} is off the array centre '
                          f'({centre}, {centre}); pool kernels are expected to be centred')
        kernels.append(kernel)
    return KernelPool(kernels, files, kernel_dir)


def load_noise_pool(noise_dir):
    """Open every noise file (``*.npz`` compact, ``*.npy`` float32) of a folder.

    Only the files' layouts are read now (and the compact files' index and
    means); a patch's bytes are read when it is asked for, through the OS
    page cache that every process reading the pool shares, and no file stays
    open (:mod:`.noise_files`). Empty files are skipped.

    Args:
        noise_dir (str): The pool folder.

    Returns:
        NoisePool: ``arrays`` (per file, a reader of its patches, indexable
        like an ``(N, P, P, 3)`` float32 array), ``names``, ``counts`` (``N``
        per file), ``patch_size`` (``P``), ``root``.
    """
    files = _pool_files(noise_dir, 'noise', ('.npy', '.npz'))
    stems = Counter(osp.splitext(name)[0] for name in files)
    twice = sorted(stem for stem, count in stems.items() if count > 1)
    if twice:
        raise ValueError(f'noise pool folder {noise_dir} holds both the .npy and the .npz file '
                         f'of {", ".join(twice[:5])}: the same patches twice; remove one')
    arrays, names = [], []
    for name in files:
        arr = open_noise_file(osp.join(noise_dir, name))
        if len(arr):
            arrays.append(arr)
            names.append(name)
    if not arrays:
        raise ValueError(
            f'noise pool folder {noise_dir} holds no noise patches (all its files are empty)')
    sizes = sorted({arr.shape[1] for arr in arrays})
    if len(sizes) > 1:
        raise ValueError(f'noise pool folder {noise_dir} mixes patch sizes {sizes}')
    counts = np.array([len(a) for a in arrays], np.int64)
    return NoisePool(arrays, names, counts, sizes[0], noise_dir)
