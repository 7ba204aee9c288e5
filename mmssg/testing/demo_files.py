# Copyright (c) mmssg contributors. All rights reserved.
"""Reading a generated demo dataset back in the tests of :mod:`mmssg.demo`."""
import glob
import os

import cv2
import numpy as np

LR_SIZE = (64, 32)
COUNTS = dict(num_train=4, num_val=2, num_clean=2)
SEED = 3
REQUIRED = ('road', 'sidewalk', 'building', 'vegetation', 'sky', 'car', 'person', 'pole')


def read_rgb(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None and image.dtype == np.uint8 and image.ndim == 3, path
    return image[..., ::-1]


def read_labels(path):
    labels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert labels is not None and labels.dtype == np.uint8 and labels.ndim == 2, path
    return labels


def rel_files(root):
    return sorted(
        os.path.relpath(p, root) for p in glob.glob(os.path.join(root, '**', '*'), recursive=True)
        if os.path.isfile(p))


def lr_image_files(root, split):
    return sorted(
        glob.glob(str(root / 'cityscapes' / 'leftImg8bit' / split / '*' / '*_leftImg8bit.png')))


def label_file(root, lr_file):
    split, city, name = lr_file.split(os.sep)[-3:]
    stem = name[:-len('_leftImg8bit.png')]
    return root / 'cityscapes' / 'gtFine' / split / city / f'{stem}_gtFine_labelTrainIds.png'


def hr_file(root, lr_file):
    split, city, name = lr_file.split(os.sep)[-3:]
    return root / 'cityscapes' / 'leftImg8bit_hr' / split / city / name
