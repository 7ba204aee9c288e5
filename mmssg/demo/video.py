# Copyright (c) mmssg contributors. All rights reserved.
"""A short drive filmed by the demo's hidden camera: footage for the own-camera walkthrough.

One street scene is rendered wider than the frame; each frame is a window of it, moved
:data:`DRIVE_STEP` LR pixels further along (the view sliding past the street), photographed
by the hidden camera (:func:`~mmssg.demo.camera.apply_camera`, fresh sensor noise per
frame). Half-way the car stops: :data:`STOP_FRAMES` frames repeat the last one, as a
dashcam standing at a light films the same view, so that ``tools/data/extract_frames.py
--min-change`` has duplicates to leave out. The frames are encoded as H.264 (``libx264``,
``yuv420p``, CRF 18) in an MP4 at :data:`DEMO_VIDEO_FPS` frames per second: what dashcams
record, so the walkthrough reads the kind of file a user has. A pure function of the seed.
The file carries the tag ``comment=mmssg.demo drive``; only such a file is ever replaced.
"""
import os
import os.path as osp

import numpy as np

from mmssg.utils.video import VideoWriter, video_metadata
from .camera import CameraModel, apply_camera
from .io import DemoDatasetError
from .render import CAMERA_STREAM, generate_scene, scene_rng

#: The demo drive's frame rate.
DEMO_VIDEO_FPS = 10
#: How far the view moves per frame, in LR pixels.
DRIVE_STEP = 2
#: Frames the car stands still (repeats of one frame).
STOP_FRAMES = 4
#: The ``comment`` tag that marks a file as a demo drive (the only file replaced at its path).
DEMO_VIDEO_COMMENT = 'mmssg.demo drive'


def drive_positions(num_frames, step=DRIVE_STEP, stop=STOP_FRAMES):
    """The window's offset (LR pixels) in each frame: moving, standing ``stop`` frames
    half-way (offsets repeated), moving again.

    Args:
        num_frames (int): Frames of the drive.
        step (int): LR pixels per moving frame.
        stop (int): Frames standing still (fewer when the drive is short).

    Returns:
        list[int]: One offset per frame, never decreasing.
    """
    stop = min(stop, max(num_frames - 2, 0))
    moving = num_frames - stop
    first = (moving + 1) // 2
    steps = list(range(first)) + [first - 1] * stop + list(range(first, moving))
    return [step * s for s in steps]


def render_drive(num_frames, lr_size, seed, camera=None):
    """The LR frames of the drive (uint8 RGB) and their offsets (:func:`drive_positions`).

    A standing frame is the frame before it, pixel for pixel.

    Args:
        num_frames (int): Frames.
        lr_size (tuple): ``(width, height)`` of a frame.
        seed (int): Seed of the scene and of the camera noise.
        camera (CameraModel, optional): The hidden camera. Default: ``CameraModel()``.
    """
    camera = camera or CameraModel()
    width, height = lr_size
    offsets = drive_positions(num_frames)
    scale = camera.scale
    hr, _ = generate_scene(seed, 'video', 0, ((width + offsets[-1]) * scale, height * scale))
    frames = []
    for index, offset in enumerate(offsets):
        if index and offset == offsets[index - 1]:
            frames.append(frames[-1])
            continue
        window = np.ascontiguousarray(hr[:, offset * scale:(offset + width) * scale])
        frames.append(apply_camera(window, camera, scene_rng(seed, 'video', index, CAMERA_STREAM)))
    return frames, offsets


def make_demo_video(path, num_frames=24, lr_size=(64, 32), seed=0, fps=DEMO_VIDEO_FPS):
    """Write the demo drive (module docstring) as a video file, in one step.

    Args:
        path (str): The video file (``.mp4`` for H.264 in MP4; another video suffix picks
            its container).
        num_frames (int): Frames. Default: 24.
        lr_size (tuple): ``(width, height)``, even (4:2:0 chroma). Default: (64, 32).
        seed (int): Seed. Default: 0.
        fps (int): Frame rate. Default: :data:`DEMO_VIDEO_FPS`.

    Returns:
        dict: ``path``, ``frames``, ``fps``, ``lr_size``, ``codec`` (what was written),
        ``offsets`` and ``standing`` (the indices of the repeated frames).

    Raises:
        ValueError: ``num_frames`` below 1 or an odd or non-positive size.
        DemoDatasetError: ``path`` exists and is not a demo drive (never replaced).
    """
    width, height = lr_size
    if num_frames < 1:
        raise ValueError(f'num_frames must be 1 or more, got {num_frames}')
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f'lr_size must be even and positive (4:2:0 video), got {lr_size}')
    if osp.lexists(path) and video_metadata(path).get('comment') != DEMO_VIDEO_COMMENT:
        raise DemoDatasetError(f'{path} exists and is not a demo drive this tool wrote; '
                               'refusing to replace it: choose another path')
    frames, offsets = render_drive(num_frames, lr_size, seed)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with VideoWriter(
            path, fps, 'h264', 'yuv420p', metadata=dict(comment=DEMO_VIDEO_COMMENT)) as writer:
        for frame in frames:
            writer.write(frame)
    standing = [i for i in range(1, num_frames) if offsets[i] == offsets[i - 1]]
    return dict(
        path=path,
        frames=num_frames,
        fps=fps,
        lr_size=[width, height],
        codec=writer.describe(),
        offsets=offsets,
        standing=standing)
