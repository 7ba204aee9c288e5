# Copyright (c) mmssg contributors. All rights reserved.
"""Hooks for the tests' real training runs (imported by the tiny run's config only)."""
import os
import signal

import torch
from mmagic.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module(force=True)
class RankWeightsDumpHook(Hook):
    """Saves every rank's networks (parameters and buffers): ``rank<R>_weights.pth`` at the
    end of training, ``rank<R>_weights_iter<N>.pth`` when training starts at iteration N."""

    def before_train(self, runner):
        self.dump(runner, f'_iter{runner.iter}')

    def after_train(self, runner):
        self.dump(runner)

    @staticmethod
    def dump(runner, suffix=''):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state, params = {}, {}
        for name in ('generator', 'segmentor'):
            child = getattr(model, name)
            child = child.module if is_model_wrapper(child) else child
            for key, value in child.state_dict().items():
                state[name + '.' + key] = value.detach().cpu().clone()
            params.update({name + '.' + k: v for k, v in child.named_parameters()})
        torch.save(
            dict(state=state, params=list(params)),
            f'{runner.work_dir}/rank{get_rank()}_weights{suffix}.pth')


@HOOKS.register_module(force=True)
class KillAtIterationHook(Hook):
    """Kills its own process with SIGKILL before the given iteration runs."""

    def __init__(self, iteration):
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
