# Copyright (c) mmssg contributors. All rights reserved.
"""Noise files (mmssg.degradation.pools.noise_files): compact ones lossless against the float32
path."""
import os
import zipfile

import numpy as np
import pytest

from mmssg.degradation.noise_patches import extract_noise_patches
from mmssg.degradation.pools.noise_files import (CompactNoisePatches, block_size, npz_layouts,
                                                 open_noise_file, pack_noise_patches, to_0_255)
from mmssg.utils import save_npz_atomic


def _image(dtype=np.uint8, seed=0, shape=(200, 264, 3)):
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    return rng.integers(0, top + 1, shape, dtype=np.int64).astype(dtype)


def _write(path, img, corners, size):
    """Pack like the noise tool; return the float32 patches the old path stored."""
    values, scale = to_0_255(img)
    means = np.stack([
        np.asarray(values[y:y + size, x:x + size], np.float64).mean(axis=(0, 1)) for y, x in corners
    ])
    # The old path with these (float64) means, as the tool passes the window means.
    float_path = extract_noise_patches(values, corners, size, means)
    save_npz_atomic(str(path), **pack_noise_patches(img, corners, size, means, scale))
    return float_path


@pytest.mark.parametrize('dtype', [np.uint8, np.uint16])
def test_overlapping_patches_share_blocks_and_load_bit_identical(tmp_path, dtype):
    img = _image(dtype)
    # Windows of 64 with stride 32, several overlapping: 32-pixel blocks shared.
    corners = np.array([[0, 0], [0, 32], [32, 32], [64, 96], [96, 96], [128, 192]])
    float_path = _write(tmp_path / 'a.npz', img, corners, 64)
    patches = CompactNoisePatches(str(tmp_path / 'a.npz'))
    assert patches.shape == (6, 64, 64, 3) and len(patches) == 6 and patches.dtype == np.float32
    assert patches.blocks.shape[1:] == (32, 32, 3) and patches.blocks.dtype == dtype
    assert patches.blocks.shape[0] == 18  # 24 block uses, 18 distinct blocks
    for i in range(len(corners)):
        np.testing.assert_array_equal(patches[i], float_path[i])
    np.testing.assert_array_equal(patches[-1], float_path[-1])


@pytest.mark.skipif(not os.path.isdir('/proc/self/fd'), reason='counts descriptors in /proc')
def test_readers_keep_no_file_open(tmp_path):
    """A pool of thousands of files must not need thousands of descriptors per worker."""
    img = _image()
    _write(tmp_path / 'a.npz', img, np.array([[0, 0], [0, 32]]), 64)
    np.save(tmp_path / 'b.npy', np.zeros((2, 8, 8, 3), np.float32))
    before = len(os.listdir('/proc/self/fd'))
    readers = [open_noise_file(str(tmp_path / name)) for name in ('a.npz', 'b.npy') * 100]
    patches = [reader[1] for reader in readers]
    assert len(os.listdir('/proc/self/fd')) == before
    assert patches[0].shape == (64, 64, 3) and patches[1].shape == (8, 8, 3)


def test_corners_off_any_coarse_grid_store_one_block_per_patch(tmp_path):
    img = _image(seed=1)
    corners = np.array([[3, 5], [10, 17], [100, 101]])  # gcd 1 < MIN_BLOCK
    assert block_size(40, corners) == 40
    float_path = _write(tmp_path / 'b.npz', img, corners, 40)
    patches = CompactNoisePatches(str(tmp_path / 'b.npz'))
    assert patches.blocks.shape == (3, 40, 40, 3)
    for i in range(3):
        np.testing.assert_array_equal(patches[i], float_path[i])


def test_paper_settings_shrink_a_patch_four_times_and_more_when_windows_overlap(tmp_path):
    img = _image(shape=(512, 1024, 3), seed=2)
    isolated = np.array([[0, 0], [0, 256], [256, 512]])  # no shared block
    grid = np.array([[y, x] for y in (0, 64, 128) for x in range(0, 512, 64)])  # a flat region
    for name, corners in (('isolated', isolated), ('region', grid)):
        _write(tmp_path / f'{name}.npz', img, corners, 128)
    float_bytes = lambda n: n * 128 * 128 * 3 * 4  # noqa: E731
    isolated_bytes = (tmp_path / 'isolated.npz').stat().st_size
    region_bytes = (tmp_path / 'region.npz').stat().st_size
    assert float_bytes(3) / isolated_bytes == pytest.approx(4, rel=0.01)
    assert float_bytes(len(grid)) / region_bytes > 10  # 24 patches from 36 distinct blocks


def test_bad_files_are_refused_naming_them(tmp_path):
    img = _image()
    members = pack_noise_patches(img, np.array([[0, 0]]), 32, np.zeros((1, 3)))
    np.savez_compressed(tmp_path / 'packed.npz', **members)
    with pytest.raises(ValueError, match=r'packed\.npz: member .* is compressed.*np\.savez,'):
        CompactNoisePatches(str(tmp_path / 'packed.npz'))
    np.savez(tmp_path / 'partial.npz', blocks=members['blocks'])
    with pytest.raises(
            ValueError,
            match=r'partial\.npz: compact noise file without '
            r'patch_blocks, means, value_scale'):
        CompactNoisePatches(str(tmp_path / 'partial.npz'))
    (tmp_path / 'junk.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match=r'junk\.npz: not an \.npz archive'):
        npz_layouts(str(tmp_path / 'junk.npz'))
    np.savez(tmp_path / 'flat.npz', **dict(members, blocks=members['blocks'][..., 0]))
    with pytest.raises(ValueError, match=r'flat\.npz: blocks must be \(M, G, G, 3\)'):
        CompactNoisePatches(str(tmp_path / 'flat.npz'))
    patches = CompactNoisePatches(str(_path_of_good(tmp_path, members)))
    with pytest.raises(IndexError, match='patch 1 out of range for 1 patches'):
        patches[1]
    with pytest.raises(TypeError, match='one at a time'):
        patches[0:1]


def _path_of_good(tmp_path, members):
    path = tmp_path / 'good.npz'
    np.savez(path, **members)
    assert zipfile.is_zipfile(path)
    return path
