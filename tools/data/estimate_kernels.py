# Copyright (c) mmssg contributors. All rights reserved.
"""Build a blur-kernel pool.

Usage: ``python tools/data/estimate_kernels.py --help``;
the work is done by :mod:`mmssg.cli.estimate_kernels`.
"""
from mmssg.cli.estimate_kernels import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
