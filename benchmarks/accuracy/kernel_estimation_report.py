# Copyright (c) mmssg contributors. All rights reserved.
"""The report of :mod:`.kernel_estimation`: averages per method and scale, how pooled kernels
move with the images they are pooled over (``--pooled-subsets``), batch dependence, and one
row per image of the whole sets."""
import math
import os
import platform
import time

import numpy as np
import torch

# The issue's tolerances for one kernel against another: each sigma within 25 %, and for an
# axis ratio of at least 1.5 the major axis within 15 degrees.
SIGMA_TOLERANCE = 0.25
ANGLE_TOLERANCE = 15.0
ANISOTROPIC_RATIO = 1.5


def summarise(rows):
    """Averages and shares over rows of one method and scale."""
    est = [r['est'] for r in rows]
    aniso = [r['est']['angle_err'] for r in rows if anisotropic(r)]
    size_ratio = [
        math.sqrt(r['est']['minor'] * r['est']['major'] / (r['true_minor'] * r['true_major']))
        for r in rows
    ]
    return dict(
        images=len(rows),
        err=np.mean([e['err'] for e in est]),
        iso_err=np.mean([r['iso_err'] for r in rows]),
        mean_err=np.mean([r['mean_err'] for r in rows]),
        beats_iso=np.mean([r['est']['err'] < r['iso_err'] for r in rows]),
        size_ratio=np.mean(size_ratio),
        sigma_rel_err=np.mean([
            abs(e[k] / r[f'true_{k}'] - 1) for r, e in zip(rows, est) for k in ('minor', 'major')
        ]),
        median_angle_err_aniso=float(np.median(aniso)) if aniso else float('nan'),
        aniso_images=len(aniso))


def markdown(args, results, dependence, seconds):
    """The report: settings, averages per method and scale, subsets, batch dependence, and
    per image (whole sets only)."""
    lines = [
        f'{platform.machine()}, {os.cpu_count()} CPUs, load average '
        f'{os.getloadavg()[0]:.1f}, torch {torch.__version__}, '
        f'{time.strftime("%Y-%m-%d")}, {seconds:.0f} s', '',
        '| method | scale | images x seeds | err | iso err | mean-estimate err | none err | '
        'beats iso | geo. mean size est/true | sigma rel. err | median angle err '
        f'(ratio >= {ANISOTROPIC_RATIO}) |', '|---' * 11 + '|'
    ]
    for key, rows in results.items():
        s = summarise(rows)
        lines.append(f'| {key.replace("/", " | x")} | {s["images"]} | {s["err"]:.3f} | '
                     f'{s["iso_err"]:.3f} | {s["mean_err"]:.3f} | 1 | '
                     f'{100 * s["beats_iso"]:.0f}% | {s["size_ratio"]:.2f} | '
                     f'{100 * s["sigma_rel_err"]:.0f}% | {s["median_angle_err_aniso"]:.1f} '
                     f'({s["aniso_images"]}) |')
    lines += subset_table(results)
    if dependence:
        lines += [
            '', '| method | scale | image | alone vs batch: cov. diff / norm(C_true) | '
            'angle diff | err alone | err in batch |', '|---' * 7 + '|'
        ]
        for method, dep in dependence:
            lines.append(f'| {method} | x{dep["scale"]} | {dep["image"]} | {dep["diff"]:.3f} | '
                         f'{dep["angle_diff"]:.1f} | {dep["alone"]["err"]:.3f} | '
                         f'{dep["batch"]["err"]:.3f} |')
    lines += [
        '', '| method | scale | seed | image | true sigmas | est. sigmas | angle err | '
        'err | iso err | mean err |', '|---' * 10 + '|'
    ]
    for key, rows in results.items():
        if is_subset(rows):  # summarised above; --json has every row
            continue
        for r in rows:
            e = r['est']
            lines.append(f'| {key.replace("/", " | x")} | {r["seed"]} | {r["image"]} | '
                         f'{r["true_minor"]:.2f}, {r["true_major"]:.2f} | {e["minor"]:.2f}, '
                         f'{e["major"]:.2f} | {e["angle_err"]:.0f} | {e["err"]:.3f} | '
                         f'{r["iso_err"]:.3f} | {r["mean_err"]:.3f} |')
    return '\n'.join(lines) + '\n'


def subset_table(results):
    """How a pooled kernel moves with the images it is pooled over (``--pooled-subsets``):
    against the whole set's kernel, and the share of subsets within the issue's tolerances
    (:data:`SIGMA_TOLERANCE`, :data:`ANGLE_TOLERANCE`)."""
    keys = [key for key, rows in results.items() if is_subset(rows)]
    if not keys:
        return []
    lines = [
        '', '| method | scale | subsets | subset vs whole set: mean cov. diff / norm(C_true) | '
        f'largest | largest sigma diff | largest angle diff (ratio >= {ANISOTROPIC_RATIO}) | '
        f'within {100 * SIGMA_TOLERANCE:.0f} % and {ANGLE_TOLERANCE:.0f} degrees |',
        '|---' * 8 + '|'
    ]
    for key in keys:
        rows = results[key]
        diffs = [r['whole_diff'] for r in rows]
        angles = [r['whole_angle_diff'] for r in rows if anisotropic(r)] or [float('nan')]
        within = [
            r['whole_sigma_diff'] <= SIGMA_TOLERANCE
            and (r['whole_angle_diff'] <= ANGLE_TOLERANCE or not anisotropic(r)) for r in rows
        ]
        lines.append(f'| {key.replace("/", " | x")} | {len(rows)} | {np.mean(diffs):.3f} | '
                     f'{max(diffs):.3f} | {100 * max(r["whole_sigma_diff"] for r in rows):.0f}% '
                     f'| {max(angles):.1f} | {100 * np.mean(within):.0f}% |')
    return lines


def anisotropic(row):
    """True axis ratio >= :data:`ANISOTROPIC_RATIO`: the kernels whose angle is scored."""
    return row['true_major'] >= ANISOTROPIC_RATIO * row['true_minor']


def is_subset(rows):
    """Rows of ``--pooled-subsets`` (they carry the difference from the whole set's kernel)."""
    return bool(rows) and 'whole_diff' in rows[0]
