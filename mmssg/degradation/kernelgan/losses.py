# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN losses and kernel constraints, per image: kernels ``(B, k, k)`` -> ``(B,)``."""
import torch
import torch.nn.functional as F


def sum_to_one_loss(kernels: torch.Tensor) -> torch.Tensor:
    """``|1 - sum(k)|`` per kernel.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
    """
    return (1 - kernels.sum(dim=(1, 2))).abs()


def boundaries_loss(kernels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``|k| * mask``: mass far from the centre costs.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
        mask (torch.Tensor): ``(k, k)``, see :func:`boundary_penalty_mask`.
    """
    return (kernels * mask).abs().mean(dim=(1, 2))


def centralized_loss(kernels: torch.Tensor) -> torch.Tensor:
    """Squared distance of the centre of mass from the array centre, per axis mean.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
    """
    size = kernels.shape[-1]
    idx = torch.arange(size, dtype=kernels.dtype, device=kernels.device)
    total = kernels.sum(dim=(1, 2))
    row = (kernels.sum(dim=2) * idx).sum(dim=1) / total
    col = (kernels.sum(dim=1) * idx).sum(dim=1) / total
    centre = (size - 1) / 2
    return ((row - centre)**2 + (col - centre)**2) / 2


def sparsity_loss(kernels: torch.Tensor, power: float = 0.2) -> torch.Tensor:
    """Mean of ``|k| ** power``: a power below 1 favours few non-zero taps.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
        power (float): Default: 0.2.
    """
    # The epsilon keeps the gradient finite at exact zeros (|x|^0.2 has slope inf there).
    return (kernels.abs() + 1e-12).pow(power).mean(dim=(1, 2))


def bicubic_loss(g_input: torch.Tensor, g_output: torch.Tensor,
                 bicubic: torch.Tensor) -> torch.Tensor:
    """MSE between the generator's output and a bicubic x2 downscale of its input.

    Args:
        g_input (torch.Tensor): ``(B, ..., H, W)`` generator input.
        g_output (torch.Tensor): ``(B, ..., h, w)`` generator output.
        bicubic (torch.Tensor): ``(k, k)`` kernel of the same size as the
            generator's, so that both outputs lie on the same grid.
    """
    weight = bicubic.flip(0, 1)[None, None]  # conv2d correlates; flip to convolve
    reference = F.conv2d(g_input.reshape(-1, 1, *g_input.shape[-2:]), weight, stride=2)
    reference = reference.reshape(g_output.shape)
    return ((g_output - reference)**2).flatten(1).mean(dim=1)


def gan_loss(prediction: torch.Tensor, target_is_real: bool) -> torch.Tensor:
    """Adversarial loss per image: mean ``|D - 1|`` (real) or ``|D|`` (fake).

    The published KernelGAN's: an L1 distance of the discriminator's sigmoid map from
    its label (a squared distance, as LSGAN takes, gives the generator weaker gradients
    where the map is near the label).

    Args:
        prediction (torch.Tensor): ``(B, ...)`` discriminator map.
        target_is_real (bool): Compare with 1 (real) or 0 (fake).
    """
    target = 1.0 if target_is_real else 0.0
    return (prediction - target).abs().flatten(1).mean(dim=1)
