# Copyright (c) mmssg contributors. All rights reserved.
r"""How far tiled SR is from whole-frame SR, in grey levels, for a range of tile overlaps.

Tiles see only ``overlap`` LR pixels of context around their core; the rest of the frame is
replaced by the network's zero padding, so a too small overlap changes the output near tile
seams. This measures the largest difference of the 8-bit SR images (as tools/inference.py
writes them) between tiled and whole-frame inference, and the share of pixels that differ,
for each overlap, with a trained checkpoint:

    python benchmarks/accuracy/tiled_vs_whole.py CONFIG CHECKPOINT IMAGES_DIR [--num-images 4] \
        [--tile 64] [--overlaps 0 4 8 16 24 32 48] [--device cpu] [--out result.json]

The smallest overlap whose difference is at most one grey level is what the whole-frame test
configs need (model.test_cfg.tile_overlap). Figure: ``benchmarks/RESULTS.md#tiled_vs_whole``.
"""
import argparse
import json
import os.path as osp
import sys
import time

import cv2
import numpy as np

from mmssg.apis import init_model, super_resolve
from mmssg.utils import list_images


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('images', help='folder of LR images (searched recursively)')
    parser.add_argument('--num-images', type=int, default=4, help='first N images (4)')
    parser.add_argument('--tile', type=int, default=64, help='tile core size in LR pixels (64)')
    parser.add_argument(
        '--overlaps',
        type=int,
        nargs='+',
        default=[0, 4, 8, 16, 24, 32, 48],
        help='overlaps to measure, in LR pixels')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the measurements to this JSON file')
    return parser.parse_args(argv)


def compare(whole, tiled):
    """Max absolute difference in grey levels and share of differing values."""
    diff = np.abs(whole.astype(np.int16) - tiled.astype(np.int16))
    return int(diff.max()), float((diff > 0).mean())


def measure(model, paths, args):
    """Per overlap: the largest difference over the images and the mean share differing."""
    rows = {
        overlap: dict(overlap=overlap, max_grey_levels=0, share_differing=0.0)
        for overlap in args.overlaps
    }
    for path in paths:
        rgb = cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]
        whole = super_resolve(model, rgb)
        for overlap, row in rows.items():
            worst, share = compare(whole, super_resolve(model, rgb, args.tile, overlap))
            row['max_grey_levels'] = max(row['max_grey_levels'], worst)
            row['share_differing'] += share / len(paths)
    return list(rows.values())


def main(argv=None):
    args = parse_args(argv)
    paths = [osp.join(args.images, rel) for rel in list_images(args.images)][:args.num_images]
    if not paths:
        raise SystemExit(f'no images under {args.images}')
    model = init_model(args.config, args.checkpoint, device=args.device)
    t0 = time.time()
    rows = measure(model, paths, args)
    shape = cv2.imread(paths[0]).shape[:2]
    result = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        images=len(paths),
        lr_size=[shape[1], shape[0]],
        tile=args.tile,
        rows=rows,
        seconds=round(time.time() - t0, 1))
    print(f'{len(paths)} images of {shape[1]}x{shape[0]} (first), tile {args.tile}:')
    print('| overlap (LR px) | max diff (grey levels) | pixels differing |')
    print('|---|---|---|')
    for row in rows:
        print(f'| {row["overlap"]} | {row["max_grey_levels"]} | '
              f'{100 * row["share_differing"]:.3f} % |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    command = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'\ncommand: python benchmarks/accuracy/tiled_vs_whole.py {command}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
