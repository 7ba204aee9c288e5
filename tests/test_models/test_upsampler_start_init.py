# Copyright (c) mmssg contributors. All rights reserved.
"""UpsamplerStart: an x4 RRDBNet that starts as an interpolator of its input."""
import pytest
import torch
import torch.nn.functional as F
from mmagic.models.editors.esrgan.rrdb_net import RRDBNet
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.model import BaseModule
from torch import nn

from mmssg.models.generators.upsampler_start_init import RRDBNET_LAYERS, UpsamplerStartInit
from mmssg.testing import config_path, twice_bilinear_x2

# the demo's generator (two RRDBs instead of four, to keep the tests fast)
DEMO_RRDBNET = dict(
    Config.fromfile(config_path('_base_', 'models', 'demo_networks.py')).demo_generator,
    num_blocks=2)


def build_started(seed=0):
    torch.manual_seed(seed)
    net = MODELS.build(dict(DEMO_RRDBNET, init_cfg=dict(type='UpsamplerStart')))
    net.init_weights()
    return net


def test_the_started_network_interpolates_its_input():
    net = build_started()
    x = torch.rand(2, 3, 20, 24)
    with torch.no_grad():
        out = net(x)
    assert out.shape == (2, 3, 80, 96)
    # the zero padding of the 3x3 filters only reaches a few pixels into the image
    inner = (slice(None), slice(None), slice(6, -6), slice(6, -6))
    torch.testing.assert_close(out[inner], twice_bilinear_x2(x)[inner], atol=1e-5, rtol=0)


def test_the_other_weights_keep_rrdbnet_initialisation():
    started = build_started(seed=1)
    torch.manual_seed(1)
    default = MODELS.build(DEMO_RRDBNET)
    default.init_weights()
    for (name, a), (_, b) in zip(started.named_parameters(), default.named_parameters()):
        layer = name.split('.')[0]
        if layer in RRDBNET_LAYERS:
            # only the outputs that carry the colours are written; the rest is RRDBNet's own
            # (Kaiming x 0.1 and zero biases, drawn in the same order)
            torch.testing.assert_close(a[3:], b[3:], msg=name)
        else:
            torch.testing.assert_close(a, b, msg=name)  # the trunk's blocks
    # nothing but the colours reaches the output at the start, yet the trunk is trainable
    assert started.conv_last.weight[:, 3:].abs().sum() == 0
    assert started.conv_body.weight[:3].abs().sum() == 0


def test_training_moves_the_whole_network():
    net = build_started()
    before = {name: p.detach().clone() for name, p in net.named_parameters()}
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, target = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 32, 32)
    for _ in range(2):  # the first step opens the paths from the trunk into the colours
        optimizer.zero_grad()
        F.l1_loss(net(x), target).backward()
        optimizer.step()
    unchanged = [n for n, p in net.named_parameters() if torch.equal(p, before[n])]
    assert unchanged == []


def test_a_pretrained_checkpoint_after_it_wins(tmp_path):
    trained = MODELS.build(DEMO_RRDBNET)
    trained.init_weights()
    path = tmp_path / 'generator.pth'
    torch.save({'state_dict': trained.state_dict()}, path)
    init_cfg = [dict(type='UpsamplerStart'), dict(type='Pretrained', checkpoint=str(path))]
    net = MODELS.build(dict(DEMO_RRDBNET, init_cfg=init_cfg))
    net.init_weights()
    for (name, a), (_, b) in zip(net.state_dict().items(), trained.state_dict().items()):
        torch.testing.assert_close(a, b, msg=name)


class NotAnRRDBNet(BaseModule):

    def __init__(self):
        super().__init__(init_cfg=dict(type='UpsamplerStart'))
        self.conv_first = nn.Conv2d(3, 8, 3, padding=1)


@pytest.mark.parametrize('make, error, message', [
    (NotAnRRDBNet, TypeError, 'NotAnRRDBNet has no'),
    (lambda: RRDBNet(3, 3, 16, 1, 8, upscale_factor=2, init_cfg=dict(type='UpsamplerStart')),
     ValueError, 'upscale_factor 2'),
    (lambda: RRDBNet(1, 1, 16, 1, 8, upscale_factor=4, init_cfg=dict(type='UpsamplerStart')),
     ValueError, '3 input and output channels, got 1 and 1'),
    (lambda: RRDBNet(3, 3, 2, 1, 2, upscale_factor=4, init_cfg=dict(type='UpsamplerStart')),
     ValueError, 'at least 3 mid_channels to carry the colours, got 2'),
])
def test_other_networks_are_refused_by_name(make, error, message):
    with pytest.raises(error, match=message):
        make().init_weights()


def test_mmengine_records_which_weights_it_set():
    """mmengine logs each weight's initialiser from ``_params_init_info``."""
    torch.manual_seed(0)
    net = RRDBNet(3, 3, 16, 1, 8, upscale_factor=4)
    net._params_init_info = {
        param: dict(init_info='before', tmp_mean_value=param.data.mean())
        for param in net.parameters()
    }
    UpsamplerStartInit()(net)
    info = {name: net._params_init_info[p]['init_info'] for name, p in net.named_parameters()}
    assert 'UpsamplerStart' in info['conv_last.weight']
    assert info['body.0.rdb1.conv1.weight'] == 'before'  # the trunk's blocks are not touched


def test_it_takes_no_options():
    with pytest.raises(TypeError, match="unexpected keyword argument 'layer'"):
        MODELS.build(dict(DEMO_RRDBNET, init_cfg=dict(type='UpsamplerStart',
                                                      layer='Conv2d'))).init_weights()
