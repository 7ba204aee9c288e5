# Copyright (c) mmssg contributors. All rights reserved.
"""Export the generator of an SSG-RWSR checkpoint for use without mmssg."""
import os.path as osp

import torch

from mmssg.models.utils import network_state_dict, read_checkpoint


def export_generator_checkpoint(src: str, dst: str) -> dict:
    """Write a generator-only checkpoint that plain MMagic networks load.

    The file holds ``{'state_dict': <generator weights, no prefix>, 'meta': ...}``:
    ``mmengine.runner.load_checkpoint(RRDBNet(...), dst)`` loads it strictly,
    and an MMagic editor can start from it with
    ``generator=dict(type='RRDBNet', ..., init_cfg=dict(type='Pretrained', checkpoint=dst))``.

    Args:
        src (str): An SSG-RWSR training checkpoint (any launcher).
        dst (str): Output path; must not be ``src`` (compared as real paths,
            so links to ``src`` are refused too).

    Returns:
        dict: The exported state dict.
    """
    if osp.realpath(src) == osp.realpath(dst):
        raise ValueError(f'refusing to overwrite the source checkpoint {src} with {dst}')
    state = network_state_dict(read_checkpoint(src), 'generator', src)
    state = {k: v.detach().cpu().clone() for k, v in state.items()}
    torch.save({
        'state_dict': state,
        'meta': dict(source=osp.abspath(src), exported_by='mmssg')
    }, dst)
    return state
