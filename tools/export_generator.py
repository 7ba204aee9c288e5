# Copyright (c) mmssg contributors. All rights reserved.
"""Write the generator of a checkpoint on its own.

Usage: ``python tools/export_generator.py --help``;
the work is done by :mod:`mmssg.cli.export_generator`.
"""
from mmssg.cli.export_generator import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
