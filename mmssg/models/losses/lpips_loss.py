# Copyright (c) mmssg contributors. All rights reserved.
"""LPIPS perceptual loss backed by the ``lpips`` package."""
import lpips
import torch
import torch.nn as nn
from mmagic.registry import MODELS

_NETS = ('alex', 'vgg', 'squeeze')


def lpips_backbone_url(net: str = 'alex') -> str:
    """Where torchvision downloads the ImageNet weights of an LPIPS backbone from (the file
    lands in ``torch.hub.get_dir()/checkpoints``)."""
    from torchvision import models
    weights = dict(
        alex=models.AlexNet_Weights, vgg=models.VGG16_Weights, squeeze=models.SqueezeNet1_1_Weights)
    if net not in weights:
        raise ValueError(f'LPIPS net must be one of {_NETS}, got {net!r}')
    return weights[net].IMAGENET1K_V1.url


def build_lpips_network(net: str = 'alex', pretrained_backbone: bool = True) -> lpips.LPIPS:
    """Build a frozen, eval-mode :class:`lpips.LPIPS` network.

    Args:
        net (str): Backbone, one of ``'alex'``, ``'vgg'``, ``'squeeze'``.
        pretrained_backbone (bool): Load torchvision's ImageNet weights for the
            backbone (downloaded once into ``torch.hub.get_dir()``). ``False``
            keeps a random backbone, which is only meaningful for tests and
            offline smoke runs. The learned linear layers always come from the
            weights shipped inside the ``lpips`` package.

    Returns:
        lpips.LPIPS: The network, with every parameter frozen.
    """
    if net not in _NETS:
        raise ValueError(f'LPIPS net must be one of {_NETS}, got {net!r}')
    try:
        model = lpips.LPIPS(
            net=net, pretrained=True, pnet_rand=not pretrained_backbone, verbose=False)
    except Exception as err:  # torchvision download errors come in several types
        if not pretrained_backbone:
            raise
        raise RuntimeError(
            f'LPIPS(net={net!r}) needs torchvision\'s ImageNet weights for its backbone and '
            f'loading them failed: {err}. Either make the file available in '
            f'{torch.hub.get_dir()}/checkpoints (download it once on a machine with '
            'internet access), or pass pretrained_backbone=False to use a random backbone '
            '(for tests and offline smoke runs only, not for real training).') from err
    model.eval()
    model.requires_grad_(False)
    return model


@MODELS.register_module()
class LPIPSLoss(nn.Module):
    """Learned Perceptual Image Patch Similarity (LPIPS) as a training loss.

    The wrapped network is frozen (it adds no trainable parameters) and stays in
    eval mode even when the model around it is put into training mode, so its
    dropout never makes the loss random.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        net (str): LPIPS backbone: ``'alex'`` (default, as in the LPIPS paper's
            recommended metric), ``'vgg'`` or ``'squeeze'``.
        pretrained_backbone (bool): See :func:`build_lpips_network`. Must be
            set to ``False`` explicitly to train without the ImageNet backbone.
        fp32 (bool): Evaluate in float32 with autocast disabled, so that the
            feature normalisation inside LPIPS stays accurate under AMP.
            Defaults to True.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 net: str = 'alex',
                 pretrained_backbone: bool = True,
                 fp32: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.fp32 = fp32
        self.lpips = build_lpips_network(net, pretrained_backbone)

    def train(self, mode: bool = True) -> 'LPIPSLoss':
        """Keep the LPIPS network in eval mode whatever the caller asks."""
        super().train(mode)
        self.lpips.eval()
        return self

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the weighted mean LPIPS distance.

        Args:
            pred (Tensor): Images of shape (N, 3, H, W), RGB in [0, 1].
            target (Tensor): Images of the same shape, RGB in [0, 1].

        Returns:
            Tensor: A scalar loss.
        """
        if pred.shape != target.shape or pred.dim() != 4 or pred.size(1) != 3:
            raise ValueError('LPIPSLoss expects two (N, 3, H, W) tensors of the same shape, got '
                             f'{tuple(pred.shape)} and {tuple(target.shape)}')
        if self.fp32:
            with torch.autocast(device_type=pred.device.type, enabled=False):
                dist = self.lpips(pred.float(), target.float(), normalize=True)
        else:
            dist = self.lpips(pred, target, normalize=True)
        return dist.mean() * self.loss_weight
