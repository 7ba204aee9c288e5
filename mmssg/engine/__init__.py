# Copyright (c) mmssg contributors. All rights reserved.
from .hooks import StrictCheckpointHook
from .loops import JointTrainLoop, TurnDataIterator, consumed_batches
from .wrappers import SeparateDistributedDataParallel

__all__ = ['StrictCheckpointHook', 'JointTrainLoop', 'TurnDataIterator', 'consumed_batches',
           'SeparateDistributedDataParallel']
