# Copyright (c) mmssg contributors. All rights reserved.
from .collect_dir_hook import CollectDirHook, ensure_collect_dir_hook
from .deferred_log_vars_hook import DeferredLogVarsHook
from .strict_checkpoint_hook import StrictCheckpointHook

__all__ = [
    'CollectDirHook', 'DeferredLogVarsHook', 'StrictCheckpointHook', 'ensure_collect_dir_hook'
]
