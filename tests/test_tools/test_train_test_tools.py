# Copyright (c) mmssg contributors. All rights reserved.
"""tools/dist_train.sh with 2 CPU processes (gloo), --resume, and tools/test.py metrics."""
import json
import math
import os
import os.path as osp
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch
from _helpers import REPO_ROOT, config_path

from mmssg.datasets.demo_data import make_demo_dataset
from mmssg.degradation.functional import anisotropic_gaussian_kernel

PYTHON = sys.executable

RANK_DUMP_HOOK = '''
import torch
from mmagic.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module(force=True)
class RankWeightsDumpHook(Hook):
    """Saves every rank's parameters and buffers at the end of training."""

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = {}
        for name, child in model.named_children():
            child = child.module if is_model_wrapper(child) else child
            for key, value in child.named_parameters():
                state[name + '.' + key] = value.detach().cpu().clone()
        torch.save(state, runner.work_dir + '/rank%d_weights.pth' % get_rank())
'''


def write_pools(root, lr_patch):
    os.makedirs(root / 'pools' / 'kernels_x4')
    os.makedirs(root / 'pools' / 'noise_p16')
    for i, (a, b, t) in enumerate([(2.0, 1.2, 0.4), (1.6, 1.6, 0.0)]):
        kernel = anisotropic_gaussian_kernel(13, a, b, t).astype(np.float32)
        np.save(root / 'pools' / 'kernels_x4' / f'k{i}.npy', kernel / kernel.sum())
    noise = np.random.default_rng(0).normal(0, 5, (6, lr_patch, lr_patch, 3)).astype(np.float32)
    np.save(root / 'pools' / 'noise_p16' / 'img0.npy', noise - noise.mean(axis=(1, 2), keepdims=True))


TINY_CONFIG = '''
_base_ = [{demo!r}]
custom_imports = dict(imports=['mmssg', 'rank_dump_hook'], allow_failed_imports=False)
model = dict(
    generator=dict(mid_channels=8, num_blocks=1, growth_channels=4, init_cfg=None),
    segmentor=dict(init_cfg=None))
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.RandomCrop', crop_size=(16, 16)),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='PackInputs', keys='img', data_keys='gt_seg_map'),
]))
train_cfg = dict(max_iters=4, val_begin=1000, val_interval=1000, dataloaders=dict(adapted=dict(
    batch_size=2, dataset=dict(pipeline=[
        dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
        dict(type='Crop', keys=['gt'], crop_size=(64, 64), random_crop=True),
        dict(type='DomainAdaptedDegradation', kernel_pool={root!r} + '/pools/kernels_x4',
             noise_pool={root!r} + '/pools/noise_p16', scale=4),
        dict(type='PackInputs', keys='img'),
    ]))))
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=3), logger=dict(interval=1))
custom_hooks = [dict(type='RankWeightsDumpHook')]
'''


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_demo')
    make_demo_dataset(str(root / 'data'), seed=3, num_train=4, num_val=2, num_clean=4,
                      lr_size=(128, 64), log=lambda *a: None)
    write_pools(root, lr_patch=16)
    (root / 'rank_dump_hook.py').write_text(RANK_DUMP_HOOK)
    config = root / 'tiny_config.py'
    config.write_text(TINY_CONFIG.format(demo=config_path('ssg_rwsr_x4_demo.py'), root=str(root)))
    env = dict(os.environ, MMSSG_DEMO_ROOT=str(root), PYTHON=PYTHON,
               PYTHONPATH=os.pathsep.join([str(root), REPO_ROOT]), OMP_NUM_THREADS='1',
               PORT=str(29500 + os.getpid() % 1000))
    return root, str(config), env


def dist_train(config, work_dir, env, *extra):
    cmd = ['bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), config, '2',
           '--work-dir', work_dir, *extra]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def assert_ranks_identical(work_dir):
    # parameters; plain BN running statistics are rank-local by design (SyncBN on GPUs)
    rank0 = torch.load(osp.join(work_dir, 'rank0_weights.pth'))
    rank1 = torch.load(osp.join(work_dir, 'rank1_weights.pth'))
    assert rank0.keys() == rank1.keys()
    assert any(k.startswith('segmentor.') for k in rank0)
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    return rank0


def test_two_cpu_processes_train_in_step_and_resume(tiny_run):
    root, config, env = tiny_run
    work_dir = str(root / 'work')
    log = dist_train(config, work_dir, env)
    assert 'gloo' in log
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    first = assert_ranks_identical(work_dir)

    log = dist_train(config, work_dir, env, '--resume',
                     '--cfg-options', 'train_cfg.max_iters=6')
    assert 'resumed' in log.lower() or 'Resuming at iteration 4' in log
    assert 'Resuming at iteration 4' in log
    assert osp.isfile(osp.join(work_dir, 'iter_6.pth'))
    second = assert_ranks_identical(work_dir)
    assert not all(torch.equal(first[k], second[k]) for k in first if 'generator' in k)


def test_test_tool_writes_every_metric_for_model_and_bicubic(tiny_run, tmp_path):
    root, config, env = tiny_run
    checkpoint = root / 'work' / 'iter_4.pth'
    if not checkpoint.exists():
        pytest.skip('needs the checkpoint of the training test')
    os.environ['MMSSG_DEMO_ROOT'] = str(root)
    sys.path.insert(0, str(root))
    try:
        test_tool = runpy.run_path(osp.join(REPO_ROOT, 'tools', 'test.py'))
        results = {}
        for name, extra in (('model', []),
                            ('bicubic', ['model.generator.type=BicubicUpsampler'])):
            out = str(tmp_path / f'{name}.json')
            test_tool['main']([config, str(checkpoint), '--work-dir', str(tmp_path / name),
                               '--out', out, '--cfg-options', 'model.generator.init_cfg=None',
                               *extra])
            results[name] = json.load(open(out))['metrics']
    finally:
        os.environ.pop('MMSSG_DEMO_ROOT')
        sys.path.remove(str(root))
    for metrics in results.values():
        assert {'PSNR', 'SSIM', 'LPIPS', 'NIQE', 'NIQE_unscored', 'SR/mIoU', 'SR/aAcc'} <= set(metrics)
        for name in ('PSNR', 'SSIM', 'LPIPS', 'SR/mIoU', 'SR/aAcc'):
            assert math.isfinite(metrics[name]), name
        # a 4-iteration generator may output flat images, which NIQE leaves unscored
        assert math.isfinite(metrics['NIQE']) or metrics['NIQE_unscored'] == 2
    assert results['bicubic']['NIQE_unscored'] == 0 and math.isfinite(results['bicubic']['NIQE'])
    assert results['bicubic']['PSNR'] > 15  # bicubic of the real LR frames vs their HR renders
    assert results['model']['PSNR'] != results['bicubic']['PSNR']
