# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/kernel_estimation.py: kernel estimators against known blurs."""
import json

import pytest

from benchmarks.accuracy import kernel_estimation

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def test_kernel_estimation_scores_every_method_and_pooled_subsets(tmp_path):
    bench = kernel_estimation.main
    out, rows = tmp_path / 'report.md', tmp_path / 'rows.json'
    assert bench([
        '--methods', 'spectral', 'spectral-pooled', 'kernelgan', '--iters', '2', '--scales', '4',
        '--seeds', '0', '--max-images', '2', '--renders', '0', '--hr-size', '256', '--out',
        str(out), '--json',
        str(rows), '--pooled-subsets', '1', '2', '--pooled-draws', '2'
    ]) == 0
    report = json.loads(rows.read_text())
    subsets = [f'spectral-pooled ({size} of 2 images)/4' for size in (1, 2)]
    assert sorted(report['results']) == sorted(['kernelgan/4', 'spectral-pooled/4', 'spectral/4'] +
                                               subsets)
    with pytest.raises(ValueError, match='--pooled-subsets 3: a camera has 2 images'):
        bench(['--max-images', '2', '--renders', '0', '--hr-size', '256', '--pooled-subsets', '3'])
    # pooled over all of its images, a camera's subset kernel is the whole set's
    assert all(r['whole_diff'] < 1e-6 for r in report['results'][subsets[1]])
    assert 'subset vs whole set' in out.read_text()
    # each draw gives a row per camera (the loop below); a subset of every image is the set
    assert all(r['whole_sigma_diff'] < 1e-6 for r in report['results'][subsets[1]])
    whole_row = '| spectral-pooled (2 of 2 images) | x4 | 4 | 0.000 | 0.000 | 0% | 0.0 | 100% |'
    assert whole_row in out.read_text()
    for key, method_rows in report['results'].items():
        draws = 2 if key in subsets else 1
        assert [r['image'] for r in method_rows] == ['astronaut', 'camera'] * draws
        for row in method_rows:
            assert row['none_err'] == 1 and 0 < row['iso_err'] < 1
            assert 0 <= row['est']['angle_err'] <= 90 and row['est']['err'] >= 0
    spectral = {d['method']: d for d in report['dependence']}['spectral']
    assert spectral['diff'] == 0 and spectral['angle_diff'] == 0
    assert '| spectral | x4 | 2 |' in out.read_text()


def test_kernel_estimation_takes_scikit_image_photographs_by_name(tmp_path):
    rows = tmp_path / 'rows.json'
    assert kernel_estimation.main([
        '--methods', 'spectral', '--scales', '2', '--seeds', '0', '--renders', '0', '--hr-size',
        '128', '--photos', 'grass', '--no-batch-check', '--json',
        str(rows)
    ]) == 0
    assert [r['image'] for r in json.loads(rows.read_text())['results']['spectral/2']] == ['grass']
    with pytest.raises(ValueError, match="no photograph 'not_a_photo'"):
        kernel_estimation.main(['--photos', 'not_a_photo', '--renders', '0'])
