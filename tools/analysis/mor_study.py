# Copyright (c) mmssg contributors. All rights reserved.
"""Mean Opinion Rank study: serve the ranking page, report.

Usage: ``python tools/analysis/mor_study.py --help``;
the work is done by :mod:`mmssg.cli.mor_study`.
"""
from mmssg.cli.mor_study import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
