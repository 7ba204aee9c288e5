# Copyright (c) mmssg contributors. All rights reserved.
"""An initialiser that starts an x4 RRDBNet as an interpolator of its input.

ESRGAN's RRDBNet has no path from its input to its output: from its own
initialisation it must first learn to pass the image through, and a short
training on bicubic pairs leaves it behind bicubic interpolation on those very
pairs. Started as an interpolator, the same training spends its steps on detail
instead (the demo's model-zoo stand-in; docs/demo.md).

The initialiser writes only the weights that carry the three colour channels
through the network, as features 0-2 of every layer:

- ``conv_first`` copies the image into features 0-2;
- ``conv_body`` adds nothing to them, so the trunk starts as a residual that is
  zero on the colour features and learns the detail;
- ``conv_up1`` and ``conv_up2`` follow a nearest x2 upsampling with a separable
  ``[1, 2, 1] / 4`` filter, which is bilinear x2 interpolation away from the
  border; the LeakyReLUs pass the colours unchanged as long as they are not
  negative, so inputs must be in [0, 1] or [0, 255] (no mean subtracted);
- ``conv_hr`` and ``conv_last`` copy them.

Weights from the other features into features 0-2 start at zero, so the output
is the interpolation; every other weight keeps RRDBNet's own initialisation
(Kaiming, scaled by 0.1), which an ``init_cfg`` would otherwise replace.
"""
from typing import Optional

import torch
from mmagic.models.utils import default_init_weights
from mmagic.registry import WEIGHT_INITIALIZERS
from mmengine.model.weight_init import BaseInit, update_init_info
from torch import nn

COLOURS = 3
# RRDBNet's layers that RRDBNet.init_weights initialises itself, in forward order
RRDBNET_LAYERS = ('conv_first', 'conv_body', 'conv_up1', 'conv_up2', 'conv_hr', 'conv_last')


def centre_tap() -> torch.Tensor:
    """The 3x3 kernel that copies its input.

    Returns:
        torch.Tensor: ``(3, 3)``, one at the centre.
    """
    kernel = torch.zeros(3, 3)
    kernel[1, 1] = 1.0
    return kernel


def bilinear_after_nearest() -> torch.Tensor:
    """The 3x3 kernel that turns a nearest x2 upsampling into a bilinear one.

    Returns:
        torch.Tensor: ``(3, 3)``, the outer product of ``[1, 2, 1] / 4``.
    """
    taps = torch.tensor([1.0, 2.0, 1.0]) / 4
    return torch.outer(taps, taps)


def check_rrdbnet(module: nn.Module) -> None:
    """Refuse anything but an x4 RRDBNet of three colours.

    Args:
        module (nn.Module): The network about to be initialised.

    Raises:
        TypeError: if ``module`` lacks one of RRDBNet's layers.
        ValueError: if its scale is not 4, it does not map 3 channels to 3 or
            its features are fewer than 3.
    """
    name = type(module).__name__
    missing = [
        layer for layer in RRDBNET_LAYERS
        if not isinstance(getattr(module, layer, None), nn.Conv2d)
    ]
    if missing:
        raise TypeError(f'UpsamplerStart initialises an RRDBNet; {name} has no {missing}')
    scale = getattr(module, 'upscale_factor', None)
    if scale != 4:
        raise ValueError(f'UpsamplerStart initialises an x4 RRDBNet, got upscale_factor {scale}')
    first, last = module.conv_first, module.conv_last
    if (first.in_channels, last.out_channels) != (COLOURS, COLOURS):
        raise ValueError(f'UpsamplerStart needs 3 input and output channels, got '
                         f'{first.in_channels} and {last.out_channels}')
    if first.out_channels < COLOURS:
        raise ValueError(f'UpsamplerStart needs at least 3 mid_channels to carry the colours, '
                         f'got {first.out_channels}')


def carry_colours(conv: nn.Conv2d, kernel: Optional[torch.Tensor]) -> None:
    """Make ``conv``'s outputs 0-2 its inputs 0-2 filtered by ``kernel``.

    Args:
        conv (nn.Conv2d): A 3x3 convolution with at least 3 inputs and outputs.
        kernel (torch.Tensor, optional): ``(3, 3)``; None leaves outputs 0-2 zero.
    """
    conv.weight[:COLOURS].zero_()
    conv.bias[:COLOURS].zero_()
    if kernel is not None:
        for channel in range(COLOURS):
            conv.weight[channel, channel] = kernel


@WEIGHT_INITIALIZERS.register_module(name='UpsamplerStart')
class UpsamplerStartInit(BaseInit):
    """Start an x4 RRDBNet as two bilinear x2 steps of its input.

    Use it as the generator's ``init_cfg=dict(type='UpsamplerStart')`` when
    training from scratch (a pretrained ``init_cfg`` replaces it). It takes no
    arguments: it initialises the whole network, layer by layer.
    """

    def __init__(self):
        # BaseInit's options (layer, bias, bias_prob) would be accepted and ignored
        super().__init__()

    def __call__(self, module: nn.Module) -> None:
        """Initialise ``module``, an x4 RRDBNet (see :func:`check_rrdbnet`)."""
        check_rrdbnet(module)
        with torch.no_grad():
            for name in RRDBNET_LAYERS:
                default_init_weights(getattr(module, name), 0.1)
            copy, smooth = centre_tap(), bilinear_after_nearest()
            for name, kernel in zip(RRDBNET_LAYERS, (copy, None, smooth, smooth, copy, copy)):
                carry_colours(getattr(module, name), kernel)
        if hasattr(module, '_params_init_info'):  # what mmengine logs as each weight's init
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return 'UpsamplerStart: the colour features as bilinear x2 twice'
