# Copyright (c) mmssg contributors. All rights reserved.
from .export import export_generator_checkpoint
from .inference import init_model, super_resolve

__all__ = ['export_generator_checkpoint', 'init_model', 'super_resolve']
