# Copyright (c) mmssg contributors. All rights reserved.
"""Frames per second of tools/inference.py on a folder, with and without overlapped I/O.

    python benchmarks/speed/inference_folder.py --generator demo --width 256 --height 128  # CPU
    python benchmarks/speed/inference_folder.py --device cuda --dtype bf16 --generator paper \
        --width 2048 --height 1024 --frames 8 --workers 0 4

Writes ``--frames`` LR PNGs (photograph mosaics) to a temporary folder, builds the model of
``--config`` with random weights (``--generator demo`` swaps in the demo's small RRDBNet,
``bicubic`` a network-free upsampler, which leaves only what surrounds the model) and
times, in one process and alternating, the tool's folder loop (decode, super-resolve, PNG
encode; :func:`mmssg.cli.inference.super_resolve_all`) for each ``--workers`` value, and the
model alone on the already decoded frames: the rate the tool should reach when its reading
and writing overlap the model completely. Figure: ``benchmarks/RESULTS.md#inference_folder``.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

from mmssg.apis import init_model, super_resolve
from mmssg.cli import inference as inference_tool
from mmssg.testing import GENERATORS, generator_swapped_config, photo_mosaic

MODEL_ALONE = 'model alone (frames decoded, nothing written)'


def write_frames(folder, args):
    """``--frames`` photograph mosaics of ``--width`` x ``--height`` as PNG files."""
    rng = np.random.default_rng(0)
    for i in range(args.frames):
        frame = photo_mosaic(args.height, args.width, rng, noise_sigma=2, smooth_share=0.5)
        cv2.imwrite(osp.join(folder, f'frame{i:03d}.png'), frame)


class NoProgress:
    """The progress bar the tool's loop updates, silent."""

    def update(self):
        pass


def time_tool(model, lr_dir, out_dir, workers, args):
    """Frames per second of the tool's folder loop with ``workers`` I/O threads."""
    tool_args = inference_tool.parse_args(
        ['unused', 'unused', lr_dir, out_dir, '--workers',
         str(workers), '--dtype', args.dtype])
    jobs = [(osp.join(lr_dir, name), osp.join(out_dir, name))
            for name in sorted(os.listdir(lr_dir))]
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.perf_counter()
    skipped = inference_tool.super_resolve_all(model, jobs, tool_args, NoProgress())
    if args.device.startswith('cuda'):
        torch.cuda.synchronize()
    if skipped:
        raise RuntimeError(f'the tool could not read {skipped}')
    return len(jobs) / (time.perf_counter() - t0)


def time_model_alone(model, images, args):
    """Frames per second of :func:`super_resolve` on frames already decoded."""
    dtype = inference_tool.DTYPES[args.dtype]
    t0 = time.perf_counter()
    for image in images:
        super_resolve(model, image, channel_order='bgr', dtype=dtype)
    if args.device.startswith('cuda'):
        torch.cuda.synchronize()
    return len(images) / (time.perf_counter() - t0)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/ssg_rwsr_x4_cityscapes_bf16.py')
    parser.add_argument('--generator', default='paper', choices=GENERATORS)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dtype', default='fp32', choices=sorted(inference_tool.DTYPES))
    parser.add_argument('--width', type=int, default=256)
    parser.add_argument('--height', type=int, default=128)
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--json', help='also write the rates (frames/s, each repeat) here')
    parser.add_argument('--keep', metavar='DIR', help='write the frames and results here')
    return parser.parse_args(argv)


def measure(model, root, args):
    """``{loop: [frames/s of each repeat]}``, the loops alternating."""
    lr_dir = osp.join(root, 'lr')
    os.makedirs(lr_dir, exist_ok=True)
    write_frames(lr_dir, args)
    images = [cv2.imread(osp.join(lr_dir, n)) for n in sorted(os.listdir(lr_dir))]
    super_resolve(model, images[0], channel_order='bgr', dtype=inference_tool.DTYPES[args.dtype])
    rates = {f'tool, --workers {w}': [] for w in args.workers}
    rates[MODEL_ALONE] = []
    for _ in range(args.repeats):
        for w in args.workers:
            rates[f'tool, --workers {w}'].append(
                time_tool(model, lr_dir, osp.join(root, f'sr{w}'), w, args))
        rates[MODEL_ALONE].append(time_model_alone(model, images, args))
    return rates


def main(argv=None):
    args = parse_args(argv)
    torch.backends.cudnn.benchmark = True
    model = init_model(generator_swapped_config(args.config, args.generator), None, args.device)
    if args.keep:
        rates = measure(model, args.keep, args)
    else:
        with tempfile.TemporaryDirectory() as root:
            rates = measure(model, root, args)
    device = torch.cuda.get_device_name() if args.device.startswith('cuda') else 'CPU'
    print(f'\n{args.frames} frames {args.width}x{args.height} -> x4, {args.generator} '
          f'generator, {args.dtype}, {device}, {os.cpu_count()} CPU cores, load average '
          f'{os.getloadavg()[0]:.1f}, median of {args.repeats}\n')
    print('| loop | frames/s |')
    print('|---|---|')
    for name, values in rates.items():
        print(f'| {name} | {statistics.median(values):.2f} |')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(device=device, args=vars(args), frames_per_second=rates), f, indent=2)
    command = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'\ncommand: python benchmarks/speed/inference_folder.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
