# Copyright (c) mmssg contributors. All rights reserved.
"""Gather the results of distributed evaluation inside the work dir, not the current directory."""
import os.path as osp
from typing import Optional

from mmagic.registry import HOOKS
from mmengine.dist import get_world_size
from mmengine.hooks import Hook


@HOOKS.register_module()
class CollectDirHook(Hook):
    """Point every metric's results exchange at a folder of the work dir.

    With several processes, mmengine's metrics gather their per-process results
    through files; without a ``collect_dir`` they create ``.dist_test/`` in the
    current directory and leave it there (it removes only the run's own
    subfolder). MMagic's metrics do not take ``collect_dir`` in their
    constructors, so this hook sets it on the built metrics before each
    validation and test. One process: nothing to do.

    Args:
        folder (str, optional): Where to gather; ``<work_dir>/dist_collect`` by
            default. Every process must see the same folder (one machine, or a
            shared file system across machines, as for mmengine's default).
    """

    priority = 'VERY_LOW'

    def __init__(self, folder: Optional[str] = None) -> None:
        self.folder = folder

    def _point(self, runner, loop) -> None:
        if get_world_size() < 2:
            return
        folder = self.folder or osp.join(runner.work_dir, 'dist_collect')
        # MMagic's multi-evaluator loops hold a list, mmengine's loops one evaluator
        evaluators = getattr(loop, 'evaluators', None) or [loop.evaluator]
        for metric in (m for evaluator in evaluators for m in evaluator.metrics):
            if getattr(metric, 'collect_device', 'cpu') == 'cpu' and metric.collect_dir is None:
                metric.collect_dir = folder

    def before_val(self, runner) -> None:
        self._point(runner, runner.val_loop)

    def before_test(self, runner) -> None:
        self._point(runner, runner.test_loop)


def ensure_collect_dir_hook(runner) -> None:
    """Register a :class:`CollectDirHook` unless the config's ``custom_hooks`` did (a config
    that replaces them, or one not based on mmssg's runtime, still gathers in the work dir).

    Args:
        runner (Runner): A built runner.
    """
    if not any(isinstance(hook, CollectDirHook) for hook in runner.hooks):
        runner.register_hook(CollectDirHook())
