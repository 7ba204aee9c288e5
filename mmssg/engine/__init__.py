# Copyright (c) mmssg contributors. All rights reserved.
from . import checkpoint_io  # noqa: F401 (checkpoints read as data, written in one step)
from .hooks import DeferredLogVarsHook, StrictCheckpointHook
from .loops import JointTrainLoop, TurnDataIterator, consumed_batches
from .wrappers import SeparateDistributedDataParallel

__all__ = [
    'DeferredLogVarsHook', 'StrictCheckpointHook', 'JointTrainLoop', 'TurnDataIterator',
    'consumed_batches', 'SeparateDistributedDataParallel'
]
