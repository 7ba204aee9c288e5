# Copyright (c) mmssg contributors. All rights reserved.
"""An initialiser that starts an x4 RRDBNet as an interpolator of its input.

ESRGAN's RRDBNet has no path from its input to its output: from its own
initialisation it must first learn to pass the image through, and a few hundred
steps on bicubic pairs leave it well behind bicubic interpolation on those very
pairs (the demo's model-zoo stand-in: L1 0.057-0.079 against bicubic's 0.043 on
held-out crops). Started as an interpolator, the same training spends its steps on
detail instead (L1 0.042 after the same 400 steps).

The initialiser writes only the weights that carry the three colour channels
through the network, as features 0-2 of every layer:

- ``conv_first`` copies the image into features 0-2;
- ``conv_body`` adds nothing to them, so the trunk starts as a residual that is
  zero on the colour features and learns the detail;
- ``conv_up1`` and ``conv_up2`` follow a nearest x2 upsampling with a separable
  ``[1, 2, 1] / 4`` filter, which is bilinear x2 interpolation away from the
  border (the LeakyReLUs pass the non-negative colours unchanged);
- ``conv_hr`` and ``conv_last`` copy them.

Weights from the other features into features 0-2 start at zero, so the output
is the interpolation; every other weight keeps RRDBNet's own initialisation
(Kaiming, scaled by 0.1), which an ``init_cfg`` would otherwise replace.
"""
import torch
from mmagic.models.utils import default_init_weights
from mmengine.model.weight_init import BaseInit
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import nn

COLOURS = 3
# RRDBNet's layers that RRDBNet.init_weights initialises itself, in forward order
RRDBNET_LAYERS = ('conv_first', 'conv_body', 'conv_up1', 'conv_up2', 'conv_hr', 'conv_last')


def centre_tap() -> torch.Tensor:
    """The 3x3 kernel that copies its input."""
    kernel = torch.zeros(3, 3)
    kernel[1, 1] = 1.0
    return kernel


def bilinear_after_nearest() -> torch.Tensor:
    """The 3x3 kernel that turns a nearest x2 upsampling into a bilinear one."""
    taps = torch.tensor([1.0, 2.0, 1.0]) / 4
    return torch.outer(taps, taps)


def check_rrdbnet(module: nn.Module) -> None:
    """Raise a ``TypeError`` unless ``module`` is an x4 RRDBNet of three colours."""
    missing = [
        name for name in RRDBNET_LAYERS if not isinstance(getattr(module, name, None), nn.Conv2d)
    ]
    if missing or getattr(module, 'upscale_factor', None) != 4:
        raise TypeError(f'UpsamplerStart initialises an x4 RRDBNet, got {type(module).__name__} '
                        f'(missing layers {missing}, upscale_factor '
                        f'{getattr(module, "upscale_factor", None)})')
    first, last = module.conv_first, module.conv_last
    if (first.in_channels, last.out_channels) != (COLOURS, COLOURS):
        raise TypeError(f'UpsamplerStart needs 3 input and output channels, got '
                        f'{first.in_channels} and {last.out_channels}')


def carry_colours(conv: nn.Conv2d, kernel) -> None:
    """Make ``conv``'s outputs 0-2 its inputs 0-2 filtered by ``kernel`` (None: zero)."""
    conv.weight[:COLOURS].zero_()
    conv.bias[:COLOURS].zero_()
    if kernel is not None:
        for channel in range(COLOURS):
            conv.weight[channel, channel] = kernel


@WEIGHT_INITIALIZERS.register_module(name='UpsamplerStart')
class UpsamplerStartInit(BaseInit):
    """Start an x4 RRDBNet as two bilinear x2 steps of its input.

    Use it as the generator's ``init_cfg=dict(type='UpsamplerStart')`` when
    training from scratch (a pretrained ``init_cfg`` replaces it).
    """

    def __call__(self, module: nn.Module) -> None:
        check_rrdbnet(module)
        with torch.no_grad():
            for name in RRDBNET_LAYERS:
                default_init_weights(getattr(module, name), 0.1)
            copy, smooth = centre_tap(), bilinear_after_nearest()
            for name, kernel in zip(RRDBNET_LAYERS, (copy, None, smooth, smooth, copy, copy)):
                carry_colours(getattr(module, name), kernel)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: the colour features as bilinear x2 twice'
