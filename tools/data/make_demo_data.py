# Copyright (c) mmssg contributors. All rights reserved.
"""Generate the demo dataset.

Usage: ``python tools/data/make_demo_data.py --help``;
the work is done by :mod:`mmssg.cli.make_demo_data`.
"""
from mmssg.cli.make_demo_data import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
