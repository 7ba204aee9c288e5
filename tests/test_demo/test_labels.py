# Copyright (c) mmssg contributors. All rights reserved.
"""Demo labels: MMSegmentation's Cityscapes classes and colours, train ids, colourising."""
import numpy as np
from mmseg.datasets import CityscapesDataset

from mmssg.demo import labels


def test_classes_and_palette_are_mmsegs_metainfo():
    metainfo = CityscapesDataset.METAINFO
    assert labels.CITYSCAPES_CLASSES == tuple(metainfo['classes'])
    assert [list(colour) for colour in labels.CITYSCAPES_PALETTE] == \
        [list(colour) for colour in metainfo['palette']]
    assert len(labels.CITYSCAPES_CLASSES) == 19


def test_train_id_constants_name_their_classes():
    """Each constant is its class's position in the metainfo (``TRAFFIC_LIGHT`` -> 'traffic
    light'), and together they cover every class once."""
    constants = {
        name: getattr(labels,
                      name.upper().replace(' ', '_'))
        for name in labels.CITYSCAPES_CLASSES
    }
    for name, train_id in constants.items():
        assert labels.CITYSCAPES_CLASSES[train_id] == name
    assert sorted(constants.values()) == list(range(19))
    assert labels.IGNORE_INDEX == 255


def test_colorize_labels_uses_the_palette_and_blacks_out_ignore():
    train_ids = np.array([[labels.ROAD, labels.SKY], [labels.BICYCLE, labels.IGNORE_INDEX]],
                         np.uint8)
    colours = labels.colorize_labels(train_ids)
    assert colours.dtype == np.uint8 and colours.shape == (2, 2, 3)
    assert colours[0, 0].tolist() == [128, 64, 128]  # road
    assert colours[0, 1].tolist() == [70, 130, 180]  # sky
    assert colours[1, 0].tolist() == [119, 11, 32]  # bicycle
    assert colours[1, 1].tolist() == [0, 0, 0]


def test_montage_puts_lr_hr_and_labels_side_by_side():
    lr = np.full((4, 8, 3), 10, np.uint8)
    hr = np.full((16, 32, 3), 200, np.uint8)
    train_ids = np.full((4, 8), labels.CAR, np.uint8)
    montage = labels.make_montage(lr, hr, train_ids)
    assert montage.shape == (16, 3 * 32 + 2 * 4, 3)
    assert (montage[:, :32] == 10).all()  # LR, nearest-neighbour up-sampled
    assert (montage[:, 32:36] == 255).all()  # white gap
    assert (montage[:, 36:68] == 200).all()
    assert (montage[:, -32:] == np.array([0, 0, 142], np.uint8)).all()  # car colour
