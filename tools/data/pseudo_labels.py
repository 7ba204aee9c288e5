# Copyright (c) mmssg contributors. All rights reserved.
"""Label real LR frames without labels with a segmentor (the guided turns' pseudo-labels).

Usage: ``python tools/data/pseudo_labels.py --help``;
the work is done by :mod:`mmssg.cli.pseudo_labels`.
"""
from mmssg.cli.pseudo_labels import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
