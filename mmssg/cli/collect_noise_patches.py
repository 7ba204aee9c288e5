# Copyright (c) mmssg contributors. All rights reserved.
"""Build a noise-patch pool from real LR images (section 3.2, Eq. 2-4).

    python tools/data/collect_noise_patches.py SRC_DIR OUT_DIR [--workers 8]

For every image under SRC_DIR (searched recursively) that holds at least one
noise patch, writes ``OUT_DIR/<name>.npz``, a compact noise file
(:mod:`mmssg.degradation.noise_files`): the source pixels the patches cover
(uint8, or uint16 for 16-bit images) in shared blocks, plus each patch's
per-channel means. Loaded (:func:`mmssg.degradation.pools.load_noise_pool`),
patch ``i`` is ``(P, P, 3)`` float32, RGB, zero-mean per channel, 0-255
scale, bit-identical to the float32 ``.npy`` patches this tool wrote before
(which still load), in about a quarter of their size for isolated windows
and far less where windows overlap (flat regions). ``<name>`` is the
image's path relative to SRC_DIR without its extension, folders joined by
``__`` (:func:`mmssg.utils.output_names`; the kernel-pool tool names its
files the same way). Each file is written in one step (a temporary file
renamed). Then ``OUT_DIR/summary.json``: the common fields of
:mod:`mmssg.utils.summary` (source folder, images found and read, skipped
files with reasons, parameters), ``images_with_patches``, ``patches_kept``,
``pool_bytes`` (the files' size) and ``float32_bytes`` (what float32 patches
would take), ``images`` (per image: ``file``, ``pool_file``, ``patches``) and
``patch_std`` (distribution of the patches' std).

Images are read by :func:`mmssg.utils.read_image`. 16-bit images are scaled
to the 0-255 scale at full precision (float, ``x * 255 / 65535``), so that
``--phi`` and the stored noise mean the same as for 8-bit images.

Exit status 3 when unreadable images were skipped (listed in the summary).
"""
import argparse
import functools
import os
import os.path as osp

import numpy as np

from mmssg.degradation.noise_files import pack_noise_patches, to_0_255
from mmssg.degradation.noise_patches import NoiseCriteria, find_noise_windows
from mmssg.utils import (finish, parallel_map, read_image, run_tool, save_npz_atomic, skipped_input,
                         source_images, write_summary)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Collect a pool of real noise patches (Eq. 2-4).')
    parser.add_argument('src_dir', help='folder of real LR images (searched recursively)')
    parser.add_argument('out_dir', help='noise-pool folder to write')
    parser.add_argument(
        '--patch-size', type=int, default=128, help='P, side of p_i = LR training patch (128)')
    parser.add_argument('--sub-size', type=int, default=32, help='q, side of q_j (32)')
    parser.add_argument('--mu', type=float, default=0.1, help='mean tolerance of Eq. 2 (0.1)')
    parser.add_argument(
        '--gamma', type=float, default=0.3, help='variance tolerance of Eq. 3 (0.3)')
    parser.add_argument(
        '--phi', type=float, default=0.5, help='minimum variance of Eq. 4, 0-255 scale (0.5)')
    parser.add_argument(
        '--stride', type=int, default=None, help='stride of p_i (default: patch size // 2)')
    parser.add_argument(
        '--sub-stride', type=int, default=None, help='stride of q_j inside p_i (default: sub size)')
    parser.add_argument('--workers', type=int, default=1, help='processes (default: 1)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def collect_one(src_dir, out_dir, criteria, job):
    """Worker: read one image, save its noise patches as ``out_dir/<pool_file>``.

    Args:
        job (tuple[str, str]): The image's path relative to ``src_dir`` and
            its pool file name.

    Returns:
        dict: ``patches``, ``stds`` (per patch) and ``bytes`` (of the file
        written), or ``error`` when the image could not be read.
    """
    rel, pool_file = job
    try:
        pixels = read_image(osp.join(src_dir, rel))
    except (OSError, ValueError) as error:
        return dict(error=skipped_input(rel, error))
    img, value_scale = to_0_255(pixels)
    windows = find_noise_windows(img, criteria)
    size = 0
    if len(windows.corners):
        path = osp.join(out_dir, pool_file)
        save_npz_atomic(
            path,
            **pack_noise_patches(pixels, windows.corners, criteria.patch_size, windows.means,
                                 value_scale))
        size = osp.getsize(path)
    # A zero-mean patch's RMS over pixels and channels, from the window statistics.
    stds = np.sqrt(windows.variances.mean(axis=1))
    return dict(patches=int(len(stds)), stds=stds.tolist(), bytes=size)


def std_distribution(stds, bins=20):
    """Mean, range, percentiles and histogram of the patches' std."""
    stds = np.asarray(stds, np.float64)
    if stds.size == 0:
        return dict(count=0)
    counts, edges = np.histogram(stds, bins=bins)
    pct = (1, 5, 25, 50, 75, 95, 99)
    return dict(
        count=int(stds.size),
        mean=float(stds.mean()),
        min=float(stds.min()),
        max=float(stds.max()),
        percentiles={
            str(p): float(v)
            for p, v in zip(pct, np.percentile(stds, pct))
        },
        histogram=dict(bin_edges=edges.tolist(), counts=counts.tolist()))


def main(argv=None):
    args = parse_args(argv)
    criteria = NoiseCriteria(args.patch_size, args.sub_size, args.stride, args.sub_stride, args.mu,
                             args.gamma, args.phi)
    jobs = source_images(args.src_dir, args.out_dir, '.npz')
    older = [
        osp.splitext(name)[0] + '.npy' for _, name in jobs
        if osp.isfile(osp.join(args.out_dir,
                               osp.splitext(name)[0] + '.npy'))
    ]
    if older:
        raise ValueError(f'{args.out_dir} holds float32 noise files of an older pool '
                         f'({", ".join(older[:3])}{", ..." if len(older) > 3 else ""}); '
                         'remove them or choose another output folder')
    os.makedirs(args.out_dir, exist_ok=True)
    worker = functools.partial(collect_one, args.src_dir, args.out_dir, criteria)
    results = parallel_map(worker, jobs, args.workers, 'noise patches', not args.no_progress)
    skipped = [r['error'] for r in results if 'error' in r]
    read = [(job, r) for job, r in zip(jobs, results) if 'error' not in r]
    stds = [s for _, r in read for s in r['stds']]
    summary = write_summary(
        args.out_dir,
        args.src_dir,
        len(jobs),
        len(read),
        skipped,
        dict(
            criteria.as_dict(),
            color='all three channels must pass',
            layout='compact .npz (mmssg.degradation.noise_files): source pixels in shared '
            'blocks + per-patch means; loads as (N, P, P, 3) float32 RGB, 0-255 scale',
            sixteen_bit='scaled by 255/65535'),
        images_with_patches=sum(1 for _, r in read if r['patches']),
        patches_kept=len(stds),
        pool_bytes=sum(r['bytes'] for _, r in read),
        float32_bytes=len(stds) * args.patch_size**2 * 3 * 4,
        images=[
            dict(file=rel, pool_file=name if r['patches'] else None, patches=r['patches'])
            for (rel, name), r in read
        ],
        patch_std=std_distribution(stds))
    std = summary['patch_std']
    done = (f"{summary['patches_kept']} patches kept from {summary['images_with_patches']} of "
            f"{len(read)} images in {args.out_dir} ({summary['pool_bytes'] / 2**20:.1f} MiB; "
            f"{summary['float32_bytes'] / 2**20:.1f} MiB as float32)" +
            (f", patch std mean {std['mean']:.2f} median {std['percentiles']['50']:.2f}"
             if std['count'] else ''))
    return finish(done, skipped, osp.join(args.out_dir, 'summary.json'))


if __name__ == '__main__':
    run_tool(main)
