# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN images per second against the batch size, on Cityscapes-sized frames.

For each batch size B the batched networks are built for B generated
2048x1024 frames (the set-up a real batch pays: image preparation, the
gradient-weighted crop maps and the crops of all 3000 steps, the networks)
and ``--iters`` training steps are timed after ``--warmup`` steps. At the
paper's 3000 iterations a batch then takes ``setup + 3000 * step``, which
gives images per second and the time for ``--dataset-size`` images (2975:
the Cityscapes training set) in one process. ``--full-batch B`` also trains
one batch of B frames through all 3000 iterations, end to end, to check the
extrapolation. Frames are blurred random rectangles with mild noise (edges for
the crop sampling to find): KernelGAN's cost does not depend on what they show.

``--write-frames DIR`` writes the frames as PNG files instead, for timing the
real tool end to end (several processes can share one GPU)::

    python benchmarks/speed/kernelgan_throughput.py --write-frames /tmp/frames --num-frames 512
    torchrun --standalone --nproc_per_node 4 tools/data/estimate_kernels.py /tmp/frames \
        /tmp/pool --scale 4 --device cuda --no-progress

Examples::

    python benchmarks/speed/kernelgan_throughput.py --device cpu --batches 1 2 4 8 --iters 10
    python benchmarks/speed/kernelgan_throughput.py --device cuda --batches 16 32 64 128 256 \
        --iters 100 --full-batch 128

On a machine without the OpenMMLab stack (the lent GPU machine before its kit is installed),
KernelGAN is imported without the rest of mmssg: the sweep needs only torch, numpy, scipy and
OpenCV (the end-to-end tool run needs the whole stack). Figure:
``benchmarks/RESULTS.md#kernelgan_throughput``.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import shlex
import sys
import time
import types

import cv2
import numpy as np
import torch


def without_openmmlab():
    """Where MMagic is missing, make ``mmssg`` an empty package of this checkout's modules.

    ``import mmssg`` registers every component into MMagic's registries; KernelGAN needs none
    of them (it imports only ``mmssg.degradation``, which imports nothing at package level).
    """
    if importlib.util.find_spec('mmagic') is None and 'mmssg' not in sys.modules:
        package = types.ModuleType('mmssg')
        package.__path__ = [osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'mmssg')]
        sys.modules['mmssg'] = package


without_openmmlab()
from mmssg.degradation.kernelgan import KernelGAN, run_kernelgan  # noqa: E402

FRAME_SIZE = (2048, 1024)  # (width, height) of a Cityscapes frame
PAPER_ITERS = 3000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--batches', type=int, nargs='+', default=[1, 2, 4, 8], help='batch sizes to time')
    parser.add_argument('--iters', type=int, default=20, help='timed steps per batch size')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps first')
    parser.add_argument(
        '--full-batch',
        type=int,
        default=0,
        help='also train one batch of this size through 3000 iterations')
    parser.add_argument(
        '--dataset-size',
        type=int,
        default=2975,
        help='images to extrapolate to (default: Cityscapes train, 2975)')
    parser.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: leave)')
    parser.add_argument(
        '--write-frames',
        default=None,
        metavar='DIR',
        help='write --num-frames generated frames as PNG files and stop')
    parser.add_argument('--num-frames', type=int, default=256)
    parser.add_argument(
        '--frame-size',
        type=int,
        nargs=2,
        default=FRAME_SIZE,
        metavar=('W', 'H'),
        help='frame size (smaller for a quick check)')
    parser.add_argument('--json', help='also write the sweep here')
    return parser.parse_args(argv)


def make_frames(count, frame_size=FRAME_SIZE, seed=0):
    """``count`` distinct RGB uint8 frames (``frame_size`` = (W, H)): blurred rectangles
    (edges) and noise."""
    rng = np.random.default_rng(seed)
    width, height = frame_size
    frames = []
    for _ in range(count):
        frame = np.empty((height, width, 3), np.uint8)
        frame[:] = rng.integers(0, 256, 3)
        for _ in range(80):
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            w, h = (int(v) for v in rng.integers(8, 400, 2))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            cv2.rectangle(frame, (x, y), (x + w, y + h), colour, thickness=-1)
        frame = cv2.GaussianBlur(frame, (0, 0), 1.2)
        frames.append(cv2.add(frame, rng.integers(0, 5, frame.shape, dtype=np.uint8)))
    return frames


def synchronize(device):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize(device)


def time_batch(frames, args):
    """Seconds of set-up and per step for one batch, and the peak device memory (GiB)."""
    device = args.device
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats(device)
    synchronize(device)
    start = time.perf_counter()
    gan = KernelGAN(frames, iters=PAPER_ITERS, seed=0, device=device)
    synchronize(device)
    setup = time.perf_counter() - start
    for step in range(args.warmup):
        gan.train_step(step)
    synchronize(device)
    start = time.perf_counter()
    for step in range(args.warmup, args.warmup + args.iters):
        gan.train_step(step)
    synchronize(device)
    step_time = (time.perf_counter() - start) / args.iters
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.startswith('cuda') else 0.
    return setup, step_time, peak


def hours_for(images, per_image):
    return images * per_image / 3600


def describe_device(device):
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    return (f'CPU, {torch.get_num_threads()} torch threads, {os.cpu_count()} cores visible, '
            f'load average {os.getloadavg()[0]:.1f}')


def sweep(frames, args):
    """One row per batch size of ``--batches``, printed as it is measured."""
    print('| batch | set-up s / image | step ms | step ms / image | s / image at 3000 it '
          f'| images / s | {args.dataset_size} images, h | peak GiB |')
    print('|---|---|---|---|---|---|---|---|')
    rows = []
    for batch in args.batches:
        setup, step, peak = time_batch(frames[:batch], args)
        per_image = (setup + PAPER_ITERS * step) / batch
        rows.append(
            dict(
                batch=batch,
                setup_s=setup,
                step_s=step,
                seconds_per_image=per_image,
                dataset_hours=hours_for(args.dataset_size, per_image),
                peak_gib=peak))
        print(
            f'| {batch} | {setup / batch:.3f} | {step * 1e3:.1f} | {step * 1e3 / batch:.2f} | '
            f'{per_image:.2f} | {1 / per_image:.3f} | '
            f'{hours_for(args.dataset_size, per_image):.2f} | {peak:.2f} |',
            flush=True)
    return rows


def full_batch(frames, args):
    """Seconds of one batch through all 3000 iterations, end to end."""
    synchronize(args.device)
    start = time.perf_counter()
    run_kernelgan(
        frames, scale=4, iters=PAPER_ITERS, device=args.device, seed=0, batch_size=len(frames))
    synchronize(args.device)
    seconds = time.perf_counter() - start
    per_image = seconds / len(frames)
    print(f'\nOne batch of {len(frames)} frames, {PAPER_ITERS} iterations, x4 kernels, end to '
          f'end: {seconds:.1f} s = {1 / per_image:.3f} images/s; {args.dataset_size} images at '
          f'that rate: {hours_for(args.dataset_size, per_image):.2f} h')
    return seconds


def write_frames(args):
    os.makedirs(args.write_frames, exist_ok=True)
    for i, frame in enumerate(make_frames(args.num_frames, args.frame_size)):
        cv2.imwrite(osp.join(args.write_frames, f'frame_{i:05d}.png'), frame[..., ::-1])
    print(f'wrote {args.num_frames} frames of {args.frame_size[0]}x{args.frame_size[1]} to '
          f'{args.write_frames}')


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.write_frames:
        write_frames(args)
        return 0
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False  # as the tool
    frames = make_frames(max(args.batches + [args.full_batch]), args.frame_size)
    width, height = args.frame_size
    print(f'KernelGAN on {width}x{height} frames, {describe_device(args.device)}, '
          f'torch {torch.__version__}; {args.iters} timed steps after {args.warmup}\n')
    result = dict(device=describe_device(args.device), args=vars(args), sweep=sweep(frames, args))
    if args.full_batch:
        result['full_batch_s'] = full_batch(frames[:args.full_batch], args)
    if args.device == 'cpu':
        print(f'\nload average at the end: {os.getloadavg()[0]:.1f}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    command = ' '.join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    print(f'\ncommand: python benchmarks/speed/kernelgan_throughput.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
