# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/gpu_session.py: its plan checked in seconds, for the GPU run and the dry
run, and the runner's pieces (time limits, the training log's figures, the summary)."""
import json
import sys

import pytest
from mmengine.config import Config

from benchmarks.speed import gpu_session

STAGES = [
    'data', 'data_pipeline', 'train', 'joint_step', 'inference_tiling', 'inference_folder', 'lpips',
    'joint_step_compile'
]


@pytest.mark.parametrize('sizing', [[], ['--dry-run']], ids=['gpu', 'dry-run'])
def test_gpu_session_plan_holds(tmp_path, sizing):
    assert gpu_session.main(['--plan', '--out', str(tmp_path)] + sizing) == 0
    plan = json.loads((tmp_path / 'plan.json').read_text())
    assert [stage['stage'] for stage in plan['stages']] == STAGES
    assert plan['errors'] == [] and not any(stage['problem'] for stage in plan['stages'])
    shares = [stage['share'] for stage in plan['stages']]
    assert shares[-1] is None and sum(shares[:-1]) < 1  # the compile levers get what is left
    device = 'cpu' if sizing else 'cuda'
    joint = plan['stages'][STAGES.index('joint_step')]['command']
    assert joint[joint.index('--device') + 1] == device
    modes = joint[joint.index('--modes') + 1:joint.index('--json')]
    assert modes == (['fp32', 'fp32+fused'] if sizing else gpu_session.GPU_MODES)
    assert not list(tmp_path.glob('*.log'))  # nothing ran


def test_gpu_session_plan_names_a_command_its_benchmark_refuses():
    refused = gpu_session.check_command(
        [sys.executable, '-m', 'benchmarks.speed.joint_step', '--modes', 'fp32+warp'])
    assert 'benchmarks.speed.joint_step refuses' in refused
    assert 'refuses' in gpu_session.check_command(
        [sys.executable, '-m', 'benchmarks.speed.inference_tiling', '--dtype', 'fp8'])
    assert gpu_session.check_command(
        [sys.executable, '-m', 'benchmarks.speed.inference_tiling', '--dtype', 'bf16']) == ''


def test_gpu_session_trains_the_bf16_config_at_full_size(tmp_path):
    args = gpu_session.parse_args(['--out', str(tmp_path)])
    cfg = Config.fromfile(gpu_session.train_config(args, str(tmp_path)))
    assert cfg.train_cfg.max_iters == 340  # 40 of warm-up, 300 timed
    for loader in (cfg.train_dataloader, cfg.train_cfg.dataloaders.adapted):
        assert (loader.batch_size, loader.num_workers) == (12, 6)
    assert cfg.optim_wrapper.generator.type == 'AmpOptimWrapper'
    assert cfg.model.generator.num_blocks == 23 and cfg.model.generator.init_cfg is None
    dry = gpu_session.parse_args(['--out', str(tmp_path), '--dry-run'])
    cfg = Config.fromfile(gpu_session.train_config(dry, str(tmp_path)))
    assert cfg.optim_wrapper.generator.type == 'OptimWrapper'
    assert cfg.model.generator.num_blocks == 2 and cfg.train_cfg.max_iters == 6


def test_gpu_session_stage_runs_within_its_time_limit(tmp_path):
    done = gpu_session.run_stage('quick', [sys.executable, '-c', 'print(42)'], 30, str(tmp_path))
    assert done['status'] == 0 and '42' in (tmp_path / 'quick.log').read_text()
    slow = gpu_session.run_stage('slow', [sys.executable, '-c', 'import time; time.sleep(60)'], 1,
                                 str(tmp_path))
    assert slow['status'] == 'timeout' and slow['seconds'] < 30


def test_gpu_session_averages_the_training_log_after_the_warm_up(tmp_path):
    log = tmp_path / 'train' / '20261201_000000' / 'vis_data'
    log.mkdir(parents=True)
    records = [dict(iter=i, time=0.5 if i <= 20 else 0.2, data_time=0.01) for i in (10, 20, 30, 40)]
    log.joinpath('scalars.json').write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    figures = gpu_session.train_figures(str(tmp_path / 'train'), warmup=20, log_every=10)
    assert figures['turns_timed'] == 20
    assert figures['time_ms'] == pytest.approx(200) and figures['data_share'] == 0.05
    assert 'error' in gpu_session.train_figures(str(tmp_path / 'none'), 20, 10)
    summary = dict(stages={'train': dict(status=0, seconds=1.5)}, train=figures)
    gpu_session.write_summary(summary, str(tmp_path))
    assert '| train | 0 | 1.5 |' in (tmp_path / 'summary.md').read_text()
    assert json.loads((tmp_path / 'summary.json').read_text())['train'] == figures
