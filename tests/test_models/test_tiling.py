# Copyright (c) mmssg contributors. All rights reserved.
"""Tiled super-resolution equals whole-frame super-resolution when the context suffices."""
import pytest
import torch
from mmagic.registry import MODELS

from mmssg.models.utils import tile_boxes, tiled_forward


def tiny_rrdbnet():
    torch.manual_seed(0)
    net = MODELS.build(
        dict(
            type='RRDBNet',
            in_channels=3,
            out_channels=3,
            mid_channels=8,
            num_blocks=1,
            growth_channels=4,
            upscale_factor=4))
    for p in net.parameters():  # strong weights, so that missing context shows
        p.data.normal_(0, 0.15)
    return net.eval()


def test_core_boxes_partition_the_image_and_contexts_stay_inside():
    seen = torch.zeros(37, 50, dtype=torch.int)
    for (t, l, b, r), (ct, cl, cb, cr) in tile_boxes(37, 50, 16, 5):
        seen[t:b, l:r] += 1
        assert 0 <= ct <= t and 0 <= cl <= l and b <= cb <= 37 and r <= cr <= 50
        assert t - ct in (0, 5) and cb - b in (0, 5)
    assert (seen == 1).all()


@torch.no_grad()
def test_tiled_equals_whole_for_a_receptive_field_inside_the_overlap():
    net = tiny_rrdbnet()  # 17 3x3 convs at LR + 4 at HR: reaches ~19 LR pixels
    lr = torch.rand(1, 3, 40, 58)
    whole = net(lr)
    calls = []
    tiled = tiled_forward(net, lr, tile=16, overlap=20, progress=lambda d, n: calls.append((d, n)))
    assert tiled.shape == whole.shape == (1, 3, 160, 232)
    assert (tiled - whole).abs().max() < 1e-3
    assert calls[-1] == (len(calls), 12)


@torch.no_grad()
def test_too_little_context_shows_at_the_seams():
    net = tiny_rrdbnet()
    lr = torch.rand(1, 3, 40, 58)
    assert (tiled_forward(net, lr, tile=16, overlap=2) - net(lr)).abs().max() > 1e-3


def test_no_tile_runs_once_and_bad_arguments_are_refused():
    lr = torch.rand(1, 3, 8, 8)
    assert torch.equal(tiled_forward(lambda x: x * 2, lr, tile=None), lr * 2)
    with pytest.raises(ValueError, match='tile must be positive'):
        tiled_forward(lambda x: x, lr, tile=0)
