# Copyright (c) mmssg contributors. All rights reserved.
"""Data pipeline speed of SSG-RWSR training on full-size data; one process = one worker.

    python benchmarks/speed/data_pipeline.py [--frames 12] [--hr-images 12] [--samples 36]
    python benchmarks/speed/data_pipeline.py --make-data data --frames 64 --hr-images 64  # data

Writes generated data with the real sizes to a temporary folder: Cityscapes-sized frames
(2048x1024 PNG of photograph tiles and smooth areas with sensor-like noise, about 2.8 MB a
file where Cityscapes' average 2.2 MB) with ``labelTrainIds`` PNGs of large segments,
DF2K-sized HR images (2040x1356 PNG of photograph tiles, about 4.7 MB, DF2K 4.2-4.4 MB:
decoding is, if anything, slower than on the real data), a kernel pool of 25x25 kernels
(the x4 size KernelGAN estimates) and a noise pool of 128x128 float32 patches in the layout
``tools/data/collect_noise_patches.py`` writes. Then it builds the two training pipelines of
``configs/ssg_rwsr_x4_cityscapes.py`` (its datasets, with every ``data/`` path pointed at the
generated folder) and times each transform over the same samples (same seeds) in passes,
in wall-clock and in CPU time (the machine may be shared: waiting for a core adds wall-clock
time only, so the CPU time is what a worker with a core of its own takes; workers are counted
from it). Like a dataloader worker, the process uses one thread (mmengine's
``opencv_num_threads=0``).

Each training turn takes a batch of ``--batch`` samples from one of the two pipelines,
alternately, so at ``--turn-ms`` per turn each pipeline must deliver ``batch`` samples every
two turns. The table ends with the number of workers per GPU that rate needs. Figure:
``benchmarks/RESULTS.md#data_pipeline``.
"""
import argparse
import copy
import json
import math
import multiprocessing
import os
import os.path as osp
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict

import cv2
import numpy as np
import torch
from mmagic.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmssg  # noqa: F401  (registers the plugin)
from mmssg.degradation.functional import anisotropic_gaussian_kernel
from mmssg.testing import REPO_ROOT, photo_mosaic

FRAME_SIZE = (1024, 2048)  # Cityscapes leftImg8bit (h, w)
HR_SIZE = (1356, 2040)  # a typical DIV2K / Flickr2K HR image
KERNEL_SIZE = 25  # x4 KernelGAN kernels: the 13x13 x2 kernel composed with itself
NOISE_PATCH = 128


def label_map(height, width, rng, num_classes=19, regions=60):
    """Large segments (nearest of ``regions`` random centres), 5 % of them ignored (255)."""
    grid_h, grid_w = height // 8, width // 8
    centres = rng.uniform(0, 1, (regions, 2)) * (grid_h, grid_w)
    classes = rng.integers(0, num_classes, regions).astype(np.uint8)
    classes[rng.uniform(size=regions) < 0.05] = 255
    yy, xx = np.mgrid[:grid_h, :grid_w]
    dist = (yy[..., None] - centres[:, 0])**2 + (xx[..., None] - centres[:, 1])**2
    small = classes[dist.argmin(-1)]
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)


def write_png(path, rgb):
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, rgb[..., ::-1] if rgb.ndim == 3 else rgb):
        raise OSError(f'could not write {path}')


def write_pools(root, rng, num_kernels, noise_files, patches_per_file):
    kernel_dir = osp.join(root, 'cityscapes', 'degradation', 'kernels_x4')
    noise_dir = osp.join(root, 'cityscapes', 'degradation', 'noise_p128')
    os.makedirs(kernel_dir, exist_ok=True)
    os.makedirs(noise_dir, exist_ok=True)
    for i in range(num_kernels):
        sx, sy = rng.uniform(0.1, 0.3, 2) * KERNEL_SIZE / 2
        kernel = anisotropic_gaussian_kernel(KERNEL_SIZE, sx, sy, rng.uniform(0, np.pi))
        np.save(osp.join(kernel_dir, f'frame{i:04d}.npy'), kernel.astype(np.float32))
    for i in range(noise_files):
        patches = rng.normal(0, 3, (patches_per_file, NOISE_PATCH, NOISE_PATCH, 3))
        patches -= patches.mean(axis=(1, 2), keepdims=True)
        np.save(osp.join(noise_dir, f'frame{i:04d}.npy'), patches.astype(np.float32))


def write_frame(job):
    """One Cityscapes-like frame and its label map; ``job`` = (root, split, index, size, seed)."""
    root, split, index, size, seed = job
    rng = np.random.default_rng([seed, 0, index, split == 'val'])
    city, stem = osp.join(root, 'cityscapes'), f'bench_{index:06d}_000019'
    write_png(
        osp.join(city, 'leftImg8bit', split, 'bench', f'{stem}_leftImg8bit.png'),
        photo_mosaic(*size, rng, noise_sigma=0.8, smooth_share=0.6))
    write_png(
        osp.join(city, 'gtFine', split, 'bench', f'{stem}_gtFine_labelTrainIds.png'),
        label_map(*size, rng))


def write_hr_image(job):
    """One DF2K-like HR image; ``job`` = (root, index, size, seed)."""
    root, index, size, seed = job
    rng = np.random.default_rng([seed, 1, index])
    write_png(
        osp.join(root, 'DF2K', 'HR', f'{index:04d}.png'), photo_mosaic(*size, rng, noise_sigma=0.5))


def make_data(root,
              frames,
              hr_images,
              val_frames=2,
              frame_size=FRAME_SIZE,
              hr_size=HR_SIZE,
              jobs=1,
              seed=0):
    """Write training data under ``root`` in the layout the configs expect.

    ``root`` takes the place of the configs' ``data/`` folder: ``cityscapes/leftImg8bit``,
    ``cityscapes/gtFine`` (train and val), ``cityscapes/degradation`` (pools) and ``DF2K/HR``.
    Every image has its own seed, so the data do not depend on ``jobs`` (processes).
    """
    frame_jobs = [(root, split, i, frame_size, seed)
                  for split, count in (('train', frames), ('val', val_frames))
                  for i in range(count)]
    hr_jobs = [(root, i, hr_size, seed) for i in range(hr_images)]
    if jobs > 1:
        with multiprocessing.get_context('fork').Pool(jobs) as pool:
            pool.map(write_frame, frame_jobs)
            pool.map(write_hr_image, hr_jobs)
    else:
        list(map(write_frame, frame_jobs))
        list(map(write_hr_image, hr_jobs))
    write_pools(
        root,
        np.random.default_rng([seed, 2]),
        num_kernels=256,
        noise_files=16,
        patches_per_file=64)


def mean_file_mb(folder):
    sizes = [osp.getsize(osp.join(d, f)) for d, _, names in os.walk(folder) for f in names]
    return sum(sizes) / len(sizes) / 2**20


def redirect_data_paths(node, root):
    """Point every ``data/...`` string of a config at ``root``."""
    if isinstance(node, dict):
        return {k: redirect_data_paths(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [redirect_data_paths(v, root) for v in node]
    if isinstance(node, str) and node.startswith('data/'):
        return osp.join(root, node[len('data/'):])
    return node


def build_datasets(config, root):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    guided = redirect_data_paths(cfg.train_dataloader.dataset.to_dict(), root)
    adapted = redirect_data_paths(cfg.train_cfg.dataloaders.adapted.dataset.to_dict(), root)
    return {'guided': DATASETS.build(guided), 'adapted': DATASETS.build(adapted)}


def time_pipeline(dataset, samples, repeats):
    """Identical passes over ``samples`` samples, timed per transform in wall-clock and in
    this process's CPU time.

    Returns:
        dict: ``wall`` (s/sample, fastest pass), ``cpu`` (s/sample, pass with the least CPU
        time) and ``stages`` (transform -> CPU s/sample in that pass). On a shared machine
        the CPU time is what a worker with a core of its own would take: waiting for a core
        adds wall-clock time only.
    """
    indices = np.random.default_rng(1).integers(0, len(dataset), samples)
    best_wall, best_cpu, best_stages = math.inf, math.inf, None
    for _ in range(repeats):
        np.random.seed(0)
        random.seed(0)
        stages, wall = defaultdict(float), 0.
        for index in indices:
            results = copy.deepcopy(dataset.get_data_info(int(index)))
            for transform in dataset.pipeline.transforms:
                t0, c0 = time.perf_counter(), time.process_time()
                results = transform(results)
                stages[type(transform).__name__] += time.process_time() - c0
                wall += time.perf_counter() - t0
        best_wall = min(best_wall, wall)
        if sum(stages.values()) < best_cpu:
            best_cpu, best_stages = sum(stages.values()), stages
    return dict(
        wall=best_wall / samples,
        cpu=best_cpu / samples,
        stages={
            k: v / samples
            for k, v in best_stages.items()
        })


def workers_needed(sample_seconds, batch, turn_ms):
    """Workers for one pipeline that feeds every other turn: ``batch`` samples per 2 turns."""
    rate = batch / (2 * turn_ms / 1000)
    return rate, math.ceil(rate * sample_seconds)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/ssg_rwsr_x4_cityscapes.py')
    parser.add_argument('--frames', type=int, default=12, help='Cityscapes-sized frames')
    parser.add_argument('--hr-images', type=int, default=12, help='DF2K-sized HR images')
    parser.add_argument('--samples', type=int, default=36, help='samples per pass and pipeline')
    parser.add_argument('--repeats', type=int, default=3, help='passes; the fastest is kept')
    parser.add_argument('--batch', type=int, default=12, help='samples per training turn')
    parser.add_argument('--turn-ms', type=float, default=200., help='target time of a turn')
    parser.add_argument('--make-data', metavar='DIR', help='only write the data into DIR')
    parser.add_argument(
        '--frame-size',
        type=int,
        nargs=2,
        default=FRAME_SIZE,
        metavar=('H', 'W'),
        help='frame size (smaller for a quick check)')
    parser.add_argument(
        '--hr-size',
        type=int,
        nargs=2,
        default=HR_SIZE,
        metavar=('H', 'W'),
        help='HR image size (at least the 512 px crop)')
    parser.add_argument('--jobs', type=int, default=1, help='processes writing the data')
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args(argv)


def report(args, root, results):
    print(f'\nData pipelines of {args.config}, one process, one thread, fastest of '
          f'{args.repeats} passes x {args.samples} samples; {platform.machine()}, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, '
          f'Python {platform.python_version()}, torch {torch.__version__}')
    print(f'files: frames {mean_file_mb(osp.join(root, "cityscapes", "leftImg8bit")):.2f} MB, '
          f'labels {mean_file_mb(osp.join(root, "cityscapes", "gtFine")):.3f} MB, '
          f'HR {mean_file_mb(osp.join(root, "DF2K", "HR")):.2f} MB (mean PNG size)\n')
    print('| pipeline | samples/s per worker | CPU ms/sample | wall ms/sample (fastest pass) | '
          'where the CPU time goes (ms) | samples/s needed | workers needed |')
    print('|---|---|---|---|---|---|---|')
    total_workers = 0
    for name, timing in results.items():
        rate, workers = workers_needed(timing['cpu'], args.batch, args.turn_ms)
        total_workers += workers
        where = ', '.join(f'{k} {1e3 * v:.1f}' for k, v in timing['stages'].items())
        print(f'| {name} | {1 / timing["cpu"]:.1f} | {1e3 * timing["cpu"]:.1f} | '
              f'{1e3 * timing["wall"]:.1f} | {where} | {rate:.0f} | {workers} |')
    print(f'\nworkers per GPU at {args.turn_ms:.0f} ms/turn, batch {args.batch}, turns '
          f'alternating: {total_workers}')
    return total_workers


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    if args.make_data:
        make_data(
            args.make_data,
            args.frames,
            args.hr_images,
            frame_size=args.frame_size,
            hr_size=args.hr_size,
            jobs=args.jobs)
        print(f'wrote {args.frames} frames and {args.hr_images} HR images to {args.make_data}')
        return 0
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        make_data(
            root,
            args.frames,
            args.hr_images,
            frame_size=args.frame_size,
            hr_size=args.hr_size,
            jobs=args.jobs)
        print(f'data written in {time.perf_counter() - t0:.0f} s')
        datasets = build_datasets(args.config, root)
        results = {
            name: time_pipeline(dataset, args.samples, args.repeats)
            for name, dataset in datasets.items()
        }
        total = report(args, root, results)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(args=vars(args), load_average=os.getloadavg(), workers=total, results=results),
                f,
                indent=2)
    command = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'\ncommand: python benchmarks/speed/data_pipeline.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
