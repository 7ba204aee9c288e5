# Copyright (c) mmssg contributors. All rights reserved.
"""Loading the kernel and noise pools (mmssg.degradation.pools)."""
import os

import numpy as np
import pytest

from mmssg.degradation.functional import isotropic_gaussian_kernel
from mmssg.degradation.pools import load_kernel_pool, load_noise_pool


def test_load_noise_pool_memory_maps_and_validates(tmp_path):
    pool_dir = tmp_path / 'noise'
    pool_dir.mkdir()
    np.save(pool_dir / 'a.npy', np.zeros((3, 16, 16, 3), np.float32))
    np.save(pool_dir / 'b.npy', np.ones((2, 16, 16, 3), np.float32))
    np.save(pool_dir / 'c.npy', np.zeros((0, 16, 16, 3), np.float32))  # empty: skipped
    (pool_dir / 'summary.json').write_text('{}')
    pool = load_noise_pool(str(pool_dir))
    assert pool.names == ['a.npy', 'b.npy'] and pool.counts.tolist() == [3, 2]
    assert pool.patch_size == 16
    assert all(isinstance(a, np.memmap) for a in pool.arrays)
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
