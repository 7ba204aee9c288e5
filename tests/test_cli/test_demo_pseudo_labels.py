# Copyright (c) mmssg contributors. All rights reserved.
"""The pseudo-label run's measure of its labels against the withheld ones, and its other
camera."""
import cv2
import numpy as np
import pytest

from mmssg.cli.demo_pseudo_labels import OTHER_CAMERA, label_agreement
from mmssg.demo import CameraModel


def write_pair(root, name, pseudo, true):
    (root / 'pseudo' / 'city').mkdir(parents=True, exist_ok=True)
    (root / 'true' / 'city').mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(root / 'pseudo' / 'city' / f'{name}_leftImg8bit.png'), pseudo)
    cv2.imwrite(str(root / 'true' / 'city' / f'{name}_gtFine_labelTrainIds.png'), true)


def test_agreement_counts_pixels_with_a_true_label_across_frames(tmp_path):
    # frame a: 4 pixels; one without a true label (255), one ignored by the pseudo-labels
    write_pair(tmp_path, 'a', np.array([[0, 1], [255, 2]], np.uint8),
               np.array([[0, 0], [1, 255]], np.uint8))
    # frame b: two right, one wrong
    write_pair(tmp_path, 'b', np.array([[1, 1, 0]], np.uint8), np.array([[1, 1, 1]], np.uint8))
    result = label_agreement(str(tmp_path / 'pseudo'), str(tmp_path / 'true'))
    # pixels with a true label: a: 3 (one of them ignored), b: 3
    assert result['ignored_share'] == pytest.approx(1 / 6)
    # labelled ones: a (0->0 right, 0->1 wrong), b (1->1, 1->1 right, 1->0 wrong): 3 of 5
    assert result['accuracy'] == pytest.approx(3 / 5)
    # IoU: class 0: 1 hit / (pred 2 + true 2 - 1) = 1/3; class 1: 2 / (pred 3 + true 3 - 2)
    assert result['miou'] == pytest.approx((1 / 3 + 2 / 4) / 2)


def test_a_pseudo_label_without_its_true_map_is_named(tmp_path):
    write_pair(tmp_path, 'a', np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8))
    cv2.imwrite(str(tmp_path / 'pseudo' / 'city' / 'b_leftImg8bit.png'), np.zeros((2, 2)))
    with pytest.raises(ValueError, match='b_gtFine_labelTrainIds.png'):
        label_agreement(str(tmp_path / 'pseudo'), str(tmp_path / 'true'))


def test_the_labelled_set_is_another_camera():
    hidden = CameraModel()
    assert OTHER_CAMERA.scale == hidden.scale
    assert OTHER_CAMERA.blur_sigma_major < hidden.blur_sigma_minor
    assert OTHER_CAMERA.noise_sigma(128) < hidden.noise_sigma(128) / 2
    assert OTHER_CAMERA.jpeg_quality > hidden.jpeg_quality
