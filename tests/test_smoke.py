# Copyright (c) mmssg contributors. All rights reserved.
"""The plumbing: registration, the upstream networks built from configs, config inheritance."""
import importlib

import torch
from mmagic.registry import MODELS
from mmengine.config import Config

import mmssg
from mmssg.models import build_segmentor
from mmssg.testing import base_model_cfg, config_path


def test_import_registers_plugin_components_in_mmagic_registries():
    for sub in ('models', 'models.editors', 'models.losses', 'models.data_preprocessors'):
        importlib.import_module(f'mmssg.{sub}')
    for name in ('SSGRWSR', 'LPIPSLoss', 'SSGDataPreprocessor'):
        cls = MODELS.get(name)
        assert cls is not None, name
        assert cls.__module__.startswith('mmssg.'), cls.__module__
    assert mmssg.__version__


def test_paper_rrdbnet_builds_from_config_and_upscales_x4():
    generator = MODELS.build(base_model_cfg().generator)
    assert type(generator).__module__.startswith('mmagic.')
    assert len(generator.body) == 23
    n_params = sum(p.numel() for p in generator.parameters())
    assert abs(n_params - 16.7e6) < 0.1e6
    with torch.no_grad():
        out = generator(torch.rand(1, 3, 12, 10))
    assert out.shape == (1, 3, 48, 40)


def test_fcn_hr18_from_installed_mmseg_base_builds_with_bn_and_predicts_at_quarter_size():
    cfg = base_model_cfg().segmentor
    assert cfg['_scope_'] == 'mmseg'  # inherited from mmseg::_base_/models/fcn_hr18.py
    segmentor = build_segmentor(cfg)
    assert type(segmentor).__name__ == 'EncoderDecoder'
    assert type(segmentor).__module__.startswith('mmseg.')
    norms = [m for m in segmentor.modules() if isinstance(m, torch.nn.modules.batchnorm._NormBase)]
    assert norms and not any(isinstance(m, torch.nn.SyncBatchNorm) for m in norms)
    assert abs(sum(p.numel() for p in segmentor.parameters()) - 9.6e6) < 0.1e6
    segmentor.eval()
    with torch.no_grad():
        logits = segmentor(torch.rand(2, 3, 64, 96), mode='tensor')
    assert logits.shape == (2, 19, 16, 24)


def test_configs_inherit_from_mmseg_and_mmagic_bases():
    model_cfg = Config.fromfile(config_path('_base_', 'models', 'ssg_rwsr_x4.py'))
    assert model_cfg.model.type == 'SSGRWSR'
    assert model_cfg.model.segmentor.type == 'EncoderDecoder'  # from mmseg::
    assert 'backbone' not in model_cfg.model  # the mmseg model was replaced, not merged
    runtime = Config.fromfile(config_path('_base_', 'default_runtime.py'))
    assert runtime.default_scope == 'mmagic'
    assert runtime.default_hooks.timer.type == 'IterTimerHook'  # from mmagic::
    assert runtime.visualizer.type == 'SRSegVisualizer'
    assert runtime.custom_imports.imports == ['mmssg']
