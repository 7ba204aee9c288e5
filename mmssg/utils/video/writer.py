# Copyright (c) mmssg contributors. All rights reserved.
"""Writing video files in one step, keeping the source's codec family (package docstring)."""
import io
import os
import os.path as osp
from contextlib import ExitStack
from fractions import Fraction
from typing import Optional

import av
import numpy as np

from ..files import atomic_output
from .reader import VIDEO_EXTENSIONS, frame_layout

#: The FFmpeg container (muxer) of each video suffix.
CONTAINERS = {
    '.mp4': 'mp4',
    '.m4v': 'mp4',
    '.mov': 'mov',
    '.mkv': 'matroska',
    '.webm': 'webm',
    '.avi': 'avi',
    '.mts': 'mpegts',
    '.m2ts': 'mpegts',
    '.ts': 'mpegts',
    '.mpg': 'mpeg',
    '.mpeg': 'mpeg',
    '.flv': 'flv',
    '.3gp': '3gp',
    '.wmv': 'asf',
    '.asf': 'asf'
}
#: The encoder a video is written with when its source's codec has none in the wheel (or
#: the container cannot hold it): H.264, what dashcams and phones record and every player
#: plays.
FALLBACK_ENCODER = 'libx264'
#: libx265 of the wheel corrupts its heap (the process aborts) on 48x32 frames with a CRF or
#: a preset set (measured); frames under 64 pixels on a side go to H.264 instead.
X265_MIN_SIDE = 64
#: Encoder settings per encoder. Lossy encoders are set to a quality, not a bit rate: an
#: upscaled frame has 16 times the pixels of its source, so the source's bit rate would
#: starve it. CRF 18 is x264's "visually lossless" point; the others get the usual
#: high-quality setting of their own scale (MPEG-4 and MJPEG: quantiser 2, ``-q:v 2``).
ENCODER_OPTIONS = {
    'libx264': dict(crf='18', preset='medium'),
    'libx265': dict(crf='20', preset='medium', **{'x265-params': 'log-level=error'}),
    'libvpx-vp9': dict(crf='24', b='0'),
    'libvpx': dict(crf='10', b='8M'),
    'libsvtav1': dict(crf='28'),
    'mpeg4': dict(flags='+qscale', global_quality=str(2 * 118)),  # -q:v 2
    'mjpeg': dict(flags='+qscale', global_quality=str(2 * 118)),
}


def array_format(pixels: np.ndarray, channel_order: str) -> str:
    """PyAV's name of the layout of an array (grey, colour, colour + alpha; 8 or 16 bits)."""
    deep = pixels.dtype == np.uint16
    if pixels.ndim == 2:
        return 'gray16le' if deep else 'gray'
    order = channel_order + ('a' if pixels.shape[2] == 4 else '')
    if pixels.shape[2] == 4:
        return f'{order}64le' if deep else order
    return f'{order}48le' if deep else f'{order}24'


def choose_encoder(codec: str, container_format: str) -> av.codec.Codec:
    """The encoder of ``codec``'s family (``h264`` -> ``libx264``, ``ffv1`` -> ``ffv1``...)
    when the wheel has one and the container holds it, else :data:`FALLBACK_ENCODER`, else
    the container's default video encoder."""
    with av.open(io.BytesIO(), 'w', format=container_format) as probe:
        held = probe.supported_codecs or set()  # empty: the muxer does not list them
        default = probe.default_video_codec
    for name in (codec, FALLBACK_ENCODER, default):
        try:
            encoder = av.codec.Codec(name, 'w')
        except (av.FFmpegError, ValueError):
            continue
        if not held or encoder.canonical_name in held:
            return encoder
    raise ValueError(f'no encoder in this PyAV build can write {container_format} video')


def choose_pix_fmt(encoder: av.codec.Codec, wanted: str) -> str:
    """``wanted`` (the source's pixel format) when the encoder takes it, else the encoder's
    first format of the same depth and alpha, else its first format."""
    formats = [f.name for f in (encoder.video_formats or [])]
    if not formats or wanted in formats:
        return wanted
    like = frame_layout(wanted)
    for name in formats:
        if frame_layout(name) == like:
            return name
    return formats[0]


def container_format(path: str) -> str:
    """The FFmpeg container of a video path, from its suffix.

    Raises:
        ValueError: The suffix is not one of :data:`VIDEO_EXTENSIONS`.
    """
    suffix = osp.splitext(path)[1].lower()
    if suffix not in CONTAINERS:
        raise ValueError(f'{path}: not a video suffix; use one of {", ".join(VIDEO_EXTENSIONS)}')
    return CONTAINERS[suffix]


class VideoWriter:
    """Encode frames into a video file, written in one step (module docstring).

    The stream is opened at the first frame (its size); each frame gets the presentation
    time ``index / fps``, so frames left out leave a gap in time rather than shifting the
    rest. Use it as a context manager: leaving the block normally finishes the file, an
    exception removes the temporary file and leaves ``path`` as it was.

    Args:
        path (str): The video file to write; its suffix names the container.
        fps (Fraction | float): The frame rate.
        codec (str): The codec family to keep (the source's, e.g. ``'h264'``), or an
            encoder's name; :func:`choose_encoder` falls back to H.264. Default: 'h264'.
        pix_fmt (str): The pixel format to keep where the encoder takes it
            (:func:`choose_pix_fmt`). Default: 'yuv420p'.
        channel_order (str): Of the colour arrays given to :meth:`write`. Default: 'rgb'.
        colorspace (int): Colourspace tag to convert to and write (FFmpeg's value; 0 (RGB)
            and 2 (unspecified) leave swscale's default, BT.601).
        color_range (int): Range tag to convert to and write (1 limited, 2 full; 0
            unspecified: limited).
        options (dict, optional): Encoder options instead of :data:`ENCODER_OPTIONS`.
        metadata (dict, optional): Container tags to write (e.g. ``comment``).
    """

    def __init__(self,
                 path,
                 fps,
                 codec='h264',
                 pix_fmt='yuv420p',
                 channel_order='rgb',
                 colorspace=0,
                 color_range=0,
                 options=None,
                 metadata=None):
        self.path, self.fps = path, Fraction(fps).limit_denominator(100000)
        self.format = container_format(path)
        self.encoder = choose_encoder(codec, self.format)
        self.pix_fmt = choose_pix_fmt(self.encoder, pix_fmt)
        self.channel_order = channel_order
        self.tags = (colorspace if colorspace not in (0, 2) else None, color_range or None)
        self.options = ENCODER_OPTIONS.get(self.encoder.name, {}) if options is None else options
        self.metadata = dict(metadata or {})
        self.frames, self._stack, self._container, self._stream = 0, ExitStack(), None, None

    def describe(self) -> str:
        """The codec, encoder, pixel format and settings, for a message."""
        settings = ', '.join(f'{k} {v}' for k, v in self.options.items() if k != 'x265-params')
        return (f'{self.encoder.canonical_name} ({self.encoder.name}), {self.pix_fmt}' +
                (f', {settings}' if settings else '') + f', {float(self.fps):g} fps')

    def _check_size(self, width, height):
        fmt = av.VideoFormat(self.pix_fmt)
        if (fmt.chroma_width(2) < 2 and width % 2) or (fmt.chroma_height(2) < 2 and height % 2):
            raise ValueError(f'{self.path}: frames of {width}x{height} pixels cannot be written '
                             f'as {self.pix_fmt}, whose chroma needs even sizes')

    def _open(self, width, height):
        if self.encoder.name == 'libx265' and min(width, height) < X265_MIN_SIDE:
            self.encoder = av.codec.Codec(FALLBACK_ENCODER, 'w')
            self.pix_fmt = choose_pix_fmt(self.encoder, self.pix_fmt)
            self.options = ENCODER_OPTIONS[FALLBACK_ENCODER]
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        file = self._stack.enter_context(atomic_output(self.path))
        self._container = self._stack.enter_context(av.open(file, 'w', format=self.format))
        self._container.metadata.update(self.metadata)
        stream = self._container.add_stream(
            self.encoder.name, rate=self.fps, options=dict(self.options))
        stream.width, stream.height, stream.pix_fmt = width, height, self.pix_fmt
        stream.codec_context.time_base = 1 / self.fps
        if self.tags[0] is not None:
            stream.codec_context.colorspace = self.tags[0]
        if self.tags[1] is not None:
            stream.codec_context.color_range = self.tags[1]
        self._stream = stream

    def write(self, pixels: np.ndarray, index: Optional[int] = None) -> None:
        """Encode one frame (grey, colour or colour + alpha, uint8 or uint16) at position
        ``index`` (default: after the previous one)."""
        if self._stream is None:
            self._check_size(pixels.shape[1], pixels.shape[0])
            self._open(pixels.shape[1], pixels.shape[0])
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(pixels), format=array_format(pixels, self.channel_order))
        frame = frame.reformat(
            format=self.pix_fmt, dst_colorspace=self.tags[0], dst_color_range=self.tags[1])
        frame.pts = self.frames if index is None else index
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and put the finished file in place (nothing if no frame came)."""
        if self._stream is not None:
            self._container.mux(self._stream.encode(None))
        self._stack.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._stack.__exit__(exc_type, exc, tb)
        return False
