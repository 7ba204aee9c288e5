# Copyright (c) mmssg contributors. All rights reserved.
"""LPIPS between SR output and HR ground truth, as an MMagic metric."""
import torch
from mmagic.evaluation.metrics.base_sample_wise_metric import BaseSampleWiseMetric
from mmagic.registry import METRICS

from mmssg.models.losses.lpips_loss import build_lpips_network


@METRICS.register_module()
class LPIPS(BaseSampleWiseMetric):
    """Learned Perceptual Image Patch Similarity (lower is better).

    Computed with the ``lpips`` package (version 0.1, AlexNet by default, as
    the LPIPS numbers of the SSG-RWSR paper) on the whole SR image against its
    HR ground truth. MMagic hands metrics BGR images in [0, 255]; they are
    converted to RGB in [-1, 1] here.

    Args:
        net (str): ``'alex'``, ``'vgg'`` or ``'squeeze'``. Defaults to ``'alex'``.
        pretrained_backbone (bool): ImageNet backbone (torchvision download).
            ``False`` (random backbone) gives numbers that are only comparable
            with each other, never with published LPIPS; only for offline runs.
        crop_border (int): Pixels cropped from each border before comparing.
        device (str): Where to run the network. Defaults to ``'cpu'``.
        **kwargs: ``gt_key``, ``pred_key``, ``collect_device``, ``prefix``.
    """
    metric = 'LPIPS'

    def __init__(self,
                 net: str = 'alex',
                 pretrained_backbone: bool = True,
                 crop_border: int = 0,
                 device: str = 'cpu',
                 **kwargs) -> None:
        super().__init__(device=device, **kwargs)
        self.crop_border = crop_border
        self.random_weights = not pretrained_backbone  # results files mark it (LPIPS*)
        self.net = build_lpips_network(net, pretrained_backbone).to(device)

    @torch.no_grad()
    def process_image(self, gt, pred, mask):
        """LPIPS of one (C, H, W) BGR image pair in [0, 255]."""
        if self.crop_border:
            c = self.crop_border
            gt, pred = gt[..., c:-c, c:-c], pred[..., c:-c, c:-c]
        to_net = lambda img: (img.float().flip(0)[None] / 127.5 - 1).to(self.device)  # noqa: E731
        return float(self.net(to_net(pred), to_net(gt)).mean())
