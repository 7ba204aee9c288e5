# Copyright (c) mmssg contributors. All rights reserved.
"""Loading the kernel and noise pools (mmssg.degradation.pools.readers)."""
import json
import os

import numpy as np
import pytest

from mmssg.degradation.functional import isotropic_gaussian_kernel
from mmssg.degradation.noise_patches import extract_noise_patches
from mmssg.degradation.pools import load_kernel_pool, load_noise_pool
from mmssg.degradation.pools.noise_files import Float32NoisePatches, pack_noise_patches


def test_load_noise_pool_opens_float32_files_and_validates(tmp_path):
    pool_dir = tmp_path / 'noise'
    pool_dir.mkdir()
    np.save(pool_dir / 'a.npy', np.zeros((3, 16, 16, 3), np.float32))
    np.save(pool_dir / 'b.npy', np.ones((2, 16, 16, 3), np.float32))
    np.save(pool_dir / 'c.npy', np.zeros((0, 16, 16, 3), np.float32))  # empty: skipped
    (pool_dir / 'summary.json').write_text('{}')
    pool = load_noise_pool(str(pool_dir))
    assert pool.names == ['a.npy', 'b.npy'] and pool.counts.tolist() == [3, 2]
    assert pool.patch_size == 16
    assert all(isinstance(a, Float32NoisePatches) for a in pool.arrays)
    np.testing.assert_array_equal(pool.arrays[1][1], np.ones((16, 16, 3), np.float32))
    np.save(pool_dir / 'd.npy', np.zeros((2, 16, 16), np.float32))
    with pytest.raises(ValueError, match=r'd\.npy.*\(N, P, P, 3\).*\(2, 16, 16\)'):
        load_noise_pool(str(pool_dir))
    os.remove(pool_dir / 'd.npy')
    np.save(pool_dir / 'd.npy', np.zeros((2, 16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match=r'd\.npy.*float32.*uint8'):
        load_noise_pool(str(pool_dir))
    with pytest.raises(FileNotFoundError, match='noise pool folder not found.*missing'):
        load_noise_pool(str(tmp_path / 'missing'))
    (tmp_path / 'bare').mkdir()
    with pytest.raises(FileNotFoundError, match='bare.*no .npy'):
        load_noise_pool(str(tmp_path / 'bare'))


def test_load_kernel_pool_validates_every_file(tmp_path):
    pool_dir = tmp_path / 'kernels'
    pool_dir.mkdir()
    np.save(pool_dir / 'k0.npy', isotropic_gaussian_kernel(13, 2.0))
    pool = load_kernel_pool(str(pool_dir))
    assert pool.names == ['k0.npy'] and pool.kernels[0].shape == (13, 13)
    np.save(pool_dir / 'k1.npy', np.ones((13, 13), np.float32))
    with pytest.raises(ValueError, match=r'k1\.npy.*sum to 1.*got sum 169'):
        load_kernel_pool(str(pool_dir))
    np.save(pool_dir / 'k1.npy', np.ones((12, 12), np.float32) / 144)
    with pytest.raises(ValueError, match=r'k1\.npy.*odd size.*\(12, 12\)'):
        load_kernel_pool(str(pool_dir))
    os.remove(pool_dir / 'k1.npy')
    off = np.zeros((13, 13), np.float32)
    off[2, 2] = 1
    np.save(pool_dir / 'k2.npy', off)
    with pytest.warns(UserWarning, match='k2.npy.*centre of mass'):
        load_kernel_pool(str(pool_dir))
    with pytest.raises(FileNotFoundError, match='kernel pool folder not found'):
        load_kernel_pool(str(tmp_path / 'nope'))


def test_pools_mix_of_patch_sizes_and_empty_files_are_refused_naming_the_folder(tmp_path):
    pool_dir = tmp_path / 'noise'
    pool_dir.mkdir()
    np.save(pool_dir / 'a.npy', np.zeros((0, 16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=f'{pool_dir}.*no noise patches'):
        load_noise_pool(str(pool_dir))
    np.save(pool_dir / 'b.npy', np.zeros((1, 16, 16, 3), np.float32))
    np.save(pool_dir / 'c.npy', np.zeros((1, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r'mixes patch sizes \[16, 32\]'):
        load_noise_pool(str(pool_dir))


def _summary(pool_dir, scale, kernel_size, files, name='summary.json'):
    settings = dict(method='kernelgan', scale=scale, kernel_size=kernel_size)
    (pool_dir / name).write_text(
        json.dumps(
            dict(
                parameters=dict(scale=scale),
                kernel_size=kernel_size,
                images=[dict(file=f'{f[:-4]}.png', pool_file=f, settings=settings)
                        for f in files])))


def test_kernel_pools_of_another_scale_or_size_are_refused_naming_file_and_values(tmp_path):
    pool_dir = tmp_path / 'kernels'
    pool_dir.mkdir()
    np.save(pool_dir / 'a.npy', isotropic_gaussian_kernel(13, 1.0))
    np.save(pool_dir / 'b.npy', isotropic_gaussian_kernel(13, 1.2))
    _summary(pool_dir, 2, 13, ['a.npy', 'b.npy'])
    assert load_kernel_pool(str(pool_dir), scale=2).names == ['a.npy', 'b.npy']
    assert len(load_kernel_pool(str(pool_dir)).kernels) == 2  # scale not checked
    with pytest.raises(
            ValueError,
            match=rf'{pool_dir}/summary\.json records a\.npy as a x2 '
            r'kernel, but the pool is loaded for scale 4'):
        load_kernel_pool(str(pool_dir), scale=4)
    np.save(pool_dir / 'b.npy', isotropic_gaussian_kernel(25, 1.2))
    with pytest.raises(
            ValueError,
            match=rf'{pool_dir}/b\.npy: 25x25 kernel, but '
            rf'{pool_dir}/summary\.json records kernel_size 13'):
        load_kernel_pool(str(pool_dir), scale=2)
    os.remove(pool_dir / 'b.npy')
    np.save(pool_dir / 'extra.npy', isotropic_gaussian_kernel(25, 1.2))  # recorded nowhere
    with pytest.raises(
            ValueError,
            match=r'extra\.npy: 25x25 kernel in a pool whose summaries '
            r'\(.*summary\.json\) record \[13\]-pixel kernels'):
        load_kernel_pool(str(pool_dir), scale=2)


def test_shard_summaries_are_read_and_the_latest_record_wins(tmp_path):
    pool_dir = tmp_path / 'kernels'
    pool_dir.mkdir()
    np.save(pool_dir / 'a.npy', isotropic_gaussian_kernel(25, 2.0))
    _summary(pool_dir, 2, 13, ['a.npy'])
    _summary(pool_dir, 4, 25, ['a.npy'], name='summary.shard-1-of-2.json')
    os.utime(pool_dir / 'summary.json', (1, 1))  # older than the shard's record
    assert load_kernel_pool(str(pool_dir), scale=4).names == ['a.npy']
    (pool_dir / 'summary.shard-0-of-2.json').write_text('{not json')
    with pytest.raises(ValueError, match=r'summary\.shard-0-of-2\.json: not a readable summary'):
        load_kernel_pool(str(pool_dir), scale=4)


def test_compact_and_float32_noise_files_load_side_by_side_with_the_same_patches(tmp_path):
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
    corners = np.array([[0, 0], [0, 16], [32, 64]])
    means = np.stack([img[y:y + 32, x:x + 32].mean(axis=(0, 1)) for y, x in corners])
    pool_dir = tmp_path / 'noise'
    pool_dir.mkdir()
    np.save(pool_dir / 'old.npy', extract_noise_patches(img, corners, 32, means))
    np.savez(pool_dir / 'new.npz', **pack_noise_patches(img, corners, 32, means))
    pool = load_noise_pool(str(pool_dir))
    assert pool.names == ['new.npz', 'old.npy'] and pool.counts.tolist() == [3, 3]
    assert pool.patch_size == 32
    for i in range(3):
        np.testing.assert_array_equal(pool.arrays[0][i], pool.arrays[1][i])
    np.savez(pool_dir / 'old.npz', **pack_noise_patches(img, corners, 32, means))
    with pytest.raises(ValueError, match=r'both the \.npy and the \.npz file of old'):
        load_noise_pool(str(pool_dir))
