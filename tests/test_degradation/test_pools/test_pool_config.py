# Copyright (c) mmssg contributors. All rights reserved.
"""The pools of a training config (mmssg.degradation.pools.config): what they are made from and
with, and whether a folder holds them."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmssg.degradation.noise_patches import NoiseCriteria
from mmssg.degradation.pools import (PoolSpec, kernel_settings, noise_settings, pool_spec,
                                     pool_status)
from mmssg.degradation.pools.kernel_writer import KernelPoolOptions, write_kernel_pool
from mmssg.degradation.pools.noise_writer import write_noise_pool
from mmssg.testing import config_path
from mmssg.testing.pool_folders import write_frames

PAPER_NOISE = noise_settings(NoiseCriteria(patch_size=128, sub_size=32))


@pytest.mark.parametrize('name, root, image_size', [
    ('ssg_rwsr_x4_cityscapes.py', 'data/cityscapes', None),
    ('ssg_rwsr_x4_cityscapes_synthetic.py', 'data/cityscapes_synthetic_x4', None),
    ('ssg_rwsr_x4_idd.py', 'data/idd', (1280, 720)),
])
def test_the_paper_configs_name_their_pools_and_the_papers_settings(name, root, image_size):
    cfg = Config.fromfile(config_path(name))
    assert pool_spec(cfg, 'kernels') == PoolSpec('kernels', f'{root}/leftImg8bit/train',
                                                 f'{root}/degradation/kernels_x4', image_size,
                                                 kernel_settings('kernelgan', 4))
    noise = pool_spec(cfg, 'noise')
    assert noise == PoolSpec('noise', f'{root}/leftImg8bit/train', f'{root}/degradation/noise_p128',
                             image_size, PAPER_NOISE)
    # the paper's Eq. 2-4: p = the LR patch 128, q = 32, mu 0.1, gamma 0.3, phi 0.5
    assert (noise.settings['mu'], noise.settings['gamma'], noise.settings['phi']) == (0.1, 0.3, 0.5)


def test_the_demo_config_names_its_own_estimator_and_windows(monkeypatch):
    monkeypatch.setenv('MMSSG_DEMO_ROOT', '/demo')
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_demo.py'))
    kernels, noise = pool_spec(cfg, 'kernels'), pool_spec(cfg, 'noise')
    assert kernels.src_dir == noise.src_dir == '/demo/data/cityscapes/leftImg8bit/train'
    assert (kernels.out_dir, noise.out_dir) == ('/demo/pools/kernels_x4', '/demo/pools/noise_p32')
    assert kernels.settings == kernel_settings('spectral-pooled', 4)
    assert noise.settings == noise_settings(NoiseCriteria(patch_size=32, sub_size=16, stride=16))


def test_configs_without_guided_images_or_of_another_kind_are_refused():
    config = config_path('ssg_rwsr_x4_idd_adapted_only.py')
    cfg = Config.fromfile(config)
    with pytest.raises(
            ValueError,
            match=rf'^{config}: no train_dataloader\.dataset\.data_prefix'
            r'\.img_path: .*an adapted-only run uses the pools of its full config'):
        pool_spec(cfg, 'noise')
    with pytest.raises(ValueError, match="pool kind 'blur': expected one of kernels, noise"):
        pool_spec(Config.fromfile(config_path('ssg_rwsr_x4_idd.py')), 'blur')
    cfg = Config(
        dict(
            train_dataloader=dict(dataset=dict(data_prefix=dict(img_path='lr'))),
            train_cfg=dict(pipeline=[
                dict(type='mmssg.DomainAdaptedDegradation', kernel_pool='k', noise_pool='n')
            ])))
    with pytest.raises(ValueError, match='the config: DomainAdaptedDegradation has no scale'):
        pool_spec(cfg, 'kernels')
    cfg.train_cfg.pipeline[0].scale = 3
    cfg.kernel_method = 'kernelgan'
    with pytest.raises(ValueError, match=r'kernel pool scale 3: expected one of \(2, 4\)'):
        pool_spec(cfg, 'kernels')
    cfg.noise_windows = dict(patch_size=32, window=8)
    with pytest.raises(ValueError, match="noise_windows: .*unexpected keyword argument 'window'"):
        pool_spec(cfg, 'noise')


@pytest.fixture
def frames(tmp_path):
    """Three frames of one size and one of another, in the IDD layout."""
    root = str(tmp_path / 'idd')
    write_frames(root, [(128, 64), (128, 64), (160, 80), (128, 64)], 'idd')
    return osp.join(root, 'leftImg8bit', 'train')


def _spec(kind, frames, tmp_path, settings, image_size=(128, 64)):
    return PoolSpec(kind, frames, str(tmp_path / kind), image_size, settings)


def test_a_noise_pool_is_current_until_the_spec_asks_for_other_windows_or_frames(frames, tmp_path):
    spec = _spec('noise', frames, tmp_path, noise_settings(NoiseCriteria(32, 16)))
    assert pool_status(spec) == f'noise pool {spec.out_dir}: no pool folder (not built, or not ' \
        'finished)'
    assert write_noise_pool(
        spec.src_dir,
        spec.out_dir,
        NoiseCriteria(**spec.settings),
        progress=False,
        image_size=spec.image_size) == 0
    assert pool_status(spec) is None
    summary = osp.join(spec.out_dir, 'summary.json')
    other = spec._replace(settings=noise_settings(NoiseCriteria(32, 8)))
    assert pool_status(other) == (f'{summary} was made with sub_size=16 (this config: 8), '
                                  'sub_stride=16 (this config: 8)')
    every = spec._replace(image_size=None)
    assert pool_status(every) == (f'{summary} was made from the 128x64 images of '
                                  f'{osp.abspath(frames)} (this config: every image)')
    os.remove(summary)  # a run that did not finish
    assert pool_status(spec) == (f'noise pool {spec.out_dir}: no summary.json (not built, or not '
                                 'finished)')
    with open(summary, 'w') as f:
        json.dump(dict(src_dir=frames), f)
    assert pool_status(spec) == f'{summary} records no settings (written by an older version ' \
        'of the pool tools)'
    with open(summary, 'w') as f:
        f.write('{half a summ')
    assert pool_status(spec).startswith(f'{summary}: not a readable summary')


def test_a_kernel_pool_is_current_whatever_it_was_pooled_over_but_not_unfinished(frames, tmp_path):
    spec = _spec('kernels', frames, tmp_path, kernel_settings('spectral-pooled', 4))
    options = KernelPoolOptions(
        spec.src_dir,
        spec.out_dir,
        4,
        'spectral-pooled',
        min_pooled_images=3,
        progress=False,
        image_size=spec.image_size)
    assert write_kernel_pool(options) == 0
    with open(osp.join(spec.out_dir, 'summary.json')) as f:
        assert 'pooled_over' in json.load(f)['settings']  # the image list, not the config's
    assert pool_status(spec) is None
    assert pool_status(spec._replace(settings=kernel_settings('kernelgan', 4))) == (
        f"{spec.out_dir}/summary.json was made with method='spectral-pooled' (this config: "
        "'kernelgan')")
    sharded = spec._replace(
        out_dir=str(tmp_path / 'sharded'), settings=kernel_settings('spectral', 4))
    half = KernelPoolOptions(
        sharded.src_dir,
        sharded.out_dir,
        4,
        'spectral',
        shard=(0, 2),
        progress=False,
        image_size=sharded.image_size)
    assert write_kernel_pool(half) == 0
    assert os.listdir(sharded.out_dir) and 'no summary.json' in pool_status(sharded)
    assert write_kernel_pool(KernelPoolOptions(**dict(vars(half), shard=(1, 2)))) == 0
    assert pool_status(sharded) is None


@pytest.mark.usefixtures('one_torch_thread')
def test_options_from_a_spec_write_the_pool_the_spec_describes(frames, tmp_path):
    spec = _spec('kernels', frames, tmp_path, kernel_settings('kernelgan', 2, iterations=2))
    options = KernelPoolOptions.from_spec(spec, progress=False)
    assert (options.src_dir, options.out_dir, options.image_size) == (frames, spec.out_dir, (128,
                                                                                             64))
    assert (options.scale, options.method, options.iterations, options.crop) == (2, 'kernelgan', 2,
                                                                                 64)
    assert write_kernel_pool(options) == 0
    assert pool_status(spec) is None
    assert KernelPoolOptions.from_spec(spec, iterations=5).iterations == 5  # the run's choice
