# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job: the whole pipeline on generated data.

Usage: ``python tools/demo.py --help``;
the work is done by :mod:`mmssg.cli.demo`.
"""
from mmssg.cli.demo import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
