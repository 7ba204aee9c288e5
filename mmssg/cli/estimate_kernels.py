# Copyright (c) mmssg contributors. All rights reserved.
"""Build a blur-kernel pool from a folder of real LR images (section 3.2).

The pool of a training config (its guided dataset's images, of the size it trains on; the
folder, scale and estimator its ``DomainAdaptedDegradation`` and ``kernel_method`` name), or
of any folder::

    python tools/data/estimate_kernels.py --config configs/ssg_rwsr_x4_cityscapes.py \
        --device cuda
    torchrun --nproc_per_node 8 tools/data/estimate_kernels.py \
        --config configs/ssg_rwsr_x4_cityscapes.py --device cuda
    python tools/data/estimate_kernels.py data/real_lr data/kernel_pool_x4 --scale 4 \
        --method spectral-pooled

The work (estimators, pool files, summary, resuming, sharding) is
:mod:`mmssg.degradation.pools.kernel_writer`'s. Exit status 3 when images were skipped.
"""
import argparse
import os

from mmengine.config import Config

from mmssg.degradation.pools import METHODS, pool_spec
from mmssg.degradation.pools.kernel_estimates import DEFAULT_BATCH
from mmssg.degradation.pools.kernel_writer import KernelPoolOptions, write_kernel_pool
from mmssg.degradation.pools.settings import KERNELGAN_CROP, KERNELGAN_ITERATIONS, KERNELGAN_SEED
from mmssg.degradation.pools.shards import parse_shard
from mmssg.degradation.spectral_kernels import MIN_POOLED_IMAGES
from mmssg.utils import run_tool
from mmssg.utils.cli import check_config_or_paths

# what --config decides, and the config key each comes from
FROM_CONFIG = dict(scale='DomainAdaptedDegradation.scale', method='kernel_method')


def add_source_arguments(parser):
    parser.add_argument('src_dir', nargs='?', help='folder of real LR images (recursive)')
    parser.add_argument('out_dir', nargs='?', help='where to write <name>.npy and summary.json')
    parser.add_argument(
        '--config',
        help="a training config instead of SRC_DIR OUT_DIR: its guided dataset's images (of "
        'its image_size), its DomainAdaptedDegradation kernel_pool and scale, its kernel_method')
    parser.add_argument(
        '--scale',
        type=int,
        choices=(2, 4),
        help="SR scale the kernels are for (KernelGAN's x4 kernel composes its x2 kernel); "
        'required with SRC_DIR OUT_DIR')
    parser.add_argument(
        '--method',
        choices=METHODS,
        help="'kernelgan' (the paper's, the default), 'spectral' (a Gaussian fitted to each "
        "image's spectrum) or 'spectral-pooled' (one fit to all images: one camera); see "
        'benchmarks/RESULTS.md for how they compare')


def add_run_arguments(parser):
    parser.add_argument(
        '--iters', type=int, default=KERNELGAN_ITERATIONS, help='KernelGAN steps per image')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument(
        '--seed',
        type=int,
        default=KERNELGAN_SEED,
        help='seeds every image (with its index) and the --max-images draw')
    parser.add_argument(
        '--batch',
        type=int,
        help='images estimated at once on the device (batched networks). An image\'s seeds '
        'do not depend on it, its kernel does a little (sums run in another order). Default: '
        f"{DEFAULT_BATCH['cpu']} on CPU, {DEFAULT_BATCH['cuda']} on CUDA")
    parser.add_argument(
        '--crop', type=int, default=KERNELGAN_CROP, help='generator crop size (even)')
    parser.add_argument(
        '--min-pooled-images',
        type=int,
        default=MIN_POOLED_IMAGES,
        metavar='K',
        help='spectral-pooled: refuse a folder with fewer usable images (default: '
        f'{MIN_POOLED_IMAGES}; fewer images make the kernel depend on which ones, '
        'benchmarks/RESULTS.md)')
    parser.add_argument(
        '--shard',
        metavar='I/N',
        help="estimate only images I, I+N, ... of the sorted list (default: torchrun's "
        'RANK/WORLD_SIZE, else all)')
    parser.add_argument(
        '--max-images', type=int, metavar='K', help='a random subset of K images (--seed)')
    parser.add_argument(
        '--redo',
        action='store_true',
        help='recompute kernels made with other settings instead of stopping')
    parser.add_argument(
        '--workers',
        type=int,
        default=min(8,
                    os.cpu_count() or 1),
        help='processes checking the images before training (default: min(8, CPU cores))')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bars')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Estimate one blur kernel per image (SSG-RWSR section 3.2).')
    add_source_arguments(parser)
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    if check_config_or_paths(parser, args, FROM_CONFIG, 'SRC_DIR OUT_DIR'):
        return args
    if args.out_dir is None:
        parser.error('give SRC_DIR OUT_DIR, or --config CONFIG')
    if args.scale is None:
        parser.error('--scale is required with SRC_DIR OUT_DIR')
    return args


def pool_options(args) -> KernelPoolOptions:
    """The writer's options: the command line's, and the config's pool when it names one."""
    run = dict(
        iterations=args.iters,
        crop=args.crop,
        seed=args.seed,
        device=args.device,
        batch=args.batch,
        min_pooled_images=args.min_pooled_images,
        shard=parse_shard(args.shard) if args.shard is not None else None,
        max_images=args.max_images,
        redo=args.redo,
        workers=args.workers,
        progress=not args.no_progress)
    if args.config is None:
        return KernelPoolOptions(args.src_dir, args.out_dir, args.scale, args.method or METHODS[0],
                                 **run)
    return KernelPoolOptions.from_spec(pool_spec(Config.fromfile(args.config), 'kernels'), **run)


def main(argv=None):
    return write_kernel_pool(pool_options(parse_args(argv)))


if __name__ == '__main__':
    run_tool(main)
