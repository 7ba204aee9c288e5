# Copyright (c) mmssg contributors. All rights reserved.
"""Build a KernelGAN blur-kernel pool from a folder of real LR images.

Writes one ``<name>.npy`` per image (float32, square, odd size, centred,
summing to 1; a true convolution kernel at HR resolution for ``--scale``),
``<name>`` being the image's path relative to SRC_DIR without its extension,
folders joined by ``__`` (:func:`mmssg.utils.output_names`, as the noise-pool
tool names its files), and a ``summary.json``: the common fields of
:mod:`mmssg.utils.summary` (source folder, images found and read, skipped
files with reasons, parameters), ``kernel_size``, ``seconds``, ``suspect``
(images whose generator grew no kernel) and ``images`` (per image: ``file``,
``pool_file``, ``final_losses``, ``raw_kernel_sum``).

Images are read by :func:`mmssg.utils.read_image`; 16-bit images are used at
full precision (KernelGAN works on ``[-1, 1]`` whatever the depth).

Example::

    python tools/data/estimate_kernels.py data/real_lr data/kernel_pool_x4 --scale 4 \
        --device cuda --batch 16

Exit status 3 when unreadable or too small images were skipped (listed in
the summary).
"""
import argparse
import functools
import os
import os.path as osp
import sys
import time

import numpy as np
import torch

from mmssg.degradation.kernelgan import KERNEL_SIZE_X2, KERNEL_SIZE_X4, prepare_image, run_kernelgan
from mmssg.utils import (finish, parallel_map, read_image, run_tool, skipped_input, source_images,
                         write_summary)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Estimate one KernelGAN blur kernel per image (SSG-RWSR section 3.2).')
    parser.add_argument('src_dir', help='folder of real LR images (searched recursively)')
    parser.add_argument('out_dir', help='where to write <name>.npy and summary.json')
    parser.add_argument('--scale', type=int, choices=(2, 4), required=True,
                        help='SR scale the kernels are for (x4 composes the x2 kernel)')
    parser.add_argument('--iters', type=int, default=3000, help='training steps per image')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch', type=int, default=16,
                        help='images estimated at once on the device (batched networks). An '
                        "image's seeds do not depend on it, its kernel does a little (sums "
                        'run in another order). Default: 16')
    parser.add_argument('--crop', type=int, default=64, help='generator crop size (even)')
    return parser.parse_args(argv)


def check_image(src_dir, crop, job):
    """``None`` when the image can be used, else its :func:`skipped_input` entry."""
    try:
        prepare_image(read_image(osp.join(src_dir, job[0])), min_size=crop, name=job[0])
    except (OSError, ValueError) as error:
        return skipped_input(job[0], error)
    return None


def estimate_batch(args, jobs):
    """Estimate and save the kernels of one batch; per image, what the summary lists.

    Args:
        args (argparse.Namespace): The tool's arguments.
        jobs (tuple[int, list]): Index of the batch's first image in the whole
            list (for its seeds) and its ``(relative path, kernel file)`` pairs.
    """
    first, pairs = jobs
    images = [read_image(osp.join(args.src_dir, rel)) for rel, _ in pairs]
    # Seeds follow the image's place in the whole list, so --batch does
    # not change which random numbers an image sees.
    results = run_kernelgan(images, scale=args.scale, iters=args.iters, device=args.device,
                            seed=args.seed, batch_size=len(images), crop=args.crop,
                            progress=True, first_index=first)
    items = []
    for (rel, pool_file), result in zip(pairs, results):
        np.save(osp.join(args.out_dir, pool_file), result.kernel)
        # The generator's own kernel should sum to ~1; far from it, the
        # generator never grew a kernel and the saved one is noise.
        items.append(dict(file=rel, pool_file=pool_file, final_losses=result.losses,
                          raw_kernel_sum=float(result.raw_kernel_x2.sum())))
    return items


def main(argv=None):
    args = parse_args(argv)
    jobs = source_images(args.src_dir, args.out_dir, '.npy')
    if str(args.device).startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError(f'--device {args.device} asked for, but CUDA is not available')
    # Check every image first (so a bad file is reported before hours of
    # training), but keep only one batch in memory at a time.
    checks = parallel_map(functools.partial(check_image, args.src_dir, args.crop), jobs,
                          desc='checking images')
    skipped = [c for c in checks if c is not None]
    kept = [job for job, c in zip(jobs, checks) if c is None]
    if not kept:
        raise ValueError(f'none of the {len(jobs)} images in {args.src_dir!r} could be used: '
                         + '; '.join(f'{s["file"]}: {s["reason"]}' for s in skipped[:5]))
    os.makedirs(args.out_dir, exist_ok=True)
    start = time.time()
    batches = [(i, kept[i:i + args.batch]) for i in range(0, len(kept), args.batch)]
    items = sum(parallel_map(functools.partial(estimate_batch, args), batches,
                             desc='kernel batches', unit='batch'), [])
    kernel_size = KERNEL_SIZE_X4 if args.scale == 4 else KERNEL_SIZE_X2
    suspect = [item['file'] for item in items if abs(item['raw_kernel_sum'] - 1) > 0.2]
    parameters = dict(scale=args.scale, iterations=args.iters, seed=args.seed, batch=args.batch,
                      crop=args.crop, device=str(args.device))
    write_summary(args.out_dir, args.src_dir, len(jobs), len(kept), skipped, parameters,
                  kernel_size=kernel_size, seconds=round(time.time() - start, 1),
                  suspect=suspect, images=items)
    if suspect:
        print(f'warning: the generator of {len(suspect)} image(s) did not grow a kernel '
              f'(raw kernel sum far from 1; more --iters or another --seed may help): '
              f'{", ".join(suspect)}', file=sys.stderr)
    done = (f'wrote {len(kept)} kernels ({kernel_size}x{kernel_size}, x{args.scale}) '
            f'to {args.out_dir}')
    return finish(done, skipped, osp.join(args.out_dir, 'summary.json'))


if __name__ == '__main__':
    run_tool(main)
