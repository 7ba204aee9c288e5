# Copyright (c) mmssg contributors. All rights reserved.
"""tools/dist_train.sh with 2 CPU processes (gloo), --resume, and what reads its checkpoints.

A checkpoint written by a multi-process run must give tools/test.py, tools/inference.py and
tools/export_generator.py exactly what the networks held at the end of training.
"""
import glob
import json
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmagic.models.editors import RRDBNet
from mmengine.config import Config

from mmssg.testing.tiny_run import dist_train, make_tiny_run

pytestmark = pytest.mark.heavy


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_demo')
    config, env = make_tiny_run(root)
    return root, config, env


@pytest.fixture(scope='module')
def in_process_tools(tiny_run):
    """The tools' main functions, with the demo root the tiny config reads."""
    from mmssg.cli import export_generator, inference, test
    root, _, _ = tiny_run
    os.environ['MMSSG_DEMO_ROOT'] = str(root)
    yield dict(test=test.main, inference=inference.main, export_generator=export_generator.main)
    os.environ.pop('MMSSG_DEMO_ROOT')


def rank_weights(work_dir, rank):
    return torch.load(osp.join(work_dir, f'rank{rank}_weights.pth'))


def assert_ranks_identical(work_dir):
    # parameters; plain BN running statistics are rank-local by design (SyncBN on GPUs)
    rank0, rank1 = rank_weights(work_dir, 0), rank_weights(work_dir, 1)
    assert rank0['params'] == rank1['params']
    assert any(k.startswith('segmentor.') for k in rank0['params'])
    for key in rank0['params']:
        assert torch.equal(rank0['state'][key], rank1['state'][key]), key
    return rank0['state']


def test_two_cpu_processes_train_in_step_and_resume(tiny_run):
    root, config, env = tiny_run
    work_dir = str(root / 'work')
    log = dist_train(config, work_dir, env)
    assert 'gloo' in log
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    first = assert_ranks_identical(work_dir)

    log = dist_train(config, work_dir, env, '--resume', '--cfg-options', 'train_cfg.max_iters=6')
    assert 'Resuming at iteration 4' in log
    assert osp.isfile(osp.join(work_dir, 'iter_6.pth'))
    second = assert_ranks_identical(work_dir)
    assert not all(torch.equal(first[k], second[k]) for k in first if 'generator' in k)


@pytest.fixture(scope='module')
def checkpoints(tiny_run):
    """The 2-process checkpoint, the same weights saved by one process, and an old-style file."""
    root, _, _ = tiny_run
    work_dir = root / 'work'
    checkpoint = work_dir / 'iter_6.pth'
    if not checkpoint.exists():
        pytest.skip('needs the checkpoint of the training test')
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    assert not any('.module.' in key for key in state)  # the same keys whatever the launcher
    single = root / 'single_process.pth'
    torch.save({'state_dict': rank_weights(work_dir, 0)['state'], 'meta': {}}, single)
    old = root / 'old_multi_process.pth'
    torch.save(
        {
            'state_dict': {
                k.replace('generator.', 'generator.module.', 1): v
                for k, v in state.items()
            },
            'meta': {}
        }, old)
    return dict(dist=str(checkpoint), single=str(single), old=str(old))


def generator_sr(config, weights_file, lr_path):
    """The SR image of ``lr_path`` by a generator built here from MMagic's RRDBNet, the
    config's generator settings and the weights of a :class:`RankWeightsDumpHook` file, fed
    as the model's preprocessor feeds it (RGB / 255); 8-bit BGR, as cv2 reads the PNGs
    tools/test.py writes."""
    settings = dict(Config.fromfile(config).model.generator)
    assert settings.pop('type') == 'RRDBNet'
    settings.pop('init_cfg', None)
    generator = RRDBNet(**settings).eval()
    weights = torch.load(weights_file)['state']
    generator.load_state_dict({
        k[len('generator.'):]: v
        for k, v in weights.items() if k.startswith('generator.')
    })
    rgb = cv2.cvtColor(cv2.imread(str(lr_path)), cv2.COLOR_BGR2RGB)
    with torch.no_grad():
        sr = generator(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0]
    sr = (sr * 255).clamp(0, 255).round().byte().permute(1, 2, 0).numpy()
    return cv2.cvtColor(sr, cv2.COLOR_RGB2BGR)


def test_test_tool_scores_the_trained_networks_whatever_the_launcher(tiny_run, checkpoints,
                                                                     in_process_tools, tmp_path):
    root, config, _ = tiny_run
    results = {}
    runs = dict(checkpoints, bicubic=checkpoints['dist'])
    for name, path in runs.items():
        out = str(tmp_path / f'{name}.json')
        extra = ['--cfg-options', 'model.generator.type=BicubicUpsampler'] \
            if name == 'bicubic' else []
        status = in_process_tools['test']([
            config, path, '--work-dir',
            str(tmp_path / name), '--out', out, '--save-sr',
            str(tmp_path / 'sr' / name), *extra
        ])
        assert status == 0
        results[name] = json.load(open(out))['metrics']
    assert results['dist'] == results['single'] == results['old']
    # the SR images it scored are the trained generator's (the weights rank 0 held at the
    # end of training), from each checkpoint
    val = root / 'data' / 'cityscapes' / 'leftImg8bit' / 'val'
    lr_files = sorted(val.glob('*/*.png'))
    assert len(lr_files) == 2
    expected = [generator_sr(config, root / 'work' / 'rank0_weights.pth', f) for f in lr_files]
    # which the generator the training started from would not give (this comparison tells
    # the trained weights from any other)
    start = [generator_sr(config, root / 'work' / 'rank0_weights_iter0.pth', f) for f in lr_files]
    assert max(np.abs(a.astype(int) - b.astype(int)).max() for a, b in zip(expected, start)) > 1
    assert all(image.std() > 10 for image in expected)  # pictures, not flat fields
    for name in checkpoints:
        for lr_file, reference in zip(lr_files, expected):
            saved = cv2.imread(str(tmp_path / 'sr' / name / lr_file.relative_to(val)))
            assert saved is not None and saved.shape == reference.shape, (name, lr_file)
            difference = np.abs(saved.astype(int) - reference.astype(int)).max()
            assert difference <= 1, f'{name}: {lr_file.name} is {difference} grey levels off'
    for metrics in results.values():
        assert {'PSNR', 'SSIM', 'LPIPS', 'NIQE', 'NIQE_unscored', 'SR/mIoU',
                'SR/aAcc'} <= set(metrics)
        for name in ('PSNR', 'SSIM', 'LPIPS', 'SR/mIoU', 'SR/aAcc'):
            assert math.isfinite(metrics[name]), name
    assert results['bicubic']['NIQE_unscored'] == 0 and math.isfinite(results['bicubic']['NIQE'])
    assert results['bicubic']['PSNR'] > 15  # bicubic of the real LR frames vs their HR renders
    assert results['dist']['PSNR'] != results['bicubic']['PSNR']


def test_inference_and_export_give_the_trained_generator(tiny_run, checkpoints, in_process_tools,
                                                         tmp_path):
    root, config, _ = tiny_run
    val = str(root / 'data' / 'cityscapes' / 'leftImg8bit' / 'val')
    images = {}
    for name, path in checkpoints.items():
        assert in_process_tools['inference']([config, path, val, str(tmp_path / name)]) == 0
        files = sorted(glob.glob(str(tmp_path / name / '*' / '*.png')))
        assert len(files) == 2
        images[name] = [cv2.imread(f) for f in files]
        out = str(tmp_path / f'{name}_generator.pth')
        assert in_process_tools['export_generator']([path, out]) == 0
        exported = torch.load(out)['state_dict']
        expected = {
            k[len('generator.'):]: v
            for k, v in rank_weights(root / 'work', 0)['state'].items()
            if k.startswith('generator.')
        }
        assert exported.keys() == expected.keys()
        assert all(torch.equal(exported[k], expected[k]) for k in expected)
    for name in ('single', 'old'):
        assert all((a == b).all() for a, b in zip(images['dist'], images[name]))
