# Copyright (c) mmssg contributors. All rights reserved.
from .split_backward import loss_scale, pixel_gradient_loss
from .tiling import tile_boxes, tiled_forward
from .weights import (evaluation_model_cfg, load_networks, network_state_dict, read_checkpoint,
                      strip_wrapper_keys, wrapper_aware_keys, wrapper_free_keys)

__all__ = [
    'loss_scale', 'pixel_gradient_loss', 'tile_boxes', 'tiled_forward', 'evaluation_model_cfg',
    'load_networks', 'network_state_dict', 'read_checkpoint', 'strip_wrapper_keys',
    'wrapper_aware_keys', 'wrapper_free_keys'
]
