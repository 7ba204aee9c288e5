# Copyright (c) mmssg contributors. All rights reserved.
"""Render a demo street scene: HR image and exact per-pixel Cityscapes train ids.

Scenes are seen through a pinhole street camera (:class:`~mmssg.demo.canvas.StreetCamera`):
sky, ground and facades first (:mod:`mmssg.demo.render_street`), then the upright objects far
to near (:mod:`mmssg.demo.render_objects`). Every image has its own random streams, derived
from the dataset seed, its domain and its index, so one seed gives byte-identical files and
any image can be made alone.
"""
import numpy as np

from .canvas import Canvas, StreetCamera
from .layout import sample_scene_layout
from .render_objects import draw_object
from .render_street import render_closing_building, render_ground, render_side, render_sky
from .textures import load_textures

# independent random streams of an image: its domain's code and the stream's purpose
DOMAIN_CODES = {'train': 0, 'val': 1, 'clean': 2, 'video': 3}
SCENE_STREAM, CAMERA_STREAM = 0, 1


def render_scene(layout, width, height):
    """Render a layout: sky, ground, facades, walls and fences, then objects far to near.

    Args:
        layout (SceneLayout): The scene.
        width (int): Image width (pixels).
        height (int): Image height (pixels).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(H, W, 3)`` uint8 RGB image and ``(H, W)`` uint8
        train-id labels (255 = ignore).
    """
    textures = load_textures()
    cam = StreetCamera.from_layout(layout, width, height)
    canvas = Canvas(width, height)
    render_sky(canvas, cam, layout)
    render_ground(canvas, cam, layout, textures)
    render_closing_building(canvas, cam, layout, textures)
    for side in (layout.left, layout.right):
        render_side(canvas, cam, layout, side, textures)
    for obj in layout.objects:
        draw_object(canvas, cam, obj, textures)
    image = canvas.image * np.asarray(layout.light, np.float32)
    return np.clip(np.round(image), 0, 255).astype(np.uint8), canvas.labels


def scene_rng(seed, domain, index, stream=SCENE_STREAM):
    """The random source of one image, independent of every other image's.

    Args:
        seed (int): Dataset seed.
        domain (str): ``'train'``, ``'val'``, ``'clean'`` or ``'video'`` (the demo drive,
            :func:`mmssg.demo.make_demo_video`).
        index (int): Image index in its domain.
        stream (int): :data:`SCENE_STREAM` for the scene, :data:`CAMERA_STREAM` for the
            camera noise.
    """
    return np.random.default_rng([int(seed), DOMAIN_CODES[domain], int(index), int(stream)])


def generate_scene(seed, domain, index, hr_size):
    """Draw and render one scene.

    Args:
        seed (int): Dataset seed.
        domain (str): ``'train'``, ``'val'`` or ``'clean'``.
        index (int): Image index in its domain.
        hr_size (tuple): ``(width, height)`` of the render.

    Returns:
        tuple[np.ndarray, np.ndarray]: HR RGB image and HR labels.
    """
    width, height = hr_size
    layout = sample_scene_layout(scene_rng(seed, domain, index), aspect=height / width)
    return render_scene(layout, width, height)
