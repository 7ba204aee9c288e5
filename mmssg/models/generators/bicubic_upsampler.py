# Copyright (c) mmssg contributors. All rights reserved.
"""Bicubic interpolation as a parameter-free SR "generator": the baseline row of the tables."""
import functools

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.datasets.transforms.matlab_like_resize import get_weights_indices
from mmagic.registry import MODELS
from torch import Tensor

MODES = ('matlab', 'torch')


def keys_cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel (Keys 1981) with parameter ``a``.

    ``a = -0.5`` is MATLAB's ``imresize`` bicubic (third-order accurate);
    PyTorch's and OpenCV's bicubic use ``a = -0.75``.

    Args:
        x (np.ndarray): Distances from the output sample, in input pixels.
        a (float): The kernel parameter. Defaults to -0.5.

    Returns:
        np.ndarray: The kernel's weights, zero for ``|x| > 2``.
    """
    x = np.abs(np.asarray(x, dtype=np.float64))
    inner = ((a + 2) * x - (a + 3)) * x * x + 1
    outer = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, inner, np.where(x <= 2, outer, 0.0))


@functools.lru_cache(maxsize=16)
def matlab_taps(in_length: int, out_length: int, scale: float):
    """MATLAB ``imresize`` bicubic taps along one axis, as (weights, indices) arrays.

    MATLAB maps output pixel ``i`` (1-based) to input position
    ``u = i / scale + (1 - 1 / scale) / 2``, weighs the input pixels within 2
    (2 / scale when shrinking: the antialiasing kernel) with Keys' cubic
    (a = -0.5), normalises the weights to sum to 1 and mirrors indices that
    fall outside the image. MMagic implements this mapping
    (``get_weights_indices``); only the kernel is ours.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(out_length, taps)`` float weights and
        0-based int indices.
    """
    weights, indices = get_weights_indices(in_length, out_length, scale, keys_cubic, 4.0)
    return (weights.reshape(out_length,
                            -1).astype(np.float32), indices.reshape(out_length,
                                                                    -1).astype(np.int64))


def matlab_resize_axis(x: Tensor, dim: int, out_length: int, scale: float) -> Tensor:
    """Resize ``x`` along ``dim`` with MATLAB's bicubic taps (a few gathers, no dense matrix)."""
    weights, indices = matlab_taps(x.shape[dim], out_length, float(scale))
    weights = torch.from_numpy(weights).to(x)
    indices = torch.from_numpy(indices).to(x.device)
    shape = [1] * x.dim()
    shape[dim] = out_length
    out = 0
    for tap in range(weights.shape[1]):
        out = out + x.index_select(dim, indices[:, tap]) * weights[:, tap].view(shape)
    return out


@MODELS.register_module()
class BicubicUpsampler(nn.Module):
    """Bicubic up-sampling with the interface of an SR network.

    Evaluating an SSG-RWSR config with ``model.generator=dict(type='BicubicUpsampler')``
    scores bicubic interpolation with exactly the same data, metrics and
    segmentor as the trained model (as the paper's bicubic baseline).

    Two kernels, which differ by up to a few grey levels at edges:

    - ``'matlab'`` (default, used by the tables): MATLAB's ``imresize``
      bicubic, Keys' kernel with a = -0.5, MATLAB's sampling grid, mirrored
      borders and antialiasing when shrinking; the paper's bicubic reference
      (Keys 1981) and the usual SR convention.
    - ``'torch'``: ``F.interpolate(mode='bicubic')``, a = -0.75, replicated
      borders (what OpenCV's ``INTER_CUBIC`` does too).

    Args:
        upscale_factor (int): Scale. Defaults to 4.
        mode (str): ``'matlab'`` or ``'torch'``. Defaults to ``'matlab'``.
        align_corners (bool): Passed to ``F.interpolate`` in ``'torch'`` mode.
            Defaults to False (pixel-centre alignment, MATLAB's grid too).
        **kwargs: Ignored, so that ``model.generator.type=BicubicUpsampler``
            can replace an SR network's config in place.
    """

    def __init__(self,
                 upscale_factor: int = 4,
                 mode: str = 'matlab',
                 align_corners: bool = False,
                 **kwargs) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'BicubicUpsampler: mode must be one of {MODES}, got {mode!r}')
        self.upscale_factor = upscale_factor
        self.mode = mode
        self.align_corners = align_corners

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == 'torch':
            return F.interpolate(
                x,
                scale_factor=self.upscale_factor,
                mode='bicubic',
                align_corners=self.align_corners)
        height, width = x.shape[-2:]
        scale = self.upscale_factor
        x = matlab_resize_axis(x, x.dim() - 2, int(np.ceil(height * scale)), scale)
        return matlab_resize_axis(x, x.dim() - 1, int(np.ceil(width * scale)), scale)
