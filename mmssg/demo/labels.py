# Copyright (c) mmssg contributors. All rights reserved.
"""Cityscapes train ids of the demo scenes and their colours.

Class names and colours are MMSegmentation's (``CityscapesDataset.METAINFO``), the ones the
segmentor and the datasets use; the train-id constants below name positions in that order.
"""
import cv2
import numpy as np
from mmseg.datasets import CityscapesDataset

CITYSCAPES_CLASSES = tuple(CityscapesDataset.METAINFO['classes'])
CITYSCAPES_PALETTE = tuple(tuple(colour) for colour in CityscapesDataset.METAINFO['palette'])
IGNORE_INDEX = 255  # Cityscapes' ignore label, and mmseg's default ``ignore_index``

_TRAIN_IDS = {name: train_id for train_id, name in enumerate(CITYSCAPES_CLASSES)}
ROAD = _TRAIN_IDS['road']
SIDEWALK = _TRAIN_IDS['sidewalk']
BUILDING = _TRAIN_IDS['building']
WALL = _TRAIN_IDS['wall']
FENCE = _TRAIN_IDS['fence']
POLE = _TRAIN_IDS['pole']
TRAFFIC_LIGHT = _TRAIN_IDS['traffic light']
TRAFFIC_SIGN = _TRAIN_IDS['traffic sign']
VEGETATION = _TRAIN_IDS['vegetation']
TERRAIN = _TRAIN_IDS['terrain']
SKY = _TRAIN_IDS['sky']
PERSON = _TRAIN_IDS['person']
RIDER = _TRAIN_IDS['rider']
CAR = _TRAIN_IDS['car']
TRUCK = _TRAIN_IDS['truck']
BUS = _TRAIN_IDS['bus']
TRAIN = _TRAIN_IDS['train']
MOTORCYCLE = _TRAIN_IDS['motorcycle']
BICYCLE = _TRAIN_IDS['bicycle']


def colorize_labels(labels):
    """Cityscapes colours for a train-id map (ignore -> black).

    Args:
        labels (np.ndarray): ``(H, W)`` uint8 train ids.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB.
    """
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(CITYSCAPES_PALETTE)] = CITYSCAPES_PALETTE
    return lut[labels]


def make_montage(lr, hr, labels):
    """``LR (nearest x s) | HR | labels (colourised, nearest to HR size)`` side by side.

    Args:
        lr (np.ndarray): ``(h, w, 3)`` uint8 LR image.
        hr (np.ndarray): ``(H, W, 3)`` uint8 HR image.
        labels (np.ndarray): ``(h, w)`` or ``(H, W)`` train ids.
    """
    height, width = hr.shape[:2]

    def to_hr(image):
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_NEAREST)

    gap = np.full((height, 4, 3), 255, np.uint8)
    return np.concatenate([to_hr(lr), gap, hr, gap, to_hr(colorize_labels(labels))], axis=1)
