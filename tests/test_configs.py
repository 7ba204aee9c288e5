# Copyright (c) mmssg contributors. All rights reserved.
"""Every config loads and builds its model (pretrained loading off, BN on CPU)."""
import glob
import os.path as osp

import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config

from mmssg.models import SSGRWSR
from mmssg.testing import REPO_ROOT, twice_bilinear_x2
from mmssg.utils import adapt_to_device

CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '*.py')))


def without_pretrained(cfg):
    model = cfg.model
    assert model.generator.init_cfg.type == 'Pretrained'
    model.generator.init_cfg = None
    if model.get('segmentor'):
        assert model.segmentor.init_cfg.type == 'Pretrained'
        model.segmentor.init_cfg = None
    if model.get('perceptual_loss'):
        model.perceptual_loss.pretrained_backbone = False
    return cfg


def test_the_paper_runs_are_all_there():
    names = {osp.basename(p) for p in CONFIGS}
    assert {
        'ssg_rwsr_x4_cityscapes.py', 'ssg_rwsr_x4_cityscapes_synthetic.py', 'ssg_rwsr_x4_idd.py',
        'ssg_rwsr_x4_cityscapes_adapted_only.py', 'ssg_rwsr_x4_cityscapes_guided_only.py',
        'ssg_rwsr_x4_cityscapes_bf16.py'
    } <= names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_loads_and_builds_its_model(path):
    cfg = adapt_to_device(without_pretrained(Config.fromfile(path)), cuda=False)
    assert cfg.custom_imports.imports == ['mmssg']
    assert cfg.train_cfg.type == 'JointTrainLoop'
    model = MODELS.build(cfg.model)
    assert isinstance(model, SSGRWSR)
    assert model.generator.upscale_factor == 4


def test_paper_config_spells_out_the_paper_setting():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py'))
    assert cfg.train_dataloader.batch_size * 4 == 12
    assert cfg.train_cfg.dataloaders.adapted.batch_size * 4 == 12
    assert cfg.train_cfg.max_iters == 100_000 and list(cfg.train_cfg.turns) == ['guided', 'adapted']
    crop = [t for t in cfg.train_dataloader.dataset.pipeline if t.type == 'mmseg.RandomCrop'][0]
    assert tuple(crop.crop_size) == (128, 128)
    for name in ('generator', 'segmentor'):
        assert cfg.optim_wrapper[name].optimizer.type == 'Adam'
        assert cfg.optim_wrapper[name].optimizer.lr == 1e-4
    assert cfg.model.pixel_loss.loss_weight == 0.01
    assert cfg.model.perceptual_loss.loss_weight == 0.1
    assert cfg.model.guided_loss_weight == 0.01
    assert cfg.model.segmentor.backbone.norm_cfg.type == 'SyncBN'
    assert cfg.model.generator.num_blocks == 23
    assert cfg.model.generator.init_cfg.checkpoint.startswith('https://download.openmmlab.com/')
    assert cfg.model.segmentor.init_cfg.checkpoint.startswith('https://download.openmmlab.com/')
    assert cfg.model_wrapper_cfg.type == 'mmagic.SeparateDistributedDataParallel'


def test_ablations_train_only_their_turn():
    adapted = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes_adapted_only.py'))
    assert list(adapted.train_cfg.turns) == ['adapted']
    assert adapted.train_cfg.train_dataloader_turn == 'adapted'
    assert adapted.train_dataloader.dataset.type == 'BasicImageDataset'
    guided = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes_guided_only.py'))
    assert list(guided.train_cfg.turns) == ['guided'] and not guided.train_cfg.dataloaders


def test_demo_departs_from_the_paper_only_where_the_readme_says():
    """The README lists three loss and step-size settings of the demo; the rest of the
    joint training (guided-loss weight, optimiser, turn order) is the paper's."""
    paper = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py'))
    demo = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_demo.py'))
    assert demo.model.pixel_loss.loss_weight == 1.0
    assert demo.model.perceptual_loss.loss_weight == 0.05
    assert demo.optim_wrapper.generator.optimizer.lr == 2e-4
    assert demo.model.guided_loss_weight == paper.model.guided_loss_weight == 0.01
    assert demo.optim_wrapper.segmentor.optimizer == paper.optim_wrapper.segmentor.optimizer
    assert demo.optim_wrapper.generator.optimizer.betas == (0.9, 0.999)
    assert list(demo.train_cfg.turns) == list(paper.train_cfg.turns)


def test_cpu_adaptation_switches_backend_and_syncbn():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py'))
    adapt_to_device(cfg, cuda=False)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model.segmentor.backbone.norm_cfg.type == 'BN'
    assert cfg.model.segmentor.decode_head.norm_cfg.type == 'BN'
    gpu = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py'))
    adapt_to_device(gpu, cuda=True)
    assert gpu.env_cfg.dist_cfg.backend == 'nccl'
    assert gpu.model.segmentor.backbone.norm_cfg.type == 'SyncBN'


def test_demo_stand_ins_have_the_demo_models_architectures():
    """The stand-ins' checkpoints must fit the demo model: Pretrained init skips mismatches."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS as SEG_MODELS

    def shapes(module):
        return {k: tuple(v.shape) for k, v in module.state_dict().items()}

    demo_cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_demo.py'))
    demo = MODELS.build(without_pretrained(demo_cfg).model)
    generator_cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'demo', 'pretrain_generator_bicubic.py'))
    stand_in = MODELS.build(generator_cfg.model)
    assert shapes(stand_in.generator) == shapes(demo.generator)
    segmentor_cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'demo', 'pretrain_segmentor.py'))
    init_default_scope('mmseg')
    try:
        segmentor = SEG_MODELS.build(segmentor_cfg.model)
    finally:
        init_default_scope('mmagic')
    assert shapes(segmentor) == shapes(demo.segmentor)


def test_demo_generator_stand_in_starts_as_an_interpolator():
    """From its own initialisation RRDBNet needs most of the stand-in's steps to pass the image
    through; UpsamplerStart makes it start as one."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'demo', 'pretrain_generator_bicubic.py'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        out = model.generator(x)
    inner = (slice(None), slice(None), slice(6, -6), slice(6, -6))
    torch.testing.assert_close(out[inner], twice_bilinear_x2(x)[inner], atol=1e-5, rtol=0)
