# Copyright (c) mmssg contributors. All rights reserved.
"""Reading checkpoint files as data, and comparing state dicts, with errors that name the file.

A ``.pth`` file is a pickle, and unpickling can run any code the file names. Every checkpoint
mmssg reads (the tools', ``load_from``, ``--resume``, the model-zoo starts of ``init_cfg``, the
metrics' weights) goes through :func:`load_checkpoint_file`, which unpickles with PyTorch's
weights-only unpickler: tensors, plain containers and numbers, plus what mmengine's own
checkpoints carry (:data:`SAFE_GLOBALS`: the message hub's ``HistoryBuffer`` with its numpy
arrays). A file that needs anything else is refused with its name and the global it asks for,
unless the user says they trust it (``--trust-checkpoint`` or ``MMSSG_TRUST_CHECKPOINTS=1``:
:func:`trust_checkpoints`).

Checkpoint keys are those of the unwrapped model (``generator.*``), whatever
the launcher; :func:`strip_wrapper_keys` turns the ``generator.module.*`` keys
that per-network DDP wrappers add (in files of older multi-process runs) into
those.
"""
import os
import os.path as osp
import pickle
import re
from typing import Dict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

#: Set to 1 to unpickle checkpoints without restriction (files the user trusts).
TRUST_VARIABLE = 'MMSSG_TRUST_CHECKPOINTS'


def _history_buffer_method(owner, name):
    """``getattr`` as a checkpoint may call it: only for ``HistoryBuffer``'s statistics.

    mmengine pickles a ``HistoryBuffer``'s statistics methods as ``getattr(HistoryBuffer,
    'mean')``; the weights-only unpickler takes this function for ``builtins.getattr`` (its
    module and name below), so nothing else can be looked up.
    """
    methods = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in methods:
        return getattr(owner, name)
    raise pickle.UnpicklingError(f'getattr({owner!r}, {name!r}) is not part of a checkpoint')


_history_buffer_method.__module__, _history_buffer_method.__name__ = 'builtins', 'getattr'

#: What mmengine's checkpoints hold besides tensors and plain containers: the message hub's
#: history buffers (numpy arrays of numbers, their dtypes and scalars) and their methods.
SAFE_GLOBALS = [
    HistoryBuffer, _history_buffer_method, np.core.multiarray._reconstruct, np.ndarray, np.dtype,
    np.core.multiarray.scalar
] + [
    getattr(np.dtypes, name) for name in dir(np.dtypes)
    if name.endswith('DType') and name not in ('ObjectDType', 'VoidDType')
]


def trust_checkpoints(trusted: bool = True) -> None:
    """Unpickle checkpoints without restriction from now on, in this process and the
    processes it starts (``--trust-checkpoint``): only for files the user trusts."""
    if trusted:
        os.environ[TRUST_VARIABLE] = '1'
    else:
        os.environ.pop(TRUST_VARIABLE, None)


def load_checkpoint_file(path: str, map_location='cpu'):
    """``torch.load`` a checkpoint as data (see the module's docstring).

    Args:
        path (str): The file.
        map_location: As for ``torch.load``. Defaults to ``'cpu'``.

    Returns:
        The unpickled object.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file is not a PyTorch checkpoint, or needs more than data to load;
            the message names the file (and the global it asks for).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    if os.environ.get(TRUST_VARIABLE) == '1':
        try:
            return _load(path, map_location, weights_only=False)
        except pickle.UnpicklingError as err:
            raise ValueError(f'{path} is not a PyTorch checkpoint (UnpicklingError: {err})') \
                from None
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return _load(path, map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r'GLOBAL ([\w.]+)|got <class \'([\w.]+)\'>', str(err))
        if found is None:  # not a pickle this unpickler reads: no checkpoint at all
            detail = re.search(r'WeightsUnpickler error: (.*)', str(err))
            reason = detail.group(1) if detail else str(err).strip().splitlines()[0]
            raise ValueError(f'{path} is not a PyTorch checkpoint (UnpicklingError: {reason})') \
                from None
        what = next(g for g in found.groups() if g)
        raise ValueError(
            f'{path} needs {what} to load: more than the weights, losses and training state '
            'of a checkpoint, and unpickling it could run code from the file. If you trust '
            f'the file, pass --trust-checkpoint (or set {TRUST_VARIABLE}=1)') from None


def _load(path, map_location, weights_only):
    try:
        return torch.load(path, map_location=map_location, weights_only=weights_only)
    except pickle.UnpicklingError:
        raise
    except Exception as err:  # zip, torch and pickle errors of a file that is no checkpoint
        raise ValueError(f'{path} is not a PyTorch checkpoint ({type(err).__name__}: {err})') \
            from err


_WRAPPER_INFIX = re.compile(r'^(\w+)\.module\.')


def strip_wrapper_keys(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop the ``.module`` a per-network DDP wrapper adds after the network's name."""
    return {_WRAPPER_INFIX.sub(r'\1.', key): value for key, value in state.items()}


def read_checkpoint(path: str) -> dict:
    """Load a checkpoint file's state dict (on the CPU, as data), with errors that name the file.

    Args:
        path (str): The checkpoint file.

    Returns:
        dict: Its ``state_dict`` (or the file itself when it is a bare state
        dict), with wrapper infixes removed.
    """
    return strip_wrapper_keys(state_dict_of(load_checkpoint_file(path), path))


def state_dict_of(checkpoint, path: str) -> dict:
    """The ``state_dict`` of a loaded checkpoint (or the checkpoint, when it is a bare one).

    Args:
        checkpoint: A loaded checkpoint file.
        path (str): The file, for the message.

    Returns:
        dict: Its state dict: named tensors (and PyTorch's ``*_extra_state`` entries).

    Raises:
        ValueError: It holds no dict of named tensors; the message names ``path``, its
            top-level keys and the first entry that is no tensor.
    """
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ValueError(f'{path} holds no state dict (expected a dict of named tensors, '
                         f'got {type(checkpoint).__name__})')
    other = next((k for k, v in state.items()
                  if not isinstance(v, torch.Tensor) and not k.endswith('_extra_state')), None)
    if other is not None:
        where = f"its 'state_dict' entry {other!r}" if state is not checkpoint else repr(other)
        raise ValueError(f"{path} holds no state dict (expected a 'state_dict' of named tensors, "
                         f'or named tensors at the top level; {where} holds a '
                         f'{type(state[other]).__name__}, not a tensor; top-level keys of the '
                         f'file: {describe_keys(checkpoint)})')
    return state


def describe_keys(checkpoint, limit: int = 8) -> str:
    """The first ``limit`` sorted top-level keys of a loaded checkpoint, in words.

    Args:
        checkpoint: A loaded checkpoint file.
        limit (int): How many keys to name. Defaults to 8.

    Returns:
        str: e.g. ``['meta', 'state_dict']``, ``[...] (+318 more)``, or the type of a
        checkpoint that is no dict.
    """
    if not isinstance(checkpoint, dict):
        return type(checkpoint).__name__
    keys = sorted(map(str, checkpoint))
    more = f' (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'{keys[:limit]}{more}'


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
