# Copyright (c) mmssg contributors. All rights reserved.
"""BicubicUpsampler: MATLAB's imresize bicubic (the tables' baseline) and PyTorch's."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmagic.datasets.transforms import MATLABLikeResize
from mmagic.registry import MODELS


def upsample(x, mode='matlab', scale=4):
    model = MODELS.build(dict(type='BicubicUpsampler', upscale_factor=scale, mode=mode))
    with torch.no_grad():
        return model(torch.as_tensor(x, dtype=torch.float64))


def matlab_imresize_1d(signal, scale, a=-0.5):
    """MATLAB imresize's bicubic along one axis, written out from its definition.

    Output pixel i (1-based) samples the input at u = i / s + (1 - 1 / s) / 2,
    weighting input pixels j with Keys' cubic of (u - j), normalised; input
    indices outside 1..n are mirrored (1, 2, ..., n, n, n-1, ..., 1, 1, 2, ...).
    """
    n = len(signal)
    out = []
    for i in range(1, int(math.ceil(n * scale)) + 1):
        u = i / scale + 0.5 * (1 - 1 / scale)
        total, norm = 0.0, 0.0
        for j in range(int(math.floor(u)) - 2, int(math.floor(u)) + 3):
            d = abs(u - j)
            w = ((a + 2) * d**3 - (a + 3) * d**2 + 1 if d <= 1 else a * d**3 - 5 * a * d**2 +
                 8 * a * d - 4 * a if d < 2 else 0.0)
            k = (j - 1) % (2 * n)  # mirror: period 2n, 0-based
            total += w * signal[k if k < n else 2 * n - 1 - k]
            norm += w
        out.append(total / norm)
    return np.array(out)


def test_matlab_mode_matches_values_worked_out_by_hand():
    # imresize([0 1], 2) in MATLAB: u = 0.75 for the first output pixel, taps at distances
    # 1.75, 0.75, 0.25, 1.25 with weights -0.0234375, 0.2265625, 0.8671875, -0.0703125 on
    # pixels (mirrored) 2, 1, 1, 2: 1.09375 * x1 - 0.09375 * x2 = -0.09375
    out = upsample(np.array([[[[0.0, 1.0]]]]), scale=2)
    assert out.shape == (1, 1, 2, 4)
    np.testing.assert_allclose(
        out[0, 0, 0].numpy(), [-0.09375, 0.203125, 0.796875, 1.09375], atol=1e-6)


def test_matlab_mode_matches_an_independent_implementation_and_mmagics():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (7, 9))
    out = upsample(img[None, None])[0, 0].numpy()
    # separable: columns then rows, each by the written-out definition
    expected = np.stack([matlab_imresize_1d(col, 4) for col in img.T], axis=1)
    expected = np.stack([matlab_imresize_1d(row, 4) for row in expected])
    np.testing.assert_allclose(out, expected, atol=1e-4)
    mmagic = MATLABLikeResize(keys=['img'], scale=4).transform(dict(img=img[..., None]))['img']
    np.testing.assert_allclose(out, mmagic[..., 0], atol=1e-3)  # MMagic sums in float32


def test_matlab_and_torch_kernels_differ_and_torch_is_pytorchs():
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.uniform(0, 255, (1, 3, 6, 8)))
    torch_mode = upsample(x, mode='torch')
    assert torch.equal(torch_mode,
                       F.interpolate(x, scale_factor=4, mode='bicubic', align_corners=False))
    matlab_mode = upsample(x)
    assert matlab_mode.shape == torch_mode.shape == (1, 3, 24, 32)
    assert (matlab_mode - torch_mode).abs().max() > 1  # a = -0.5 vs -0.75, borders
    # both reproduce a constant and keep a linear ramp inside the image
    ramp = torch.arange(16, dtype=torch.float64).repeat(1, 1, 4, 1)
    inner = upsample(ramp)[..., 8:-8]
    np.testing.assert_allclose(inner[0, 0, 0].numpy(), np.arange(8, 56) / 4 - 0.375, atol=1e-9)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        MODELS.build(dict(type='BicubicUpsampler', mode='cubic'))
