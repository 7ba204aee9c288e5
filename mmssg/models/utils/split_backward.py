# Copyright (c) mmssg contributors. All rights reserved.
"""The guided turn's backward, split at the SR image, under mixed precision.

The segmentor's backward leaves a (loss-scaled) gradient on the SR pixels; the generator's
backward then starts from a scalar whose gradient is that one, unscaled. These two functions
read the scale a wrapper's backward will use and build that scalar without losing the
gradient to fp16.
"""
from typing import Union

import torch
from mmengine.optim import OptimWrapper
from torch import Tensor


def loss_scale(optim_wrapper: OptimWrapper, device: torch.device) -> Union[float, Tensor]:
    """The factor an optimizer wrapper's next backward multiplies the loss by.

    1 for plain wrappers. For AMP wrappers, the GradScaler's current scale as
    a new tensor on ``device``, obtained through its public ``scale()`` of a
    one: that initialises the scale on first use exactly as the backward
    would, reads it without synchronising a GPU, and returns a copy, so the
    in-place growth or back-off of ``GradScaler.update()`` after the step
    leaves the value read here unchanged.

    Args:
        optim_wrapper (OptimWrapper): The wrapper about to run a backward.
        device (torch.device): Where the returned scale should live.

    Returns:
        float | Tensor: The scale, ``1.0`` when the wrapper does not scale.
    """
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if scaler is None or not scaler.is_enabled():
        return 1.0
    return scaler.scale(torch.ones((), device=device))


def pixel_gradient_loss(sr: Tensor, scaled_grad: Tensor, scale: Union[float, Tensor]) -> Tensor:
    """A scalar whose gradient with respect to ``sr`` is ``scaled_grad / scale``.

    The guided turn's backward is split at the SR image: ``scaled_grad`` is the
    gradient the segmentor's backward left on the SR pixels, multiplied by its
    loss ``scale``. Both the unscaling and the product run in fp32 whatever the
    dtype of ``sr``: a per-pixel gradient of a cross-entropy averaged over a
    batch of large crops lies below fp16's smallest subnormal once unscaled,
    so fp16 arithmetic would turn it into zeros. The fp32 gradient reaches
    ``sr``'s graph multiplied by the generator's own loss scale (its wrapper
    scales this loss), where fp16 holds it again.

    Args:
        sr (Tensor): The generator's output, part of its autograd graph.
        scaled_grad (Tensor): ``d(scale * loss) / d(sr)``, any float dtype.
        scale (float | Tensor): The loss scale of the backward that made it.

    Returns:
        Tensor: A 0-dim fp32 tensor.
    """
    grad = scaled_grad.float() / scale
    return (sr.float() * grad).sum()
