# Copyright (c) mmssg contributors. All rights reserved.
"""Collated batches in the format MMagic's data pipeline produces."""
import torch
from mmagic.structures import DataSample


def guided_batch(n=2, size=(32, 32), num_classes=19, label_scale=1, seed=0):
    """Real-LR-like images (uint8, RGB) with label maps of ``label_scale`` x their size."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    inputs = [torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8) for _ in range(n)]
    samples = []
    for _ in range(n):
        # four regions of random classes, as a street scene has large segments
        classes = torch.randint(0, num_classes, (2, 2), generator=g)
        hh, ww = h * label_scale, w * label_scale
        labels = classes.repeat_interleave(-(-hh // 2), 0)[:hh].repeat_interleave(-(-ww // 2), 1)
        labels = labels[:, :ww][None].clone()
        labels[:, :2] = 255  # an ignored stripe, as Cityscapes has
        samples.append(
            DataSample(gt_seg_map=labels.to(torch.uint8), metainfo=dict(img_channel_order='rgb')))
    return dict(inputs=inputs, data_samples=samples)


def adapted_batch(n=2, size=(16, 16), scale=4, seed=1):
    """LR/HR pairs (uint8, RGB)."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    inputs, samples = [], []
    for _ in range(n):
        gt = torch.randint(0, 256, (3, h * scale, w * scale), generator=g, dtype=torch.uint8)
        lr = torch.nn.functional.avg_pool2d(gt[None].float(), scale)[0].round().to(torch.uint8)
        inputs.append(lr)
        samples.append(
            DataSample(gt_img=gt, metainfo=dict(img_channel_order='rgb', gt_channel_order='rgb')))
    return dict(inputs=inputs, data_samples=samples)
