# Copyright (c) mmssg contributors. All rights reserved.
"""Noise-patch collection speed: vectorised collector vs the loop-over-windows reference.

    python benchmarks/noise_collection.py [--images 4] [--reference-images 1] [--repeats 3]

Images: 2048x1024 RGB (Cityscapes size), a real photograph (astronaut) tiled to
half the frame next to a sky-like flat field, plus Gaussian noise (sigma 4),
8-bit. Paper settings: P=128 (stride 64), q=32 (stride 32), mu .1, gamma .3,
phi .5. Both collectors run in the same process on the same images; the result
sets are checked to be identical. Two stages are timed: the window test alone
(what is vectorised) and the whole collection (test + cutting the kept
patches out, mean-subtracted float32, shared code). For scale, a third row
times what the folder tool does per image with the vectorised collector:
decode a PNG, collect, write the ``.npy`` (to a temporary folder). Prints a
markdown table.
"""
import argparse
import os
import os.path as osp
import platform
import runpy
import sys
import tempfile
import time

import cv2
import numpy as np
from skimage import data

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
# The loop-over-windows reference lives with the tests, which check the library against it.
sys.path.insert(0, osp.join(REPO_ROOT, 'tests'))

from _reference_noise import noise_patch_positions_reference

from mmssg.degradation.noise_patches import (NoiseCriteria, collect_noise_patches,
                                             extract_noise_patches, noise_patch_positions)

# The folder tool's per-image worker: read, collect, save.
collect_one = runpy.run_path(
    osp.join(REPO_ROOT, 'tools', 'data', 'collect_noise_patches.py'),
    run_name='tool')['collect_one']


def make_frame(seed, height=1024, width=2048, sigma=4.0):
    """A Cityscapes-sized frame: tiled photo (left half), sky-like gradient (right half), noise."""
    rng = np.random.default_rng(seed)
    photo = np.tile(data.astronaut(), (2, 2, 1))[:height, :width // 2].astype(np.float32)
    ramp = np.linspace(0, 20, height, dtype=np.float32)[:, None, None]
    sky = np.broadcast_to(np.array([150, 165, 190], np.float32) - ramp, (height, width // 2, 3))
    frame = np.concatenate([photo, sky], axis=1)
    return np.clip(np.rint(frame + rng.normal(0, sigma, frame.shape)), 0, 255).astype(np.uint8)


def best_time(fn, frames, repeats):
    """Seconds per frame: the best of ``repeats`` passes over ``frames`` (the CPU is shared)."""
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        for f in frames:
            fn(f)
        best = min(best, (time.perf_counter() - t0) / len(frames))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--images', type=int, default=4, help='frames timed with the vectorised collector')
    parser.add_argument(
        '--reference-images', type=int, default=1, help='frames timed with the loop reference')
    parser.add_argument('--repeats', type=int, default=3, help='passes; the best is reported')
    parser.add_argument('--threads', type=int, default=1, help='cv2 threads (default 1: one core)')
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    frames = [make_frame(i) for i in range(max(args.images, args.reference_images))]
    fast_frames, ref_frames = frames[:args.images], frames[:args.reference_images]

    # Same answer first.
    counts = [len(noise_patch_positions(f)) for f in fast_frames]
    ref_counts = [len(noise_patch_positions_reference(f)) for f in ref_frames]
    assert ref_counts == counts[:len(ref_frames)], (ref_counts, counts)
    for f in ref_frames:
        np.testing.assert_array_equal(noise_patch_positions(f), noise_patch_positions_reference(f))

    def reference_collect(f):
        return extract_noise_patches(f, noise_patch_positions_reference(f), 128)

    rows = [
        ('window test (Eq. 2-4)', 'vectorised', len(fast_frames),
         best_time(noise_patch_positions, fast_frames, args.repeats)),
        ('window test (Eq. 2-4)', 'loop reference', len(ref_frames),
         best_time(noise_patch_positions_reference, ref_frames, args.repeats)),
        ('+ patch extraction', 'vectorised', len(fast_frames),
         best_time(collect_noise_patches, fast_frames, args.repeats)),
        ('+ patch extraction', 'loop reference', len(ref_frames),
         best_time(reference_collect, ref_frames, args.repeats)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        pngs = []
        for i, f in enumerate(fast_frames):
            pngs.append(f'frame_{i}.png')
            cv2.imwrite(osp.join(tmp, pngs[-1]), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        out_dir = osp.join(tmp, 'pool')
        os.makedirs(out_dir)
        paper = NoiseCriteria()  # P=128 (stride 64), q=32 (stride 32), mu .1, gamma .3, phi .5

        def tool_worker(png):
            return collect_one(tmp, out_dir, paper, (png, png + '.npy'))

        rows.append(('folder tool: PNG decode + collection + .npy write', 'vectorised', len(pngs),
                     best_time(tool_worker, pngs, args.repeats)))
    print(f'Noise-patch collection, 2048x1024 RGB uint8 (photo + sky + noise sigma 4), '
          f'P=128 stride 64, '
          f'q=32 stride 32, {args.threads} cv2 thread(s), best of {args.repeats}, '
          f'Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs')
    print()
    print('| stage | collector | images | ms / image | images / s |')
    print('|---|---|---|---|---|')
    for stage, name, n, sec in rows:
        print(f'| {stage} | {name} | {n} | {sec * 1e3:.1f} | {1 / sec:.1f} |')
    print()
    print(f'patches kept per image: {np.mean(counts):.0f} (identical sets: yes)')
    print(f'speed-up, window test: {rows[1][3] / rows[0][3]:.0f}x; '
          f'with extraction: {rows[3][3] / rows[2][3]:.0f}x')
    print(f'command: {os.path.relpath(sys.executable)} {" ".join(sys.argv)}')


if __name__ == '__main__':
    main()
