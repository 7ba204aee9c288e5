# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job at its smallest size: every stage runs and leaves sane outputs."""
import glob
import json
import math
import os
import os.path as osp
import runpy

import cv2
import numpy as np
import pytest
from _helpers import REPO_ROOT

from mmssg.degradation.functional import validate_kernel

ROWS = ('bicubic', 'stand-ins, before joint training', 'SSG-RWSR (demo)')


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    work = tmp_path_factory.mktemp('demo')
    main = runpy.run_path(osp.join(REPO_ROOT, 'tools', 'demo.py'))['main']
    before = sorted(os.listdir(REPO_ROOT))
    assert main(['--work-dir', str(work), '--quick']) == 0
    assert sorted(os.listdir(REPO_ROOT)) == before  # nothing written outside the work dir
    results = {name: json.load(open(work / f'metrics_{slug}.json'))['metrics']
               for name, slug in zip(ROWS, ('bicubic', 'init', 'ssg_rwsr'))}
    return work, main, results


def test_data_and_pools(demo):
    work, _, _ = demo
    lr = sorted(glob.glob(str(work / 'data' / 'cityscapes' / 'leftImg8bit' / 'train' / '*' / '*.png')))
    assert len(lr) == 4 and cv2.imread(lr[0]).shape == (128, 256, 3)
    noise = json.load(open(work / 'pools' / 'noise_p32' / 'summary.json'))
    assert noise['patches_kept'] > 0
    patches = np.concatenate([np.load(p) for p in glob.glob(str(work / 'pools' / 'noise_p32' / '*.npy'))])
    assert patches.shape[1:] == (32, 32, 3)
    assert np.abs(patches.mean(axis=(1, 2))).max() < 1e-3  # mean-subtracted
    kernels = sorted(glob.glob(str(work / 'pools' / 'kernels_x4' / '*.npy')))
    assert len(kernels) == 4
    for path in kernels:
        validate_kernel(np.load(path), source=path)


def test_training_outputs_and_metrics(demo):
    work, _, results = demo
    for path in ('pretrained/generator_bicubic.pth', 'pretrained/segmentor.pth',
                 'train/iter_4.pth'):
        assert osp.getsize(work / path) > 10_000, path
    for name, metrics in results.items():
        for key in ('PSNR', 'SSIM', 'LPIPS', 'SR/mIoU', 'SR/aAcc'):
            assert math.isfinite(metrics[key]), (name, key)
        assert math.isfinite(metrics['NIQE']) or metrics['NIQE_unscored'] == 2
        assert 0 <= metrics['SSIM'] <= 1 and 0 <= metrics['SR/mIoU'] <= 100
    assert results['bicubic']['PSNR'] > 15
    table = open(work / 'results.md').read()
    for row in ROWS:
        assert f'| {row} |' in table
    assert 'mIoU on SR' in table and 'hidden camera' in table


def test_inference_outputs_and_figure(demo):
    work, _, _ = demo
    sr = sorted(glob.glob(str(work / 'sr_val' / '*' / '*.png')))
    assert len(sr) == 2 and cv2.imread(sr[0]).shape == (512, 1024, 3)
    figure = cv2.imread(str(work / 'comparison.png'))
    assert figure.shape == (28 + 2 * 512, 5 * 1024, 3)
    hr_panel = figure[28:540, 3 * 1024:4 * 1024]
    hr = cv2.imread(sorted(glob.glob(str(work / 'data' / 'cityscapes' / 'leftImg8bit_hr' / 'val' / '*' / '*.png')))[0])
    assert np.array_equal(hr_panel, hr)  # the HR column is the hidden render itself


def test_rerun_reuses_what_exists(demo, capsys):
    work, main, _ = demo
    kept = [work / 'train' / 'iter_4.pth', work / 'metrics_ssg_rwsr.json']
    mtimes = [os.path.getmtime(path) for path in kept]
    main(['--work-dir', str(work), '--quick'])
    out = capsys.readouterr().out
    assert out.count('reusing') >= 5
    assert [os.path.getmtime(path) for path in kept] == mtimes
    # a stand-in newer than the joint checkpoint: train again, then score again
    os.utime(work / 'pretrained' / 'generator_bicubic.pth')
    main(['--work-dir', str(work), '--quick'])
    assert [os.path.getmtime(path) > before for path, before in zip(kept, mtimes)] == [True] * 2
    # a pool newer than the joint checkpoint (re-estimated kernels): train and score again,
    # but keep the stand-ins, which do not depend on the pools
    mtimes = [os.path.getmtime(path) for path in kept]
    stand_in = work / 'pretrained' / 'segmentor.pth'
    stand_in_mtime = os.path.getmtime(stand_in)
    os.utime(work / 'pools' / 'kernels_x4' / 'summary.json')
    main(['--work-dir', str(work), '--quick'])
    assert [os.path.getmtime(path) > before for path, before in zip(kept, mtimes)] == [True] * 2
    assert os.path.getmtime(stand_in) == stand_in_mtime
