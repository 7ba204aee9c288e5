# Copyright (c) mmssg contributors. All rights reserved.
from .separate_ddp import SeparateDistributedDataParallel

__all__ = ['SeparateDistributedDataParallel']
