# Copyright (c) mmssg contributors. All rights reserved.
"""Labels must cover their image pixel for pixel before joint crops cut both."""
import cv2
import numpy as np
import pytest
from mmagic.registry import DATASETS

from mmssg.datasets.transforms import MatchLabelSize
from mmssg.degradation.functional import downsample_labels


def results(label_shape, image_shape=(8, 12)):
    rng = np.random.default_rng(0)
    return dict(
        img=np.zeros(image_shape + (3, ), np.uint8),
        gt_seg_map=rng.integers(0, 19, label_shape).astype(np.uint8),
        img_path='a_leftImg8bit.png',
        seg_map_path='a_gtFine_labelTrainIds.png')


def test_labels_of_the_image_size_pass_unchanged():
    data = results((8, 12))
    labels = data['gt_seg_map'].copy()
    assert np.array_equal(MatchLabelSize()(data)['gt_seg_map'], labels)


def test_labels_an_integer_factor_larger_are_sampled_at_block_centres():
    data = results((32, 48))
    expected = downsample_labels(data['gt_seg_map'], 4)
    out = MatchLabelSize()(data)['gt_seg_map']
    assert out.shape == (8, 12) and np.array_equal(out, expected)


@pytest.mark.parametrize('label_shape', [(4, 6), (16, 36), (12, 18)])
def test_other_sizes_are_an_error_naming_both_files_and_sizes(label_shape):
    with pytest.raises(
            ValueError,
            match=r'label map a_gtFine_labelTrainIds.png is '
            rf'{label_shape[1]}x{label_shape[0]} but its image a_leftImg8bit.png is 12x8'):
        MatchLabelSize()(results(label_shape))
    with pytest.raises(ValueError, match="must have the image's size$"):
        MatchLabelSize(downsample=False)(results((16, 24)))


def test_the_training_pipeline_fails_when_the_sample_is_loaded(tmp_path):
    for split in ('img', 'ann'):
        (tmp_path / split).mkdir()
    cv2.imwrite(str(tmp_path / 'img' / 'x_leftImg8bit.png'), np.zeros((16, 32, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'ann' / 'x_gtFine_labelTrainIds.png'), np.zeros((8, 16), np.uint8))
    dataset = DATASETS.build(
        dict(
            type='CityscapesSRDataset',
            data_root=str(tmp_path),
            data_prefix=dict(img_path='img', seg_map_path='ann'),
            pipeline=[
                dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
                dict(type='mmseg.LoadAnnotations'),
                dict(type='MatchLabelSize'),
                dict(type='mmseg.RandomCrop', crop_size=(8, 8)),
                dict(type='PackInputs', keys='img', data_keys='gt_seg_map')
            ]))
    with pytest.raises(
            ValueError,
            match=r'x_gtFine_labelTrainIds.png is 16x8 but its image '
            r'.*x_leftImg8bit.png is 32x16'):
        dataset[0]
