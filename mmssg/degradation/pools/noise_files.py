# Copyright (c) mmssg contributors. All rights reserved.
"""The two noise-file formats of a noise pool, and reading one patch at a time from them.

A noise patch is a window of a real LR image minus its per-channel mean
(:func:`~mmssg.degradation.noise_patches.extract_noise_patches`).

**Float32** (``<name>.npy``, what the noise tool wrote first): the
``(N, P, P, 3)`` float32 patches. Four bytes per sample for data that began as
8-bit pixels, and the windows overlap (stride ``P / 2``), so most pixels are
stored up to four times.

**Compact** (``<name>.npz``, what the noise tool writes now): what the data
really is, in an uncompressed ``np.savez`` archive:

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
the function that made the float32 patches: the result is bit-identical to them.

**Reading.** :func:`open_noise_file` reads a file's layout once (the compact
index and means, a few dozen bytes per patch, are kept in memory) and then
reads each patch's bytes with ``os.pread`` when it is asked for. The data
stays in the OS page cache, shared by every process that reads the pool, and
a reader holds no file descriptor and no memory map between reads: a process
can open a pool of thousands of files (one per Cityscapes frame) without
meeting the open-files limit (each ``np.memmap`` keeps a descriptor open), and
its resident memory does not grow with the pool pages it has touched.
"""
import math
import os
import struct
import zipfile
from typing import Dict, NamedTuple, Tuple

import numpy as np

from ..noise_patches import subtract_patch_mean

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
    return dict(
        blocks=np.ascontiguousarray(blocks),
        patch_blocks=index.astype(np.int32),
        means=np.asarray(means, np.float64).reshape(len(corners), -1),
        value_scale=np.float32(value_scale))


class ArrayLayout(NamedTuple):
    """Where a C-ordered ``.npy`` array's data lies in its file."""
    offset: int
    shape: Tuple[int, ...]
    dtype: np.dtype


def _read_npy_layout(f, path, what):
    """The layout of the ``.npy`` array whose header starts at ``f``'s position."""
    version = np.lib.format.read_magic(f)
    read_header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0) else np.lib.format.read_array_header_2_0)
    shape, fortran, dtype = read_header(f)
    if dtype.hasobject or (fortran and len(shape) > 1):
        raise ValueError(f'{path}: {what} must be a C-ordered array of numbers')
    return ArrayLayout(f.tell(), tuple(shape), dtype)


def read_bytes(path, offset, size):
    """``size`` bytes of ``path`` at ``offset``, holding no descriptor afterwards."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.pread(fd, size, offset)
    finally:
        os.close(fd)
    if len(data) != size:
        raise ValueError(f'{path}: truncated file ({len(data)} of {size} bytes at {offset})')
    return data


def _read_array(path, layout):
    count = int(np.prod(layout.shape))
    data = read_bytes(path, layout.offset, count * layout.dtype.itemsize)
    return np.frombuffer(data, layout.dtype).reshape(layout.shape)


def npz_layouts(path) -> Dict[str, ArrayLayout]:
    """Where each member of an uncompressed ``.npz`` file (``np.savez``) lies in the file.

    A stored (uncompressed) member is a ``.npy`` file inside the archive, so
    its data can be read in place.

    Raises:
        ValueError: The file is not a zip archive of ``.npy`` members, or a
            member is compressed (``np.savez_compressed``); the message names it.
    """
    layouts = {}
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f'{path}: not an .npz archive ({error})') from None
    with archive, open(path, 'rb') as f:
        for info in archive.infolist():
            name = info.filename[:-4] if info.filename.endswith('.npy') else info.filename
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f'{path}: member {name} is compressed and cannot be read in '
                                 'place; write the file with np.savez, not np.savez_compressed')
            f.seek(info.header_offset)
            name_length, extra_length = struct.unpack('<HH', f.read(30)[26:30])
            f.seek(info.header_offset + 30 + name_length + extra_length)
            layouts[name] = _read_npy_layout(f, path, f'member {name}')
    return layouts


class Float32NoisePatches:
    """The patches of a float32 ``(N, P, P, 3)`` ``.npy`` file; ``patches[i]`` reads patch i.

    Args:
        path (str): The file.
    """
    dtype = np.dtype(np.float32)

    def __init__(self, path):
        self.path = path
        with open(path, 'rb') as f:
            self.layout = _read_npy_layout(f, path, 'noise patches')
        shape, dtype = self.layout.shape, self.layout.dtype
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
            raise ValueError(f'{path}: noise patches must have shape (N, P, P, 3), got {shape}')
        if dtype != np.float32:
            raise ValueError(f'{path}: noise patches must be float32, got {dtype}')
        self.shape = shape

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        index = _check_index(self, index)
        size = int(np.prod(self.shape[1:])) * 4
        data = read_bytes(self.path, self.layout.offset + index * size, size)
        return np.frombuffer(data, np.float32).reshape(self.shape[1:])


class CompactNoisePatches:
    """The patches of a compact ``.npz`` file; ``patches[i]`` rebuilds patch i.

    The index and the means are read now (kept in memory); the blocks of a
    patch are read when it is asked for.

    Args:
        path (str): The file.
    """
    dtype = np.dtype(np.float32)

    def __init__(self, path):
        self.path = path
        layouts = npz_layouts(path)
        missing = [m for m in _MEMBERS if m not in layouts]
        if missing:
            raise ValueError(f'{path}: compact noise file without {", ".join(missing)} '
                             f'(holds {", ".join(sorted(layouts))})')
        self.blocks = layouts['blocks']
        self.patch_blocks = _read_array(path, layouts['patch_blocks'])
        self.means = _read_array(path, layouts['means'])
        self.value_scale = float(_read_array(path, layouts['value_scale']))
        self._check_layout()
        self.block_side = self.blocks.shape[1]
        self.patch_size = self.patch_blocks.shape[1] * self.block_side
        self.shape = (len(self.patch_blocks), self.patch_size, self.patch_size, 3)

    def _check_layout(self):
        shape, dtype = self.blocks.shape, self.blocks.dtype
        index, means = self.patch_blocks, self.means
        pixels = dtype in (np.uint8, np.uint16)
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3 or not pixels:
            raise ValueError(f'{self.path}: blocks must be (M, G, G, 3) uint8 or uint16, got '
                             f'{dtype} {shape}')
        if index.ndim != 3 or index.shape[1] != index.shape[2] or means.shape != (len(index), 3):
            raise ValueError(f'{self.path}: patch_blocks {index.shape} and means {means.shape} '
                             'must be (N, P/G, P/G) and (N, 3)')
        if index.size and not 0 <= index.min() <= index.max() < shape[0]:
            raise ValueError(f'{self.path}: patch_blocks points outside the {shape[0]} blocks')

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        index = _check_index(self, index)
        side, parts = self.block_side, self.patch_blocks.shape[1]
        block_bytes = side * side * 3 * self.blocks.dtype.itemsize
        fd = os.open(self.path, os.O_RDONLY)
        try:
            data = b''.join(
                os.pread(fd, block_bytes, self.blocks.offset + int(b) * block_bytes)
                for b in self.patch_blocks[index].ravel())
        finally:
            os.close(fd)
        if len(data) != parts * parts * block_bytes:
            raise ValueError(f'{self.path}: truncated file (blocks of patch {index})')
        tiles = np.frombuffer(data, self.blocks.dtype).reshape(parts, parts, side, side, 3)
        pixels = tiles.transpose(0, 2, 1, 3, 4).reshape(self.patch_size, self.patch_size, 3)
        if self.value_scale != 1:
            pixels = pixels.astype(np.float32) * np.float32(self.value_scale)
        return subtract_patch_mean(pixels, self.means[index])


def _check_index(patches, index):
    if not isinstance(index, (int, np.integer)):
        raise TypeError(f'{patches.path}: noise patches are read one at a time, by an integer '
                        f'index, got {type(index).__name__}')
    if not -len(patches) <= index < len(patches):
        raise IndexError(f'{patches.path}: patch {index} out of range for {len(patches)} '
                         'patches')
    return int(index) % len(patches)


def open_noise_file(path):
    """A reader for a noise file: compact ``.npz`` or float32 ``.npy``."""
    if path.endswith('.npz'):
        return CompactNoisePatches(path)
    return Float32NoisePatches(path)
