# Copyright (c) mmssg contributors. All rights reserved.
"""Generate the demo dataset: procedural street scenes in the Cityscapes layout (the real LR
domain, made by a hidden camera), clean HR renders and photographs (the clean HR domain).

Example::

    python tools/data/make_demo_data.py data/demo --seed 0
    python tools/data/make_demo_data.py data/demo --seed 0 --lr-size 32 16 --num-train 3 \\
        --num-val 1 --num-clean 2 --fresh

An existing complete dataset made with the same arguments is reused; ``--fresh`` replaces it
(deleting only the dataset's own entries). See :mod:`mmssg.demo.io` for the layout and
:mod:`mmssg.demo.camera` for the camera model.
"""
import argparse
import time

from tqdm import tqdm

from mmssg.demo import DEFAULT_LR_SIZE, make_demo_dataset
from mmssg.utils import EXIT_OK, run_tool


def parse_args(argv=None):
    """Command-line arguments.

    Args:
        argv (list[str] | None): Arguments; None reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(
        description='Generate the mmssg demo dataset (synthetic Cityscapes-like street '
        'scenes seen through a hidden camera, plus a clean HR domain).')
    parser.add_argument('out_dir', help='dataset root; created if missing')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument(
        '--num-train', type=int, default=32, help='real LR training images (default: 32)')
    parser.add_argument(
        '--num-val', type=int, default=8, help='real LR validation images (default: 8)')
    parser.add_argument(
        '--num-clean',
        type=int,
        default=24,
        help='clean HR renders besides the photographs (default: 24)')
    parser.add_argument(
        '--lr-size',
        type=int,
        nargs=2,
        metavar=('W', 'H'),
        default=list(DEFAULT_LR_SIZE),
        help='LR image size; HR is 4x (default: %(default)s)')
    parser.add_argument(
        '--fresh', action='store_true', help='regenerate even if a complete dataset exists')
    parser.add_argument(
        '--workers',
        type=int,
        default=1,
        help='processes that render the scenes (the same files for any number; default: 1)')
    parser.add_argument('--quiet', action='store_true', help='no progress bars')
    return parser.parse_args(argv)


def main(argv=None):
    """Generate or reuse the dataset; returns the exit status.

    Args:
        argv (list[str] | None): Arguments; None reads ``sys.argv``.
    """
    args = parse_args(argv)

    def progress(iterable, total, desc):
        return tqdm(
            iterable, total=total, desc=desc, unit='img', disable=args.quiet, dynamic_ncols=True)

    start = time.time()
    summary = make_demo_dataset(
        args.out_dir,
        seed=args.seed,
        num_train=args.num_train,
        num_val=args.num_val,
        num_clean=args.num_clean,
        lr_size=tuple(args.lr_size),
        fresh=args.fresh,
        progress=progress,
        workers=args.workers)
    if not summary['reused']:
        print(f'Done in {time.time() - start:.1f} s')
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
