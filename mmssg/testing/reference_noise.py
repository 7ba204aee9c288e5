# Copyright (c) mmssg contributors. All rights reserved.
"""The noise-window test of Eq. 2-4 written as a plain loop over windows.

What :func:`mmssg.degradation.noise_patches.noise_patch_positions` computes
with integral images, checked literally: every ``p`` and every ``q`` inside it
is cut out and measured with ``np.mean`` / ``np.var``, window by window,
channel by channel. Used by the tests.
"""
import numpy as np

from mmssg.degradation.noise_patches import NoiseCriteria


def _passes(p, criteria):
    """Eq. 2-4 for one float64 window ``p`` of shape ``(P, P, C)``."""
    P, q, step = criteria.patch_size, criteria.sub_size, criteria.sub_stride
    ok = True
    for c in range(p.shape[2]):
        mean_p, var_p = np.mean(p[..., c]), np.var(p[..., c])
        ok &= bool(var_p >= criteria.phi)
        for j in range(0, P - q + 1, step):
            for i in range(0, P - q + 1, step):
                sub = p[j:j + q, i:i + q, c]
                ok &= bool(abs(np.mean(sub) - mean_p) <= criteria.mu * mean_p)
                ok &= bool(abs(np.var(sub) - var_p) <= criteria.gamma * var_p)
    return ok


def noise_patch_positions_reference(img, criteria=None):
    """Loop-over-windows version of ``noise_patch_positions``: same arguments and result."""
    criteria = criteria or NoiseCriteria()
    img = np.asarray(img)
    if img.ndim != 3:
        raise ValueError(f'expected an (H, W, C) image, got shape {img.shape}')
    P, stride = criteria.patch_size, criteria.stride
    kept = [(y, x) for y in range(0, img.shape[0] - P + 1, stride)
            for x in range(0, img.shape[1] - P + 1, stride)
            if _passes(img[y:y + P, x:x + P].astype(np.float64), criteria)]
    return np.array(kept, np.int64).reshape(-1, 2)
