# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/lpips_precision.py: LPIPS in bf16 against fp32 on photographs."""
import json

from benchmarks.accuracy import lpips_precision


def test_lpips_precision_compares_distances_and_gradients(tmp_path):
    out = tmp_path / 'lpips.json'
    assert lpips_precision.main(['--size', '64', '--json', str(out)]) == 0
    result = json.loads(out.read_text())
    assert result['pairs'] == 12 and len(result['fp32_distances']) == 12
    assert all(d > 0 for d in result['fp32_distances'])
    # bf16 changes the numbers, a little: the distances by well under a tenth, and the
    # gradient points the same way
    assert 0 < result['max_rel_distance_diff'] < 0.1
    assert result['grad_rel_error'] > 0 and 0.8 < result['grad_cosine'] <= 1
