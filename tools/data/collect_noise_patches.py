# Copyright (c) mmssg contributors. All rights reserved.
"""Build a noise-patch pool from real LR images (section 3.2, Eq. 2-4).

    python tools/data/collect_noise_patches.py SRC_DIR OUT_DIR [--workers 8]

Writes ``OUT_DIR/<image_stem>.npy`` (``(N, P, P, 3)`` float32, RGB, zero-mean
per channel) for every image under SRC_DIR (recursive) that holds at least
one noise patch, and ``OUT_DIR/summary.json`` (images read, unreadable images
skipped, patches kept, parameters, distribution of the patches' std).
"""
import argparse
import json

from mmssg.degradation.noise_pool import collect_noise_pool


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Collect a pool of real noise patches (Eq. 2-4).')
    parser.add_argument('src_dir', help='folder of real LR images (searched recursively)')
    parser.add_argument('out_dir', help='noise-pool folder to write')
    parser.add_argument(
        '--patch-size', type=int, default=128, help='P, side of p_i = LR training patch (128)')
    parser.add_argument('--sub-size', type=int, default=32, help='q, side of q_j (32)')
    parser.add_argument('--mu', type=float, default=0.1, help='mean tolerance of Eq. 2 (0.1)')
    parser.add_argument(
        '--gamma', type=float, default=0.3, help='variance tolerance of Eq. 3 (0.3)')
    parser.add_argument(
        '--phi', type=float, default=0.5, help='minimum variance of Eq. 4, 0-255 scale (0.5)')
    parser.add_argument(
        '--stride', type=int, default=None, help='stride of p_i (default: patch size // 2)')
    parser.add_argument(
        '--sub-stride', type=int, default=None, help='stride of q_j inside p_i (default: sub size)')
    parser.add_argument('--workers', type=int, default=1, help='processes (default: 1)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    summary = collect_noise_pool(
        args.src_dir,
        args.out_dir,
        patch_size=args.patch_size,
        sub_size=args.sub_size,
        stride=args.stride,
        sub_stride=args.sub_stride,
        mu=args.mu,
        gamma=args.gamma,
        phi=args.phi,
        workers=args.workers,
        progress=not args.no_progress)
    std = summary['patch_std']
    print(f"{summary['images_read']}/{summary['images_found']} images read, "
          f"{summary['patches_kept']} patches kept from {summary['images_with_patches']} images" +
          (f", patch std mean {std['mean']:.2f} median {std['percentiles']['50']:.2f}"
           if std['count'] else ''))
    if summary['skipped_unreadable']:
        print('skipped (unreadable): ' + json.dumps(summary['skipped_unreadable'], indent=1))
    return summary


if __name__ == '__main__':
    main()
