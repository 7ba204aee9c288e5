# Copyright (c) mmssg contributors. All rights reserved.
"""Noise-pool size on Cityscapes-sized frames: compact files against float32 patches.

Renders ``--frames`` demo street scenes at 2048x1024 (:mod:`mmssg.demo`: sky,
road, walls and vehicles give flat windows where street scenes have them),
photographs them with the demo camera's sensor noise and JPEG (without its
down-sampling: the frames stand for real Cityscapes frames), runs
``tools/data/collect_noise_patches.py`` with the paper's settings (P 128,
stride 64, q 32) and reports, per frame and extrapolated to
``--dataset-size`` frames, the windows kept and the pool's size as compact
files and as the float32 patches the tool wrote before. Every patch of every
compact file is checked bit for bit against the float32 path
(:func:`~mmssg.degradation.noise_patches.extract_noise_patches`).

Example::

    python benchmarks/noise_pool_size.py --frames 24 --work-dir /tmp/noise_pool_size
"""
import argparse
import json
import os
import os.path as osp
import runpy
import shlex
import sys
import time

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmssg.degradation.noise_files import CompactNoisePatches
from mmssg.degradation.noise_patches import NoiseCriteria, extract_noise_patches, find_noise_windows
from mmssg.demo import CameraModel, generate_scene
from mmssg.demo.camera import jpeg_roundtrip, sensor_noise

FRAME_SIZE = (2048, 1024)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=24, help='frames to render')
    parser.add_argument(
        '--dataset-size',
        type=int,
        default=2975,
        help='frames to extrapolate to (Cityscapes train: 2975)')
    parser.add_argument(
        '--work-dir',
        default='/tmp/noise_pool_size',
        help='frames (kept for reruns) and the pool go here')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def render_frames(folder, count, seed):
    """Street frames with sensor noise and JPEG, as PNG files (rendered once)."""
    os.makedirs(folder, exist_ok=True)
    camera = CameraModel()
    for index in range(count):
        path = osp.join(folder, f'frame_{index:04d}.png')
        if osp.isfile(path):
            continue
        clean, _ = generate_scene(seed, 'train', index, FRAME_SIZE)
        rng = np.random.default_rng([seed, index])
        noisy = clean + sensor_noise(clean.astype(np.float32), camera, rng)
        frame = jpeg_roundtrip(
            np.clip(np.rint(noisy), 0, 255).astype(np.uint8), camera.jpeg_quality)
        cv2.imwrite(path, frame[..., ::-1])


def check_bit_identical(frames_dir, pool_dir, criteria):
    """Every compact patch against the float32 path; returns the patches compared."""
    compared = 0
    for name in sorted(os.listdir(pool_dir)):
        if not name.endswith('.npz'):
            continue
        img = cv2.imread(osp.join(frames_dir, name[:-4] + '.png'))[..., ::-1]
        windows = find_noise_windows(img, criteria)
        expected = extract_noise_patches(img, windows.corners, criteria.patch_size, windows.means)
        patches = CompactNoisePatches(osp.join(pool_dir, name))
        for i in range(len(patches)):
            if not np.array_equal(patches[i], expected[i]):
                raise AssertionError(f'{name}: patch {i} differs from the float32 path')
        compared += len(patches)
    return compared


def main(argv=None):
    args = parse_args(argv)
    frames_dir, pool_dir = osp.join(args.work_dir, 'frames'), osp.join(args.work_dir, 'pool')
    start = time.time()
    render_frames(frames_dir, args.frames, args.seed)
    print(f'{args.frames} frames of {FRAME_SIZE[0]}x{FRAME_SIZE[1]} in {frames_dir} '
          f'({time.time() - start:.0f} s)')
    if osp.isdir(pool_dir):
        for name in os.listdir(pool_dir):
            os.remove(osp.join(pool_dir, name))
    collect = runpy.run_path(osp.join(ROOT, 'tools', 'data', 'collect_noise_patches.py'))['main']
    collect([frames_dir, pool_dir, '--no-progress', '--workers', '2'])
    with open(osp.join(pool_dir, 'summary.json')) as f:
        summary = json.load(f)
    criteria = NoiseCriteria()
    compared = check_bit_identical(frames_dir, pool_dir, criteria)
    windows = (FRAME_SIZE[1] // 64 - 1) * (FRAME_SIZE[0] // 64 - 1)
    per_frame = [item['patches'] for item in summary['images']]
    compact, dense = summary['pool_bytes'], summary['float32_bytes']
    scale = args.dataset_size / args.frames
    print(f'\nwindows kept per frame: mean {np.mean(per_frame):.1f} of {windows} '
          f'({100 * np.mean(per_frame) / windows:.1f} %), min {min(per_frame)}, '
          f'max {max(per_frame)}; {compared} patches bit-identical to the float32 path\n')
    print(f'| pool | MB per frame | MB for {args.frames} frames | GB for {args.dataset_size} '
          'frames (extrapolated) |')
    print('|---|---|---|---|')
    for name, size in (('float32 patches (.npy)', dense), ('compact (.npz)', compact)):
        print(f'| {name} | {size / args.frames / 1e6:.2f} | {size / 1e6:.1f} | '
              f'{size * scale / 1e9:.2f} |')
    print(f'\ncompact / float32: 1 / {dense / compact:.2f}')
    print('\ncommand: python ' + ' '.join(shlex.quote(a) for a in sys.argv))


if __name__ == '__main__':
    main()
