# Copyright (c) mmssg contributors. All rights reserved.
"""Export an RRDBNet generator as a BasicSR / Real-ESRGAN network file.

BasicSR's ``load_network`` and Real-ESRGAN's ``RealESRGANer`` read
``torch.load(path)['params_ema']`` (or ``['params']``) into BasicSR's
``RRDBNet(num_in_ch, num_out_ch, scale, num_feat, num_block, num_grow_ch)`` with
``strict=True``. That network's parameters are named ``conv_first``,
``body.N.rdbK.convJ`` (N < num_block, K in 1..3, J in 1..5), ``conv_body``, ``conv_up1``,
``conv_up2``, ``conv_hr`` and ``conv_last``. MMagic's ``RRDBNet`` is a port of it that kept
these names and shapes (``mid_channels`` = ``num_feat``, ``num_blocks`` = ``num_block``,
``growth_channels`` = ``num_grow_ch``, ``upscale_factor`` = ``scale``), so the mapping of
:func:`basicsr_state_dict` pairs each BasicSR key with the MMagic key of the same name; it
lists BasicSR's keys from the architecture and checks every shape, so a generator that is
not an RRDBNet, or a renamed key on either side, is an error instead of a file BasicSR
refuses. ``tests/test_apis/test_export_formats.py`` loads the file strictly into an
RRDBNet written independently from the ESRGAN paper (:mod:`mmssg.testing.reference_rrdbnet`)
and compares its output with the mmssg generator's.
"""
import re
from typing import Dict, Optional, Tuple

import torch

from mmssg.utils.checkpoint import describe_mismatch
from .export import check_destination, generator_weights, save_atomic

#: the input-to-output channel ratio of ``conv_first`` for each scale: BasicSR's RRDBNet
#: pixel-unshuffles its input by 4 // scale before ``conv_first`` at scales 1 and 2
_SCALE_OF_RATIO = {1: 4, 4: 2, 16: 1}
_BODY_KEY = re.compile(r'^body\.(\d+)\.')


def basicsr_rrdbnet_shapes(in_channels: int, out_channels: int, num_feat: int, num_block: int,
                           num_grow_ch: int) -> Dict[str, Tuple[int, ...]]:
    """The parameter names and shapes of BasicSR's RRDBNet, in its module order.

    Args:
        in_channels (int): Input channels of ``conv_first`` (``num_in_ch``, times 4 at
            scale 2 and 16 at scale 1).
        out_channels (int): ``num_out_ch``.
        num_feat (int): ``num_feat``.
        num_block (int): ``num_block``.
        num_grow_ch (int): ``num_grow_ch``.

    Returns:
        dict: ``{key: shape}`` for every weight and bias.
    """
    convs = [('conv_first', in_channels, num_feat)]
    for n in range(num_block):
        for k in range(1, 4):
            for j in range(1, 6):
                convs.append((f'body.{n}.rdb{k}.conv{j}', num_feat + (j - 1) * num_grow_ch,
                              num_feat if j == 5 else num_grow_ch))
    convs += [(name, num_feat, num_feat)
              for name in ('conv_body', 'conv_up1', 'conv_up2', 'conv_hr')]
    convs.append(('conv_last', num_feat, out_channels))
    shapes = {}
    for name, cin, cout in convs:
        shapes[f'{name}.weight'] = (cout, cin, 3, 3)
        shapes[f'{name}.bias'] = (cout, )
    return shapes


def rrdbnet_architecture(state: Dict[str, torch.Tensor], source: str) -> dict:
    """Read the RRDBNet hyper-parameters from a generator's weights, and check them all.

    Args:
        state (dict): The generator's state dict (MMagic's RRDBNet keys).
        source (str): The checkpoint, for messages.

    Returns:
        dict: ``in_channels`` (of ``conv_first``), ``num_in_ch``, ``num_out_ch``,
        ``scale`` (None when the channel counts do not tell it), ``num_feat``,
        ``num_block`` and ``num_grow_ch``.

    Raises:
        ValueError: The weights are not those of an RRDBNet; the message names
            ``source`` and the keys that differ.
    """
    needed = ('conv_first.weight', 'conv_last.weight', 'body.0.rdb1.conv1.weight')
    if not all(key in state and state[key].ndim == 4 for key in needed):
        modules = sorted({key.rsplit('.', 1)[0].split('.', 1)[0] for key in state})
        raise ValueError(f'the generator of {source} is not an RRDBNet (BasicSR\'s format holds '
                         f'only RRDBNet): it has no {", ".join(needed)}; its modules are '
                         f'{modules[:8]}')
    num_feat, in_channels = state['conv_first.weight'].shape[:2]
    out_channels = state['conv_last.weight'].shape[0]
    arch = dict(
        in_channels=in_channels,
        num_out_ch=out_channels,
        num_feat=num_feat,
        num_block=len({int(m.group(1))
                       for m in map(_BODY_KEY.match, state) if m}),
        num_grow_ch=state['body.0.rdb1.conv1.weight'].shape[0])
    ratio = in_channels // out_channels if in_channels % out_channels == 0 else None
    arch['scale'] = _SCALE_OF_RATIO.get(ratio)
    arch['num_in_ch'] = in_channels // ratio if arch['scale'] else None
    shapes = basicsr_rrdbnet_shapes(in_channels, out_channels, num_feat, arch['num_block'],
                                    arch['num_grow_ch'])
    mismatch = describe_mismatch({
        k: torch.empty(s, device='meta')
        for k, s in shapes.items()
    }, state)
    if mismatch:
        raise ValueError(f'the generator of {source} is not an RRDBNet of BasicSR\'s layout '
                         f'(num_feat={num_feat}, num_block={arch["num_block"]}, '
                         f'num_grow_ch={arch["num_grow_ch"]}): {mismatch}')
    return arch


def basicsr_state_dict(state: Dict[str, torch.Tensor], arch: dict) -> Dict[str, torch.Tensor]:
    """Map an MMagic RRDBNet state dict to BasicSR's RRDBNet keys, in BasicSR's order.

    Args:
        state (dict): The generator's state dict (MMagic's RRDBNet keys).
        arch (dict): Its architecture, from :func:`rrdbnet_architecture` (which checked
            every key and shape).

    Returns:
        dict: BasicSR's state dict.
    """
    keys = basicsr_rrdbnet_shapes(arch['in_channels'], arch['num_out_ch'], arch['num_feat'],
                                  arch['num_block'], arch['num_grow_ch'])
    return {key: state[mmagic_key(key)] for key in keys}


def mmagic_key(basicsr_key: str) -> str:
    """The MMagic RRDBNet key of a BasicSR RRDBNet key: the same name (MMagic's port kept
    BasicSR's module names; the module docstring says how this is checked)."""
    return basicsr_key


def basicsr_constructor(arch: dict) -> str:
    """The BasicSR call that builds the network an export loads into, as text.

    Args:
        arch (dict): From :func:`rrdbnet_architecture`.

    Returns:
        str: E.g. ``RRDBNet(num_in_ch=3, num_out_ch=3, scale=4, num_feat=64, num_block=23,
        num_grow_ch=32)``.
    """
    scale: Optional[int] = arch['scale']
    head = (f'num_in_ch={arch["num_in_ch"]}, num_out_ch={arch["num_out_ch"]}, scale={scale}'
            if scale else f'num_out_ch={arch["num_out_ch"]}, scale=? (conv_first takes '
            f'{arch["in_channels"]} channels)')
    return (f'RRDBNet({head}, num_feat={arch["num_feat"]}, num_block={arch["num_block"]}, '
            f'num_grow_ch={arch["num_grow_ch"]})')


def export_generator_basicsr(src: str, dst: str) -> dict:
    """Write the RRDBNet generator of a checkpoint as a BasicSR / Real-ESRGAN network file.

    The file is ``{'params_ema': state, 'params': state}`` (one copy of the tensors: both
    keys name the same ones), with BasicSR's key names: BasicSR's ``load_network`` (either
    ``param_key``) and Real-ESRGAN's ``RealESRGANer(model_path=dst, model=RRDBNet(...))``
    load it strictly, and it unpickles weights-only. It is written in one step, only when
    ``src`` holds RRDBNet generator weights.

    Args:
        src (str): An SSG-RWSR training checkpoint (any launcher), or a generator-only one.
        dst (str): Output path; must not be ``src`` (compared as real paths).

    Returns:
        dict: ``state`` (the BasicSR state dict) and ``arch`` (from
        :func:`rrdbnet_architecture`).

    Raises:
        ValueError: ``dst`` is ``src``; ``src`` holds no generator weights; the generator
            is not an RRDBNet. Nothing is written then.
    """
    check_destination(src, dst)
    _, state = generator_weights(src, dst)
    arch = rrdbnet_architecture(state, src)
    state = basicsr_state_dict(state, arch)
    save_atomic({'params_ema': state, 'params': state}, dst)
    return dict(state=state, arch=arch)
