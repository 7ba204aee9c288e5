# Copyright (c) mmssg contributors. All rights reserved.
"""How :func:`~mmssg.degradation.jpeg_detection.block_edge_bins` was chosen: a grid on the
development split only.

The JPEG cameras of :mod:`.kernel_cameras` (every other camera, quality 75-95) degrade the
development photographs as they are and area-downscaled by 2 (sharper content, as the test
split's photographs are), and each camera's pooled periodogram is fitted with the bins the fit
leaves out for JPEG now (the quantised ones at the scales of
:data:`~mmssg.degradation.spectral_kernels.JPEG_MASKED_SCALES`, none elsewhere) and with the
block edges' bins of every half-width and start frequency of the grid left out too. The
report gives, per photograph set, scale and mask, the mean covariance error of the cameras at
quality 85 or more, the share that beats the isotropic guess of the true size and the median
size read over the true one (as :mod:`.kernel_cameras` scores them). The sealed test split is
never read here.

Example::

    OMP_NUM_THREADS=1 python -m benchmarks.accuracy.jpeg_block_edges \
        --out block_edges.md --json block_edges.json
"""
import argparse
import math
import time

import cv2
import numpy as np

from mmssg.degradation.functional import kernel_covariance
from mmssg.degradation.jpeg_detection import block_edge_bins, quantised_bins
from mmssg.degradation.power_spectra import image_power_spectrum, pool_power_spectra
from mmssg.degradation.spectral_kernels import JPEG_MASKED_SCALES, fit_gaussian_blur

try:
    from benchmarks.accuracy.kernel_cameras import camera_images, draw_cameras
    from benchmarks.accuracy.kernel_photos import load_split
    from benchmarks.accuracy.kernel_scoring import compare, principal
    from benchmarks.accuracy.report_files import publish
except ImportError:  # run as a script from benchmarks/accuracy
    from kernel_cameras import camera_images, draw_cameras
    from kernel_photos import load_split
    from kernel_scoring import compare, principal
    from report_files import publish

NO_EDGES = 'none'


def photograph_sets(images, max_images=None):
    """``{'as is': images, 'downscaled by 2': ...}``; the latter keeps the photographs that
    still give a 64 px LR tile at x4."""
    images = images[:max_images]
    halves = [(name,
               cv2.resize(hr, (hr.shape[1] // 2, hr.shape[0] // 2), interpolation=cv2.INTER_AREA))
              for name, hr in images]
    return {'as is': images, 'downscaled by 2': [i for i in halves if min(i[1].shape[:2]) >= 256]}


def masks(power, quality, scale, half_widths, min_frequencies):
    """``{label: left_out}``: the fit's JPEG bins, then those with each block-edge mask."""
    base = np.zeros(power.shape, bool)
    if scale in JPEG_MASKED_SCALES:
        base = quantised_bins(power, quality)
    grid = {
        f'{w:g}/{f:g}': base | block_edge_bins(power.shape[0], w, f)
        for w in half_widths
        for f in min_frequencies
    }
    return {NO_EDGES: base, **grid}


def camera_rows(images, camera, scale, seed, index, args):
    """One row per mask for one JPEG camera."""
    rng = np.random.default_rng([seed, scale, index, 37])
    spectra = [image_power_spectrum(lr) for lr in camera_images(images, camera, scale, 2.0, rng)]
    pooled = pool_power_spectra(spectra)
    cov = kernel_covariance(camera['kernel'])
    true_minor, true_major, _ = principal(cov)
    iso_err = compare(np.trace(cov) / 2 * np.eye(2), cov)['err']
    rows = []
    for label, left_out in masks(pooled.power, camera['quality'], scale, args.half_widths,
                                 args.min_frequencies).items():
        est = compare(fit_gaussian_blur(pooled, scale, left_out=left_out).covariance, cov)
        rows.append(
            dict(
                scale=scale,
                seed=seed,
                camera=index,
                quality=camera['quality'],
                mask=label,
                err=est['err'],
                iso_err=iso_err,
                size=math.sqrt(est['minor'] * est['major'] / (true_minor * true_major))))
    return rows


def markdown(rows_by_set, seconds):
    """The summary table: cameras at quality 85 or more, per set, scale and mask."""
    lines = [
        f'dev split only, JPEG q >= 85 cameras, {seconds:.0f} s', '',
        '| photographs | scale | mask (half-width/start) | cameras | err | beats iso | '
        'size est/true (median) |', '|---' * 7 + '|'
    ]
    for name, rows in rows_by_set.items():
        keys = dict.fromkeys((r['scale'], r['mask']) for r in rows)
        for scale, mask in keys:
            chosen = [
                r for r in rows if r['scale'] == scale and r['mask'] == mask and r['quality'] >= 85
            ]
            if not chosen:  # a grid of only quality 75 cameras (a short run)
                continue
            err = np.mean([r['err'] for r in chosen])
            beats = np.mean([r['err'] < r['iso_err'] for r in chosen])
            size = np.median([r['size'] for r in chosen])
            lines.append(f'| {name} | x{scale} | {mask} | {len(chosen)} | {err:.3f} | '
                         f'{100 * beats:.0f}% | {size:.2f} |')
    return '\n'.join(lines) + '\n'


def jpeg_camera_parser(description):
    """The options of a dev-only JPEG camera benchmark: which cameras, how many images, where
    the report and the rows go."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--scales', type=int, nargs='+', choices=(2, 4), default=[2, 4])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--cameras', type=int, default=12, help='cameras per scale and seed')
    parser.add_argument('--max-images', type=int, default=None, help='the first K images')
    parser.add_argument('--out', help='write the Markdown table here')
    parser.add_argument('--json', help='write the rows here')
    return parser


def parse_args(argv=None):
    parser = jpeg_camera_parser(__doc__.splitlines()[0])
    parser.add_argument('--half-widths', type=float, nargs='+', default=[0.02, 0.05, 0.08])
    parser.add_argument('--min-frequencies', type=float, nargs='+', default=[0.15, 0.2, 0.25])
    return parser.parse_args(argv)


def jpeg_camera_rows(sets, args, camera_rows):
    """``{set name: rows}``: ``camera_rows(images, camera, scale, seed, index)`` of every JPEG
    camera of :mod:`.kernel_cameras` at ``args.scales`` and ``args.seeds``, for each set."""
    return {
        name: [
            row for scale in args.scales for seed in args.seeds
            for index, camera in enumerate(draw_cameras(args.cameras, scale, seed))
            if camera['quality'] for row in camera_rows(images, camera, scale, seed, index)
        ]
        for name, images in sets.items()
    }


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    rows_by_set = jpeg_camera_rows(
        photograph_sets(load_split('dev'), args.max_images), args,
        lambda *camera: camera_rows(*camera, args))
    report = markdown(rows_by_set, time.time() - start)
    publish('python -m benchmarks.accuracy.jpeg_block_edges', argv, args, report,
            dict(args=vars(args), rows=rows_by_set))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
