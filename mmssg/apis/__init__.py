# Copyright (c) mmssg contributors. All rights reserved.
from .export import export_generator_checkpoint
from .inference import generator_state_dict, init_sr_model, super_resolve
from .tiling import tile_boxes, tiled_forward

__all__ = ['export_generator_checkpoint', 'generator_state_dict', 'init_sr_model',
           'super_resolve', 'tile_boxes', 'tiled_forward']
