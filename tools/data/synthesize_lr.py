# Copyright (c) mmssg contributors. All rights reserved.
"""Synthesise the paper's LR Cityscapes (section 5.1).

Usage: ``python tools/data/synthesize_lr.py --help``;
the work is done by :mod:`mmssg.cli.synthesize_lr`.
"""
from mmssg.cli.synthesize_lr import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
