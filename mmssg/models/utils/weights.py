# Copyright (c) mmssg contributors. All rights reserved.
"""Building a model for evaluation and loading its networks' trained weights, strictly.

mmengine loads checkpoints with ``strict=False`` by default and only warns about
missing keys, so a checkpoint whose keys do not fit would be scored with random
networks. Everything in mmssg that evaluates, exports or runs a trained model
goes through :func:`load_networks` instead: each network's weights must match
its architecture key for key and shape for shape, or the error names the file
and the first keys that differ.

Checkpoint keys are those of the unwrapped model (``generator.*``,
``segmentor.*``) whatever the launcher; files written by older versions from
multi-process runs (``generator.module.*``) load too.
"""
import copy
from typing import Dict, Iterable, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from mmssg.utils.checkpoint import describe_mismatch, read_checkpoint, strip_wrapper_keys

NETWORKS = ('generator', 'segmentor')
# First key parts of editor checkpoints (mmssg's and MMagic's), as opposed to a bare network.
MODEL_PREFIXES = NETWORKS + ('generator_ema', 'perceptual_loss', 'pixel_loss', 'data_preprocessor',
                             'discriminator')
#: The input convolution of a generator-only file (as ``tools/export_generator.py`` writes):
#: MMagic's RRDBNet, MSRResNet, EDSRNet, RCANNet and SwinIRNet all name it so.
GENERATOR_INPUT = 'conv_first'
#: First key parts of a bare MMSegmentation segmentor (``EncoderDecoder``'s networks).
SEGMENTOR_PARTS = ('backbone', 'neck', 'decode_head', 'auxiliary_head')


def evaluation_model_cfg(model_cfg: dict, with_segmentor: bool = True) -> dict:
    """The config of a model that is about to receive trained weights.

    Every pretrained ``init_cfg`` is dropped (the trained checkpoint replaces
    them and no model-zoo file is read), the perceptual loss is not built (no
    LPIPS backbone download; losses are not needed to evaluate) and, unless
    ``with_segmentor``, neither is the segmentor.

    Args:
        model_cfg (dict): An mmssg model config (``cfg.model``).
        with_segmentor (bool): Keep the segmentor (for ``test_cfg.segment``
            and the mIoU-on-SR metric). Defaults to True.

    Returns:
        dict: A new config; ``model_cfg`` is left unchanged.
    """
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['init_cfg'] = None
    model_cfg['perceptual_loss'] = None
    for name in NETWORKS:
        if isinstance(model_cfg.get(name), dict):
            model_cfg[name].pop('init_cfg', None)
    if not with_segmentor:
        model_cfg['segmentor'] = None
    return model_cfg


def network_state_dict(state: Dict[str, torch.Tensor],
                       network: str,
                       source: str = 'the checkpoint') -> Dict[str, torch.Tensor]:
    """The weights of one network (``generator`` or ``segmentor``), keys without prefix.

    A generator-only file (as written by ``tools/export_generator.py``) has no
    prefix at all; it is accepted for the generator when it looks like one
    (:func:`check_generator_only`).

    Args:
        state (dict): A checkpoint's state dict.
        network (str): The network's attribute name in the model.
        source (str): The checkpoint's name for error messages.

    Returns:
        dict: The network's state dict.
    """
    if not state:
        raise ValueError(f'{source} holds no weights: its state dict is empty')
    prefix = network + '.'
    found = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if found:
        return found
    prefixes = sorted({key.split('.', 1)[0] for key in state})
    if network == 'generator' and not set(prefixes) & set(MODEL_PREFIXES):
        check_generator_only(prefixes, source)
        return dict(state)  # an exported generator-only checkpoint
    raise KeyError(f'{source} has no "{prefix}*" weights; its keys start with {prefixes[:8]}')


def check_generator_only(prefixes: Iterable[str], source: str) -> None:
    """Refuse bare weights that are not a generator's (a segmentor's, say).

    A generator-only file has the generator's own keys, without prefix: its
    input convolution ``conv_first.*`` among them, and no segmentor's
    ``backbone.*`` or ``decode_head.*``.

    Args:
        prefixes (Iterable[str]): The first parts of the file's keys, sorted.
        source (str): The checkpoint's name for error messages.

    Raises:
        KeyError: The weights are not a generator's; the message names
            ``source`` and the first parts of its keys.
    """
    prefixes = list(prefixes)
    found = f'{source} has no "generator.*" weights; its keys start with {prefixes[:8]}'
    if set(prefixes) & set(SEGMENTOR_PARTS):
        raise KeyError(f"{found}: this looks like a segmentor's checkpoint (MMSegmentation), "
                       "not a generator's")
    if GENERATOR_INPUT not in prefixes:
        raise KeyError(f'{found}; a generator-only file\'s keys include "{GENERATOR_INPUT}" '
                       "(the input convolution of MMagic's RRDBNet, MSRResNet, EDSRNet)")


def load_network(network: nn.Module, weights: Dict[str, torch.Tensor], name: str,
                 source: str) -> None:
    """Load one network's weights strictly, with an error naming the file and keys.

    Args:
        network (nn.Module): The network (unwrapped).
        weights (dict): Its state dict.
        name (str): The network's name, for the message.
        source (str): The checkpoint file, for the message.
    """
    mismatch = describe_mismatch(network.state_dict(), weights)
    if mismatch:
        raise ValueError(f'{source}: the {name} weights do not fit the {name} of this config '
                         f'({type(network).__name__}): {mismatch}')
    network.load_state_dict(weights, strict=True)


def load_networks(model: nn.Module,
                  checkpoint: Union[str, dict],
                  networks: Optional[Iterable[str]] = None,
                  source: Optional[str] = None) -> None:
    """Load trained weights into a model's networks, each strictly.

    Args:
        model (nn.Module): An SSG-RWSR model (unwrapped).
        checkpoint (str | dict): A checkpoint file, or a state dict already
            read with :func:`read_checkpoint`.
        networks (Iterable[str], optional): Which networks to load. Defaults
            to those the model has (``generator``, and ``segmentor`` when it
            was built). Other checkpoint entries (the frozen LPIPS copy of a
            training checkpoint) are not network weights and are ignored.
        source (str, optional): The file's name for error messages when
            ``checkpoint`` is a state dict.
    """
    source = source or (checkpoint if isinstance(checkpoint, str) else 'the checkpoint')
    state = read_checkpoint(checkpoint) if isinstance(checkpoint, str) else \
        strip_wrapper_keys(checkpoint)
    if networks is None:
        networks = [n for n in NETWORKS if getattr(model, n, None) is not None]
    for name in networks:
        network = getattr(model, name, None)
        network = network.module if is_model_wrapper(network) else network
        if network is None:
            raise ValueError(f'cannot load {name} weights from {source}: the model has no {name}')
        if not network.state_dict():  # e.g. BicubicUpsampler: nothing to load, by design
            print_log(
                f'{type(network).__name__} has no weights: the {name} weights of {source} '
                'are not used',
                logger='current')
            continue
        load_network(network, network_state_dict(state, name, source), name, source)


def _renamed(state: dict, old: str, new: str) -> None:
    """Rename, in place and in order, the keys of ``state`` that start with ``old``."""
    items = list(state.items())
    state.clear()
    for key, value in items:
        state[new + key[len(old):] if key.startswith(old) else key] = value


def wrapper_free_keys(module: nn.Module, state: dict, prefix: str, _) -> None:
    """State-dict hook: save ``name.*``, not ``name.module.*``, for a DDP-wrapped child.

    Per-network DDP (``SeparateDistributedDataParallel``) puts each network in
    a wrapper in place, so without this a checkpoint of a multi-process run
    would hold other keys than one of a single-process run.
    """
    metadata = getattr(state, '_metadata', None)
    for name, child in module.named_children():
        if is_model_wrapper(child):
            _renamed(state, f'{prefix}{name}.module.', f'{prefix}{name}.')
            if metadata is not None:
                _renamed(metadata, f'{prefix[:-1] + "." if prefix else ""}{name}.module',
                         f'{prefix[:-1] + "." if prefix else ""}{name}')


def wrapper_aware_keys(module: nn.Module, state: dict, prefix: str, *_) -> None:
    """Load pre-hook: fit ``name.*`` and ``name.module.*`` keys to the child as it is now.

    A wrapped child (during a multi-process run) gets ``name.module.*``; an
    unwrapped one gets ``name.*``, so checkpoints of older multi-process runs
    load everywhere.
    """
    for name, child in module.named_children():
        plain, wrapped = f'{prefix}{name}.', f'{prefix}{name}.module.'
        if is_model_wrapper(child):
            keys = [k for k in state if k.startswith(plain) and not k.startswith(wrapped)]
            for key in keys:
                state[wrapped + key[len(plain):]] = state.pop(key)
        else:
            _renamed(state, wrapped, plain)
