# Copyright (c) mmssg contributors. All rights reserved.
"""Rendered scenes: the classes they hold, labels that agree with the pixels."""
import numpy as np

from mmssg.demo.camera import camera_label_downsample
from mmssg.demo.canvas import Canvas
from mmssg.demo.labels import CITYSCAPES_CLASSES, IGNORE_INDEX, ROAD, SKY
from mmssg.demo.render import generate_scene
from mmssg.testing.demo_files import (REQUIRED, SEED, hr_file, label_file, lr_image_files,
                                      read_labels, read_rgb)


def test_canvas_paints_in_order_and_keeps_labels_where_asked():
    canvas = Canvas(4, 2)
    assert (canvas.labels == IGNORE_INDEX).all() and not canvas.image.any()
    everywhere = (slice(None), slice(None))
    canvas.paint(everywhere, np.ones((2, 4), bool), (10, 20, 30), SKY)
    left = np.zeros((2, 4), bool)
    left[:, :2] = True
    canvas.paint(everywhere, left, (100, 100, 100), ROAD)  # later wins
    canvas.paint(everywhere, ~left, (0, 0, 0), None)  # a marking: colour only
    canvas.shade(everywhere, left, 0.5)  # a shadow: colour only
    np.testing.assert_array_equal(canvas.labels, [[ROAD, ROAD, SKY, SKY]] * 2)
    np.testing.assert_array_equal(canvas.image[:, :2], 50)
    np.testing.assert_array_equal(canvas.image[:, 2:], 0)


def test_required_classes_in_most_images():
    """Most scenes (here at the default size) hold most of the required classes."""
    per_image = []
    for index in range(6):
        _, labels = generate_scene(11, 'train', index, (512, 256))
        lr_labels = camera_label_downsample(labels, 4)
        present = {CITYSCAPES_CLASSES[i] for i in np.unique(lr_labels) if i < 19}
        per_image.append(len(present & set(REQUIRED)))
    assert min(per_image) >= 7


def test_labels_agree_with_image_content(dataset):
    root, _ = dataset
    colours = {name: [] for name in ('sky', 'road', 'vegetation')}
    top_centre_sky, bottom_road = [], []
    for split in ('train', 'val'):
        for path in lr_image_files(root, split):
            labels = read_labels(label_file(root, path))
            hr = read_rgb(hr_file(root, path)).astype(np.float64)
            # the LR label (i, j) names the HR pixel (4i + 2, 4j + 2)
            sampled = hr[2::4, 2::4]
            for name in colours:
                colours[name].append(sampled[labels == CITYSCAPES_CLASSES.index(name)])
            width = labels.shape[1]
            top_centre_sky.append(np.mean(labels[0, 2 * width // 5:3 * width // 5] == SKY))
            bottom_road.append(np.mean(labels[-1] == ROAD))
    sky, road, vegetation = (
        np.concatenate(colours[n]).mean(0) for n in ('sky', 'road', 'vegetation'))
    assert sky[2] > sky[0] + 20 and sky.mean() > road.mean() + 40  # blue and bright
    assert np.ptp(road) < 15  # grey asphalt
    assert vegetation[1] > vegetation[0] and vegetation[1] > vegetation[2]  # green
    assert min(top_centre_sky) > 0.5 and min(bottom_road) > 0.9


def test_label_boundaries_are_image_edges_and_files_match_the_library(dataset):
    """Labels are drawn with the image: the image changes where the label changes."""
    root, _ = dataset
    path = lr_image_files(root, 'train')[0]
    hr, hr_labels = generate_scene(SEED, 'train', 0, (256, 128))
    np.testing.assert_array_equal(read_rgb(hr_file(root, path)), hr)
    np.testing.assert_array_equal(
        read_labels(label_file(root, path)), camera_label_downsample(hr_labels, 4))
    grey = hr.astype(np.float64).mean(-1)
    step = np.abs(np.diff(grey, axis=1))
    boundary = hr_labels[:, 1:] != hr_labels[:, :-1]
    assert boundary.any()
    assert step[boundary].mean() > 3 * step[~boundary].mean()
