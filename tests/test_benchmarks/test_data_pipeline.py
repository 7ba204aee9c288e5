# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/data_pipeline.py: both training pipelines timed on generated data."""
import json

import cv2
import pytest

from benchmarks.speed import data_pipeline


def test_data_pipeline_times_every_transform_of_both_pipelines(tmp_path):
    out = tmp_path / 'pipeline.json'
    assert data_pipeline.main([
        '--frames', '2', '--hr-images', '1', '--samples', '2', '--repeats', '1', '--frame-size',
        '256', '512', '--hr-size', '512', '512', '--json',
        str(out)
    ]) == 0
    report = json.loads(out.read_text())
    results = report['results']
    assert set(results) == {'guided', 'adapted'}
    for timing in results.values():
        assert timing['cpu'] > 0 and timing['wall'] > 0
        assert sum(timing['stages'].values()) == pytest.approx(timing['cpu'])
    assert 'DomainAdaptedDegradation' in results['adapted']['stages']
    assert 'DomainAdaptedDegradation' not in results['guided']['stages']
    assert report['workers'] >= 2  # at least one worker per pipeline


def test_data_pipeline_writes_the_layout_the_configs_read(tmp_path):
    assert data_pipeline.main([
        '--make-data',
        str(tmp_path), '--frames', '1', '--hr-images', '1', '--frame-size', '64', '128',
        '--hr-size', '96', '80'
    ]) == 0
    city = tmp_path / 'cityscapes'
    frame = cv2.imread(str(city / 'leftImg8bit/train/bench/bench_000000_000019_leftImg8bit.png'))
    labels = cv2.imread(
        str(city / 'gtFine/train/bench/bench_000000_000019_gtFine_labelTrainIds.png'),
        cv2.IMREAD_UNCHANGED)
    assert frame.shape == (64, 128, 3) and labels.shape == (64, 128)
    assert set(labels.ravel()) <= set(range(19)) | {255}
    assert cv2.imread(str(tmp_path / 'DF2K/HR/0000.png')).shape == (96, 80, 3)
    assert len(list((city / 'degradation/kernels_x4').iterdir())) == 256
    assert len(list((city / 'leftImg8bit/val/bench').iterdir())) == 2


def test_workers_needed_feed_every_other_turn():
    # 12 samples every two turns of 200 ms: 30 samples/s; at 70 ms a sample, 3 workers
    rate, workers = data_pipeline.workers_needed(0.07, batch=12, turn_ms=200)
    assert rate == 30 and workers == 3
