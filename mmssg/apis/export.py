# Copyright (c) mmssg contributors. All rights reserved.
"""Export the generator of an SSG-RWSR checkpoint for use without mmssg."""
import os.path as osp

import torch

from .inference import generator_state_dict


def export_generator_checkpoint(src: str, dst: str) -> dict:
    """Write a generator-only checkpoint that plain MMagic networks load.

    The file holds ``{'state_dict': <generator weights, no prefix>, 'meta': ...}``:
    ``mmengine.runner.load_checkpoint(RRDBNet(...), dst)`` loads it strictly,
    and an MMagic editor can start from it with
    ``generator=dict(type='RRDBNet', ..., init_cfg=dict(type='Pretrained', checkpoint=dst))``.

    Args:
        src (str): An SSG-RWSR training checkpoint.
        dst (str): Output path; must differ from ``src``.

    Returns:
        dict: The exported state dict.
    """
    if osp.abspath(src) == osp.abspath(dst):
        raise ValueError(f'Refusing to overwrite the source checkpoint {src}')
    state = {k: v.detach().cpu().clone() for k, v in generator_state_dict(src).items()}
    torch.save({'state_dict': state, 'meta': dict(source=osp.abspath(src), exported_by='mmssg')}, dst)
    return state
