# Copyright (c) mmssg contributors. All rights reserved.
"""How far a photograph set's own sharpness moves every camera: from :mod:`.kernel_cameras`'
saved rows, nothing fitted again.

A photograph that carries a blur of its own (or a sharpening) adds it to the camera's, and the
LR images cannot tell the two apart: both multiply the HR spectrum. Such a content term shows
as a *variance offset*, the estimated kernel's mean variance ``(minor^2 + major^2) / 2`` less
the true one, in HR pixels squared, about the same for every camera of a set and, being the
photographs', about the same at x2 and x4. For a camera of size ``s`` it moves the size read
by about ``sqrt(1 + offset / s^2)``: much for small blurs, little for large ones. The report
gives, per rows file, scale and input (clean, JPEG q >= 85), the offset's mean and standard
deviation over the cameras, the means for the cameras under and over
:data:`SMALL_SIZE` HR px, and the mean size read over the true one for each.

Example::

    python -m benchmarks.accuracy.kernel_offsets \
        benchmarks/results/cpu_kernel_cameras_dev.json \
        benchmarks/results/cpu_kernel_cameras_test.json
"""
import argparse
import json
import math
import os.path as osp

import numpy as np

try:
    from benchmarks.accuracy.kernel_cameras import INPUTS as KERNEL_CAMERA_INPUTS
    from benchmarks.accuracy.report_files import command_line, write_report
except ImportError:  # run as a script from benchmarks/accuracy
    from kernel_cameras import INPUTS as KERNEL_CAMERA_INPUTS
    from report_files import command_line, write_report

#: Cameras under this true geometric-mean sigma (HR px) are reported apart.
SMALL_SIZE = 1.5
#: The inputs reported: :mod:`.kernel_cameras`' clean and JPEG q >= 85 ones.
INPUTS = KERNEL_CAMERA_INPUTS[:2]


def variance_offset(row) -> float:
    """The estimate's mean variance less the truth's, HR px^2."""
    est, true = row['est'], (row['true_minor'], row['true_major'])
    return (est['minor']**2 + est['major']**2 - true[0]**2 - true[1]**2) / 2


def size_ratio(row) -> float:
    """Size read over the true size (geometric-mean sigmas)."""
    return math.sqrt(row['est']['minor'] * row['est']['major']) / row['true_size']


def offset_line(label, rows):
    """One line of the table: offsets and size ratios of some cameras."""
    offsets = np.array([variance_offset(r) for r in rows])
    small = np.array([r['true_size'] < SMALL_SIZE for r in rows])
    ratios = np.array([size_ratio(r) for r in rows])

    def mean(values):
        return f'{values.mean():+.2f}' if len(values) else '-'

    def ratio(values):
        return f'{values.mean():.2f}' if len(values) else '-'

    return (f'| {label} | {len(rows)} | {offsets.mean():+.2f} | {offsets.std():.2f} | '
            f'{mean(offsets[small])} | {mean(offsets[~small])} | {ratio(ratios[small])} | '
            f'{ratio(ratios[~small])} |')


def markdown(paths):
    """The table over the rows files at ``paths``."""
    lines = [
        '| rows, scale, input | cameras | variance offset (HR px^2) | sd | under '
        f'{SMALL_SIZE} HR px | {SMALL_SIZE} or more | size read / true, under | '
        f'{SMALL_SIZE} or more |', '|---' * 8 + '|'
    ]
    for path in paths:
        with open(path) as f:
            results = json.load(f)['results']
        for scale, rows in results.items():
            for name, keep in INPUTS:
                chosen = [r for r in rows if keep(r)]
                if chosen:
                    lines.append(offset_line(f'{osp.basename(path)}, x{scale}, {name}', chosen))
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('rows', nargs='+', help='kernel_cameras --json files')
    parser.add_argument('--out', help='write the Markdown table here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    report = markdown(args.rows)
    print(report)
    write_report(args.out, report, command_line('python -m benchmarks.accuracy.kernel_offsets',
                                                argv))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
