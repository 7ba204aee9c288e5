# Copyright (c) mmssg contributors. All rights reserved.
from .collect_dir_hook import CollectDirHook
from .deferred_log_vars_hook import DeferredLogVarsHook
from .strict_checkpoint_hook import StrictCheckpointHook

__all__ = ['CollectDirHook', 'DeferredLogVarsHook', 'StrictCheckpointHook']
