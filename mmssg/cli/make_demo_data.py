# Copyright (c) mmssg contributors. All rights reserved.
"""Generate the demo dataset: procedural street scenes in the Cityscapes layout (the real LR
domain, made by a hidden camera), clean HR renders and photographs (the clean HR domain).

Example::

    python tools/data/make_demo_data.py data/demo --seed 0
    python tools/data/make_demo_data.py data/demo --seed 0 --lr-size 32 16 --num-train 3 \\
        --num-val 1 --num-clean 2 --fresh
    python tools/data/make_demo_data.py --video data/drive.mp4 --video-frames 24 --lr-size 64 32

An existing complete dataset made with the same arguments is reused; ``--fresh`` replaces it
(deleting only the dataset's own entries). See :mod:`mmssg.demo.io` for the layout and
:mod:`mmssg.demo.camera` for the camera model.

``--video PATH`` writes a short drive seen through the same hidden camera as a video file
(:func:`mmssg.demo.make_demo_video`: H.264 in MP4, ``--video-frames`` frames at
:data:`~mmssg.demo.DEMO_VIDEO_FPS` fps, of ``--lr-size``, with a stop whose frames repeat),
the footage of the own-camera walkthrough (docs/own_camera.md); with OUT_DIR too, both are
made. An existing file at PATH is replaced only when it is a demo drive (its tag says so).
"""
import argparse
import time

from tqdm import tqdm

from mmssg.demo import DEFAULT_LR_SIZE, make_demo_dataset, make_demo_video
from mmssg.utils import EXIT_OK, run_tool


def parse_args(argv=None):
    """Command-line arguments.

    Args:
        argv (list[str] | None): Arguments; None reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(
        description='Generate the mmssg demo dataset (synthetic Cityscapes-like street '
        'scenes seen through a hidden camera, plus a clean HR domain).')
    parser.add_argument(
        'out_dir', nargs='?', help='dataset root; created if missing (optional with --video)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument(
        '--num-train', type=int, default=32, help='real LR training images (default: 32)')
    parser.add_argument(
        '--num-val', type=int, default=8, help='real LR validation images (default: 8)')
    parser.add_argument(
        '--num-clean',
        type=int,
        default=24,
        help='clean HR renders besides the photographs (default: 24)')
    parser.add_argument(
        '--lr-size',
        type=int,
        nargs=2,
        metavar=('W', 'H'),
        default=list(DEFAULT_LR_SIZE),
        help='LR image size; HR is 4x (default: %(default)s)')
    parser.add_argument(
        '--fresh', action='store_true', help='regenerate even if a complete dataset exists')
    parser.add_argument(
        '--workers',
        type=int,
        default=1,
        help='processes that render the scenes (the same files for any number; default: 1)')
    parser.add_argument('--quiet', action='store_true', help='no progress bars')
    parser.add_argument(
        '--video',
        help='also write the demo drive as a video file (.mp4: H.264), for '
        'tools/data/extract_frames.py')
    parser.add_argument(
        '--video-frames', type=int, default=24, help='frames of the drive (default: 24)')
    args = parser.parse_args(argv)
    if args.out_dir is None and args.video is None:
        parser.error('give OUT_DIR (the dataset), --video PATH (the drive), or both')
    if args.video_frames < 1:
        parser.error(f'--video-frames must be 1 or more, got {args.video_frames}')
    return args


def main(argv=None):
    """Generate or reuse the dataset; returns the exit status.

    Args:
        argv (list[str] | None): Arguments; None reads ``sys.argv``.
    """
    args = parse_args(argv)

    def progress(iterable, total, desc):
        return tqdm(
            iterable, total=total, desc=desc, unit='img', disable=args.quiet, dynamic_ncols=True)

    start = time.time()
    if args.out_dir is not None:
        summary = make_demo_dataset(
            args.out_dir,
            seed=args.seed,
            num_train=args.num_train,
            num_val=args.num_val,
            num_clean=args.num_clean,
            lr_size=tuple(args.lr_size),
            fresh=args.fresh,
            progress=progress,
            workers=args.workers)
        if not summary['reused']:
            print(f'Done in {time.time() - start:.1f} s')
    if args.video is not None:
        video = make_demo_video(args.video, args.video_frames, tuple(args.lr_size), args.seed)
        print(f'wrote {video["frames"]} frames ({video["lr_size"][0]}x{video["lr_size"][1]}, '
              f'standing in frames {video["standing"]}) to {args.video}: {video["codec"]}')
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
