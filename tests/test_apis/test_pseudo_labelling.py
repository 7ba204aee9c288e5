# Copyright (c) mmssg contributors. All rights reserved.
"""mmssg.apis.pseudo_labels: the segmentor built by MMSegmentation, its weights read as data and
loaded strictly, labels thresholded, settings read from a training config."""
import os
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.apis import init_model

from mmssg.apis.pseudo_labels import (IGNORE_INDEX, config_settings, init_segmentor, label_map,
                                      lr_class_probabilities)
from mmssg.testing import config_path
from mmssg.testing.segmentors import write_tiny_segmentor
from mmssg.utils.checkpoint import TRUST_VARIABLE


class Payload:
    """Unpickled, it runs a shell command."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture(scope='module')
def segmentor(tmp_path_factory):
    return write_tiny_segmentor(tmp_path_factory.mktemp('segmentor'))


def frame(seed=0, size=(12, 20)):
    return np.random.default_rng(seed).integers(0, 256, (*size, 3), np.uint8)


def test_an_mmssg_training_checkpoint_labels_as_its_segmentor_does(segmentor, tmp_path):
    config, checkpoint = segmentor
    weights = torch.load(checkpoint)['state_dict']
    training = tmp_path / 'iter_100.pth'
    torch.save(
        dict(
            state_dict={
                **{
                    f'segmentor.{k}': v
                    for k, v in weights.items()
                }, 'generator.conv_first.weight': torch.zeros(1)
            }), training)
    bare = init_segmentor(config, checkpoint)
    trained = init_segmentor(config, str(training))
    assert torch.equal(
        lr_class_probabilities(bare, frame(), 4), lr_class_probabilities(trained, frame(), 4))
    assert trained.dataset_meta['classes'] is None  # the training checkpoint records none
    assert bare.dataset_meta['classes'][-1] == 'bicycle'


def test_a_url_is_read_from_the_torch_hub_cache_through_mmssgs_loader(segmentor, tmp_path,
                                                                      monkeypatch):
    config, checkpoint = segmentor
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    os.makedirs(tmp_path / 'hub' / 'checkpoints')
    shutil.copy(checkpoint, tmp_path / 'hub' / 'checkpoints' / 'zoo.pth')
    model = init_segmentor(config, 'https://download.example.org/zoo.pth')
    assert torch.equal(model.decode_head.conv_seg.weight,
                       torch.load(checkpoint)['state_dict']['decode_head.conv_seg.weight'])


def test_a_checkpoint_that_runs_code_is_refused_and_not_run(segmentor, tmp_path, monkeypatch):
    """Through mmssg's loader, and through MMSegmentation's own init_model too (mmengine's
    CheckpointLoader, which mmssg replaced)."""
    monkeypatch.setenv(TRUST_VARIABLE, '0')
    config, _ = segmentor
    marker, path = tmp_path / 'ran', tmp_path / 'downloaded.pth'
    torch.save({'state_dict': {}, 'meta': Payload(marker)}, path)

    def mmseg_init_model(config, checkpoint):
        with DefaultScope.overwrite_default_scope('mmseg'):  # init_model sets it for good
            return init_model(Config.fromfile(config), checkpoint, device='cpu')

    for load in (init_segmentor, mmseg_init_model):
        with pytest.raises(ValueError, match=f'{path} needs posix.system to load'):
            load(config, str(path))
        assert not marker.exists()


def test_an_empty_or_foreign_checkpoint_is_refused_by_name(segmentor, tmp_path):
    config, _ = segmentor
    empty = tmp_path / 'empty.pth'
    torch.save({'state_dict': {}}, empty)
    with pytest.raises(ValueError, match=f'{empty} holds no weights'):
        init_segmentor(config, str(empty))
    rrdb = tmp_path / 'rrdb.pth'
    torch.save({'state_dict': {'conv_first.weight': torch.zeros(8, 3, 3, 3)}}, rrdb)
    with pytest.raises(ValueError, match=f'{rrdb}: the segmentor weights do not fit .* missing'):
        init_segmentor(config, str(rrdb))


def test_label_map_ignores_exactly_what_is_below_the_threshold():
    probabilities = torch.tensor([[[0.5, 0.2, 0.1]], [[0.3, 0.8, 0.1]], [[0.2, 0.0, 0.8]]])
    labels = label_map(probabilities, threshold=0.5)
    np.testing.assert_array_equal(labels, [[0, 1, 2]])  # 0.5 is not below 0.5
    np.testing.assert_array_equal(label_map(probabilities, 0.6), [[IGNORE_INDEX, 1, 2]])
    assert labels.dtype == np.uint8


def test_a_training_config_names_the_frames_labels_scale_and_segmentor(monkeypatch, tmp_path):
    monkeypatch.setenv('MMSSG_CAMERA_ROOT', str(tmp_path))
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_own_camera.py'))
    settings = config_settings(cfg)
    assert settings.src_dir == f'{tmp_path}/frames' and settings.out_dir == f'{tmp_path}/labels'
    assert settings.scale == 4 and settings.threshold == 0.9
    assert settings.checkpoint == cfg.model.segmentor.init_cfg.checkpoint
    del cfg.pseudo_labels['threshold']
    with pytest.raises(KeyError, match='ssg_rwsr_x4_own_camera.py: pseudo_labels.threshold'):
        config_settings(cfg)
    paper = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py'))
    with pytest.raises(KeyError, match='ssg_rwsr_x4_cityscapes.py: pseudo_labels.segmentor'):
        config_settings(paper)
