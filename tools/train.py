# Copyright (c) mmssg contributors. All rights reserved.
"""Train an mmssg model (OpenMMLab's tools/train.py).

Usage: ``python tools/train.py --help``;
the work is done by :mod:`mmssg.cli.train`.
"""
from mmssg.cli.train import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
