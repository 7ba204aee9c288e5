# Copyright (c) mmssg contributors. All rights reserved.
from .loops import JointTrainLoop, TurnDataIterator, consumed_batches
from .wrappers import SeparateDistributedDataParallel

__all__ = ['JointTrainLoop', 'TurnDataIterator', 'consumed_batches',
           'SeparateDistributedDataParallel']
