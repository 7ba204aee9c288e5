# Copyright (c) mmssg contributors. All rights reserved.
"""A figure of zoomed crops of LR, SR outputs and HR.

Usage: ``python tools/analysis/compare_crops.py --help``;
the work is done by :mod:`mmssg.cli.compare_crops`.
"""
from mmssg.cli.compare_crops import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
