# Copyright (c) mmssg contributors. All rights reserved.
"""CollectDirHook: every runner of an mmssg config gathers distributed results in its work dir."""
import glob
import os.path as osp

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmssg.engine.hooks import CollectDirHook, ensure_collect_dir_hook
from mmssg.testing import REPO_ROOT


class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(1, 1)

    def forward(self, *args, **kwargs):
        return {}


def collect_hooks(runner):
    return [hook for hook in runner.hooks if isinstance(hook, CollectDirHook)]


@pytest.mark.parametrize(
    'config', sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_*.py'))), ids=osp.basename)
def test_every_training_config_declares_the_hook(config):
    # so that MMagic's own tools/test.py, which registers nothing of ours, builds it too
    hooks = Config.fromfile(config).custom_hooks
    assert [h for h in hooks if h['type'] == 'CollectDirHook'], config


@pytest.mark.parametrize('custom_hooks', [[dict(type='CollectDirHook')], []])
def test_the_tools_add_the_hook_once(tmp_path, custom_hooks):
    runner = Runner(
        model=TinyModel(),
        work_dir=str(tmp_path),
        default_scope='mmagic',
        custom_hooks=custom_hooks)
    assert len(collect_hooks(runner)) == len(custom_hooks)
    ensure_collect_dir_hook(runner)  # a config that replaced custom_hooks still gets one
    ensure_collect_dir_hook(runner)
    assert len(collect_hooks(runner)) == 1
