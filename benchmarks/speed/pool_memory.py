# Copyright (c) mmssg contributors. All rights reserved.
"""Resident memory of dataloader workers degrading HR crops with full-size pools.

Builds, under ``--work-dir``, a kernel pool of ``--kernels`` 25x25 kernels
(3000: one per Cityscapes training frame, with the summary the kernel tool
writes) and a compact noise pool of ``--frames`` files (2975) of
``--patches-per-frame`` 128x128 patches each, laid out as flat regions of a
2048x1024 frame are (neighbouring windows of stride 64 sharing their 64x64
blocks; random pixels; 64 distinct files, copied to make up the number).
Then a torch ``DataLoader`` with ``--workers`` persistent workers runs
``DomainAdaptedDegradation`` (HR 512 -> LR 128) over
a small generated HR set, first with a trivial transform (what a worker costs
anyway), then with the real one, and reads each worker's
``/proc/<pid>/smaps_rollup`` after ``--samples`` samples:

- RSS: every page the worker maps, shared ones included (the parent's
  libraries, the pool's file pages): not what it costs.
- PSS: each page divided by the number of processes mapping it.
- USS: pages only this worker maps (``Private_Clean + Private_Dirty``).
- private dirty: pages the worker wrote (its own allocations and the
  copy-on-write copies of the parent's pages): memory that exists only
  because the worker does; file pages of the memory-mapped pools are clean
  and shared through the page cache, so they never land here.

Example::

    python benchmarks/speed/pool_memory.py --work-dir /tmp/pool_memory --samples 400

Figure: ``benchmarks/RESULTS.md#pool_memory``.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import shutil
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from mmssg.datasets.transforms import DomainAdaptedDegradation
from mmssg.degradation.functional import anisotropic_gaussian_kernel
from mmssg.degradation.pools.noise_files import pack_noise_patches
from mmssg.utils import save_npz_atomic

FRAME_SHAPE = (1024, 2048, 3)
PATCH, STRIDE = 128, 64
FIELDS = ('Rss', 'Pss', 'Private_Clean', 'Private_Dirty', 'Pss_File')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='/tmp/pool_memory')
    parser.add_argument('--kernels', type=int, default=3000)
    parser.add_argument('--frames', type=int, default=2975)
    parser.add_argument(
        '--patches-per-frame',
        type=int,
        default=78,
        help='noise patches per frame (78: what demo street scenes of 2048x1024 keep, '
        'docs/findings.md)')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--samples', type=int, default=400, help='samples per worker')
    parser.add_argument('--start-method', default='fork', choices=('fork', 'spawn', 'forkserver'))
    parser.add_argument('--json', help='also write each worker\'s memory here')
    return parser.parse_args(argv)


def build_kernel_pool(folder, count, rng):
    if osp.isfile(osp.join(folder, 'summary.json')):
        return
    os.makedirs(folder, exist_ok=True)
    settings = dict(method='kernelgan', scale=4, kernel_size=25)
    images = []
    for i in range(count):
        sigma_x, sigma_y = rng.uniform(0.8, 3.0, 2)
        name = f'frame_{i:05d}.npy'
        np.save(
            osp.join(folder, name),
            anisotropic_gaussian_kernel(25, sigma_x, sigma_y, rng.uniform(0, np.pi)))
        images.append(dict(file=name[:-4] + '.png', pool_file=name, settings=settings))
    with open(osp.join(folder, 'summary.json'), 'w') as f:
        json.dump(dict(parameters=dict(scale=4), kernel_size=25, images=images), f)


def flat_region_corners(rng, count):
    """``count`` windows of a rectangle of neighbouring windows: a flat region of a frame."""
    rows_max, cols_max = FRAME_SHAPE[0] // STRIDE - 1, FRAME_SHAPE[1] // STRIDE - 1
    rows = max(int(rng.integers(1, 5)), -(-count // cols_max))
    cols = min(cols_max, -(-count // rows))
    top, left = rng.integers(0, rows_max - rows + 1), rng.integers(0, cols_max - cols + 1)
    grid = [(top + r, left + c) for r in range(rows) for c in range(cols)][:count]
    return np.array(grid, np.int64) * STRIDE


def build_noise_pool(folder, frames, per_frame, rng, distinct=64):
    """``distinct`` generated files, copied (not linked: no shared pages) up to ``frames``."""
    if osp.isfile(osp.join(folder, 'done')):
        return
    os.makedirs(folder, exist_ok=True)
    for i in range(frames):
        path = osp.join(folder, f'frame_{i:05d}.npz')
        if i >= distinct:
            shutil.copyfile(osp.join(folder, f'frame_{i % distinct:05d}.npz'), path)
            continue
        corners = flat_region_corners(rng, per_frame)
        bottom, right = corners.max(axis=0) + PATCH
        img = np.zeros(FRAME_SHAPE, np.uint8)
        img[:bottom, :right] = rng.integers(0, 256, (bottom, right, 3), dtype=np.uint8)
        means = np.stack([img[y:y + PATCH, x:x + PATCH].mean(axis=(0, 1)) for y, x in corners])
        save_npz_atomic(path, **pack_noise_patches(img, corners, PATCH, means))
    open(osp.join(folder, 'done'), 'w').close()


class HRCrops(Dataset):
    """HR crops (generated once) through a transform; each sample reports its worker's pid."""

    def __init__(self, transform, samples, seed=0):
        rng = np.random.default_rng(seed)
        self.crops = [rng.integers(0, 256, (512, 512, 3), dtype=np.uint8) for _ in range(8)]
        self.transform, self.samples = transform, samples

    def __len__(self):
        return self.samples

    def __getitem__(self, index):
        np.random.seed(index)
        out = self.transform(dict(gt=self.crops[index % len(self.crops)].copy()))
        return torch.from_numpy(np.ascontiguousarray(out['img'])), os.getpid()


def no_degradation(results):
    results['img'] = results['gt'][::4, ::4].astype(np.float32)
    return results


def memory_of(pid):
    """The :data:`FIELDS` of ``/proc/<pid>/smaps_rollup``, in MiB."""
    values = {}
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            key, _, rest = line.partition(':')
            if key in FIELDS:
                values[key] = int(rest.split()[0]) / 1024
    return values


def measure(transform, args):
    """Run the loader over ``workers * samples`` samples; each worker's memory at the end."""
    dataset = HRCrops(transform, args.workers * args.samples)
    loader = DataLoader(
        dataset,
        batch_size=4,
        num_workers=args.workers,
        persistent_workers=True,
        multiprocessing_context=args.start_method)
    pids, start = set(), time.time()
    iterator = iter(loader)
    for _, batch_pids in iterator:
        pids.update(batch_pids.tolist())
    seconds = time.time() - start
    memory = {pid: memory_of(pid) for pid in sorted(pids)}
    del iterator, loader
    return memory, seconds


def report(name, memory, seconds, samples):
    for pid, m in memory.items():
        uss = m['Private_Clean'] + m['Private_Dirty']
        print(f"| {name} | {pid} | {m['Rss']:.0f} | {m['Pss']:.0f} | {uss:.0f} | "
              f"{m['Private_Dirty']:.0f} | {m['Pss_File']:.0f} | {samples / seconds:.0f} |")


def build_pools(args, rng):
    """The kernel and noise pools under ``--work-dir`` (kept for reruns); their folders."""
    kernel_dir, noise_dir = osp.join(args.work_dir, 'kernels'), osp.join(args.work_dir, 'noise')
    start = time.time()
    build_kernel_pool(kernel_dir, args.kernels, rng)
    build_noise_pool(noise_dir, args.frames, args.patches_per_frame, rng)
    noise_bytes = sum(osp.getsize(osp.join(noise_dir, n)) for n in os.listdir(noise_dir))
    print(f'pools in {args.work_dir} ({time.time() - start:.0f} s): {args.kernels} kernels 25x25, '
          f'{args.frames} noise files x {args.patches_per_frame} patches of {PATCH}x{PATCH} '
          f'= {noise_bytes / 2**30:.2f} GiB compact '
          f'({args.frames * args.patches_per_frame * PATCH**2 * 12 / 2**30:.1f} GiB as float32)')
    return kernel_dir, noise_dir


def main(argv=None):
    args = parse_args(argv)
    kernel_dir, noise_dir = build_pools(args, np.random.default_rng(0))
    start = time.time()
    transform = DomainAdaptedDegradation(kernel_dir, noise_dir, scale=4)
    parent_rss = memory_of(os.getpid())['Rss']
    print(f'transform built in {time.time() - start:.1f} s; parent {parent_rss:.0f} MiB RSS; '
          f'{args.workers} workers ({args.start_method}), {args.samples} samples each\n')
    print('| transform | worker pid | RSS MiB | PSS MiB | USS MiB | private dirty MiB | '
          'PSS of files MiB | samples/s |')
    print('|---|---|---|---|---|---|---|---|')
    result = dict(args=vars(args), parent_rss_mib=parent_rss, transforms={})
    for name, fn in (('none (HR[::4, ::4])', no_degradation), ('DomainAdaptedDegradation',
                                                               transform)):
        memory, seconds = measure(fn, args)
        report(name, memory, seconds, args.workers * args.samples)
        result['transforms'][name] = list(memory.values())
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    command = ' '.join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    print(f'\ncommand: python benchmarks/speed/pool_memory.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
