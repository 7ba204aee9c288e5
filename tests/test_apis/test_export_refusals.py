# Copyright (c) mmssg contributors. All rights reserved.
"""tools/export_generator.py exports generators only (docs/deploy.md, docs/guarantees.md).

A segmentor's checkpoint, bare weights of another network and a checkpoint without tensors
are refused in every format, naming the file, and nothing is written; a training checkpoint
of the whole model and a generator-only file still export.
"""
import os

import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config

from mmssg.apis import export_generator_checkpoint
from mmssg.cli import export_generator
from mmssg.models.utils import load_networks
from mmssg.testing import config_path, tiny_model_cfg
from mmssg.testing.segmentors import write_tiny_segmentor
from mmssg.utils.checkpoint import read_checkpoint

OUTPUTS = {'mmagic': 'generator.pth', 'basicsr': 'net_g.pth', 'onnx': 'generator.onnx'}


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A tiny SSG-RWSR model, its training checkpoint and a config of its generator."""
    root = tmp_path_factory.mktemp('refusals')
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(num_blocks=1)).eval()
    checkpoint = str(root / 'iter_1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py'))
    cfg.model.generator = tiny_model_cfg(num_blocks=1, with_segmentor=False).generator
    cfg.dump(str(root / 'tiny.py'))
    return model, checkpoint, str(root / 'tiny.py')


def refused(files, source, fmt):
    """Export ``source`` in ``fmt``; the error's message, after checking nothing was written."""
    out = os.path.join(os.path.dirname(source), OUTPUTS[fmt])
    before = sorted(os.listdir(os.path.dirname(source)))
    options = ['--format', fmt] + (['--config', files[2]] if fmt == 'onnx' else [])
    with pytest.raises(ValueError) as error:
        export_generator.main([source, out] + options)
    assert sorted(os.listdir(os.path.dirname(source))) == before
    message = str(error.value)
    assert '\n' not in message and source in message and f'nothing written to {out}' in message
    return message


@pytest.mark.parametrize('fmt', sorted(OUTPUTS))
@pytest.mark.parametrize('bare', [False, True])
def test_a_segmentor_checkpoint_is_refused_in_every_format(files, tmp_path, fmt, bare):
    _, source = write_tiny_segmentor(tmp_path)
    if bare:  # MMSegmentation's weights on their own, without 'state_dict' and 'meta'
        torch.save(torch.load(source, weights_only=True)['state_dict'], source)
    message = refused(files, source, fmt)
    assert "['backbone', 'decode_head']: this looks like a segmentor's checkpoint" in message


@pytest.mark.parametrize('fmt', sorted(OUTPUTS))
def test_a_checkpoint_without_tensors_is_refused_naming_its_keys(files, tmp_path, fmt):
    source = str(tmp_path / 'm.pth')
    torch.save({'meta': {}, 'message_hub': {}}, source)
    message = refused(files, source, fmt)
    assert 'holds no state dict' in message and "'meta' holds a dict, not a tensor" in message
    assert "top-level keys of the file: ['message_hub', 'meta']" in message
    torch.save({'state_dict': {'conv_first.weight': torch.ones(1), 'step': {}}}, source)
    message = refused(files, source, fmt)
    assert "its 'state_dict' entry 'step' holds a dict, not a tensor" in message


def test_tools_that_load_weights_name_a_file_without_tensors(tmp_path):
    source = str(tmp_path / 'm.pth')
    torch.save({'meta': {}, 'message_hub': {}}, source)
    with pytest.raises(ValueError, match=f"{source} holds no state dict .*'meta' holds a dict"):
        read_checkpoint(source)  # tools/test.py, tools/inference.py and init_model


def test_bare_weights_of_another_network_are_no_generator(files, tmp_path):
    source = str(tmp_path / 'classifier.pth')
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)).state_dict(), source)
    message = refused(files, source, 'mmagic')
    assert "its keys start with ['0']; a generator-only file's keys include \"conv_first\"" \
        in message
    model = MODELS.build(tiny_model_cfg(num_blocks=1, with_segmentor=False))
    with pytest.raises(KeyError, match=f'{source} has no "generator.\\*" weights'):
        load_networks(model, source)


def test_a_training_checkpoint_and_a_generator_only_file_still_export(files, tmp_path):
    model, checkpoint, _ = files
    expected = model.generator.state_dict()
    exported = str(tmp_path / 'generator.pth')
    assert export_generator.main([checkpoint, exported]) == 0
    bare = str(tmp_path / 'bare.pth')  # the generator's weights on their own
    torch.save(expected, bare)
    for source in (exported, bare):
        again = str(tmp_path / 'again.pth')
        export_generator_checkpoint(source, again)
        state = torch.load(again, weights_only=True)['state_dict']
        assert list(state) == list(expected)
        assert all(torch.equal(state[k], expected[k]) for k in expected)
        basicsr = [source, str(tmp_path / 'net_g.pth'), '--format', 'basicsr']
        assert export_generator.main(basicsr) == 0
        target = MODELS.build(tiny_model_cfg(num_blocks=1, with_segmentor=False))
        load_networks(target, source)  # tools/test.py and tools/inference.py take it too
        loaded = target.generator.state_dict()
        assert all(torch.equal(loaded[k], expected[k]) for k in expected)


def test_an_extra_state_that_is_no_tensor_is_exported_as_it_is(files, tmp_path):
    # PyTorch lets a module keep any object as its extra state (get_extra_state)
    model, checkpoint, _ = files
    state = dict(torch.load(checkpoint, weights_only=True)['state_dict'])
    state['generator._extra_state'] = {'version': 1}
    source = str(tmp_path / 'extra.pth')
    torch.save({'state_dict': state, 'meta': {}}, source)
    exported = str(tmp_path / 'generator.pth')
    assert export_generator.main([source, exported]) == 0
    written = torch.load(exported, weights_only=True)['state_dict']
    assert written['_extra_state'] == {'version': 1}
    expected = model.generator.state_dict()
    assert all(torch.equal(written[k], expected[k]) for k in expected)
