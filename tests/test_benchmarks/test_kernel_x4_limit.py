# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/kernel_x4_limit.py: the x4 limit's pools and report."""
import json

import numpy as np
import pytest

from benchmarks.accuracy import kernel_photos, kernel_x4_limit


def test_pools_of_300_come_from_the_development_photographs_round_robin(monkeypatch):
    splits = []

    def load_split(split):
        splits.append(split)
        return [(f'photo {i}', np.full((320, 512 + 64 * i, 3), i, np.uint8)) for i in range(4)]

    monkeypatch.setattr(kernel_x4_limit, 'load_split', load_split)
    tiles = kernel_x4_limit.dev_tiles(kernel_x4_limit.load_split('dev'))
    assert splits == ['dev'] and [len(t) for t in tiles] == [10, 12, 14, 16]
    assert all(t.shape == (256, 256, 3) for photo in tiles for t in photo)
    pool = kernel_x4_limit.draw_pool(tiles, 6, np.random.default_rng(0))
    # the first four tiles are one from each photograph, then a second round
    assert sorted(int(t[0, 0, 0]) for t in pool[:4]) == [0, 1, 2, 3]
    assert len({id(t) for t in pool}) == 6
    with pytest.raises(ValueError, match='only 52 tiles, 53 asked for'):
        kernel_x4_limit.draw_pool(tiles, 53, np.random.default_rng(0))


def test_the_development_split_gives_300_distinct_tiles():
    tiles = kernel_x4_limit.dev_tiles(kernel_photos.load_split('dev'))
    assert len(tiles) == len(kernel_photos.DEV_IMAGES)
    assert sum(len(t) for t in tiles) >= max(kernel_x4_limit.POOL_SIZES)


def test_limit_is_the_smallest_size_from_which_all_larger_ones_hold():
    rows = [
        dict(size=s, within=w)
        for s, w in ((0.8, True), (1.0, False), (1.2, True), (1.4, True), (1.4, True))
    ]
    assert kernel_x4_limit.limit(rows) == 1.2
    assert kernel_x4_limit.limit(rows + [dict(size=2.0, within=False)]) is None


def test_report_runs_on_a_tiny_grid(tmp_path):
    out = tmp_path / 'rows.json'
    assert kernel_x4_limit.main([
        '--images', '2', '--noises', '2', '--sizes', '1.0', '2.0', '--cameras', '1', '--json',
        str(out), '--out',
        str(tmp_path / 'report.md')
    ]) == 0
    rows = json.loads(out.read_text())['rows']
    assert [(r['images'], r['size']) for r in rows] == [(2, 1.0), (2, 2.0)]
    for row in rows:
        true_minor, true_major = row['true']
        assert true_major / true_minor == pytest.approx(kernel_x4_limit.RATIO, rel=0.02)
        assert true_minor * true_major == pytest.approx(row['size']**2, rel=0.02)
    report = (tmp_path / 'report.md').read_text()
    assert report.startswith('command: python -m benchmarks.accuracy.kernel_x4_limit --images 2')
    assert '| 2 | 2 | ' in report
