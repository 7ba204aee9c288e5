# Copyright (c) mmssg contributors. All rights reserved.
"""Trained weights load strictly, and checkpoint keys do not depend on the launcher."""
import socket
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
from mmagic.registry import MODEL_WRAPPERS, MODELS
from mmengine.config import Config

from mmssg.models.utils import evaluation_model_cfg, load_networks
from mmssg.testing import tiny_model_cfg


def build(**tiny):
    torch.manual_seed(len(tiny))
    return MODELS.build(tiny_model_cfg(**tiny))


def save(path, state):
    torch.save({'state_dict': state, 'meta': {}}, path)
    return str(path)


def assert_same_networks(a, b):
    for name in ('generator', 'segmentor'):
        sa, sb = getattr(a, name).state_dict(), getattr(b, name).state_dict()
        assert sa.keys() == sb.keys()
        assert all(torch.equal(sa[k], sb[k]) for k in sa), name


def test_old_wrapper_keys_load_into_every_network(tmp_path):
    source, target = build(), build(num_blocks=2, mid_channels=8)
    old = {}
    for key, value in source.state_dict().items():
        network, rest = key.split('.', 1)
        old[f'{network}.module.{rest}'] = value
    load_networks(target, save(tmp_path / 'old.pth', old))
    assert_same_networks(source, target)


def test_another_architecture_is_an_error_naming_the_file_and_keys(tmp_path):
    path = save(tmp_path / 'big.pth', build(num_blocks=3).state_dict())
    with pytest.raises(ValueError) as error:
        load_networks(build(), path)
    message = str(error.value)
    assert path in message and 'generator' in message
    assert 'unexpected: body.2.' in message
    path = save(tmp_path / 'wide.pth', build(mid_channels=16).state_dict())
    with pytest.raises(
            ValueError,
            match=r'different shapes: conv_first.weight: checkpoint '
            r'\(16, 3, 3, 3\) vs model \(8, 3, 3, 3\)'):
        load_networks(build(), path)


def test_a_file_that_is_no_checkpoint_is_named(tmp_path):
    bad = tmp_path / 'notes.pth'
    bad.write_text('not a checkpoint')
    with pytest.raises(ValueError, match=f'{bad} is not a PyTorch checkpoint'):
        load_networks(build(), str(bad))
    with pytest.raises(FileNotFoundError, match='missing.pth does not exist'):
        load_networks(build(), str(tmp_path / 'missing.pth'))
    with pytest.raises(KeyError, match='no "segmentor.\\*" weights'):
        load_networks(
            build(),
            save(tmp_path / 'g.pth', {
                k: v
                for k, v in build().state_dict().items() if k.startswith('generator.')
            }))


def test_evaluation_config_builds_no_pretrained_file_and_no_loss_network():
    cfg = Config(dict(model=tiny_model_cfg()))
    cfg.model.generator.init_cfg = dict(type='Pretrained', checkpoint='/nowhere.pth')
    evaluated = evaluation_model_cfg(cfg.model, with_segmentor=False)
    assert 'init_cfg' not in evaluated['generator'] and evaluated['perceptual_loss'] is None
    assert evaluated['segmentor'] is None
    assert cfg.model.generator.init_cfg.checkpoint == '/nowhere.pth'  # input unchanged


@pytest.fixture
def process_group():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_a_wrapped_model_saves_and_loads_the_keys_of_an_unwrapped_one(process_group):
    plain, wrapped = build(), build(num_blocks=2, mid_channels=8)
    wrapper = MODEL_WRAPPERS.build(dict(type='SeparateDistributedDataParallel', module=wrapped))
    keys = list(wrapper.module.state_dict())
    assert keys == list(plain.state_dict()) and not any('.module.' in k for k in keys)
    wrapper.module.load_state_dict(plain.state_dict())
    inner = SimpleNamespace(
        generator=wrapper.module.generator.module, segmentor=wrapper.module.segmentor.module)
    assert_same_networks(plain, inner)
