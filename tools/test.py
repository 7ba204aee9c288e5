# Copyright (c) mmssg contributors. All rights reserved.
"""Evaluate an mmssg model (OpenMMLab's tools/test.py).

Usage: ``python tools/test.py --help``;
the work is done by :mod:`mmssg.cli.test`.
"""
from mmssg.cli.test import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
