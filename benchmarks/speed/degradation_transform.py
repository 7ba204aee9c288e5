# Copyright (c) mmssg contributors. All rights reserved.
"""Degradation transforms speed, one process on one core.

    python benchmarks/speed/degradation_transform.py [--samples 200] [--repeats 3]

HR 512x512 uint8 crops (of a real photograph) -> LR 128x128, x4, as the
training pipeline calls it (one sample at a time, ``torch``/``cv2`` limited to
one thread). DomainAdaptedDegradation uses a temporary pool of KernelGAN-sized
anisotropic Gaussian kernels (25, 31, 37 px) and 128x128 noise patches (memory
mapped, as in training). For comparison: the same blur computed at full
resolution with ``scipy.ndimage.convolve`` and with ``cv2.filter2D``, then
sampled. Prints a markdown table (``--json``: the rates). Figure:
``benchmarks/RESULTS.md#degradation_transform``.
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time

import cv2
import numpy as np
import torch
from scipy import ndimage
from skimage import data

from mmssg.datasets.transforms.domain_adapted_degradation import DomainAdaptedDegradation
from mmssg.datasets.transforms.synthetic_degradation import SyntheticDegradation
from mmssg.degradation.functional import align_kernel, anisotropic_gaussian_kernel, blur, downsample


def make_pools(root, kernel_size, n_noise=64):
    kernel_dir, noise_dir = os.path.join(root,
                                         f'kernels_{kernel_size}'), os.path.join(root, 'noise')
    os.makedirs(kernel_dir, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        sx, sy = rng.uniform(0.2, 0.3, 2) * kernel_size / 2
        np.save(
            os.path.join(kernel_dir, f'k{i}.npy'),
            anisotropic_gaussian_kernel(kernel_size, sx, sy, rng.uniform(0, np.pi)))
    if not os.path.isdir(noise_dir):
        os.makedirs(noise_dir)
        for i in range(4):
            np.save(
                os.path.join(noise_dir, f'img{i}.npy'),
                rng.normal(0, 4, (n_noise // 4, 128, 128, 3)).astype(np.float32))
    return kernel_dir, noise_dir


def samples_per_second(fn, crops, repeats):
    """Best of ``repeats`` passes over ``crops`` (the CPU is shared with other jobs)."""
    fn(crops[0])
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        for crop in crops:
            fn(crop)
        best = min(best, (time.perf_counter() - t0) / len(crops))
    return 1 / best


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', type=int, default=200, help='HR crops per pass')
    parser.add_argument('--repeats', type=int, default=3, help='passes; the best is reported')
    parser.add_argument('--json', help='also write the rates (samples/s) here')
    return parser.parse_args(argv)


def hr_crops(samples):
    """``samples`` 512x512 crops of a real photograph (tiled to 1024x1024), RGB uint8."""
    rng = np.random.default_rng(1)
    photo = np.tile(data.astronaut(), (2, 2, 1))
    corners = rng.integers(0, 1024 - 512, (samples, 2))
    return [np.ascontiguousarray(photo[y:y + 512, x:x + 512]) for y, x in corners]


def measure(crops, repeats):
    """``[(transform, samples/s)]``: the two transforms, then the full-resolution blurs."""
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for size in (25, 31, 37):
            kernel_dir, noise_dir = make_pools(root, size)
            transform = DomainAdaptedDegradation(kernel_dir, noise_dir, scale=4)
            rows.append((f'DomainAdaptedDegradation, {size}x{size} kernels',
                         samples_per_second(lambda hr: transform(dict(gt=hr)), crops, repeats)))
        synthetic = SyntheticDegradation()
        rows.append(('SyntheticDegradation (11x11, sigma 1.5, noise 8)',
                     samples_per_second(lambda hr: synthetic(dict(gt=hr)), crops, repeats)))
        kernel = align_kernel(anisotropic_gaussian_kernel(31, 4, 2, 0.5), 4)
        few = crops[:max(5, len(crops) // 20)]
        rows.append(('blur only: full-res cv2.filter2D + [::4], 31x31',
                     samples_per_second(lambda hr: downsample(blur(hr, kernel), 4), crops,
                                        repeats)))
        rows.append(
            ('blur only: full-res scipy.ndimage.convolve + [::4], 31x31',
             samples_per_second(
                 lambda hr: np.stack([
                     ndimage.convolve(hr[..., c].astype(np.float32), kernel, mode='reflect')
                     for c in range(3)
                 ], -1)[::4, ::4], few, 1)))
    return rows


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    rows = measure(hr_crops(args.samples), args.repeats)
    print(f'Degradation transforms, HR 512x512x3 uint8 -> LR 128x128x3, one process, 1 thread, '
          f'best of {args.repeats} x {args.samples} samples, Python {platform.python_version()}, '
          f'{platform.machine()}, {os.cpu_count()} CPUs')
    print()
    print('| transform | samples / s | ms / sample |')
    print('|---|---|---|')
    for name, sps in rows:
        print(f'| {name} | {sps:.1f} | {1e3 / sps:.1f} |')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(args=vars(args), samples_per_second=dict(rows)), f, indent=2)
    command = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'\ncommand: python benchmarks/speed/degradation_transform.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
