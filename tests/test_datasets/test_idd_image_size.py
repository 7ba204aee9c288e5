# Copyright (c) mmssg contributors. All rights reserved.
"""IDDDataset keeps the paper's 1280x720 frames only (image_size), and says what it did."""
import os

import cv2
import numpy as np
import pytest
from mmagic.registry import DATASETS
from mmengine.config import Config

from mmssg.datasets import idd_dataset as idd_dataset_module
from mmssg.testing import config_path

# stand-ins for IDD's two sizes, small enough to write quickly: (width, height)
SMALL, LARGE = (64, 36), (96, 54)


def write_idd(root, sizes):
    """One image (and label map) per size in ``sizes``, in IDD's layout."""
    for i, (w, h) in enumerate(sizes):
        for sub, suffix, data in (('leftImg8bit', '_leftImg8bit.png', np.full(
            (h, w, 3), i,
                np.uint8)), ('gtFine', '_gtFine_labellevel4Ids.png', np.zeros((h, w), np.uint8))):
            folder = root / sub / 'val' / str(i % 2)
            os.makedirs(folder, exist_ok=True)
            cv2.imwrite(str(folder / f'{i:06d}{suffix}'), data)


def idd_dataset(root, image_size):
    return DATASETS.build(
        dict(
            type='IDDDataset',
            data_root=str(root),
            image_size=image_size,
            data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
            pipeline=[dict(type='LoadImageFromFile', key='img', channel_order='rgb')]))


def test_only_images_of_the_given_size_are_kept_and_the_rest_counted(tmp_path, monkeypatch):
    write_idd(tmp_path, [SMALL, LARGE, SMALL, LARGE, LARGE])
    logged = []
    monkeypatch.setattr(idd_dataset_module, 'print_log', lambda msg, **kw: logged.append(msg))
    dataset = idd_dataset(tmp_path, SMALL)
    assert len(dataset) == 2
    assert {dataset[i]['img'].shape for i in range(2)} == {(SMALL[1], SMALL[0], 3)}
    assert len(logged) == 1 and 'left out 3 of other sizes' in logged[0]
    assert len(idd_dataset(tmp_path, LARGE)) == 3
    assert len(idd_dataset(tmp_path, None)) == 5


def test_no_image_of_the_size_names_the_folder_and_the_sizes_found(tmp_path):
    write_idd(tmp_path, [LARGE, LARGE, SMALL])
    with pytest.raises(ValueError) as error:
        idd_dataset(tmp_path, (1280, 720))
    message = str(error.value)
    assert 'no 1280x720 image' in message and str(tmp_path / 'leftImg8bit' / 'val') in message
    assert '96x54 (2)' in message and '64x36 (1)' in message
    with pytest.raises(ValueError, match='image_size must be'):
        idd_dataset(tmp_path, (1280, ))


def test_idd_configs_select_the_papers_frames():
    for name in ('ssg_rwsr_x4_idd.py', 'ssg_rwsr_x4_idd_fullframe.py'):
        cfg = Config.fromfile(config_path(name))
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert tuple(cfg[loader].dataset.image_size) == (1280, 720), (name, loader)
