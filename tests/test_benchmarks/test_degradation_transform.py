# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/degradation_transform.py: the degradation transforms' samples per second."""
import json

from benchmarks.speed import degradation_transform


def test_degradation_transform_times_the_transforms_and_the_full_resolution_blurs(tmp_path):
    out = tmp_path / 'rates.json'
    assert degradation_transform.main(['--samples', '2', '--repeats', '1', '--json', str(out)]) == 0
    rates = json.loads(out.read_text())['samples_per_second']
    assert list(rates) == [
        'DomainAdaptedDegradation, 25x25 kernels', 'DomainAdaptedDegradation, 31x31 kernels',
        'DomainAdaptedDegradation, 37x37 kernels',
        'SyntheticDegradation (11x11, sigma 1.5, noise 8)',
        'blur only: full-res cv2.filter2D + [::4], 31x31',
        'blur only: full-res scipy.ndimage.convolve + [::4], 31x31'
    ]
    assert all(rate > 0 for rate in rates.values())
    # the transform computes only the pixels it keeps: far faster than a full-resolution blur
    scipy_rate = rates['blur only: full-res scipy.ndimage.convolve + [::4], 31x31']
    assert rates['DomainAdaptedDegradation, 31x31 kernels'] > 10 * scipy_rate
