# Copyright (c) mmssg contributors. All rights reserved.
"""The paper's tables from tools/test.py results files.

Usage: ``python tools/analysis/make_tables.py --help``;
the work is done by :mod:`mmssg.cli.make_tables`.
"""
from mmssg.cli.make_tables import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
