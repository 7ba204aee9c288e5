# Copyright (c) mmssg contributors. All rights reserved.
"""Whole-frame vs tiled inference of the paper-sized generator: time and peak memory.

    python benchmarks/speed/inference_tiling.py --width 512 --height 256 --tile 128 \
        --overlaps 16 8
    python benchmarks/speed/inference_tiling.py --device cuda --dtype bf16 --width 2048 \
        --height 1024 --tile 256 --overlaps 16 --config configs/ssg_rwsr_x4_cityscapes_bf16.py

The generator of ``--config`` (random weights: the cost does not depend on them) super-resolves
one LR frame through :func:`mmssg.apis.super_resolve`'s path (preprocessor, ``generate``,
autocast to ``--dtype``). On CPU each variant runs in a fresh child process, the variants
alternating; peak memory is the growth of the child's resident set while super-resolving: its
peak RSS (VmHWM, reset just before through /proc/self/clear_refs) minus its RSS at that moment
(model and input already in memory). On a GPU the variants run in this process and peak
memory is ``torch.cuda.max_memory_allocated`` above what was allocated before.
``--in-process`` runs the CPU variants in this process too (a quick check: the peak memory of a
later variant is then understated by what the allocator kept from an earlier one). Figure:
``benchmarks/RESULTS.md#inference_tiling``.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

from mmssg.apis import init_model
from mmssg.testing import GENERATORS, generator_swapped_config

DTYPES = ('fp32', 'bf16', 'fp16')


def build_generator_model(args):
    """The model of ``--config`` with ``--generator``, random weights, on ``--device``."""
    if args.device == 'cpu':
        torch.set_num_threads(args.threads or os.cpu_count())
    torch.backends.cudnn.benchmark = True
    return init_model(generator_swapped_config(args.config, args.generator), None, args.device)


def run_variant(model, args, variant, overlap):
    """Seconds and peak MiB of one super-resolution of the frame."""
    dtype = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}[args.dtype]
    gpu = args.device.startswith('cuda')
    lr = torch.rand(
        1, 3, args.height, args.width, generator=torch.Generator().manual_seed(0)).to(args.device)
    tile = None if variant == 'whole' else args.tile

    def forward(x):
        with torch.no_grad(), torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
            out = model.generate(x, tile, overlap)
        if gpu:
            torch.cuda.synchronize()
        return out

    forward(lr[..., :64, :64])  # warm-up (allocator, kernels)
    if gpu:
        forward(lr)  # cudnn.benchmark picks its algorithms on the real shapes
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    else:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset the peak RSS
        before = status_kib('VmRSS') * 1024
    t0 = time.perf_counter()
    out = forward(lr)
    seconds = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() if gpu else status_kib('VmHWM') * 1024
    return dict(
        variant=variant,
        overlap=overlap,
        seconds=seconds,
        peak_mib=(peak - before) / 2**20,
        shape=list(out.shape))


def status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def child_command(args, variant, overlap):
    """This script run for one variant in a fresh process (CPU)."""
    return [
        sys.executable, '-W', 'ignore', __file__, '--variant', variant, '--overlap',
        str(overlap), '--width',
        str(args.width), '--height',
        str(args.height), '--tile',
        str(args.tile), '--threads',
        str(args.threads), '--config', args.config, '--dtype', args.dtype, '--generator',
        args.generator
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/ssg_rwsr_x4_cityscapes.py')
    parser.add_argument(
        '--generator',
        default='paper',
        choices=GENERATORS,
        help="the config's generator, the demo's small one, or bicubic")
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dtype', default='fp32', choices=DTYPES)
    parser.add_argument('--width', type=int, default=512)
    parser.add_argument('--height', type=int, default=256)
    parser.add_argument('--tile', type=int, default=128)
    parser.add_argument('--overlaps', type=int, nargs='+', default=[16, 8])
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--json', help='also write the runs here')
    parser.add_argument(
        '--in-process', action='store_true', help='CPU: run the variants in this process too')
    parser.add_argument('--variant', help=argparse.SUPPRESS)
    parser.add_argument('--overlap', type=int, default=16, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def measure(args, variants):
    runs = {v: [] for v in variants}
    in_process = args.device != 'cpu' or args.in_process
    model = build_generator_model(args) if in_process else None
    for _ in range(args.repeats):
        for variant, overlap in variants:
            if model is not None:
                runs[(variant, overlap)].append(run_variant(model, args, variant, overlap))
                continue
            out = subprocess.run(
                child_command(args, variant, overlap), capture_output=True, text=True,
                check=True).stdout
            runs[(variant, overlap)].append(json.loads(out.strip().splitlines()[-1]))
    return runs


def report(args, runs):
    """The Markdown table of the variants; returns the device's description."""
    t_whole = statistics.median(r['seconds'] for r in runs[('whole', 0)])
    m_whole = max(r['peak_mib'] for r in runs[('whole', 0)])
    device = torch.cuda.get_device_name() if args.device.startswith('cuda') else args.device
    print(f'\n{args.config} ({args.generator} generator) x4 on a {args.width}x{args.height} '
          f'LR frame, {device} ({os.cpu_count()} CPU cores), {args.dtype}, median of '
          f'{args.repeats} runs\n')
    print('| variant | s / frame | peak MiB | time vs whole | memory vs whole |')
    print('|---|---|---|---|---|')
    for (variant, overlap), rs in runs.items():
        t = statistics.median(r['seconds'] for r in rs)
        m = max(r['peak_mib'] for r in rs)
        name = 'whole frame' if variant == 'whole' else f'tiles {args.tile}, overlap {overlap}'
        memory_ratio = f'{m / m_whole:.2f}x' if m_whole > 0 else '-'
        print(f'| {name} | {t:.3f} | {m:.0f} | {t / t_whole:.2f}x | {memory_ratio} |')
    return device


def main(argv=None):
    args = parse_args(argv)
    if args.variant:  # a child process on CPU
        result = run_variant(build_generator_model(args), args, args.variant, args.overlap)
        print(json.dumps(result))
        return 0
    runs = measure(args, [('whole', 0)] + [('tiled', o) for o in args.overlaps])
    device = report(args, runs)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(device=device, args=vars(args), runs=[r for rs in runs.values() for r in rs]),
                f,
                indent=2)
    command = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'\ncommand: python benchmarks/speed/inference_tiling.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
