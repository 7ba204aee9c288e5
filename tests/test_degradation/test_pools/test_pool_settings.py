# Copyright (c) mmssg contributors. All rights reserved.
"""One settings schema per pool (mmssg.degradation.pools.settings)."""
import json

import pytest

from mmssg.degradation.kernelgan import KERNEL_SIZE_X2, KERNEL_SIZE_X4
from mmssg.degradation.noise_patches import NoiseCriteria
from mmssg.degradation.pools import kernel_settings, noise_settings
from mmssg.degradation.pools.settings import describe_differences, differing_settings
from mmssg.degradation.spectral_kernels import fit_settings


def test_kernel_settings_hold_what_determines_a_kernel_as_a_summary_records_it():
    kernelgan = kernel_settings('kernelgan', 4)
    assert (kernelgan['kernel_size'],
            kernel_settings('kernelgan', 2)['kernel_size']) == (KERNEL_SIZE_X4, KERNEL_SIZE_X2)
    assert (kernelgan['iterations'], kernelgan['crop'], kernelgan['seed']) == (3000, 64, 0)
    assert kernel_settings('kernelgan', 4, iterations=5)['iterations'] == 5
    assert kernel_settings(
        'spectral', 4, iterations=5) == dict(
            method='spectral', **fit_settings(4))
    for settings in (kernelgan, kernel_settings('spectral-pooled', 2)):
        # what a summary reads back: a tuple would come back a list and differ from itself
        assert json.loads(json.dumps(settings)) == settings
    with pytest.raises(ValueError, match="kernel method 'gan': expected one of kernelgan, "):
        kernel_settings('gan', 4)
    with pytest.raises(ValueError, match=r'kernel pool scale 3: expected one of \(2, 4\)'):
        kernel_settings('spectral', 3)


def test_noise_settings_give_the_criteria_back():
    criteria = NoiseCriteria(64, 16, stride=16)
    settings = noise_settings(criteria)
    assert NoiseCriteria(**settings) == criteria and settings['sub_stride'] == 16
    assert json.loads(json.dumps(settings)) == settings


def test_differences_name_nested_keys_and_another_method_alone():
    recorded = kernel_settings('kernelgan', 4, iterations=3)
    assert differing_settings(recorded, kernel_settings('kernelgan',
                                                        4)) == dict(iterations=(3, 3000))
    schedule = dict(recorded, schedule=dict(recorded['schedule'], lr_decay=2.0))
    assert differing_settings(schedule, recorded) == {'schedule.lr_decay': (2.0, 10.0)}
    other = differing_settings(recorded, kernel_settings('spectral', 4))
    assert len(other) > 1
    assert describe_differences(other,
                                'this config') == ("method='kernelgan' (this config: 'spectral')")
