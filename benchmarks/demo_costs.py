# Copyright (c) mmssg contributors. All rights reserved.
"""What the demo's two cost cuts save, each as a ratio measured in one run, one thread.

- DISTS on a val-sized pair (1024x512 minus the demo's 4-pixel border) whole, and shrunk to
  a shorter side of 256 px (``resize_short_side``, the demo config's setting); random
  weights, as in the demo.
- The demo generator's forward and backward pass on a training batch (4 LR patches of 32 px),
  with the demo config's RRDBNet and with the same network at 4 RRDBs (the earlier demo).

    python benchmarks/demo_costs.py [--repeats 3]
"""
import argparse
import os.path as osp
import platform
import sys
import time

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from mmagic.registry import METRICS, MODELS  # noqa: E402
from mmengine.config import Config  # noqa: E402

import mmssg  # noqa: E402,F401  (registers DISTS)

NETWORKS = osp.join(REPO_ROOT, 'configs', '_base_', 'models', 'demo_networks.py')
VAL_SIZE = (512, 1024)  # the demo's HR val images, (H, W)
BATCH = (4, 3, 32, 32)  # the demo's training batch of LR patches


def best_seconds(fn, repeats):
    """The fastest of ``repeats`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def dists_seconds(resize_short_side, repeats):
    """DISTS of one val-sized pair, shrunk to ``resize_short_side`` (None: whole)."""
    metric = METRICS.build(
        dict(type='DISTS', pretrained=False, crop_border=4, resize_short_side=resize_short_side))
    gt = torch.rand(3, *VAL_SIZE) * 255
    pred = (gt + torch.randn_like(gt) * 10).clamp(0, 255)
    return best_seconds(lambda: metric.process_image(gt, pred, None), repeats)


def generator_seconds(num_blocks, repeats):
    """The demo generator's training pass with ``num_blocks`` RRDBs."""
    network = dict(Config.fromfile(NETWORKS).demo_generator, num_blocks=num_blocks)
    generator = MODELS.build(network)
    inputs = torch.rand(*BATCH)

    def step():
        generator.zero_grad()
        generator(inputs).mean().backward()

    return best_seconds(step, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=3, help='timed calls of each (best kept)')
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f'--repeats must be at least 1, got {args.repeats}')
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f'{platform.processor() or platform.machine()}, torch {torch.__version__}, 1 thread')
    whole, shrunk = dists_seconds(None, args.repeats), dists_seconds(256, args.repeats)
    print(f'DISTS, one {VAL_SIZE[1]}x{VAL_SIZE[0]} pair: whole {whole:.2f} s, '
          f'shrunk to 256 px {shrunk:.2f} s, ratio {whole / shrunk:.1f}')
    blocks = Config.fromfile(NETWORKS).demo_generator.num_blocks
    demo, four = generator_seconds(blocks, args.repeats), generator_seconds(4, args.repeats)
    print(f'generator forward + backward, batch {BATCH}: {blocks} RRDBs (demo) {demo:.3f} s, '
          f'4 RRDBs {four:.3f} s, ratio {four / demo:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
