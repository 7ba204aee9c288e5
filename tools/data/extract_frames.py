# Copyright (c) mmssg contributors. All rights reserved.
"""Sample the frames of a video or an image folder into a real-LR folder.

Usage: ``python tools/data/extract_frames.py --help``;
the work is done by :mod:`mmssg.cli.extract_frames`.
"""
from mmssg.cli.extract_frames import main
from mmssg.utils import run_tool

if __name__ == '__main__':
    run_tool(main)
