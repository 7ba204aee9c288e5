# Copyright (c) mmssg contributors. All rights reserved.
"""The evaluation configs: whole-frame tests, baselines, generator starts; each loads and builds."""
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmagic.registry import DATASETS, MODELS
from mmengine.config import Config

from mmssg.models import SSGRWSR
from mmssg.testing import REPO_ROOT, config_path
from mmssg.utils import adapt_to_device

BASELINES = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'baselines', '*.py')))
TEST_ONLY = [
    config_path(n) for n in ('ssg_rwsr_x4_cityscapes_fullframe.py', 'ssg_rwsr_x4_idd_fullframe.py',
                             'ssg_rwsr_x4_cityscapes_synthetic_table3.py')
]
ZOO = 'https://download.openmmlab.com/mmediting/restorers/'
NR_METRICS = ['NIMA', 'MetaIQA']
TABLE3_METRICS = ['PSNR', 'SSIM', 'LPIPS', 'DISTS']


def metric_types(cfg):
    return [m.type for m in cfg.test_evaluator.metrics]


def build_without_downloads(cfg):
    """The model with pretrained loading off (the configs' own init stays for the asserts)."""
    model = cfg.model.copy()
    if model.generator.get('init_cfg'):
        model.generator = dict(model.generator, init_cfg=None)
    if model.get('segmentor'):
        model.segmentor = dict(model.segmentor, init_cfg=None)
    if model.get('perceptual_loss'):
        model.perceptual_loss = dict(model.perceptual_loss, pretrained_backbone=False)
    return MODELS.build(adapt_to_device(Config(dict(model=model)), cuda=False).model)


def test_every_baseline_of_every_table_is_there():
    names = {osp.basename(p)[:-3] for p in BASELINES}
    assert names == {
        f'{m}_x4_{d}'
        for m in ('bicubic', 'esrgan', 'realesrnet', 'realesrgan')
        for d in ('cityscapes', 'idd', 'cityscapes_synthetic')
    }


@pytest.mark.parametrize('path', BASELINES + TEST_ONLY, ids=osp.basename)
def test_eval_config_builds_and_scores_its_tables_metrics(path):
    cfg = Config.fromfile(path)
    model = build_without_downloads(cfg)
    assert isinstance(model, SSGRWSR) and model.generator.upscale_factor == 4
    assert model.segmentor is None and model.perceptual_loss is None
    assert not cfg.model.test_cfg.get('segment')
    if 'synthetic' in path:
        assert metric_types(cfg) == TABLE3_METRICS
        assert 'gt_path' in cfg.test_dataloader.dataset.data_prefix
        return
    assert metric_types(cfg) == NR_METRICS
    dataset = cfg.test_dataloader.dataset
    assert dict(dataset.data_prefix) == dict(img_path='leftImg8bit/val')  # no labels needed
    assert [t.type for t in dataset.pipeline] == ['LoadImageFromFile', 'PackInputs']
    if 'bicubic' not in path:  # whole frames in tiles, with enough context
        assert cfg.model.test_cfg.tile == 256 and cfg.model.test_cfg.tile_overlap >= 32


@pytest.mark.parametrize(
    'method,checkpoint,prefix',
    [('esrgan', 'esrgan/esrgan_x4c64b23g32_1x16_400k_div2k_20200508-f8ccaf3b.pth', 'generator.'),
     ('realesrnet', 'real_esrgan/realesrnet_c64b23g32_12x4_lr2e-4_1000k_df2k_ost_20210816-4ae3b5a4'
      '.pth', 'generator_ema.'),
     ('realesrgan', 'real_esrgan/realesrgan_c64b23g32_12x4_lr1e-4_400k_df2k_ost_20211010-34798885'
      '.pth', 'generator_ema.')])
def test_model_zoo_baselines_load_mmagics_checkpoints(method, checkpoint, prefix):
    for dataset in ('cityscapes', 'idd', 'cityscapes_synthetic'):
        cfg = Config.fromfile(config_path('baselines', f'{method}_x4_{dataset}.py'))
        generator = cfg.model.generator
        assert generator.type == 'RRDBNet' and generator.num_blocks == 23
        assert generator.init_cfg == dict(
            type='Pretrained', checkpoint=ZOO + checkpoint, prefix=prefix)


def test_bicubic_baselines_use_matlabs_kernel():
    for dataset in ('cityscapes', 'idd', 'cityscapes_synthetic'):
        cfg = Config.fromfile(config_path('baselines', f'bicubic_x4_{dataset}.py'))
        assert dict(cfg.model.generator) == dict(
            type='BicubicUpsampler', upscale_factor=4, mode='matlab')


def test_generator_starts_from_the_psnr_rrdb_or_the_realesrnet_variant():
    paper = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py')).model.generator.init_cfg
    assert paper == dict(
        type='Pretrained',
        checkpoint=ZOO + 'esrgan/esrgan_psnr_x4c64b23g32_1x16'
        '_1000k_div2k_20200420-bf5c993c.pth',
        prefix='generator.')
    variant = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes_realesrnet.py'))
    assert variant.model.generator.init_cfg.checkpoint.startswith(ZOO + 'real_esrgan/realesrnet')
    assert variant.model.generator.init_cfg.prefix == 'generator_ema.'


def test_synthetic_test_adds_dists_but_validation_needs_no_dists_weights():
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes_synthetic.py'))
    assert metric_types(cfg)[:4] == TABLE3_METRICS
    assert 'DISTS' not in [m.type for m in cfg.val_evaluator.metrics]


@pytest.mark.parametrize(
    'name,pools',
    [('ssg_rwsr_x4_cityscapes_adapted_only.py', 'data/cityscapes/'),
     ('ssg_rwsr_x4_cityscapes_synthetic_adapted_only.py', 'data/cityscapes_synthetic_x4/'),
     ('ssg_rwsr_x4_idd_adapted_only.py', 'data/idd/')])
def test_adapted_only_runs_list_the_hr_folder_alone(tmp_path, name, pools):
    """The RealSR rows: DF2K pairs only, no Cityscapes folder asked of the DF2K root."""
    cfg = Config.fromfile(config_path(name))
    assert list(cfg.train_cfg.turns) == ['adapted']
    assert cfg.train_cfg.train_dataloader_turn == 'adapted'
    dataset = cfg.train_dataloader.dataset
    assert dict(dataset.data_prefix) == dict(gt='HR')
    degradation = [t for t in dataset.pipeline if t.type == 'DomainAdaptedDegradation'][0]
    assert degradation.kernel_pool.startswith(pools)
    os.makedirs(tmp_path / 'HR')
    cv2.imwrite(str(tmp_path / 'HR' / 'a.png'), np.zeros((8, 8, 3), np.uint8))
    listed = DATASETS.build(dict(dataset, data_root=str(tmp_path), pipeline=[]))
    assert len(listed) == 1 and osp.basename(listed.get_data_info(0)['gt_path']) == 'a.png'
