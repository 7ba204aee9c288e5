# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/kernel_offsets.py: the content's variance offset, from saved rows."""
import json
import math

import pytest

from benchmarks.accuracy import kernel_offsets


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
