# Copyright (c) mmssg contributors. All rights reserved.
"""Super-resolve real LR images with a trained generator.

Usage: ``python tools/inference.py --help``;
the work is done by :mod:`mmssg.cli.inference`.
"""
from mmssg.cli.inference import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
