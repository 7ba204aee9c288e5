# Copyright (c) mmssg contributors. All rights reserved.
"""tools/dist_test.sh with and without a CHECKPOINT (baselines name their weights), in real
2-process runs; its arguments alone: test_dist_launchers.py."""
import json
import os.path as osp

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
