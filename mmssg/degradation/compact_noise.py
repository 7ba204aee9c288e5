# Copyright (c) mmssg contributors. All rights reserved.
"""Compact noise-pool files: an image's noise patches kept as its own pixels.

A noise patch is a window of a real LR image minus its per-channel mean
(:func:`~mmssg.degradation.noise_patches.extract_noise_patches`). Stored as
float32 it takes four bytes per sample for data that began as 8-bit pixels,
and the windows overlap (stride ``P / 2``), so most pixels are stored up to
four times. A compact file stores what the data really is:

- ``blocks``: ``(M, G, G, 3)`` uint8 (uint16 for 16-bit sources): the
  distinct ``G x G`` blocks of source pixels that the patches cover, on the
  image's grid of ``G``-pixel blocks. ``G`` is the largest block that tiles
  every patch on that grid (the gcd of ``P`` and the patch corners: 64 for
  the paper's ``P = 128``, stride 64), so overlapping patches share blocks;
  when that gcd is below :data:`MIN_BLOCK`, each patch is one block.
- ``patch_blocks``: ``(N, P/G, P/G)`` int32: the block of each part of each patch.
- ``means``: ``(N, 3)`` float64: the per-channel means the float path subtracts.
- ``value_scale``: float32 scalar: 1 for 8-bit sources, ``255 / 65535`` for
  16-bit ones (brought to the 0-255 scale by a float32 product, as the noise
  tool does before the window test).

Patch ``i`` is rebuilt from its blocks, scaled when ``value_scale != 1``, and
its mean is subtracted by :func:`~mmssg.degradation.noise_patches.subtract_patch_mean`,
the function that made the float32 patches: the result is bit-identical to
them. Files are uncompressed ``.npz`` archives (``np.savez``), whose members
are memory-mapped in place (:func:`memmap_npz`): opening a pool reads headers
only, and every process that maps a file shares its pages.
"""
import math
import struct
import zipfile
from typing import Dict

import numpy as np

from .noise_patches import subtract_patch_mean

#: Smallest shared block side; below it every patch is stored as one block.
MIN_BLOCK = 8
#: 16-bit samples -> the 0-255 scale (a float32 product).
SIXTEEN_BIT_SCALE = np.float32(255 / 65535)
_MEMBERS = ('blocks', 'patch_blocks', 'means', 'value_scale')


def to_0_255(img):
    """An 8- or 16-bit image on the 0-255 scale, and the factor that brought it there.

    Returns:
        tuple[np.ndarray, float]: uint8 images as they are with 1.0; uint16
        images as float32 ``x * 255 / 65535`` with that factor.
    """
    if img.dtype == np.uint8:
        return img, 1.0
    if img.dtype == np.uint16:
        return img.astype(np.float32) * SIXTEEN_BIT_SCALE, float(SIXTEEN_BIT_SCALE)
    raise ValueError(f'expected a uint8 or uint16 image, got {img.dtype}')


def block_size(patch_size, corners):
    """The shared block side ``G`` for patches of ``patch_size`` at ``corners``."""
    size = math.gcd(patch_size, *np.asarray(corners, np.int64).ravel().tolist())
    return size if size >= MIN_BLOCK else patch_size


def pack_noise_patches(img, corners, patch_size, means, value_scale=1.0) -> Dict[str, np.ndarray]:
    """The members of a compact file for the noise patches of one image.

    Args:
        img (np.ndarray): ``(H, W, 3)`` source pixels, uint8 or uint16.
        corners (np.ndarray): ``(N, 2)`` top-left ``(row, col)`` of the patches.
        patch_size (int): ``P``.
        means (np.ndarray): ``(N, 3)`` per-channel means to subtract.
        value_scale (float): What :func:`to_0_255` returned. Default: 1.0.

    Returns:
        dict: ``blocks``, ``patch_blocks``, ``means``, ``value_scale``.
    """
    if img.dtype not in (np.uint8, np.uint16) or img.ndim != 3:
        raise ValueError(f'expected (H, W, C) uint8 or uint16 pixels, got {img.dtype} '
                         f'{img.shape}')
    corners = np.asarray(corners, np.int64).reshape(-1, 2)
    size = block_size(patch_size, corners) if len(corners) else patch_size
    parts = patch_size // size
    if size == patch_size:
        blocks = np.stack([img[y:y + size, x:x + size] for y, x in corners]) if len(corners) \
            else np.zeros((0, size, size, img.shape[2]), img.dtype)
        index = np.arange(len(corners)).reshape(-1, 1, 1)
    else:
        rows, cols = img.shape[0] // size, img.shape[1] // size
        grid = img[:rows * size, :cols * size].reshape(rows, size, cols, size, -1)
        offsets = np.arange(parts)
        block_rows = corners[:, 0, None, None] // size + offsets[None, :, None]
        block_cols = corners[:, 1, None, None] // size + offsets[None, None, :]
        used, index = np.unique((block_rows * cols + block_cols).ravel(), return_inverse=True)
        blocks = grid[used // cols, :, used % cols]  # (M, G, G, C)
        index = index.reshape(len(corners), parts, parts)
    return dict(blocks=np.ascontiguousarray(blocks), patch_blocks=index.astype(np.int32),
                means=np.asarray(means, np.float64).reshape(len(corners), -1),
                value_scale=np.float32(value_scale))


def memmap_npz(path) -> Dict[str, np.ndarray]:
    """Memory-map every member of an uncompressed ``.npz`` file (``np.savez``), read-only.

    ``np.load`` reads ``.npz`` members into memory; a stored (uncompressed)
    member is a ``.npy`` file inside the archive, so it can be mapped at its
    offset. Scalars and empty arrays are read.

    Raises:
        ValueError: The file is not a zip archive of ``.npy`` members, or a
            member is compressed (``np.savez_compressed``); the message names it.
    """
    arrays = {}
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f'{path}: not an .npz archive ({error})') from None
    with archive, open(path, 'rb') as f:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f'{path}: member {info.filename} is compressed and cannot be '
                                 'memory-mapped; write the file with np.savez, not '
                                 'np.savez_compressed')
            f.seek(info.header_offset)
            local = f.read(30)
            name_length, extra_length = struct.unpack('<HH', local[26:30])
            f.seek(info.header_offset + 30 + name_length + extra_length)
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                           np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
            name = info.filename[:-4] if info.filename.endswith('.npy') else info.filename
            if dtype.hasobject:
                raise ValueError(f'{path}: member {name} holds Python objects')
            if len(shape) == 0 or 0 in shape:
                arrays[name] = np.frombuffer(f.read(dtype.itemsize * int(np.prod(shape))),
                                             dtype).reshape(shape)
            else:
                arrays[name] = np.memmap(path, dtype=dtype, mode='r', offset=f.tell(),
                                         shape=shape, order='F' if fortran else 'C')
    return arrays


class CompactNoisePatches:
    """The noise patches of one compact file, memory-mapped; ``patches[i]`` rebuilds patch i.

    Behaves like the ``(N, P, P, 3)`` float32 array of the float path for
    ``len()``, ``shape``, ``dtype`` and integer indexing (the one access the
    degradation transform makes).

    Args:
        path (str): A compact ``.npz`` file.
    """
    dtype = np.dtype(np.float32)

    def __init__(self, path):
        self.path = path
        members = memmap_npz(path)
        missing = [m for m in _MEMBERS if m not in members]
        if missing:
            raise ValueError(f'{path}: compact noise file without {", ".join(missing)} '
                             f'(holds {", ".join(sorted(members))})')
        self.blocks, self.patch_blocks = members['blocks'], members['patch_blocks']
        self.means, self.value_scale = members['means'], float(members['value_scale'])
        self._check_layout()
        parts = self.patch_blocks.shape[1]
        self.patch_size = parts * self.blocks.shape[1]
        self.shape = (len(self.patch_blocks), self.patch_size, self.patch_size, 3)

    def _check_layout(self):
        blocks, index, means = self.blocks, self.patch_blocks, self.means
        if (blocks.ndim != 4 or blocks.shape[1] != blocks.shape[2] or blocks.shape[3] != 3
                or blocks.dtype not in (np.uint8, np.uint16)):
            raise ValueError(f'{self.path}: blocks must be (M, G, G, 3) uint8 or uint16, got '
                             f'{blocks.dtype} {blocks.shape}')
        if index.ndim != 3 or index.shape[1] != index.shape[2] or means.shape != (len(index), 3):
            raise ValueError(f'{self.path}: patch_blocks {index.shape} and means {means.shape} '
                             'must be (N, P/G, P/G) and (N, 3)')

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f'{self.path}: compact noise patches are read one at a time, by an '
                            f'integer index, got {type(index).__name__}')
        if not -len(self) <= index < len(self):
            raise IndexError(f'{self.path}: patch {index} out of range for {len(self)} patches')
        parts, size = self.patch_blocks.shape[1], self.blocks.shape[1]
        tiles = self.blocks[np.asarray(self.patch_blocks[index])]  # (parts, parts, G, G, 3)
        pixels = tiles.transpose(0, 2, 1, 3, 4).reshape(parts * size, parts * size, 3)
        if self.value_scale != 1:
            pixels = pixels.astype(np.float32) * np.float32(self.value_scale)
        return subtract_patch_mean(pixels, self.means[index])
