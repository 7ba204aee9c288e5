# Copyright (c) mmssg contributors. All rights reserved.
"""What the own-camera walkthrough's data steps cost (docs/own_camera.md), on this machine.

Under ``--work-dir``, ``--frames`` frames of ``--frame-size`` (mosaics of photographs with
sensor-like noise and a share of smooth tiles, as sky, road and walls fill a street scene)
stand in for a camera's frames. Then, each timed around the tool's ``main`` in this process:

- ``collect_noise_patches`` with the paper's windows (p = 128, q = 32) and ``--workers``;
- ``estimate_kernels --method spectral-pooled --scale 4`` (the own-camera config's
  estimator, with its interval over the images);
- ``pseudo_labels`` on one frame of ``--label-size`` with MMSegmentation's fcn_hr18 Cityscapes
  config in the tool's default windows (512, stride 340), random weights (a checkpoint of the
  zoo's architecture: they cost what the zoo's weights do), on the CPU; and the process's peak
  resident memory after it (the largest of the three steps).

Example::

    python benchmarks/speed/own_camera_steps.py --work-dir /tmp/own_camera_steps \\
        --json benchmarks/results/cpu_own_camera_steps.json

Figure: ``benchmarks/RESULTS.md#own_camera_steps``.
"""
import argparse
import json
import os
import os.path as osp
import resource
import time

import cv2
import numpy as np
import torch

from mmssg.cli import collect_noise_patches, estimate_kernels, pseudo_labels
from mmssg.testing.photos import photo_mosaic

SEGMENTOR = 'mmseg::hrnet/fcn_hr18_4xb2-160k_cityscapes-512x1024.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Time the own-camera data steps')
    parser.add_argument(
        '--work-dir', required=True, help='a new or empty folder: frames, pools and labels')
    parser.add_argument('--frames', type=int, default=32, help='frames (default: 32)')
    parser.add_argument('--frame-size', type=int, nargs=2, default=[1280, 720], metavar=('W', 'H'))
    parser.add_argument(
        '--label-size',
        type=int,
        nargs=2,
        default=[640, 360],
        metavar=('W', 'H'),
        help='the frame pseudo_labels labels (default: 640 360)')
    parser.add_argument('--workers', type=int, default=2, help='noise-pool processes')
    parser.add_argument('--threads', type=int, default=2, help='torch threads (default: 2)')
    parser.add_argument('--json', help='write the figures here')
    return parser.parse_args(argv)


def write_frames(folder, count, size, seed=0):
    """``count`` noisy photo mosaics of ``size`` (W, H) as PNG frames of one sequence."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    for index in range(count):
        rgb = photo_mosaic(size[1], size[0], rng, noise_sigma=3, smooth_share=0.6)
        cv2.imwrite(osp.join(folder, f'frame_{index:06d}.png'), rgb[..., ::-1])


def random_segmentor(path):
    """A checkpoint of fcn_hr18's architecture with random weights."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS

    from mmssg.apis.pseudo_labels import load_segmentor_config
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(Config(load_segmentor_config(SEGMENTOR).model))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def timed(command, argv):
    start = time.perf_counter()
    status = command(argv)
    if status:
        raise RuntimeError(f'{command.__module__} {argv} ended with status {status}')
    return round(time.perf_counter() - start, 2)


def measure(args):
    """The three steps' seconds, the pools' sizes and the peak memory."""
    work = args.work_dir
    frames, one = osp.join(work, 'frames'), osp.join(work, 'one_frame')
    write_frames(frames, args.frames, args.frame_size)
    write_frames(one, 1, args.label_size, seed=1)
    noise, kernels = osp.join(work, 'noise_p128'), osp.join(work, 'kernels_x4')
    seconds = dict(
        noise_pool=timed(collect_noise_patches.main, [
            frames, noise, '--patch-size', '128', '--sub-size', '32', '--workers',
            str(args.workers), '--no-progress'
        ]),
        kernel_pool=timed(
            estimate_kernels.main,
            [frames, kernels, '--method', 'spectral-pooled', '--scale', '4', '--no-progress']))
    checkpoint = random_segmentor(osp.join(work, 'fcn_hr18_random.pth'))
    seconds['pseudo_labels_one_frame'] = timed(pseudo_labels.main, [
        one,
        osp.join(work, 'labels'), '--segmentor', SEGMENTOR, '--checkpoint', checkpoint, '--device',
        'cpu', '--no-progress'
    ])
    with open(osp.join(noise, 'summary.json')) as f:
        noise_summary = json.load(f)
    return dict(
        seconds=seconds,
        noise_patches=noise_summary.get('patches_kept'),
        peak_rss_gib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2))


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    if osp.exists(args.work_dir) and os.listdir(args.work_dir):
        raise FileExistsError(f'--work-dir {args.work_dir} is not empty: give a new folder')
    report = dict(
        frames=args.frames,
        frame_size=args.frame_size,
        label_size=args.label_size,
        workers=args.workers,
        threads=args.threads,
        **measure(args))
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
