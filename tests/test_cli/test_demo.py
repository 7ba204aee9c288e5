# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job at its smallest size: every stage runs and leaves sane outputs, and a
stage is redone exactly when what it is made from changed."""
import glob
import json
import math
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmagic.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmssg.cli import demo as demo_tool
from mmssg.cli import demo_stages, train
from mmssg.cli.demo_pseudo_labels import PSEUDO_ROW
from mmssg.degradation.functional import validate_kernel
from mmssg.degradation.spectral_kernels import MIN_POOLED_IMAGES
from mmssg.demo.report import (PSEUDO_BEGIN, PSEUDO_END, PSEUDO_PAGE, README_BEGIN, README_END,
                               ROWS, TABLES)
from mmssg.testing import REPO_ROOT
from mmssg.utils import CONFIG_ROOT

pytestmark = pytest.mark.heavy
UPSTREAM = ['data', 'noise_pool', 'kernel_pool', 'pretrain_generator', 'pretrain_segmentor']
# the pseudo-label run's stages that do not read the joint runs' config
PSEUDO_UPSTREAM = ['other_camera_data', 'pretrain_segmentor_other_camera', 'pseudo_labels']
PSEUDO_RUN = [
    'train_ssg_rwsr_pseudo', 'test_ssg_rwsr_pseudo', 'pseudo_label_table', 'pseudo_label_report'
]


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """The quick demo, run with a copy of the configs (which a test below edits)."""
    work = tmp_path_factory.mktemp('demo')
    configs = work / 'configs'
    shutil.copytree(CONFIG_ROOT, configs)
    readme = work / 'README.md'
    readme.write_text(f'# title\n\n{README_BEGIN}\nold\n{README_END}\n\nrest\n')
    (work / 'docs').mkdir()
    (work / PSEUDO_PAGE).write_text(f'# camera\n\n{PSEUDO_BEGIN}\n{PSEUDO_END}\n\nrest\n')
    before = sorted(os.listdir(REPO_ROOT))
    argv = [
        '--work-dir',
        str(work / 'run'), '--quick', '--pseudo-labels', '--config',
        str(configs / 'ssg_rwsr_x4_demo.py')
    ]
    assert demo_tool.main(argv + ['--readme', str(readme)]) == 0
    assert sorted(os.listdir(REPO_ROOT)) == before  # nothing written outside the work dir
    run = work / 'run'
    results = {slug: json.load(open(run / 'results' / f'{slug}.json')) for slug in ROWS}
    return work, run, argv, results


def outcomes(capsys):
    """``{stage: outcome}`` from what the last run or plan printed."""
    lines = capsys.readouterr().out.splitlines()
    found = {}
    for line in lines:
        if line.startswith('=== ') and ': ' in line:
            name, rest = line[4:].split(': ', 1)
            found[name] = 'reused' if rest.startswith('reused') else found.get(name, 'ran')
        elif ': ' in line and line.split(': ')[-1] in ('reused', 'would run'):
            name, outcome = line.split(': ')
            found[name] = outcome
    return found


def test_data_and_pools(demo):
    _, run, _, _ = demo
    lr = sorted(
        glob.glob(str(run / 'data' / 'cityscapes' / 'leftImg8bit' / 'train' / '*' / '*.png')))
    count = demo_tool.SIZES['quick']['num_train']
    assert len(lr) == count >= MIN_POOLED_IMAGES
    assert cv2.imread(lr[0]).shape == (96, 192, 3)
    noise = json.load(open(run / 'pools' / 'noise_p32' / 'summary.json'))
    assert noise['patches_kept'] > 0
    kernels = sorted(glob.glob(str(run / 'pools' / 'kernels_x4' / '*.npy')))
    assert len(kernels) == count
    summary = json.load(open(run / 'pools' / 'kernels_x4' / 'summary.json'))
    assert {r['pooled_images'] for r in summary['images']} == {count}
    for path in kernels:
        validate_kernel(np.load(path), source=path)


def test_three_joint_runs_and_a_results_file_per_row(demo):
    _, run, _, results = demo
    # two turns of each kind: four for both turns, two for each ablation
    for path in ['pretrained/generator_bicubic.pth', 'pretrained/segmentor.pth'] + [
            'train/ssg_rwsr/iter_4.pth', 'train/adapted_only/iter_2.pth',
            'train/guided_only/iter_2.pth'
    ]:
        assert osp.getsize(run / path) > 10_000, path
    table3 = TABLES['table3'][0]
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
    work, run, _, _ = demo
    text = open(run / 'results.md').read()
    for slug in ROWS:
        assert f'| {ROWS[slug]} |' in text or f'| **{ROWS[slug]}** |' in text, slug
    assert 'LPIPS*' in text and 'DISTS*' in text and 'mIoU on SR' in text
    assert 'Mean colour error against HR' in text and 'hidden camera' in text
    readme = open(work / 'README.md').read()
    assert readme.startswith('# title\n') and readme.endswith('\n\nrest\n')
    tables = text.split('Losses of the SSG-RWSR run')[0].strip()
    assert tables in readme and 'old' not in readme
    # the full run's training curves, shown by both, each with a link that reaches the picture
    assert '![losses](curves.png)' in text and (run / 'curves.png').is_file()
    assert '![losses](docs/images/demo_curves.png)' in readme
    assert (work / 'docs' / 'images' /
            'demo_curves.png').read_bytes() == (run / 'curves.png').read_bytes()


def test_sr_images_inference_and_figure(demo):
    _, run, _, _ = demo
    for slug in ROWS:
        sr = sorted(glob.glob(str(run / 'sr' / slug / '*' / '*.png')))
        assert len(sr) == 2 and cv2.imread(sr[0]).shape == (384, 768, 3), slug
    inferred = sorted(glob.glob(str(run / 'sr_inference' / '*' / '*.png')))
    tested = sorted(glob.glob(str(run / 'sr' / 'ssg_rwsr' / '*' / '*.png')))
    assert [osp.basename(p) for p in inferred] == [osp.basename(p) for p in tested]
    for a, b in zip(inferred, tested):
        assert np.abs(cv2.imread(a).astype(int) - cv2.imread(b).astype(int)).max() <= 1
    figure = cv2.imread(str(run / 'comparison.png'))
    # two rows of LR, five SR rows and HR
    assert figure is not None and figure.shape[1] > 7 * 128 and figure.shape[0] > 2 * 64


def test_a_rerun_reuses_every_stage_and_rewrites_nothing(demo, capsys):
    _, run, argv, _ = demo
    kept = [run / 'train' / 'ssg_rwsr' / 'iter_4.pth', run / 'results' / 'ssg_rwsr.json']
    mtimes = [os.path.getmtime(path) for path in kept]
    capsys.readouterr()
    assert demo_tool.main(argv) == 0
    found = outcomes(capsys)
    assert set(found) == {stage for stage in json_states(run)}
    assert set(found.values()) == {'reused'}
    assert [os.path.getmtime(path) for path in kept] == mtimes


def json_states(run):
    return [osp.splitext(name)[0] for name in os.listdir(run / 'stages')]


def test_a_deleted_output_is_made_again_and_nothing_else(demo, capsys):
    _, run, argv, _ = demo
    os.remove(run / 'table4.md')
    capsys.readouterr()
    assert demo_tool.main(argv + ['--dry-run']) == 0
    plan = outcomes(capsys)
    assert [name for name, outcome in plan.items() if outcome == 'would run'] == ['table4']
    assert demo_tool.main(argv) == 0
    assert (run / 'table4.md').is_file()


def test_an_edited_base_config_redoes_exactly_the_stages_that_read_it(demo, capsys):
    work, run, argv, _ = demo
    schedule = work / 'configs' / '_base_' / 'schedules' / 'joint_100k.py'
    # a comment changes no resolved config: nothing to redo
    schedule.write_text('# an edit that changes nothing\n' + schedule.read_text())
    capsys.readouterr()
    assert demo_tool.main(argv + ['--dry-run']) == 0
    assert set(outcomes(capsys).values()) == {'reused'}
    # a value the demo config inherits from this base (of the joint runs' config, not of the
    # stand-ins'): the joint runs, everything scored with that config, and what is made from
    # their outputs are redone; the data, the pools and the stand-ins are not. (The plan is
    # what a run does: test_a_deleted_output_is_made_again_and_nothing_else runs one.)
    text = schedule.read_text().replace('base_batch_size=12', 'base_batch_size=24')
    schedule.write_text(text)
    assert Config.fromfile(argv[-1]).auto_scale_lr.base_batch_size == 24
    capsys.readouterr()
    assert demo_tool.main(argv + ['--dry-run']) == 0
    plan = outcomes(capsys)
    assert {name
            for name, outcome in plan.items()
            if outcome == 'reused'} == set(UPSTREAM + PSEUDO_UPSTREAM) | {'initial_checkpoint'}
    assert {name
            for name, outcome in plan.items() if outcome == 'would run'
            } == ({f'train_{slug}'
                   for slug in demo_stages.JOINT_RUNS} | {f'test_{slug}'
                                                          for slug in ROWS}
                  | {'inference', 'table3', 'table4', 'figure', 'curves'} | set(PSEUDO_RUN))


def test_jobs_below_one_is_refused_naming_the_value(capsys):
    with pytest.raises(SystemExit) as exited:
        demo_tool.parse_args(['--jobs', '0'])
    assert exited.value.code == 2
    assert '--jobs must be at least 1, got 0' in capsys.readouterr().err


def test_full_schedule_is_the_configs_own(tmp_path):
    cfg = demo_tool.load_demo_config(demo_tool.DEMO_CONFIG, str(tmp_path))
    schedule = demo_tool.config_schedule(cfg)
    generator = Config.fromfile(cfg.stand_in_configs['generator'])
    segmentor = Config.fromfile(cfg.stand_in_configs['segmentor'])
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
        demo_tool.config_schedule(cfg)


def stage_args(run, argv):
    """:func:`demo_stages.demo_stages`' arguments for the quick demo run ``argv`` in ``run``."""
    args = demo_tool.parse_args(argv)
    cfg = demo_tool.load_demo_config(args.config, str(run))
    return cfg, args.config, str(run), demo_tool.SIZES['quick'], args


def stage_config(run, argv, name):
    """The config tools/train.py builds for the demo stage ``name``."""
    stage = next(s for s in demo_stages.demo_stages(*stage_args(run, argv)) if s.name == name)
    return stage, train.build_config(train.parse_args(stage.argv))


def test_the_pseudo_label_run_trains_on_pseudo_labels_never_on_the_withheld_ones(demo):
    _, run, argv, _ = demo
    frames = sorted((run / 'data' / 'cityscapes' / 'leftImg8bit' / 'train').rglob('*.png'))
    labels = sorted((run / 'pseudo_labels').rglob('*.png'))
    assert [p.name for p in labels] == [p.name for p in frames]
    for label, frame in zip(labels, frames):
        values = np.unique(cv2.imread(str(label), cv2.IMREAD_UNCHANGED))
        assert set(values) <= set(range(19)) | {255}
        assert cv2.imread(str(label)).shape[:2] == cv2.imread(str(frame)).shape[:2]
    _, cfg = stage_config(run, argv, 'train_ssg_rwsr_pseudo')
    with DefaultScope.overwrite_default_scope('mmagic'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    seg_maps = sorted(item['seg_map_path'] for item in dataset.load_data_list())
    assert seg_maps == [str(p) for p in labels]  # every frame with its pseudo-label, only those
    segmentor = str(run / 'pretrained' / 'segmentor_other_camera.pth')
    assert cfg.model.segmentor.init_cfg.checkpoint == segmentor
    labelling = next(
        s for s in demo_stages.demo_stages(*stage_args(run, argv)) if s.name == 'pseudo_labels')
    assert labelling.argv[labelling.argv.index('--checkpoint') + 1] == segmentor
    pseudo = json.load(open(run / 'results' / 'ssg_rwsr_pseudo.json'))
    assert pseudo['method'] == PSEUDO_ROW and math.isfinite(pseudo['metrics']['SR/mIoU'])
    report = (run / 'pseudo_labels.md').read_text()
    assert f'| {PSEUDO_ROW} |' in report or f'| **{PSEUDO_ROW}** |' in report
    assert 'of the pixels ignored' in report
    # --readme also puts the report into the own-camera page beside the README
    assert report.strip() in (run.parent / PSEUDO_PAGE).read_text()
