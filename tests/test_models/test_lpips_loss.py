# Copyright (c) mmssg contributors. All rights reserved.
"""LPIPSLoss: the lpips package's distance, frozen, in eval mode, with clear offline errors."""
import urllib.error

import lpips
import pytest
import torch
from mmagic.registry import MODELS

from mmssg.models.losses import LPIPSLoss


def random_backbone_loss(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(type='LPIPSLoss', pretrained_backbone=False, **kwargs))


@pytest.mark.parametrize('net', ['alex', 'squeeze'])
def test_value_equals_the_lpips_package_on_the_same_weights(net):
    loss = random_backbone_loss(net=net, loss_weight=0.5)
    reference = lpips.LPIPS(net=net, pnet_rand=True, verbose=False).eval()
    reference.load_state_dict(loss.lpips.state_dict())
    a, b = torch.rand(2, 3, 40, 48), torch.rand(2, 3, 40, 48)
    expected = reference(a * 2 - 1, b * 2 - 1).mean() * 0.5  # lpips works on [-1, 1]
    torch.testing.assert_close(loss(a, b), expected)
    assert loss(a, a).abs() < 1e-6


def test_frozen_and_kept_in_eval_mode_so_dropout_never_randomises_it():
    loss = random_backbone_loss()
    assert all(not p.requires_grad for p in loss.parameters())
    loss.train()
    assert not loss.lpips.training
    assert not any(m.training for m in loss.lpips.modules())
    a, b = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    assert torch.equal(loss(a, b), loss(a, b))


def test_gradient_flows_to_the_prediction_only():
    loss = random_backbone_loss()
    pred = torch.rand(1, 3, 32, 32, requires_grad=True)
    loss(pred, torch.rand(1, 3, 32, 32)).backward()
    assert pred.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.parameters())


def test_fp32_under_autocast():
    loss = random_backbone_loss()
    a, b = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(a.bfloat16(), b.bfloat16())
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, loss(a.bfloat16().float(), b.bfloat16().float()))


def test_bad_shapes_and_nets_are_refused():
    loss = random_backbone_loss()
    with pytest.raises(ValueError, match=r'\(1, 1, 8, 8\)'):
        loss(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match='resnet'):
        LPIPSLoss(net='resnet', pretrained_backbone=False)


def test_failed_backbone_download_explains_what_to_do(monkeypatch):

    def offline(*args, **kwargs):
        raise urllib.error.URLError('no network')

    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', offline)
    import torchvision.models._api as tv_api
    monkeypatch.setattr(tv_api, 'load_state_dict_from_url', offline, raising=False)
    with pytest.raises(RuntimeError, match='pretrained_backbone=False') as info:
        LPIPSLoss(net='alex', pretrained_backbone=True)
    assert 'checkpoints' in str(info.value)
