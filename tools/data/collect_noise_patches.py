# Copyright (c) mmssg contributors. All rights reserved.
"""Build a noise-patch pool (Eq. 2-4).

Usage: ``python tools/data/collect_noise_patches.py --help``;
the work is done by :mod:`mmssg.cli.collect_noise_patches`.
"""
from mmssg.cli.collect_noise_patches import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
