# Copyright (c) mmssg contributors. All rights reserved.
"""A tiny training set-up on demo data, run with the real tools in subprocesses.

Its config adds the hooks of :mod:`mmssg.testing.hooks` (weights dumped per rank, a SIGKILL at
a given iteration). Its generator starts as a bilinear x4 upsampler (``UpsamplerStart``), so
that its SR images are pictures from the first iteration on: a tiny generator from a random
start outputs black images for its first iterations, which tell no weights apart.
"""
import os
import os.path as osp
import subprocess
import sys

import numpy as np

from mmssg.degradation.functional import anisotropic_gaussian_kernel
from mmssg.demo import make_demo_dataset
from .configs import REPO_ROOT, config_path

PYTHON = sys.executable

TINY_CONFIG = '''
_base_ = [{demo!r}]
custom_imports = dict(imports=['mmssg', 'mmssg.testing.hooks'], allow_failed_imports=False)
model = dict(
    generator=dict(mid_channels=8, num_blocks=1, growth_channels=4,
                   init_cfg=dict(_delete_=True, type='UpsamplerStart')),
    segmentor=dict(init_cfg=None))
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='MatchLabelSize'),
    dict(type='mmseg.RandomCrop', crop_size=(16, 16)),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='PackInputs', keys='img', data_keys='gt_seg_map'),
]))
train_cfg = dict(max_iters=4, val_begin=1000, val_interval=1000, dataloaders=dict(adapted=dict(
    batch_size=2, dataset=dict(pipeline=[
        dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
        dict(type='Crop', keys=['gt'], crop_size=(64, 64), random_crop=True),
        dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='horizontal'),
        dict(type='DomainAdaptedDegradation', kernel_pool={root!r} + '/pools/kernels_x4',
             noise_pool={root!r} + '/pools/noise_p16', scale=4),
        dict(type='PackInputs', keys='img'),
    ]))))
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=3), logger=dict(interval=1))
custom_hooks = [dict(type='StrictCheckpointHook'), dict(type='RankWeightsDumpHook')]
'''


def write_pools(root, lr_patch):
    os.makedirs(root / 'pools' / 'kernels_x4')
    os.makedirs(root / 'pools' / 'noise_p16')
    for i, (a, b, t) in enumerate([(2.0, 1.2, 0.4), (1.6, 1.6, 0.0)]):
        kernel = anisotropic_gaussian_kernel(13, a, b, t).astype(np.float32)
        np.save(root / 'pools' / 'kernels_x4' / f'k{i}.npy', kernel / kernel.sum())
    noise = np.random.default_rng(0).normal(0, 5, (6, lr_patch, lr_patch, 3)).astype(np.float32)
    np.save(root / 'pools' / 'noise_p16' / 'img0.npy',
            noise - noise.mean(axis=(1, 2), keepdims=True))


def make_tiny_run(root):
    """Demo data, pools and the tiny config under ``root``.

    Returns:
        tuple: ``(config path, environment for the tools' subprocesses)``.
    """
    make_demo_dataset(
        str(root / 'data'),
        seed=3,
        num_train=4,
        num_val=2,
        num_clean=4,
        lr_size=(128, 64),
        log=lambda *a: None)
    write_pools(root, lr_patch=16)
    config = root / 'tiny_config.py'
    config.write_text(TINY_CONFIG.format(demo=config_path('ssg_rwsr_x4_demo.py'), root=str(root)))
    env = dict(
        os.environ,
        MMSSG_DEMO_ROOT=str(root),
        PYTHON=PYTHON,
        OMP_NUM_THREADS='1',
        PORT=str(29500 + os.getpid() % 1000))
    return str(config), env


def run(cmd, env, expect=0, cwd=REPO_ROOT):
    """Run a command (from the repository root by default); check its exit status."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def dist_train(config, work_dir, env, *extra):
    return run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), config, '2', '--work-dir', work_dir, *extra
    ], env)


def train(config, work_dir, env, *extra, expect=0):
    return run(
        [PYTHON,
         osp.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir, *extra], env,
        expect)
