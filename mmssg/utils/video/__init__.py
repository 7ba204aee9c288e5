# Copyright (c) mmssg contributors. All rights reserved.
"""Reading and writing video files with PyAV (FFmpeg's libraries, in the ``av`` wheel).

Conventions, the same for every tool that reads footage:

- **Frame positions.** A frame's *index* is its position in the source, from its
  presentation time: ``round((pts - start) * time_base * fps)`` with the stream's average
  frame rate (exact for the constant frame rates of dashcams), kept increasing, so that a
  frame that cannot be decoded leaves its index unused rather than shifting the others.
- **Pixels.** Frames are converted to what the stream holds, as :func:`decode_image` does
  for an image file: colour (RGB or BGR), grey when the stream is grey, with alpha when it
  has alpha, 8 bits, or 16 bits when its samples have more than 8 bits (a 10-bit stream is
  not rounded to 8). Colourspace and range are the frame's own tags. A display rotation
  (the phone's "rotate" matrix) is applied as EXIF orientation is for images: every frame
  comes upright.
- **Problems are frames, not exceptions.** A packet the decoder refuses, a frame it flags
  as corrupt, a container that cannot be read on from some point, and frames missing at
  the end of a file whose header announces more (a truncated file) come as
  :class:`DecodedFrame` entries with a ``problem``; the caller names them and goes on.
  A file that cannot be opened at all, or holds no video stream, is an error naming it.
- **Writing in one step.** :class:`VideoWriter` encodes into a hidden temporary file next
  to the target and renames it when closed (:func:`mmssg.utils.atomic_output`), so a
  killed run leaves no half video under the target's name.
"""
from .reader import (VIDEO_EXTENSIONS, DecodedFrame, VideoInfo, count_video_frames, frame_layout,
                     frame_pixels, is_video_path, open_video, probe_video, read_video_frames,
                     upright, video_metadata)
from .transcode import VideoResult, map_video
from .writer import (CONTAINERS, ENCODER_OPTIONS, FALLBACK_ENCODER, X265_MIN_SIDE, VideoWriter,
                     array_format, choose_encoder, choose_pix_fmt, container_format)

__all__ = [
    'VIDEO_EXTENSIONS', 'CONTAINERS', 'ENCODER_OPTIONS', 'FALLBACK_ENCODER', 'X265_MIN_SIDE',
    'DecodedFrame', 'VideoInfo', 'VideoResult', 'VideoWriter', 'array_format', 'choose_encoder',
    'choose_pix_fmt', 'container_format', 'count_video_frames', 'frame_layout', 'frame_pixels',
    'is_video_path', 'map_video', 'open_video', 'probe_video', 'read_video_frames', 'upright',
    'video_metadata'
]
