# Copyright (c) mmssg contributors. All rights reserved.
"""Bicubic interpolation as a parameter-free SR "generator": the baseline row of Table 3."""
import torch.nn as nn
import torch.nn.functional as F
from mmagic.registry import MODELS


@MODELS.register_module()
class BicubicUpsampler(nn.Module):
    """Bicubic up-sampling with the interface of an SR network.

    Evaluating an SSG-RWSR config with ``model.generator=dict(type='BicubicUpsampler')``
    scores bicubic interpolation with exactly the same data, metrics and
    segmentor as the trained model (as the paper's bicubic baseline).

    Args:
        upscale_factor (int): Scale. Defaults to 4.
        align_corners (bool): Passed to ``F.interpolate``. Defaults to False
            (pixel-centre alignment, as MATLAB's and OpenCV's bicubic resize).
    """

    def __init__(self, upscale_factor: int = 4, align_corners: bool = False, **kwargs) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor
        self.align_corners = align_corners

    def forward(self, x):
        return F.interpolate(x, scale_factor=self.upscale_factor, mode='bicubic',
                             align_corners=self.align_corners)
