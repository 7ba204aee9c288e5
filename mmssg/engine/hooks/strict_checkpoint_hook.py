# Copyright (c) mmssg contributors. All rights reserved.
"""Refuse a checkpoint whose weights do not fit the model, before anything is loaded."""
import os.path as osp

from mmagic.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from mmssg.utils.checkpoint import describe_mismatch, strip_wrapper_keys


def checkpoint_name(runner) -> str:
    """The checkpoint a run loads (``load_from``, or the latest one when resuming)."""
    name = runner.cfg.get('load_from')
    if not name and runner.cfg.get('resume'):
        name = find_latest_checkpoint(runner.work_dir)
    return name or 'the checkpoint'


@HOOKS.register_module()
class StrictCheckpointHook(Hook):
    """Make ``load_from`` and ``--resume`` load model weights strictly.

    mmengine's runner loads training checkpoints with ``strict=False`` and only
    logs missing keys, so a checkpoint of another architecture would resume
    with part of the model at its initial weights. This hook compares the
    checkpoint's ``state_dict`` with the model's, key for key and shape for
    shape (keys of per-network DDP wrappers removed on both sides), as soon as
    the file is read and before its weights are loaded, and raises an error
    naming the file and the first keys that differ.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        expected = strip_wrapper_keys(model.state_dict())
        loaded = strip_wrapper_keys(checkpoint.get('state_dict', checkpoint))
        mismatch = describe_mismatch(expected, loaded)
        if mismatch:
            name = checkpoint_name(runner)
            raise ValueError(f'{osp.abspath(name) if osp.isfile(name) else name}: its weights do '
                             f'not fit the model of this config: {mismatch}')
