# Copyright (c) mmssg contributors. All rights reserved.
"""LPIPS in bf16 against fp32 on real photographs: distances and the gradient the generator gets.

    python benchmarks/accuracy/lpips_precision.py [--device cpu] [--size 512] \
        [--pretrained-backbone]

Pairs: scikit-image photographs (procedural stand-ins where it is not installed) resized to
``--size`` (the reference) and degraded versions of them, as an SR output is (x4 bicubic down
and up; blur + noise). ``LPIPSLoss(fp32=True)``
(the default: autocast off inside LPIPS) against ``LPIPSLoss(fp32=False)`` under bf16
autocast. Reports the largest per-image distance difference, the difference of the batch
loss and the relative error of its gradient with respect to the prediction. Without
``--pretrained-backbone`` the AlexNet backbone is random (its ImageNet weights come from a
download) while LPIPS's learned linear layers are the real ones. Figure:
``benchmarks/RESULTS.md#lpips_precision``.
"""
import argparse
import json
import sys

import cv2
import numpy as np
import torch

from mmssg.models.losses.lpips_loss import LPIPSLoss
from mmssg.testing import load_photos


def image_pairs(size, seed=0):
    """(reference, degraded) float batches in [0, 1], RGB, NCHW."""
    rng = np.random.default_rng(seed)
    refs, degraded = [], []
    for photo in load_photos():
        photo = cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA)
        photo = photo.astype(np.float32) / 255
        small = cv2.resize(photo, (size // 4, size // 4), interpolation=cv2.INTER_AREA)
        refs += [photo, photo]
        degraded.append(cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC))
        noisy = cv2.GaussianBlur(photo, (7, 7), 1.2) + rng.normal(0, 0.03, photo.shape)
        degraded.append(noisy.astype(np.float32))

    def to_batch(images):
        return torch.from_numpy(np.clip(np.stack(images), 0, 1)).permute(0, 3, 1, 2)

    return to_batch(refs), to_batch(degraded)


def distances_and_grad(loss, pred, target, autocast):
    """Per-image distances, the batch loss and its gradient w.r.t. ``pred``."""
    pred = pred.clone().requires_grad_(True)
    with torch.autocast(pred.device.type, dtype=torch.bfloat16, enabled=autocast):
        per_image = torch.stack([loss(p[None], t[None]) for p, t in zip(pred, target)])
        batch = loss(pred, target)
    batch.backward()
    return per_image.detach().float(), batch.detach().float(), pred.grad


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--pretrained-backbone', action='store_true')
    parser.add_argument('--json', help='also write the figures here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(0)
    fp32 = LPIPSLoss(pretrained_backbone=args.pretrained_backbone).to(args.device)
    bf16 = LPIPSLoss(pretrained_backbone=args.pretrained_backbone, fp32=False).to(args.device)
    bf16.load_state_dict(fp32.state_dict())
    target, pred = (t.to(args.device) for t in image_pairs(args.size))

    d32, b32, g32 = distances_and_grad(fp32, pred, target, autocast=True)
    d16, b16, g16 = distances_and_grad(bf16, pred, target, autocast=True)
    result = dict(
        device=args.device,
        size=args.size,
        pairs=len(pred),
        backbone='ImageNet' if args.pretrained_backbone else 'random (linear layers real)',
        fp32_distances=[round(v, 5) for v in d32.tolist()],
        max_abs_distance_diff=float((d16 - d32).abs().max()),
        max_rel_distance_diff=float(((d16 - d32).abs() / d32).max()),
        batch_loss_fp32=float(b32),
        batch_loss_abs_diff=float((b16 - b32).abs()),
        grad_rel_error=float((g16.float() - g32).norm() / g32.norm()),
        grad_cosine=float(
            torch.nn.functional.cosine_similarity(g16.float().flatten(), g32.flatten(), dim=0)))
    print(json.dumps(result, indent=2))
    print(f'within 1e-3 of fp32 per image: {result["max_abs_distance_diff"] <= 1e-3}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    command = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'command: python benchmarks/accuracy/lpips_precision.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
