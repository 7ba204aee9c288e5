# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/jpeg_block_edges.py: the grid that chose the block-edge bins."""
import json

import numpy as np
import pytest

from benchmarks.accuracy import jpeg_block_edges, kernel_cameras
from mmssg.degradation.functional import kernel_covariance
from mmssg.degradation.jpeg_detection import BLOCK_EDGE_HALF_WIDTH, BLOCK_EDGE_MIN_FREQUENCY
from mmssg.degradation.power_spectra import image_power_spectrum, pool_power_spectra
from mmssg.degradation.spectral_kernels import spectral_pool_kernel


def test_grid_rows_score_each_mask_and_the_shipped_one_is_the_tools_fit(tmp_path):
    rows_file = tmp_path / 'rows.json'
    shipped = f'{BLOCK_EDGE_HALF_WIDTH:g}/{BLOCK_EDGE_MIN_FREQUENCY:g}'
    assert jpeg_block_edges.main([
        '--scales', '2', '--seeds', '0', '--cameras', '4', '--max-images', '2', '--half-widths',
        '0.02',
        str(BLOCK_EDGE_HALF_WIDTH), '--min-frequencies',
        str(BLOCK_EDGE_MIN_FREQUENCY), '--json',
        str(rows_file), '--out',
        str(tmp_path / 'report.md')
    ]) == 0
    rows = json.loads(rows_file.read_text())['rows']
    assert list(rows) == ['as is', 'downscaled by 2']
    # cameras 1 (quality 75) and 3 (85) are the JPEG ones: a row per mask, the fit's own
    # JPEG bins first
    assert [r['quality'] for r in rows['as is']] == [75] * 3 + [85] * 3
    assert [r['mask']
            for r in rows['as is'][:3]] == ['none', f'0.02/{BLOCK_EDGE_MIN_FREQUENCY:g}', shipped]
    # the shipped mask's row is what the tool fits for a pool of these images
    camera = kernel_cameras.draw_cameras(4, 2, 0)[1]
    images = jpeg_block_edges.photograph_sets(jpeg_block_edges.load_split('dev'), 2)['as is']
    lrs = kernel_cameras.camera_images(images, camera, 2, 2.0, np.random.default_rng([0, 2, 1, 37]))
    pooled = pool_power_spectra([image_power_spectrum(lr) for lr in lrs])
    cov = kernel_covariance(camera['kernel'])
    tool = spectral_pool_kernel(pooled, 2, camera['quality']).covariance
    err = np.linalg.norm(tool - cov) / np.linalg.norm(cov)
    assert rows['as is'][2]['err'] == pytest.approx(err, rel=1e-6)
    assert rows['as is'][0]['err'] != rows['as is'][2]['err']
    report = (tmp_path / 'report.md').read_text()
    assert report.startswith('command: python -m benchmarks.accuracy.jpeg_block_edges')
    assert f'| downscaled by 2 | x2 | {shipped} |' in report
