# Copyright (c) mmssg contributors. All rights reserved.
"""Reading checkpoint files and comparing state dicts, with errors that name the file.

Checkpoint keys are those of the unwrapped model (``generator.*``), whatever
the launcher; :func:`strip_wrapper_keys` turns the ``generator.module.*`` keys
that per-network DDP wrappers add (in files of older multi-process runs) into
those.
"""
import os.path as osp
import re
from typing import Dict

import torch

_WRAPPER_INFIX = re.compile(r'^(\w+)\.module\.')


def strip_wrapper_keys(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop the ``.module`` a per-network DDP wrapper adds after the network's name."""
    return {_WRAPPER_INFIX.sub(r'\1.', key): value for key, value in state.items()}


def read_checkpoint(path: str) -> dict:
    """Load a checkpoint file's state dict (on the CPU), with errors that name the file.

    Args:
        path (str): The checkpoint file.

    Returns:
        dict: Its ``state_dict`` (or the file itself when it is a bare state
        dict), with wrapper infixes removed.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    except Exception as err:  # pickle, zip and torch errors come in many types
        raise ValueError(f'{path} is not a PyTorch checkpoint ({type(err).__name__}: {err})') \
            from err
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ValueError(f'{path} holds no state dict (expected a dict of named tensors, '
                         f'got {type(checkpoint).__name__})')
    return strip_wrapper_keys(state)


def describe_mismatch(model_state: dict, loaded: dict, limit: int = 5) -> str:
    """The first missing, unexpected and differently shaped keys, in words."""
    missing = [k for k in model_state if k not in loaded]
    unexpected = [k for k in loaded if k not in model_state]
    shapes = [
        f'{k}: checkpoint {tuple(loaded[k].shape)} vs model {tuple(v.shape)}'
        for k, v in model_state.items()
        if k in loaded and hasattr(loaded[k], 'shape') and loaded[k].shape != v.shape
    ]
    parts = []
    for what, keys in (('missing', missing), ('unexpected', unexpected), ('different shapes',
                                                                          shapes)):
        if keys:
            more = f' (+{len(keys) - limit} more)' if len(keys) > limit else ''
            parts.append(f'{len(keys)} {what}: {", ".join(keys[:limit])}{more}')
    return '; '.join(parts)
