# Copyright (c) mmssg contributors. All rights reserved.
from .joint_train_loop import JointTrainLoop, TurnDataIterator, consumed_batches

__all__ = ['JointTrainLoop', 'TurnDataIterator', 'consumed_batches']
