# Copyright (c) mmssg contributors. All rights reserved.
"""Build a noise-patch pool from real LR images (section 3.2, Eq. 2-4).

The pool of a training config (its guided dataset's images, of the size it trains on; the
folder its ``DomainAdaptedDegradation`` names as ``noise_pool``, the windows of its
``noise_windows``), or of any folder::

    python tools/data/collect_noise_patches.py --config configs/ssg_rwsr_x4_cityscapes.py \
        --workers 8
    python tools/data/collect_noise_patches.py SRC_DIR OUT_DIR [--patch-size 128] [--workers 8]

The work (the window test over every image, the compact noise files, the summary) is
:mod:`mmssg.degradation.pools.noise_writer`'s. Exit status 3 when unreadable images were
skipped (listed in the summary).
"""
import argparse
from dataclasses import fields

from mmengine.config import Config

from mmssg.degradation.noise_patches import NoiseCriteria
from mmssg.degradation.pools import pool_spec
from mmssg.degradation.pools.noise_writer import write_noise_pool
from mmssg.utils import run_tool
from mmssg.utils.cli import check_config_or_paths

# the noise-window options: (NoiseCriteria field, type, help); their defaults are the paper's,
# NoiseCriteria's
WINDOW_OPTIONS = [
    ('patch_size', int, 'P, side of p_i = LR training patch'),
    ('sub_size', int, 'q, side of q_j'),
    ('mu', float, 'mean tolerance of Eq. 2'),
    ('gamma', float, 'variance tolerance of Eq. 3'),
    ('phi', float, 'minimum variance of Eq. 4, 0-255 scale'),
    ('stride', int, 'stride of p_i (default: patch size // 2)'),
    ('sub_stride', int, 'stride of q_j inside p_i (default: sub size)'),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Collect a pool of real noise patches (Eq. 2-4).')
    parser.add_argument('src_dir', nargs='?', help='folder of real LR images (recursive)')
    parser.add_argument('out_dir', nargs='?', help='noise-pool folder to write')
    parser.add_argument(
        '--config',
        help="a training config instead of SRC_DIR OUT_DIR: its guided dataset's images (of "
        'its image_size), its DomainAdaptedDegradation noise_pool, its noise_windows')
    defaults = {field.name: field.default for field in fields(NoiseCriteria)}
    for name, kind, text in WINDOW_OPTIONS:
        default = f' ({defaults[name]})' if defaults[name] is not None else ''
        parser.add_argument(f'--{name.replace("_", "-")}', type=kind, help=text + default)
    parser.add_argument('--workers', type=int, default=1, help='processes (default: 1)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    args = parser.parse_args(argv)
    windows = {name: getattr(args, name) for name, _, _ in WINDOW_OPTIONS}
    args.windows = {name: value for name, value in windows.items() if value is not None}
    from_config = {name: 'noise_windows' for name, _, _ in WINDOW_OPTIONS}
    with_config = check_config_or_paths(parser, args, from_config, 'SRC_DIR OUT_DIR')
    if not with_config and args.out_dir is None:
        parser.error('give SRC_DIR OUT_DIR, or --config CONFIG')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.config is None:
        return write_noise_pool(args.src_dir, args.out_dir, NoiseCriteria(**args.windows),
                                args.workers, not args.no_progress)
    spec = pool_spec(Config.fromfile(args.config), 'noise')
    return write_noise_pool(spec.src_dir, spec.out_dir, NoiseCriteria(**spec.settings),
                            args.workers, not args.no_progress, spec.image_size)


if __name__ == '__main__':
    run_tool(main)
