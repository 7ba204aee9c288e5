# Copyright (c) mmssg contributors. All rights reserved.
"""tools/dist_test.sh with and without a CHECKPOINT (baselines name their weights)."""
import json
import os
import os.path as osp
import stat
import subprocess

import pytest

from mmssg.testing import REPO_ROOT
from mmssg.testing.tiny_run import make_tiny_run, run

pytestmark = pytest.mark.heavy  # two processes that import the whole stack

DIST_TEST = osp.join(REPO_ROOT, 'tools', 'dist_test.sh')
# the tiny run's config as a baseline: bicubic (no weights), the generator alone, one metric
BICUBIC_BASELINE = '''
_base_ = [{tiny!r}]
model = dict(
    generator=dict(_delete_=True, type='BicubicUpsampler', upscale_factor=4),
    segmentor=None,
    perceptual_loss=None,
    test_cfg=dict(segment=False))
test_evaluator = dict(metrics=[dict(type='PSNR', crop_border=4)])
'''


@pytest.fixture
def echo_python(tmp_path):
    """A stand-in for $PYTHON that prints the arguments the script passes, one a line."""
    path = tmp_path / 'python'
    path.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return dict(os.environ, PYTHON=str(path))


def launched(args, env):
    proc = subprocess.run(['bash', DIST_TEST, *args], env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout.splitlines(), proc.stderr


def test_checkpoint_is_optional_and_options_pass_through(echo_python):
    status, argv, _ = launched(['cfg.py', 'ckpt.pth', '2', '--out', 'a b.json'], echo_python)
    assert status == 0 and '--nproc_per_node=2' in argv
    assert argv[-6:] == ['cfg.py', 'ckpt.pth', '--launcher', 'pytorch', '--out', 'a b.json']
    status, argv, _ = launched(['cfg.py', '2', '--out', 'a b.json'], echo_python)
    assert status == 0 and '--nproc_per_node=2' in argv
    assert argv[-5:] == ['cfg.py', '--launcher', 'pytorch', '--out', 'a b.json']
    status, argv, _ = launched(['cfg.py', '3'], echo_python)
    assert status == 0 and '--nproc_per_node=3' in argv
    assert argv[-3:] == ['cfg.py', '--launcher', 'pytorch']


@pytest.mark.parametrize('args', [['cfg.py'], ['cfg.py', 'ckpt.pth'], ['cfg.py', 'ckpt.pth', '-1']])
def test_a_missing_process_count_is_a_usage_error(echo_python, args):
    status, argv, stderr = launched(args, echo_python)
    assert status == 2 and argv == []
    assert 'usage: bash' in stderr and 'NUM_PROCESSES' in stderr


def test_two_cpu_processes_score_a_baseline_without_checkpoint(tmp_path):
    config, env = make_tiny_run(tmp_path)
    cwd = tmp_path / 'cwd'
    cwd.mkdir()
    baseline = tmp_path / 'bicubic_baseline.py'
    baseline.write_text(BICUBIC_BASELINE.format(tiny=config))
    out = tmp_path / 'bicubic.json'
    log = run([
        'bash', DIST_TEST,
        str(baseline), '2', '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out)
    ],
              env,
              cwd=cwd)
    assert 'gloo' in log and 'No CHECKPOINT: generator weights from the config: none' in log
    results = json.loads(out.read_text())
    assert results['checkpoint'] is None and results['generator_init'] == 'none'
    assert results['num_images'] == 2 and results['metrics']['PSNR'] > 15
    # the processes exchanged results inside the work dir: the current directory stays empty
    assert list(cwd.iterdir()) == []
