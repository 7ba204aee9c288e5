# Copyright (c) mmssg contributors. All rights reserved.
"""Whole-frame vs tiled inference of the paper-sized generator: time and peak memory.

Each variant runs in a fresh child process; the variants alternate within one invocation.
Peak memory is the growth of the child's resident set while super-resolving: its peak RSS
(VmHWM, reset just before through /proc/self/clear_refs) minus its RSS at that moment (model
and input already in memory).

    python benchmarks/inference_tiling.py --width 512 --height 256 --tile 128 --overlaps 16 8
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def child(args):
    """Run one variant and print a JSON line."""
    sys.path.insert(0, REPO_ROOT)
    import torch
    from mmengine.config import Config

    from mmssg.apis import init_model
    from mmssg.models.utils import tiled_forward
    torch.set_num_threads(args.threads or os.cpu_count())
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py'))
    model = init_model(cfg)  # random weights: the cost does not depend on them
    lr = torch.rand(1, 3, args.height, args.width, generator=torch.Generator().manual_seed(0))
    tile = None if args.variant == 'whole' else args.tile
    with torch.no_grad():
        tiled_forward(model.generator, lr[..., :64, :64], None)  # warm-up (allocator, kernels)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset the peak RSS
        rss_before = status_kib('VmRSS')
        t0 = time.perf_counter()
        out = tiled_forward(model.generator, lr, tile, args.overlap)
        seconds = time.perf_counter() - t0
    print(json.dumps(dict(variant=args.variant, overlap=args.overlap, seconds=seconds,
                          peak_mib=(status_kib('VmHWM') - rss_before) / 1024,
                          shape=list(out.shape))))


def status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--width', type=int, default=512)
    parser.add_argument('--height', type=int, default=256)
    parser.add_argument('--tile', type=int, default=128)
    parser.add_argument('--overlaps', type=int, nargs='+', default=[16, 8])
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--variant', help=argparse.SUPPRESS)
    parser.add_argument('--overlap', type=int, default=16, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        return child(args)

    variants = [('whole', 0)] + [('tiled', o) for o in args.overlaps]
    runs = {v: [] for v in variants}
    for _ in range(args.repeats):
        for variant, overlap in variants:
            cmd = [sys.executable, '-W', 'ignore', __file__, '--variant', variant,
                   '--overlap', str(overlap), '--width', str(args.width), '--height',
                   str(args.height), '--tile', str(args.tile), '--threads', str(args.threads)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            runs[(variant, overlap)].append(json.loads(out.strip().splitlines()[-1]))
    whole = runs[('whole', 0)]
    t_whole = statistics.median(r['seconds'] for r in whole)
    m_whole = max(r['peak_mib'] for r in whole)
    print(f'\nRRDBNet-23 x4 on a {args.width}x{args.height} LR frame, CPU '
          f'({os.cpu_count()} cores), median of {args.repeats} runs\n')
    print('| variant | s / frame | peak MiB | time vs whole | memory vs whole |')
    print('|---|---|---|---|---|')
    for (variant, overlap), rs in runs.items():
        t = statistics.median(r['seconds'] for r in rs)
        m = max(r['peak_mib'] for r in rs)
        name = 'whole frame' if variant == 'whole' else f'tiles {args.tile}, overlap {overlap}'
        print(f'| {name} | {t:.2f} | {m:.0f} | {t / t_whole:.2f}x | {m / m_whole:.2f}x |')
    print('\ncommand: python benchmarks/inference_tiling.py ' + ' '.join(sys.argv[1:]))


if __name__ == '__main__':
    main()
