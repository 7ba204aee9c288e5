# Copyright (c) mmssg contributors. All rights reserved.
"""The fast-path config: every speed switch it promises is set and accepted by what builds it."""
import os.path as osp

import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from mmssg.testing import REPO_ROOT, tiny_model_cfg

BF16 = osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes_bf16.py')


def test_bf16_config_turns_on_every_speed_switch():
    cfg = Config.fromfile(BF16)
    for name in ('generator', 'segmentor'):
        wrapper = cfg.optim_wrapper[name]
        assert wrapper.type == 'AmpOptimWrapper' and wrapper.dtype == 'bfloat16'
        assert wrapper.loss_scale == dict(enabled=False)
        assert wrapper.optimizer == dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), fused=True)
    assert cfg.env_cfg.cudnn_benchmark is True
    assert cfg.model.channels_last is True
    assert cfg.model.data_preprocessor.non_blocking is True
    assert cfg.train_dataloader.pin_memory and cfg.train_cfg.dataloaders.adapted.pin_memory
    assert [h.type for h in cfg.custom_hooks] == [
        'StrictCheckpointHook', 'BasicVisualizationHook', 'CollectDirHook', 'DeferredLogVarsHook'
    ]
    # everything else is the paper's run
    paper = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py'))
    assert cfg.train_dataloader.batch_size == paper.train_dataloader.batch_size
    assert cfg.train_cfg.max_iters == paper.train_cfg.max_iters


def test_fused_adam_of_the_bf16_config_builds_and_steps():
    cfg = Config.fromfile(BF16)
    model = MODELS.build(tiny_model_cfg())
    # the optimizers exactly as configured, in plain wrappers (AmpOptimWrapper needs a GPU)
    optim = build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            **{
                name: dict(type='OptimWrapper', optimizer=cfg.optim_wrapper[name].optimizer)
                for name in ('generator', 'segmentor')
            }))
    for name in ('generator', 'segmentor'):
        optimizer = optim[name].optimizer
        assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults['fused'] is True
    weight = model.generator.conv_first.weight
    before = weight.detach().clone()
    weight.grad = torch.ones_like(weight)
    optim['generator'].step()
    # Adam's first step moves every weight by lr against the sign of its gradient
    torch.testing.assert_close(weight.detach(), before - 1e-4, rtol=0, atol=1e-6)
