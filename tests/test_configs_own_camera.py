# Copyright (c) mmssg contributors. All rights reserved.
"""configs/ssg_rwsr_x4_own_camera.py: the paper's run on a camera's frames, needing only a data
root; its guided turns train on pseudo-labels exactly as on real labels."""
import os
import random
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmagic.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope, init_default_scope
from mmseg.registry import MODELS as SEG_MODELS

from mmssg.apis.pseudo_labels import load_segmentor_config
from mmssg.cli import pseudo_labels, train
from mmssg.testing import config_path, tiny_model_cfg
from mmssg.testing.photos import load_photos
from mmssg.testing.segmentors import write_tiny_segmentor

OWN_CAMERA = config_path('ssg_rwsr_x4_own_camera.py')
PAPER = config_path('ssg_rwsr_x4_cityscapes.py')
#: what the own-camera run changes in the paper's, as prefixes of flattened config keys
OWN_SETTINGS = [
    'data_root', 'kernel_pool', 'noise_pool', 'kernel_method', 'pseudo_labels', 'input_sources',
    'adapted_pipeline.3.kernel_pool', 'adapted_pipeline.3.noise_pool',
    'train_dataloader.dataset.data_root', 'train_dataloader.dataset.data_prefix',
    'train_dataloader.dataset.img_suffix', 'train_dataloader.dataset.seg_map_suffix',
    *(f'{loader}.dataset.{key}'
      for loader in ('adapted_dataloader', 'train_cfg.dataloaders.adapted')
      for key in ('data_root', 'data_prefix.gt', 'pipeline.3.kernel_pool',
                  'pipeline.3.noise_pool')), 'val_dataloader', 'val_evaluator', 'val_cfg',
    'test_dataloader', 'test_evaluator', 'test_cfg', 'model.test_cfg.segment'
]


def flat(node, prefix=''):
    """``{'a.b.0.c': value}`` of a config's settings."""
    if isinstance(node, dict) and node:
        items = node.items()
    elif isinstance(node, (list, tuple)) and any(isinstance(v, dict) for v in node):
        items = enumerate(node)
    else:
        return {prefix[:-1]: node}
    return {k: v for key, value in items for k, v in flat(value, f'{prefix}{key}.').items()}


def test_the_run_is_the_papers_but_for_its_data_pools_and_validation(monkeypatch, tmp_path):
    monkeypatch.setenv('MMSSG_CAMERA_ROOT', str(tmp_path))
    own, paper = flat(Config.fromfile(OWN_CAMERA).to_dict()), flat(Config.fromfile(PAPER).to_dict())
    missing = object()
    differing = {k for k in set(own) | set(paper) if own.get(k, missing) != paper.get(k, missing)}
    unlisted = sorted(
        k for k in differing if not any(k == p or k.startswith(p + '.') for p in OWN_SETTINGS))
    assert not unlisted
    cfg = Config.fromfile(OWN_CAMERA)
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline
            ][:3] == ['LoadImageFromFile', 'mmseg.LoadAnnotations', 'MatchLabelSize']
    assert cfg.train_dataloader.dataset.data_root == str(tmp_path)
    assert cfg.kernel_pool == f'{tmp_path}/pools/kernels_x4'
    assert cfg.val_cfg is None and cfg.val_dataloader is None


def test_check_names_every_missing_piece_with_the_command_that_makes_it(
        monkeypatch, tmp_path, capsys):
    root = tmp_path / 'camera'
    root.mkdir()
    monkeypatch.setenv('MMSSG_CAMERA_ROOT', str(root))
    assert train.main([OWN_CAMERA, '--check']) == 1
    missing = capsys.readouterr().out.split('missing:\n')[1].split('Downloaded on first use')[0]
    lines = missing.strip().splitlines()
    expected = [
        ('frames', 'python tools/data/extract_frames.py FOOTAGE ' + str(root / 'frames')),
        ('labels', f'python tools/data/pseudo_labels.py --config {OWN_CAMERA}'),
        ('clean_hr', 'DF2K'),
        ('pools/kernels_x4', f'python tools/data/estimate_kernels.py --config {OWN_CAMERA}'),
        ('pools/noise_p128', f'python tools/data/collect_noise_patches.py --config {OWN_CAMERA}'),
    ]
    assert len(lines) == len(expected)
    for line, (folder, command) in zip(lines, expected):
        assert f': {root / folder}: ' in line and command in line, line
    work = tmp_path / 'work'
    with pytest.raises(FileNotFoundError, match=r'5 input\(s\) of this run are missing'):
        train.main([OWN_CAMERA, '--work-dir', str(work)])
    assert not work.exists()
    for folder in ('frames/drive', 'labels/drive', 'clean_hr', 'pools/kernels_x4',
                   'pools/noise_p128'):
        os.makedirs(root / folder)
    for name in ('pools/kernels_x4/k.npy', 'pools/noise_p128/n.npy'):
        np.save(root / name, np.zeros((3, 3), np.float32))
    assert train.main([OWN_CAMERA, '--check']) == 0
    assert 'missing:' not in capsys.readouterr().out


def test_the_labelling_segmentor_is_the_one_the_guided_turns_start_from():
    cfg = Config.fromfile(OWN_CAMERA)
    labelling = load_segmentor_config(cfg.pseudo_labels.segmentor).model
    assert cfg.pseudo_labels.checkpoint == cfg.model.segmentor.init_cfg.checkpoint
    with DefaultScope.overwrite_default_scope('mmseg'):
        networks = [SEG_MODELS.build(m) for m in (labelling, cfg.model.segmentor)]
    shapes = [{k: v.shape for k, v in n.state_dict().items()} for n in networks]
    assert shapes[0] == shapes[1] and shapes[0]['decode_head.conv_seg.weight'][0] == 19
    pre = [n.data_preprocessor for n in networks]
    assert torch.equal(pre[0].mean, pre[1].mean) and torch.equal(pre[0].std, pre[1].std)
    assert pre[0].channel_conversion == pre[1].channel_conversion


def write_frames(folder, count=2, size=(132, 140)):
    """Frames larger than the guided turns' 128x128 crop, of one sequence."""
    os.makedirs(folder / 'drive')
    for i, photo in zip(range(count), load_photos()):
        image = cv2.resize(photo, size[::-1], interpolation=cv2.INTER_AREA)[..., ::-1]
        assert cv2.imwrite(str(folder / 'drive' / f'drive_{i:06d}.png'), image)


def as_cityscapes(root, city):
    """The frames and their labels copied into Cityscapes' layout and names."""
    for sub, suffix, folder in (('leftImg8bit', 'leftImg8bit', 'frames'),
                                ('gtFine', 'gtFine_labelTrainIds', 'labels')):
        os.makedirs(city / sub / 'train' / 'drive')
        for name in sorted(os.listdir(root / folder / 'drive')):
            shutil.copy(root / folder / 'drive' / name,
                        city / sub / 'train' / 'drive' / f'{name[:-4]}_{suffix}.png')


def guided_batch_of(cfg):
    """The guided dataset's samples, each loaded with the same seeds, collated."""
    init_default_scope('mmagic')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    samples = []
    for index in range(len(dataset)):
        np.random.seed(index)
        random.seed(index)
        samples.append(dataset[index])
    return pseudo_collate(samples)


def trained_once(batch, optim_cfg):
    """A tiny model's weights after one guided turn on ``batch``, and before."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train_step(dict(batch, turn='guided'), build_optim_wrapper(model, optim_cfg))
    return before, model.state_dict()


def test_a_guided_turn_on_pseudo_labels_equals_one_on_the_same_maps_as_real_labels(
        monkeypatch, tmp_path):
    root = tmp_path / 'camera'
    write_frames(root / 'frames')
    seg_config, checkpoint = write_tiny_segmentor(tmp_path)
    config = tmp_path / 'my_camera.py'
    config.write_text(f'_base_ = [{OWN_CAMERA!r}]\npseudo_labels = dict(segmentor={seg_config!r}, '
                      f'checkpoint={checkpoint!r}, threshold=0.5)\n')
    monkeypatch.setenv('MMSSG_CAMERA_ROOT', str(root))
    assert pseudo_labels.main(['--config', str(config), '--no-progress']) == 0
    as_cityscapes(root, tmp_path / 'cityscapes')
    own, paper = Config.fromfile(str(config)), Config.fromfile(PAPER)
    paper.train_dataloader.dataset.data_root = str(tmp_path / 'cityscapes')
    pseudo, real = guided_batch_of(own), guided_batch_of(paper)
    assert pseudo['data_samples'][0].img_path.endswith('frames/drive/drive_000000.png')
    assert real['data_samples'][0].img_path.endswith('drive_000000_leftImg8bit.png')
    for a, b, sample_a, sample_b in zip(pseudo['inputs'], real['inputs'], pseudo['data_samples'],
                                        real['data_samples']):
        assert a.shape == (3, 128, 128) and torch.equal(a, b)
        labels = sample_a.gt_seg_map.data
        assert torch.equal(labels, sample_b.gt_seg_map.data) and labels.shape == (1, 128, 128)
    labels = torch.cat([s.gt_seg_map.data for s in pseudo['data_samples']])
    assert (labels == 255).any() and (labels < 19).any()  # ignored and labelled pixels
    (start, after_pseudo), (_, after_real) = (
        trained_once(b, own.optim_wrapper) for b in (pseudo, real))
    assert after_pseudo.keys() == after_real.keys()
    assert all(torch.equal(after_pseudo[k], after_real[k]) for k in after_pseudo)
    moved = {k.split('.')[0] for k in start if not torch.equal(start[k], after_pseudo[k])}
    assert {'generator', 'segmentor'} <= moved
