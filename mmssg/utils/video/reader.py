# Copyright (c) mmssg contributors. All rights reserved.
"""Reading video files: probing their header and decoding their frames (package docstring)."""
import os.path as osp
from fractions import Fraction
from typing import Callable, Iterator, NamedTuple, Optional

import av
import numpy as np

#: Suffixes of the video files the tools read and write (case-insensitive).
VIDEO_EXTENSIONS = ('.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.mts', '.m2ts', '.ts', '.mpg',
                    '.mpeg', '.flv', '.3gp', '.wmv', '.asf')


class VideoInfo(NamedTuple):
    """What a video's header says about its (first) video stream.

    Attributes:
        path (str): The file.
        codec (str): The codec's name, e.g. ``'h264'``.
        pix_fmt (str): The decoder's pixel format, e.g. ``'yuv420p'``.
        width (int): Frame width as stored (before a display rotation).
        height (int): Frame height as stored.
        fps (Fraction): The average frame rate.
        frames (int | None): The frame count the header announces (the container's count,
            else the stream's duration times ``fps``); None when it says neither.
        exact (bool): Whether ``frames`` is the container's own count.
        layout (str): The pixel format frames are converted to (:func:`frame_layout`).
        colorspace (int): The stream's colourspace tag (FFmpeg's value).
        color_range (int): The stream's range tag (1 limited, 2 full, 0 unspecified).
    """
    path: str
    codec: str
    pix_fmt: str
    width: int
    height: int
    fps: Fraction
    frames: Optional[int]
    exact: bool
    layout: str
    colorspace: int
    color_range: int


class DecodedFrame(NamedTuple):
    """One frame of :func:`read_video_frames`.

    Attributes:
        index (int): Its position in the source (the first missing one for a range).
        pixels (np.ndarray | None): ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``, uint8 or
            uint16, upright; None for a frame not asked for or unusable.
        problem (str): Empty, or why the frame (or, from ``index`` on, the rest) is unusable.
    """
    index: int
    pixels: Optional[np.ndarray]
    problem: str


def is_video_path(path: str) -> bool:
    """Whether ``path`` has a video suffix (:data:`VIDEO_EXTENSIONS`)."""
    return path.lower().endswith(VIDEO_EXTENSIONS)


def frame_layout(pix_fmt: str) -> str:
    """The pixel format a stream's frames are converted to: what they hold, nothing less.

    ``gray``/``gray16le`` for grey streams, ``rgba``/``rgba64le`` for streams with alpha,
    else ``rgb24``/``rgb48le``; the 16-bit ones for samples of more than 8 bits.
    """
    fmt = av.VideoFormat(pix_fmt)
    deep = max(c.bits for c in fmt.components) > 8
    if any(c.is_alpha for c in fmt.components):
        return 'rgba64le' if deep else 'rgba'
    if len(fmt.components) == 1 and not fmt.has_palette:
        return 'gray16le' if deep else 'gray'
    return 'rgb48le' if deep else 'rgb24'


def open_video(path: str):
    """``av.open(path)`` with its first video stream; errors name the file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: It is not a video PyAV can read, or holds no video stream.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'video not found (or not a file): {path}')
    try:
        container = av.open(path)
    except av.FFmpegError as error:
        raise ValueError(f'{path}: not a video file FFmpeg can read ({error})') from error
    if not container.streams.video:
        container.close()
        raise ValueError(f'{path}: holds no video stream')
    return container, container.streams.video[0]


def announced_frames(stream, fps: Fraction):
    """``(frames, exact)``: the container's frame count, else the stream's duration times
    ``fps`` (a Matroska ``DURATION`` tag included); ``(None, False)`` when neither is known."""
    if stream.frames:
        return int(stream.frames), True
    seconds = None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif 'DURATION' in (stream.metadata or {}):
        hours, minutes, secs = stream.metadata['DURATION'].split(':')
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    if seconds is None or not fps:
        return None, False
    return int(round(seconds * fps)), False


def video_metadata(path: str) -> dict:
    """The container's tags of a video (``{}`` for a file FFmpeg cannot open)."""
    try:
        with av.open(path) as container:
            return dict(container.metadata)
    except av.FFmpegError:
        return {}


def probe_video(path: str) -> VideoInfo:
    """Read a video's header (:class:`VideoInfo`); errors as :func:`open_video`."""
    container, stream = open_video(path)
    with container:
        ctx = stream.codec_context
        fps = Fraction(stream.average_rate or stream.guessed_rate or 0)
        frames, exact = announced_frames(stream, fps)
        pix_fmt = ctx.pix_fmt or 'yuv420p'
        return VideoInfo(path, ctx.codec.canonical_name, pix_fmt, ctx.width, ctx.height, fps,
                         frames, exact, frame_layout(pix_fmt), int(ctx.colorspace),
                         int(ctx.color_range))


def count_video_frames(path: str) -> int:
    """The frames of a video, counted from its packets (demuxed, not decoded): exact where
    the header's count is missing or only a duration. A container unreadable from some
    point on is counted up to there."""
    container, stream = open_video(path)
    count = 0
    with container:
        try:
            for packet in container.demux(stream):
                count += bool(packet.size)
        except av.FFmpegError:
            pass  # read_video_frames names the point where reading stops
    return count


def upright(pixels: np.ndarray, rotation) -> np.ndarray:
    """A frame turned by its display rotation (degrees counter-clockwise, as FFmpeg's
    display matrix gives it), C-contiguous."""
    quarter_turns = int(round((rotation or 0) / 90)) % 4
    return np.ascontiguousarray(np.rot90(pixels, quarter_turns) if quarter_turns else pixels)


def frame_pixels(frame, layout: str, channel_order: str) -> np.ndarray:
    """A decoded frame as an upright array in ``layout``, colour in ``channel_order``."""
    pixels = frame.to_ndarray(
        format=layout, src_color_range=frame.color_range or None, channel_last=True)
    if pixels.ndim == 3 and channel_order == 'bgr':
        pixels = np.concatenate([pixels[..., 2::-1], pixels[..., 3:]], axis=2)
    return upright(pixels, frame.rotation)


class _Positions:
    """The index of each frame from its presentation time (module docstring)."""

    def __init__(self, stream, fps):
        self.start = stream.start_time
        self.time_base, self.fps = stream.time_base, fps
        self.last = -1

    def __call__(self, pts):
        index = self.last + 1
        if pts is not None and self.time_base and self.fps:
            start = self.start if self.start is not None else 0
            index = max(index, int(round((pts - start) * self.time_base * self.fps)))
        self.last = index
        return index


def _decoded(packet, positions, layout, channel_order, wanted):
    """The :class:`DecodedFrame` entries one packet (None: flushing) gives."""
    try:
        frames = packet.decode()
    except av.FFmpegError as error:
        return [DecodedFrame(positions(packet.pts), None, f'undecodable ({error})')]
    entries = []
    for frame in frames:
        index = positions(frame.pts)
        if frame.is_corrupt:
            entries.append(DecodedFrame(index, None, 'flagged corrupt by the decoder'))
        elif wanted is None or wanted(index):
            entries.append(DecodedFrame(index, frame_pixels(frame, layout, channel_order), ''))
        else:
            entries.append(DecodedFrame(index, None, ''))
    return entries


def read_video_frames(path: str,
                      channel_order: str = 'rgb',
                      wanted: Optional[Callable[[int], bool]] = None) -> Iterator[DecodedFrame]:
    """Decode a video's frames in order, with every problem as a frame (module docstring).

    Args:
        path (str): The video file.
        channel_order (str): ``'rgb'`` or ``'bgr'`` (alpha stays last). Default: 'rgb'.
        wanted (Callable, optional): ``wanted(index)``: whether to convert that frame's
            pixels (the others come with ``pixels=None``; every frame is decoded, as inter
            frames need their references). Default: every frame.

    Yields:
        DecodedFrame: In presentation order.

    Raises:
        FileNotFoundError, ValueError: As :func:`open_video`.
    """
    info = probe_video(path)
    container, stream = open_video(path)
    positions = _Positions(stream, info.fps)
    with container:
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as error:
                yield DecodedFrame(positions.last + 1, None,
                                   f'this frame and the rest of the file unreadable ({error})')
                return
            yield from _decoded(packet, positions, info.layout, channel_order, wanted)
    missing = (info.frames or 0) - (positions.last + 1)
    if missing >= (1 if info.exact else 2):  # a duration-based count may be one off
        yield DecodedFrame(
            positions.last + 1, None,
            f'frames {positions.last + 1}-{info.frames - 1} missing: the file ends before the '
            f'{info.frames} frames its header announces (truncated?)')
