# Copyright (c) mmssg contributors. All rights reserved.
"""Export the generator of an SSG-RWSR checkpoint for use without mmssg.

Three formats (``tools/export_generator.py --format``, ``docs/deploy.md``):

- ``mmagic`` (here): a state dict that MMagic's networks load;
- ``basicsr`` (:mod:`.export_basicsr`): ``params_ema``/``params`` for BasicSR and Real-ESRGAN;
- ``onnx`` (:mod:`.export_onnx`): the generator's graph, for ONNX Runtime and other runtimes.

Each reads the checkpoint as data (:func:`generator_weights`), refuses a file without
generator weights, never writes over the source checkpoint and writes its file in one step.
"""
import copy
import os
import os.path as osp
from typing import Dict, Tuple

import torch

from mmssg.models.utils import network_state_dict
from mmssg.utils import atomic_output
from mmssg.utils.checkpoint import (describe_keys, load_checkpoint_file, state_dict_of,
                                    strip_wrapper_keys)


def check_destination(src: str, dst: str) -> None:
    """Refuse to write an export over its source checkpoint.

    Args:
        src (str): The source checkpoint.
        dst (str): The output path; compared with ``src`` as real paths, so links to
            ``src`` are refused too.

    Raises:
        ValueError: ``dst`` is ``src``.
    """
    if osp.realpath(src) == osp.realpath(dst):
        raise ValueError(f'refusing to overwrite the source checkpoint {src} with {dst}')


def generator_weights(src: str, dst: str) -> Tuple[object, Dict[str, torch.Tensor]]:
    """Read a checkpoint (as data) and the generator weights it holds.

    Args:
        src (str): An SSG-RWSR training checkpoint (any launcher), or a generator-only one.
        dst (str): The output path, for the message.

    Returns:
        tuple: The whole loaded checkpoint and the generator's state dict (keys without
        the ``generator.`` prefix, tensors detached copies on the CPU).

    Raises:
        ValueError: ``src`` holds no generator weights (an empty state dict included);
            the message names ``src`` and its top-level keys, and says nothing was
            written to ``dst``.
    """
    checkpoint = load_checkpoint_file(src)
    try:
        state = strip_wrapper_keys(state_dict_of(checkpoint, src))
    except ValueError as error:  # names the file's top-level keys itself
        raise ValueError(f'{error}; nothing written to {dst}') from None
    try:
        state = network_state_dict(state, 'generator', src)
    except (KeyError, ValueError) as error:
        raise ValueError(f'{error.args[0]} (top-level keys of the file: '
                         f'{describe_keys(checkpoint)}); nothing written to {dst}') from None
    # PyTorch's *_extra_state may hold any object; it is kept as it is
    return checkpoint, {
        k: v.detach().cpu().clone() if isinstance(v, torch.Tensor) else copy.deepcopy(v)
        for k, v in state.items()
    }


def save_atomic(content, dst: str) -> None:
    """``torch.save(content, dst)`` in one step (a temporary file renamed), folders made.

    Args:
        content: What to save.
        dst (str): The output file.
    """
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    with atomic_output(dst) as f:
        torch.save(content, f)


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
    check_destination(src, dst)
    _, state = generator_weights(src, dst)
    save_atomic({
        'state_dict': state,
        'meta': dict(source=osp.abspath(src), exported_by='mmssg')
    }, dst)
    return state
