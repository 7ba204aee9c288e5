# Copyright (c) mmssg contributors. All rights reserved.
"""The mean colour error of SR output against HR ground truth, per channel: a colour cast."""
from typing import List

import torch
from mmagic.evaluation.metrics.base_sample_wise_metric import BaseSampleWiseMetric
from mmagic.registry import METRICS

CHANNELS = ('R', 'G', 'B')


@METRICS.register_module()
class ColourShift(BaseSampleWiseMetric):
    """Mean signed difference SR - HR of each colour channel, in grey levels (0-255).

    PSNR and SSIM barely notice a uniform colour cast that the eye sees at once
    (foliage turning olive); this metric names it. Per image, the mean of
    ``pred - gt`` over the pixels of each channel; averaged over images. It
    reports ``ColourShift/R``, ``/G``, ``/B`` and ``ColourShift``, the largest
    absolute channel shift (0 for no cast).

    Args:
        crop_border (int): Pixels cropped from each border before comparing.
        **kwargs: ``gt_key``, ``pred_key``, ``collect_device``, ``prefix``.
    """
    metric = 'ColourShift'

    def __init__(self, crop_border: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.crop_border = crop_border

    def process_image(self, gt, pred, mask):
        """Per-channel mean of ``pred - gt`` for one (3, H, W) BGR pair in [0, 255]."""
        if self.crop_border:
            c = self.crop_border
            gt, pred = gt[..., c:-c, c:-c], pred[..., c:-c, c:-c]
        shift = (pred.double() - gt.double()).mean(dim=(-2, -1)).flip(0)  # BGR -> RGB
        return shift.tolist()

    def compute_metrics(self, results: List[dict]) -> dict:
        """Average each channel's shift over the images."""
        shifts = torch.tensor([r[self.metric] for r in results], dtype=torch.float64).mean(0)
        metrics = {f'{self.metric}/{name}': float(v) for name, v in zip(CHANNELS, shifts)}
        metrics[self.metric] = float(shifts.abs().max())
        return metrics
