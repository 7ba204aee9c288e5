# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/kernel_offsets.py: the content's variance offset, from saved rows."""
import json
import math

import numpy as np
import pytest

from benchmarks.accuracy import kernel_offsets
from benchmarks.accuracy.kernel_scoring import compare


def camera_row(true_sigmas, est_sigmas, quality=None):
    minor, major = true_sigmas
    return dict(
        quality=quality,
        true_minor=minor,
        true_major=major,
        true_size=math.sqrt(minor * major),
        est=dict(minor=est_sigmas[0], major=est_sigmas[1]))


def test_offset_is_the_same_for_every_camera_a_content_variance_shifts(tmp_path):
    # a content term of -0.5 HR px^2 added to each axis's variance of three cameras
    cameras = [(0.9, 1.1), (1.2, 2.0), (2.0, 3.0)]
    rows = [
        camera_row(c, [math.sqrt(s * s - 0.5) for s in c], quality)
        for c, quality in zip(cameras, (None, 90, None))
    ]
    assert [kernel_offsets.variance_offset(r) for r in rows] == pytest.approx([-0.5] * 3)
    # the small camera's size moves most: sqrt(0.9^2 - 0.5) sqrt(1.1^2 - 0.5) / (0.9 1.1)
    assert kernel_offsets.size_ratio(rows[0]) == pytest.approx(
        math.sqrt(math.sqrt(0.81 - 0.5) * math.sqrt(1.21 - 0.5) / 0.99))
    path = tmp_path / 'rows.json'
    path.write_text(json.dumps(dict(results={'4': rows})))
    out = tmp_path / 'offsets.md'
    assert kernel_offsets.main([str(path), '--out', str(out)]) == 0
    report = out.read_text()
    assert report.startswith('command: python -m benchmarks.accuracy.kernel_offsets')
    # clean: the 0.99 HR px camera under 1.5, the 2.45 one over; JPEG: the 1.55 one only
    assert '| rows.json, x4, clean | 2 | -0.50 | 0.00 | -0.50 | -0.50 |' in report
    assert '| rows.json, x4, JPEG q >= 85 | 1 | -0.50 | 0.00 | - | -0.50 | - |' in report


@pytest.mark.parametrize('sigmas', [(0.9, 1.1), (1.2, 2.0), (2.0, 3.0)])
def test_an_estimate_of_the_true_shape_beats_the_guess_only_inside_the_margin(sigmas):
    covariance = np.diag(np.square(sigmas))
    guess_err = compare(np.trace(covariance) / 2 * np.eye(2), covariance)['err']
    margin = kernel_offsets.guess_margin(camera_row(sigmas, sigmas))
    for offset, beats in ((0.98 * margin, True), (1.02 * margin, False)):
        for sign in (1, -1):
            err = compare(covariance + sign * offset * np.eye(2), covariance)['err']
            assert (err < guess_err) is beats
    # whatever its shape, an estimate whose mean variance is off by the margin or more loses
    rng = np.random.default_rng(0)
    for _ in range(200):
        shape = rng.normal(0, 0.5, (2, 2))
        traceless = (shape + shape.T) / 2 - np.trace(shape) / 2 * np.eye(2)
        offset = margin * rng.uniform(1.0, 3.0) * rng.choice([-1, 1])
        estimate = covariance + traceless + offset * np.eye(2)
        assert compare(estimate, covariance)['err'] >= guess_err


def test_corrections_are_the_ranges_that_keep_enough_cameras_inside_their_margins(tmp_path):
    # margins 0.5 (2 cameras) and 1.0; offsets -1, -1, +0.5: inside for c in (0.5, 1.5) for the
    # first two, (-1.5, 0.5) for the third; no c holds all three, 2 of 3 in (0.5, 1.5)
    offsets, margins = np.array([-1.0, -1.0, 0.5]), np.array([0.5, 0.5, 1.0])
    ranges = kernel_offsets.correction_ranges([(offsets, margins)])
    assert max(shares[0] for _, _, shares, _ in ranges) == pytest.approx(2 / 3)
    assert kernel_offsets.passing_ranges(ranges, 0, share=0.6) == [(0.5, 1.5)]
    # no camera is inside at c = 0.5, where one range ends and the next begins
    assert kernel_offsets.passing_ranges(ranges, 0, share=0.3) == [(-1.5, 0.5), (0.5, 1.5)]
    # "at least": 4 of 5 inside is 80 %
    ranges = kernel_offsets.correction_ranges([(np.array([0, 0, 0, 0, 5.0]), np.ones(5))])
    assert kernel_offsets.passing_ranges(ranges, 0) == [(-1.0, 1.0)]
    # a second file wanting the opposite correction: no one c serves both
    other = (-offsets, margins)
    both = kernel_offsets.correction_ranges([(offsets, margins), other])
    assert max(min(shares) for _, _, shares, _ in both) == pytest.approx(1 / 3)

    # nearly isotropic cameras read 0.5 HR px^2 apart by two photograph sets
    cameras = [(0.95, 1.05), (1.4, 1.5), (1.0, 2.0)]
    for name, shift in (('dev.json', 0.25), ('test.json', -0.25)):
        rows = [
            dict(camera_row(c, [math.sqrt(s * s + shift) for s in c], 90), iso_err=1.0)
            for c in cameras
        ]
        for row in rows:
            row['est']['err'] = 0.5
        (tmp_path / name).write_text(json.dumps(dict(results={'4': rows})))
    out = tmp_path / 'corrections.md'
    assert kernel_offsets.main([
        str(tmp_path / 'dev.json'),
        str(tmp_path / 'test.json'), '--corrections', '--out',
        str(out)
    ]) == 0
    report = out.read_text()
    # margins 0.1, 0.145 and 1.5: only the 1.0/2.0 camera is inside as fitted; all three are
    # for c within 0.1 of -0.25 on dev and of +0.25 on test, but never on both
    assert '| x4, JPEG q >= 85, dev.json | 3 | 100% | 33% | -0.35 to -0.15 |' in report
    assert '| x4, JPEG q >= 85, test.json | 3 | 100% | 33% | +0.15 to +0.35 |' in report
    joint = '| x4, JPEG q >= 85, the best one correction on every file | - | - | 33% | - |'
    assert joint in report
