# Copyright (c) mmssg contributors. All rights reserved.
"""Where the pooled x4 spectrum stops carrying the blur: the limit for pools of 8 to 300 images.

Issue 35 asks at which true blur the pooled LR spectrum stops telling the kernel at x4, for
pools of 8, 32 and 300 images and noise sigma 1-5, and whether the tool's interval says so
there. The images are tiles of the *development* photographs (:mod:`.kernel_photos`, never the
test split): :data:`TILE` HR px squares (one 64 px periodogram tile at x4) on a grid of stride
:data:`TILE_STRIDE`, dealt round-robin over the photographs in an order drawn per camera, so
that a pool of 8 holds 8 photographs and a pool of 300 about 12 overlapping tiles of each of
the 25. A pool of 300 tiles thus averages out noise and the tiles' differences but not what its
photographs share.

A camera is an anisotropic Gaussian of geometric-mean sigma from :data:`SIZES` (HR px), axis
ratio :data:`RATIO`, angle uniform, applied as the sealed benchmark applies it
(:func:`~.kernel_scoring.degrade`: aligned kernel, blur and subsample, noise, 8 bits); PNG,
so the fit is ``spectral_pool_kernel(..., scale=4, jpeg_quality=None)`` with its jackknife
interval (:func:`~mmssg.degradation.kernel_uncertainty.pooled_kernel_interval`).

Per pool size and noise, the report gives per true size the cameras whose both sigmas are
within :data:`TOLERANCE`, the median size estimate over truth, the share flagged wide and the
share of the missed ones that the interval covers and flags; the *limit* is the smallest true
size from which every camera of every larger size is within the tolerance.

Example::

    OMP_NUM_THREADS=1 python -m benchmarks.accuracy.kernel_x4_limit \
        --out x4_limit.md --json x4_limit.json
"""
import argparse
import math
import os
import platform
import sys
import time

import numpy as np

from mmssg.degradation.functional import anisotropic_gaussian_kernel, kernel_covariance
from mmssg.degradation.kernel_uncertainty import pooled_kernel_interval
from mmssg.degradation.power_spectra import image_power_spectrum

try:
    from benchmarks.accuracy.kernel_photos import load_split
    from benchmarks.accuracy.kernel_scoring import degrade, principal
    from benchmarks.accuracy.report_files import publish
except ImportError:  # run as a script from benchmarks/accuracy
    from kernel_photos import load_split
    from kernel_scoring import degrade, principal
    from report_files import publish

SCALE = 4
#: HR side of a pooled image: one 64 px periodogram tile at x4.
TILE = 256
TILE_STRIDE = 64
#: True geometric-mean sigmas, HR px.
SIZES = (0.6, 0.8, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5)
RATIO = 1.5
POOL_SIZES = (8, 32, 300)
NOISES = (1.0, 2.0, 5.0)
TOLERANCE = 0.15
TRUE_KERNEL_SIZE = 25


def dev_tiles(images):
    """``[[HR tile, ...] per photograph]``: every :data:`TILE` square on the stride grid."""
    tiles = []
    for _, image in images:
        height, width = image.shape[:2]
        tiles.append([
            image[top:top + TILE, left:left + TILE]
            for top in range(0, height - TILE + 1, TILE_STRIDE)
            for left in range(0, width - TILE + 1, TILE_STRIDE)
        ])
    return [t for t in tiles if t]


def power_law_tiles(count):
    """``count`` :data:`TILE` px random-phase power-law images, one per "photograph": the
    content the spectral model assumes (``--content powerlaw``), where only the limit is left."""
    from mmssg.testing import power_law_image
    return [[np.repeat(power_law_image(TILE, 1000 + i)[..., None], 3, axis=2)]
            for i in range(count)]


def draw_pool(tiles, count, rng):
    """``count`` distinct tiles, round-robin over the photographs (each in a drawn order)."""
    orders = [list(rng.permutation(len(t))) for t in tiles]
    photos = list(rng.permutation(len(tiles)))
    pool = []
    while len(pool) < count:
        if not any(orders):
            raise ValueError(f'only {len(pool)} tiles, {count} asked for')
        for photo in photos:
            if orders[photo] and len(pool) < count:
                pool.append(tiles[photo][orders[photo].pop()])
    return pool


def camera_kernel(size, rng):
    """The anisotropic Gaussian of geometric-mean sigma ``size``, :data:`RATIO`, any angle."""
    root = math.sqrt(RATIO)
    return anisotropic_gaussian_kernel(TRUE_KERNEL_SIZE, size * root, size / root,
                                       rng.uniform(0, math.pi))


def measure(tiles, count, noise, size, rng):
    """One camera's row: truth, estimate, interval and whether both sigmas are in tolerance."""
    kernel = camera_kernel(size, rng)
    pool = draw_pool(tiles, count, rng)
    spectra = [image_power_spectrum(degrade(hr, kernel, SCALE, rng, noise)) for hr in pool]
    result, interval = pooled_kernel_interval(spectra, SCALE)
    true_minor, true_major, _ = principal(kernel_covariance(kernel))
    minor, major, _ = principal(result.covariance)
    errors = (minor / true_minor - 1, major / true_major - 1)
    covered = (
        interval.minor[0] <= true_minor <= interval.minor[1]
        and interval.major[0] <= true_major <= interval.major[1])
    return dict(
        images=count,
        noise=noise,
        size=size,
        true=(true_minor, true_major),
        est=(minor, major),
        size_ratio=math.sqrt(minor * major / (true_minor * true_major)),
        within=bool(max(abs(e) for e in errors) <= TOLERANCE),
        wide=interval.wide,
        covered=bool(covered),
        relative_width=interval.relative_width)


def limit(rows):
    """The smallest size from which every camera of every larger size is within tolerance."""
    found = None
    for size in sorted({r['size'] for r in rows}, reverse=True):
        if not all(r['within'] for r in rows if r['size'] == size):
            break
        found = size
    return found


def cell(rows):
    """One size's summary: within / cameras, median size ratio, wide share, missed flagged."""
    missed = [r for r in rows if not r['within']]
    flagged = sum(r['wide'] and r['covered'] for r in missed)
    return (f'{sum(r["within"] for r in rows)}/{len(rows)}, '
            f'{np.median([r["size_ratio"] for r in rows]):.2f}, '
            f'{sum(r["wide"] for r in rows)}w, {flagged}/{len(missed)}')


def markdown(args, rows, seconds):
    """The limit per pool size and noise, then each size's cell."""
    sizes = sorted({r['size'] for r in rows})
    lines = [
        f'{"split dev (tiles)" if args.content == "photos" else "power-law images"}, '
        f'x{SCALE}, ratio {RATIO}, {args.cameras} cameras per cell, '
        f'{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, '
        f'{time.strftime("%Y-%m-%d")}, {seconds:.0f} s', '',
        f'| images | noise | limit (both sigmas within {100 * TOLERANCE:.0f} % from) | '
        'interval never wide from |', '|---|---|---|---|'
    ]
    groups = [(n, s) for n in args.images for s in args.noises]
    for count, noise in groups:
        chosen = [r for r in rows if r['images'] == count and r['noise'] == noise]
        quiet = [s for s in sizes if all(not r['wide'] for r in chosen if r['size'] >= s)]
        shown = limit(chosen)
        lines.append(f'| {count} | {noise:g} | {shown if shown else "none"} | '
                     f'{min(quiet) if quiet else "none"} |')
    lines += [
        '', 'Each cell: cameras within tolerance / cameras, median size est/true, cameras '
        'flagged wide (w), missed ones covered and flagged / missed.', '',
        '| images | noise | ' + ' | '.join(f'{s:g}' for s in sizes) + ' |',
        '|---' * (len(sizes) + 2) + '|'
    ]
    for count, noise in groups:
        cells = [
            cell([
                r for r in rows if r['images'] == count and r['noise'] == noise and r['size'] == s
            ]) for s in sizes
        ]
        lines.append(f'| {count} | {noise:g} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, nargs='+', default=list(POOL_SIZES))
    parser.add_argument('--noises', type=float, nargs='+', default=list(NOISES))
    parser.add_argument('--sizes', type=float, nargs='+', default=list(SIZES))
    parser.add_argument('--cameras', type=int, default=3, help='cameras per cell')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--content',
        choices=('photos', 'powerlaw'),
        default='photos',
        help='photos: tiles of the dev photographs; powerlaw: the model\'s own content')
    parser.add_argument('--out', help='write the Markdown tables here')
    parser.add_argument('--json', help='write the rows here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.content == 'photos':
        tiles = dev_tiles(load_split('dev'))
    else:
        tiles = power_law_tiles(max(args.images))
    start, rows = time.time(), []
    for count in args.images:
        for noise in args.noises:
            for size in args.sizes:
                rng = np.random.default_rng([args.seed, count, int(10 * noise), int(100 * size)])
                rows += [measure(tiles, count, noise, size, rng) for _ in range(args.cameras)]
    report = markdown(args, rows, time.time() - start)
    publish('python -m benchmarks.accuracy.kernel_x4_limit', argv, args, report,
            dict(args=vars(args), rows=rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
