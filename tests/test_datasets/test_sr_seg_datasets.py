# Copyright (c) mmssg contributors. All rights reserved.
"""Cityscapes/IDD datasets with the configs' pipelines: pairing, alignment, clear errors."""
import copy
import os

import cv2
import numpy as np
import pytest
from mmagic.registry import DATASETS
from mmengine.config import Config

from mmssg.testing import config_path

CITY = 'aachen'


def write_cityscapes(root, split='train', n=3, size=(24, 40), with_hr=False, seed=0):
    """Images whose labels are a function of their red channel, so alignment can be checked."""
    rng = np.random.default_rng(seed)
    h, w = size
    for i in range(n):
        stem = f'{CITY}_{i:06d}_000019'
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for sub, name, data in (('leftImg8bit', '_leftImg8bit.png', rgb[..., ::-1]),
                                ('gtFine', '_gtFine_labelTrainIds.png', rgb[..., 0] % 19)):
            os.makedirs(root / sub / split / CITY, exist_ok=True)
            cv2.imwrite(str(root / sub / split / CITY / (stem + name)), np.ascontiguousarray(data))
        if with_hr:
            os.makedirs(root / 'leftImg8bit_hr' / split / CITY, exist_ok=True)
            hr = cv2.resize(rgb, (w * 4, h * 4), interpolation=cv2.INTER_NEAREST)
            cv2.imwrite(
                str(root / 'leftImg8bit_hr' / split / CITY / (stem + '_leftImg8bit.png')),
                np.ascontiguousarray(hr[..., ::-1]))


def guided_dataset(root, crop=16):
    cfg = Config.fromfile(config_path('_base_', 'datasets', 'cityscapes_guided.py'))
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset.data_root = str(root)
    for t in dataset.pipeline:
        if t.type == 'mmseg.RandomCrop':
            t.crop_size = (crop, crop)
    return DATASETS.build(dataset)


def test_guided_pipeline_crops_and_flips_image_and_labels_together(tmp_path):
    write_cityscapes(tmp_path)
    dataset = guided_dataset(tmp_path)
    assert len(dataset) == 3 and dataset.metainfo['classes'][0] == 'road'
    np.random.seed(0)
    for _ in range(6):
        item = dataset[np.random.randint(3)]
        img, sample = item['inputs'], item['data_samples']
        assert img.shape == (3, 16, 16)
        assert sample.metainfo['img_channel_order'] == 'rgb'
        labels = sample.gt_seg_map
        assert labels.shape == (1, 16, 16)
        assert (labels[0].long() == img[0].long() % 19).all()  # red channel, same pixels


def test_synthetic_eval_pipeline_pairs_lr_hr_and_labels(tmp_path):
    write_cityscapes(tmp_path, split='val', with_hr=True)
    cfg = Config.fromfile(config_path('_base_', 'datasets', 'cityscapes_synthetic_val.py'))
    dataset_cfg = copy.deepcopy(cfg.val_dataloader.dataset)
    dataset_cfg.data_root = str(tmp_path)
    item = DATASETS.build(dataset_cfg)[1]
    sample = item['data_samples']
    assert item['inputs'].shape == (3, 24, 40)
    assert sample.gt_img.shape == (3, 96, 160)
    assert sample.gt_seg_map.shape == (1, 24, 40)
    assert (sample.gt_img[:, ::4, ::4] == item['inputs']).all()  # the same frame
    assert sample.metainfo['gt_path'].endswith('aachen_000001_000019_leftImg8bit.png')


def test_missing_folders_and_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='leftImg8bit/train'):
        guided_dataset(tmp_path)
    write_cityscapes(tmp_path)
    missing = (
        tmp_path / 'gtFine' / 'train' / CITY / f'{CITY}_000001_000019_gtFine_labelTrainIds.png')
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match=str(missing)):
        guided_dataset(tmp_path)

    write_cityscapes(tmp_path / 'syn', split='val', with_hr=True)
    os.remove(tmp_path / 'syn' / 'leftImg8bit_hr' / 'val' / CITY /
              f'{CITY}_000002_000019_leftImg8bit.png')
    cfg = Config.fromfile(config_path('_base_', 'datasets', 'cityscapes_synthetic_val.py'))
    dataset_cfg = copy.deepcopy(cfg.val_dataloader.dataset)
    dataset_cfg.data_root = str(tmp_path / 'syn')
    with pytest.raises(FileNotFoundError, match='HR ground truth .*000002'):
        DATASETS.build(dataset_cfg)


def test_idd_dataset_reads_level4_labels(tmp_path):
    folder = tmp_path / 'leftImg8bit' / 'train' / '0'
    labels = tmp_path / 'gtFine' / 'train' / '0'
    os.makedirs(folder), os.makedirs(labels)
    cv2.imwrite(str(folder / '000123_leftImg8bit.png'), np.zeros((20, 30, 3), np.uint8))
    cv2.imwrite(str(labels / '000123_gtFine_labellevel4Ids.png'), np.full((20, 30), 29, np.uint8))
    dataset = DATASETS.build(
        dict(
            type='IDDDataset',
            data_root=str(tmp_path),
            data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=[
                dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
                dict(type='mmseg.LoadAnnotations'),
                dict(type='PackInputs', keys='img', data_keys='gt_seg_map')
            ]))
    assert len(dataset.metainfo['classes']) == 30
    assert dataset.metainfo['classes'][29] == 'fallback background'
    assert int(dataset[0]['data_samples'].gt_seg_map.max()) == 29
