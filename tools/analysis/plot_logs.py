# Copyright (c) mmssg contributors. All rights reserved.
"""Plot a training run's losses and validation metrics to a PNG.

Usage: ``python tools/analysis/plot_logs.py --help``;
the work is done by :mod:`mmssg.cli.plot_logs`.
"""
from mmssg.cli.plot_logs import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
