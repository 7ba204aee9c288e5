# Copyright (c) mmssg contributors. All rights reserved.
"""Config adaptation: AMP switches and the CPU fallbacks the tools apply."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmssg.testing import REPO_ROOT
from mmssg.utils import enable_amp, load_run_config, replace_norm_type

PAPER = osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py')


def test_amp_needs_a_gpu():
    if torch.cuda.is_available():
        pytest.skip('this machine has a GPU')
    with pytest.raises(RuntimeError, match='GPU'):
        enable_amp(Config.fromfile(PAPER))


@pytest.mark.parametrize('dtype, loss_scale', [(None, 'dynamic'), ('float16', 'dynamic'),
                                               ('bfloat16', dict(enabled=False))])
def test_amp_turns_every_network_wrapper_into_amp(monkeypatch, dtype, loss_scale):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = enable_amp(Config.fromfile(PAPER), dtype)
    for name in ('generator', 'segmentor'):
        wrapper = cfg.optim_wrapper[name]
        assert wrapper.type == 'AmpOptimWrapper'
        assert wrapper.loss_scale == loss_scale
        assert wrapper.get('dtype') == dtype
        assert wrapper.optimizer.lr == 1e-4  # the rest of the wrapper is kept


def test_bf16_config_uses_amp_without_loss_scaling_and_channels_last():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes_bf16.py'))
    for name in ('generator', 'segmentor'):
        assert cfg.optim_wrapper[name].type == 'AmpOptimWrapper'
        assert cfg.optim_wrapper[name].dtype == 'bfloat16'
        assert cfg.optim_wrapper[name].loss_scale == dict(enabled=False)
    assert cfg.model.channels_last is True


def test_replace_norm_type_reaches_nested_lists():
    cfg = dict(
        a=dict(norm_cfg=dict(type='SyncBN')),
        b=[dict(c=dict(norm_cfg=dict(type='SyncBN')))],
        d=dict(norm_cfg=dict(type='GN')))
    assert replace_norm_type(cfg, 'SyncBN', 'BN') == ['a.norm_cfg', 'b[0].c.norm_cfg']
    assert cfg['b'][0]['c']['norm_cfg']['type'] == 'BN' and cfg['d']['norm_cfg']['type'] == 'GN'


def test_load_run_config_applies_the_command_line(tmp_path):
    cfg = load_run_config(PAPER, 'pytorch', {'train_cfg.max_iters': 7})
    assert cfg.launcher == 'pytorch' and cfg.train_cfg.max_iters == 7
    assert cfg.work_dir == osp.join('./work_dirs', 'ssg_rwsr_x4_cityscapes')
    assert load_run_config(PAPER, work_dir=str(tmp_path)).work_dir == str(tmp_path)


def test_run_configs_skip_the_yapf_pass_of_every_dump():
    """mmengine 0.10.7 ignores format_python_code=False for _base_-style configs."""
    cfg = load_run_config(
        osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py'), work_dir='unused')
    assert cfg._format_python_code is False
    assert copy.deepcopy(cfg)._format_python_code is False  # the runner keeps a deep copy
