# Copyright (c) mmssg contributors. All rights reserved.
"""Export the generator of an SSG-RWSR checkpoint for use without mmssg."""
import os
import os.path as osp

import torch

from mmssg.models.utils import network_state_dict
from mmssg.utils import atomic_output
from mmssg.utils.checkpoint import load_checkpoint_file, state_dict_of, strip_wrapper_keys


def export_generator_checkpoint(src: str, dst: str) -> dict:
    """Write a generator-only checkpoint that plain MMagic networks load.

    The file holds ``{'state_dict': <generator weights, no prefix>, 'meta': ...}``:
    ``mmengine.runner.load_checkpoint(RRDBNet(...), dst)`` loads it strictly,
    and an MMagic editor can start from it with
    ``generator=dict(type='RRDBNet', ..., init_cfg=dict(type='Pretrained', checkpoint=dst))``.
    It is written in one step (a temporary file renamed), and only when ``src`` holds
    generator weights.

    Args:
        src (str): An SSG-RWSR training checkpoint (any launcher).
        dst (str): Output path; must not be ``src`` (compared as real paths,
            so links to ``src`` are refused too).

    Returns:
        dict: The exported state dict.

    Raises:
        ValueError: ``dst`` is ``src``, or ``src`` holds no generator weights (an empty
            state dict included); the message names ``src`` and its top-level keys, and
            nothing is written.
    """
    if osp.realpath(src) == osp.realpath(dst):
        raise ValueError(f'refusing to overwrite the source checkpoint {src} with {dst}')
    checkpoint = load_checkpoint_file(src)
    try:
        state = network_state_dict(
            strip_wrapper_keys(state_dict_of(checkpoint, src)), 'generator', src)
    except (KeyError, ValueError) as error:
        keys = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(f'{error.args[0]} (top-level keys of the file: {keys}); nothing '
                         f'written to {dst}') from None
    state = {k: v.detach().cpu().clone() for k, v in state.items()}
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    with atomic_output(dst) as f:
        torch.save({
            'state_dict': state,
            'meta': dict(source=osp.abspath(src), exported_by='mmssg')
        }, f)
    return state
