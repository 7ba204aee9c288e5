# Copyright (c) mmssg contributors. All rights reserved.
from .export import export_generator_checkpoint
from .export_basicsr import export_generator_basicsr
from .export_onnx import export_generator_onnx
from .inference import init_model, super_resolve

__all__ = [
    'export_generator_basicsr', 'export_generator_checkpoint', 'export_generator_onnx',
    'init_model', 'super_resolve'
]
