# Copyright (c) mmssg contributors. All rights reserved.
"""Model-zoo reuse: upstream-format checkpoints load into the composite model, every weight."""
import copy

import pytest
import torch
from mmagic.registry import MODELS

from mmssg.models import build_segmentor
from mmssg.testing import tiny_model_cfg


def upstream_generator_checkpoint(tmp_path, cfg, use_ema):
    """A checkpoint as MMagic's own editors save it (RealESRGAN keeps an EMA copy)."""
    torch.manual_seed(1)
    if use_ema:
        editor = MODELS.build(
            dict(
                type='RealESRGAN',
                generator=copy.deepcopy(cfg),
                pixel_loss=dict(type='L1Loss'),
                is_use_ema=True))
        editor.generator_ema.load_state_dict({
            k: torch.randn_like(v) if v.is_floating_point() else v
            for k, v in editor.generator_ema.state_dict().items()
        })
    else:
        editor = MODELS.build(
            dict(
                type='BaseEditModel', generator=copy.deepcopy(cfg), pixel_loss=dict(type='L1Loss')))
    path = str(tmp_path / 'generator.pth')
    torch.save({'state_dict': editor.state_dict(), 'meta': {}}, path)
    return editor, path


@pytest.mark.parametrize('use_ema', [True, False], ids=['realesrnet-ema', 'esrgan-psnr'])
def test_every_upstream_weight_arrives_unchanged(tmp_path, use_ema):
    cfg = tiny_model_cfg()
    gen_cfg = copy.deepcopy(cfg.generator)
    editor, gen_path = upstream_generator_checkpoint(tmp_path, gen_cfg, use_ema)
    prefix = 'generator_ema.' if use_ema else 'generator.'
    upstream_gen = editor.generator_ema if use_ema else editor.generator

    torch.manual_seed(2)
    segmentor = build_segmentor(cfg.segmentor)  # MMSegmentation's EncoderDecoder
    for m in segmentor.modules():
        if isinstance(m, torch.nn.BatchNorm2d):  # non-trivial buffers too
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    seg_path = str(tmp_path / 'segmentor.pth')
    torch.save({'state_dict': segmentor.state_dict(), 'meta': {}}, seg_path)

    cfg.generator.init_cfg = dict(type='Pretrained', checkpoint=gen_path, prefix=prefix)
    cfg.segmentor.init_cfg = dict(type='Pretrained', checkpoint=seg_path)
    torch.manual_seed(3)
    model = MODELS.build(cfg)
    model.init_weights()

    for (name, got), (_, want) in zip(model.generator.state_dict().items(),
                                      upstream_gen.state_dict().items()):
        assert torch.equal(got, want), f'generator.{name}'
    seg_state = segmentor.state_dict()
    assert model.segmentor.state_dict().keys() == seg_state.keys()
    for name, got in model.segmentor.state_dict().items():
        assert torch.equal(got, seg_state[name]), f'segmentor.{name}'


def test_a_local_path_and_a_missing_prefix(tmp_path):
    cfg = tiny_model_cfg()
    _, gen_path = upstream_generator_checkpoint(tmp_path, copy.deepcopy(cfg.generator), False)
    cfg.generator.init_cfg = dict(type='Pretrained', checkpoint=gen_path, prefix='generator_ema.')
    model = MODELS.build(cfg)
    with pytest.raises(AssertionError, match='generator_ema'):
        model.init_weights()
