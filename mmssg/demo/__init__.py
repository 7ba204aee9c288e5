# Copyright (c) mmssg contributors. All rights reserved.
"""The demo's data maker: procedural street scenes seen through a hidden camera.

Cityscapes, IDD and DF2K cannot be downloaded everywhere, so the demo and the tests run the
real pipeline on data drawn here. :func:`make_demo_dataset` writes street scenes in the
Cityscapes layout with exact train-id labels, rendered at HR and photographed by a hidden
camera (:class:`CameraModel`: anisotropic blur, x4 down-sampling, sensor noise, JPEG) to make
the *real LR* domain, plus clean HR renders and photographs for the clean HR domain. Every
file is a pure function of the seed.

This is not a dataset class and registers nothing: ``import mmssg`` does not import it; the
tools that need it (``tools/data/make_demo_data.py``, ``tools/demo.py``) import it
explicitly. The datasets in :mod:`mmssg.datasets` then read what it wrote.

Modules, bottom up: :mod:`~mmssg.demo.labels` (train ids, colours), :mod:`~mmssg.demo.camera`
(the hidden camera), :mod:`~mmssg.demo.textures`, :mod:`~mmssg.demo.scene` and
:mod:`~mmssg.demo.layout` (what a scene is, drawing one at random),
:mod:`~mmssg.demo.canvas`, :mod:`~mmssg.demo.render_street`,
:mod:`~mmssg.demo.render_objects` and :mod:`~mmssg.demo.render` (rendering),
:mod:`~mmssg.demo.io` (the dataset on disk), and :mod:`~mmssg.demo.video` (a short drive as a
video file, the footage of the own-camera walkthrough).
"""
from .camera import CameraModel, apply_camera, camera_kernel, camera_label_downsample
from .io import (DEFAULT_LR_SIZE, GENERATED_ENTRIES, DemoDatasetError, expected_files,
                 make_demo_dataset, read_summary)
from .labels import CITYSCAPES_CLASSES, CITYSCAPES_PALETTE, IGNORE_INDEX, colorize_labels
from .render import generate_scene, render_scene, scene_rng
from .textures import PHOTO_NAMES, load_photographs
from .video import DEMO_VIDEO_FPS, make_demo_video

__all__ = [
    'CameraModel', 'apply_camera', 'camera_kernel', 'camera_label_downsample', 'DEFAULT_LR_SIZE',
    'GENERATED_ENTRIES', 'DemoDatasetError', 'expected_files', 'make_demo_dataset', 'read_summary',
    'CITYSCAPES_CLASSES', 'CITYSCAPES_PALETTE', 'IGNORE_INDEX', 'colorize_labels', 'generate_scene',
    'render_scene', 'scene_rng', 'PHOTO_NAMES', 'load_photographs', 'DEMO_VIDEO_FPS',
    'make_demo_video'
]
