# Copyright (c) mmssg contributors. All rights reserved.
from .deferred_log_vars_hook import DeferredLogVarsHook
from .strict_checkpoint_hook import StrictCheckpointHook

__all__ = ['DeferredLogVarsHook', 'StrictCheckpointHook']
