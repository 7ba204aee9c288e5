# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job at its smallest size: every stage runs and leaves sane outputs."""
import glob
import json
import math
import os
import os.path as osp
import runpy
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from _helpers import REPO_ROOT

from mmssg.degradation.functional import validate_kernel
from mmssg.degradation.spectral_kernels import MIN_POOLED_IMAGES, fit_settings

DEMO = runpy.run_path(osp.join(REPO_ROOT, 'tools', 'demo.py'))
ROWS = DEMO['ROWS']
pytestmark = pytest.mark.heavy


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    work = tmp_path_factory.mktemp('demo')
    readme = work / 'README.md'
    readme.write_text(f'# title\n\n{DEMO["README_BEGIN"]}\nold\n{DEMO["README_END"]}\n\nrest\n')
    before = sorted(os.listdir(REPO_ROOT))
    assert DEMO['main'](['--work-dir', str(work), '--quick', '--readme', str(readme)]) == 0
    assert sorted(os.listdir(REPO_ROOT)) == before  # nothing written outside the work dir
    results = {slug: json.load(open(work / 'results' / f'{slug}.json')) for slug in ROWS}
    return work, results


def test_data_and_pools(demo):
    work, _ = demo
    lr = sorted(
        glob.glob(str(work / 'data' / 'cityscapes' / 'leftImg8bit' / 'train' / '*' / '*.png')))
    count = DEMO['SIZES']['quick']['num_train']
    assert len(lr) == count >= MIN_POOLED_IMAGES
    assert cv2.imread(lr[0]).shape == (96, 192, 3)
    noise = json.load(open(work / 'pools' / 'noise_p32' / 'summary.json'))
    assert noise['patches_kept'] > 0
    kernels = sorted(glob.glob(str(work / 'pools' / 'kernels_x4' / '*.npy')))
    assert len(kernels) == count
    summary = json.load(open(work / 'pools' / 'kernels_x4' / 'summary.json'))
    assert {r['pooled_images'] for r in summary['images']} == {count}
    for path in kernels:
        validate_kernel(np.load(path), source=path)


def test_three_joint_runs_and_a_results_file_per_row(demo):
    work, results = demo
    # two turns of each kind: four for both turns, two for each ablation
    for path in ['pretrained/generator_bicubic.pth', 'pretrained/segmentor.pth'] + [
            'train/ssg_rwsr/iter_4.pth', 'train/adapted_only/iter_2.pth',
            'train/guided_only/iter_2.pth'
    ]:
        assert osp.getsize(work / path) > 10_000, path
    table3 = DEMO['TABLES']['table3'][0]
    for slug, result in results.items():
        metrics = result['metrics']
        assert result['method'] == ROWS[slug]
        for key in ('PSNR', 'SSIM', 'LPIPS', 'SR/mIoU', 'ColourShift/R'):
            assert math.isfinite(metrics[key]), (slug, key)
        if slug in table3:
            assert math.isfinite(metrics['DISTS'])
            assert math.isfinite(metrics['NIQE']) or metrics['NIQE_unscored'] == 2
            assert set(result['random_weights_metrics']) == {'LPIPS', 'DISTS'}
        else:  # Table 4 only: without the slow NIQE and DISTS
            assert 'NIQE' not in metrics and 'DISTS' not in metrics
            assert set(result['random_weights_metrics']) == {'LPIPS'}
    assert results['bicubic']['metrics']['PSNR'] > 15


def test_tables_colour_errors_and_readme_block(demo):
    work, _ = demo
    text = open(work / 'results.md').read()
    for slug in ROWS:
        assert f'| {ROWS[slug]} |' in text or f'| **{ROWS[slug]}** |' in text, slug
    assert 'LPIPS*' in text and 'DISTS*' in text and 'mIoU on SR' in text
    assert 'Mean colour error against HR' in text and 'hidden camera' in text
    readme = open(work / 'README.md').read()
    assert readme.startswith('# title\n') and readme.endswith('\n\nrest\n')
    assert text.strip() in readme and 'old' not in readme


def test_sr_images_inference_and_figure(demo):
    work, _ = demo
    for slug in ROWS:
        sr = sorted(glob.glob(str(work / 'sr' / slug / '*' / '*.png')))
        assert len(sr) == 2 and cv2.imread(sr[0]).shape == (384, 768, 3), slug
    inferred = sorted(glob.glob(str(work / 'sr_inference' / '*' / '*.png')))
    tested = sorted(glob.glob(str(work / 'sr' / 'ssg_rwsr' / '*' / '*.png')))
    assert [osp.basename(p) for p in inferred] == [osp.basename(p) for p in tested]
    for a, b in zip(inferred, tested):
        assert np.abs(cv2.imread(a).astype(int) - cv2.imread(b).astype(int)).max() <= 1
    figure = cv2.imread(str(work / 'comparison.png'))
    assert figure is not None and figure.shape[1] > 7 * 128  # LR, five rows of SR, HR


def test_rerun_reuses_what_exists(demo, capsys):
    work, _ = demo
    kept = [work / 'train' / 'ssg_rwsr' / 'iter_4.pth', work / 'results' / 'ssg_rwsr.json']
    mtimes = [os.path.getmtime(path) for path in kept]
    assert DEMO['main'](['--work-dir', str(work), '--quick']) == 0
    out = capsys.readouterr().out
    assert 'reusing both' in out and 'reusing every run and score' in out
    assert [os.path.getmtime(path) for path in kept] == mtimes


def test_a_newer_pool_trains_and_scores_again_but_keeps_the_stand_ins(demo):
    work, _ = demo
    cfg = DEMO['load_demo_config'](str(work))
    # re-estimated kernels: every joint run is stale, and so is every score that depends
    # on one (bicubic's mIoU uses the SSG-RWSR segmentor); the stand-ins do not use the pools
    os.utime(work / 'pools' / 'kernels_x4' / 'summary.json')
    training, checkpoints = DEMO['joint_jobs'](cfg, str(work), 2)
    assert [job.name for job in training] == [f'train_{slug}' for slug in DEMO['JOINT_RUNS']]
    # two turns of each kind each: the full run has both ablations' turns
    schedule = ('train_cfg.max_iters', 'train_cfg.turns')
    assert [[arg for arg in job.command if arg.startswith(schedule)] for job in training] == [
        ['train_cfg.max_iters=4', 'train_cfg.turns=[guided,adapted]'],
        ['train_cfg.max_iters=2', 'train_cfg.turns=[adapted]'],
        ['train_cfg.max_iters=2', 'train_cfg.turns=[guided]'],
    ]
    scoring, _ = DEMO['eval_jobs'](str(work), checkpoints, {job.name for job in training})
    # the full run's score first: its training ends last and its score is the longest
    assert [job.name for job in scoring
            ] == ['test_ssg_rwsr', 'test_bicubic', 'test_adapted_only', 'test_guided_only']
    assert {
        job.name: job.after
        for job in scoring
    } == {
        'test_bicubic': ['train_ssg_rwsr'],
        'test_adapted_only': ['train_adapted_only'],
        'test_guided_only': ['train_guided_only'],
        'test_ssg_rwsr': ['train_ssg_rwsr'],
    }
    data_summary = str(work / 'data' / 'summary.json')
    size = DEMO['SIZES']['quick']
    assert DEMO['make_stand_ins'](cfg, str(work), size, data_summary, 2) == 'reusing both'


def test_a_kernel_pool_of_another_estimator_is_not_reused(tmp_path):
    pool = tmp_path / 'pool'
    pool.mkdir()
    data_summary = tmp_path / 'data_summary.json'
    data_summary.write_text('{}')
    (pool / 'summary.json').write_text(json.dumps(dict(settings=dict(method='kernelgan', scale=4))))
    cfg = SimpleNamespace(kernel_pool=str(pool), kernel_method='kernelgan', scale=4)
    note = DEMO['make_kernel_pool'](cfg, str(tmp_path / 'no_images'), str(data_summary))
    assert note.startswith('reusing')
    # the config now names another estimator: the old pool is removed and made again (here
    # the tool then fails on the missing image folder, which shows it was run)
    cfg.kernel_method = 'spectral-pooled'
    with pytest.raises((SystemExit, Exception)):
        DEMO['make_kernel_pool'](cfg, str(tmp_path / 'no_images'), str(data_summary))
    assert not (pool / 'summary.json').exists()
    # the same estimator with another fit (model, tile, priors, scale, kernel size): made again
    current = fit_settings(4)
    changes = ((None, True), ('model', False), ('tile', False), ('isotropy_prior', False),
               ('scale', False), ('kernel_size', False))
    for changed, reused in changes:
        pool.mkdir(exist_ok=True)
        settings = dict(current, method='spectral-pooled')
        if changed:
            settings[changed] = current[changed] - 1
        (pool / 'summary.json').write_text(json.dumps(dict(settings=settings)))
        if reused:
            assert DEMO['make_kernel_pool'](cfg, 'unused', str(data_summary)).startswith('reusing')
        else:
            with pytest.raises((SystemExit, Exception)):
                DEMO['make_kernel_pool'](cfg, str(tmp_path / 'no_images'), str(data_summary))
            assert not (pool / 'summary.json').exists()


def test_jobs_below_one_is_refused_naming_the_value(capsys):
    with pytest.raises(SystemExit):
        DEMO['parse_args'](['--jobs', '0'])
    assert '--jobs must be at least 1, got 0' in capsys.readouterr().err


def test_full_schedule_is_the_configs_own(tmp_path, monkeypatch):
    from mmengine.config import Config
    monkeypatch.setenv('MMSSG_DEMO_ROOT', str(tmp_path))
    cfg = DEMO['load_demo_config'](str(tmp_path))
    schedule = DEMO['config_schedule'](cfg)
    generator = Config.fromfile(DEMO['PRETRAIN_GENERATOR'])
    segmentor = Config.fromfile(DEMO['PRETRAIN_SEGMENTOR'])
    assert schedule == dict(
        generator_iters=generator.train_cfg.max_iters,
        segmentor_iters=segmentor.train_cfg.max_iters,
        joint_turns=cfg.train_cfg.max_iters // len(cfg.train_cfg.turns))
    # each config saves its last step and validates at it: the demo keeps that checkpoint
    assert generator.default_hooks.checkpoint.interval == schedule['generator_iters']
    assert segmentor.default_hooks.checkpoint.interval == schedule['segmentor_iters']
    assert cfg.default_hooks.checkpoint.interval == cfg.train_cfg.max_iters
    cfg.train_cfg.max_iters += 1
    with pytest.raises(ValueError, match=f'train_cfg.max_iters={cfg.train_cfg.max_iters} is not'):
        DEMO['config_schedule'](cfg)
