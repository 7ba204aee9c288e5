# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN seconds per image: batched networks vs one image at a time.

Both modes run in the same process on the same images (real photographs
from scikit-image, blurred and subsampled by 2), alternating, ``--repeats``
times each; the best time of each mode is reported, since a shared machine's
load only ever adds time.

Example::

    python benchmarks/kernelgan_batched.py --device cpu --iters 200 --num-images 8 --batch 8
    python benchmarks/kernelgan_batched.py --device cuda --iters 300 --num-images 16 --batch 16
"""
import argparse
import os
import os.path as osp
import shlex
import sys
import time

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmssg.degradation.kernelgan import run_kernelgan

PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--iters', type=int, default=200, help='training steps per image')
    parser.add_argument('--num-images', type=int, default=8)
    parser.add_argument('--batch', type=int, default=8, help='images per batched run')
    parser.add_argument('--size', type=int, default=144, help='LR image side (centre crop, <= 150)')
    parser.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: leave)')
    parser.add_argument('--repeats', type=int, default=2, help='timed runs of each mode')
    return parser.parse_args()


def test_images(num, size):
    """``num`` LR photographs: Gaussian blur, x2 subsampling, centre crop."""
    from skimage import data
    images = []
    for i in range(num):
        photo = getattr(data, PHOTOS[i % len(PHOTOS)])().astype(np.float32) / 255
        photo = ndimage.gaussian_filter(photo, sigma=(1.0 + 0.2 * i, 1.5, 0))[::2, ::2]
        top, left = (photo.shape[0] - size) // 2, (photo.shape[1] - size) // 2
        if top < 0 or left < 0:
            raise SystemExit(f'--size {size} is larger than a photo ({photo.shape[:2]})')
        images.append(np.clip(photo[top:top + size, left:left + size], 0, 1))
    return images


def timed(images, args, batch_size):
    if args.device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    run_kernelgan(images, iters=args.iters, device=args.device, batch_size=batch_size, seed=0)
    if args.device.startswith('cuda'):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / len(images)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    images = test_images(args.num_images, args.size)
    # Warm-up (allocator, cuDNN autotuning, lazy imports) outside the timings.
    run_kernelgan(
        images[:min(2, len(images))], iters=3, device=args.device, batch_size=min(2, len(images)))
    one_by_one = batched = float('inf')
    for _ in range(args.repeats):
        one_by_one = min(one_by_one, timed(images, args, batch_size=1))
        batched = min(batched, timed(images, args, batch_size=args.batch))

    device = torch.cuda.get_device_name(args.device) if args.device.startswith('cuda') else \
        f'CPU, {torch.get_num_threads()} torch threads ({os.cpu_count()} cores visible)'
    print(f'\nKernelGAN x2, {args.num_images} images of {args.size}x{args.size}, '
          f'{args.iters} iterations each, best of {args.repeats}, {device}, '
          f'torch {torch.__version__}\n')
    print('| mode | batch | s / image | images / s | s / image at 3000 it (extrapolated) '
          '| speed-up |')
    print('|---|---|---|---|---|---|')
    for name, batch, sec in (('one by one', 1, one_by_one), ('batched', args.batch, batched)):
        print(f'| {name} | {batch} | {sec:.3f} | {1 / sec:.2f} | {sec * 3000 / args.iters:.1f} | '
              f'{one_by_one / sec:.2f}x |')
    print('\ncommand: python ' + ' '.join(shlex.quote(a) for a in sys.argv))


if __name__ == '__main__':
    main()
