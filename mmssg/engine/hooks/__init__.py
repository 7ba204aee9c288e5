# Copyright (c) mmssg contributors. All rights reserved.
from .strict_checkpoint_hook import StrictCheckpointHook

__all__ = ['StrictCheckpointHook']
