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
import io
import os
import os.path as osp
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from fractions import Fraction
from typing import Callable, Iterator, List, NamedTuple, Optional, Tuple

import av
import numpy as np

from .files import atomic_output
from .parallel import InlineExecutor

#: Suffixes of the video files the tools read and write (case-insensitive).
VIDEO_EXTENSIONS = ('.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.mts', '.m2ts', '.ts', '.mpg',
                    '.mpeg', '.flv', '.3gp', '.wmv', '.asf')
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


class VideoResult(NamedTuple):
    """What :func:`map_video` did.

    Attributes:
        written (int): Frames written.
        positions (int): Frame positions of the input (decoded, unusable, or announced).
        skipped (list[tuple[int, str]]): ``(index, problem)`` of the unusable frames.
        encoding (str): The output's codec, pixel format and settings
            (:meth:`VideoWriter.describe`).
    """
    written: int
    positions: int
    skipped: List[Tuple[int, str]]
    encoding: str


def map_video(src: str,
              dst: str,
              fn: Callable[[np.ndarray, int], np.ndarray],
              workers: int = 2,
              progress: Optional[Callable[[], None]] = None,
              channel_order: str = 'bgr') -> VideoResult:
    """Write ``fn(frame, index)`` of every usable frame of ``src`` into the video ``dst``.

    ``dst`` keeps ``src``'s frame rate, each frame its position in time (a skipped frame
    leaves a gap, the others keep their timestamps), and ``src``'s codec family and pixel
    format where the wheel can encode them into ``dst``'s container (:class:`VideoWriter`).
    Decoding and encoding overlap ``fn``: with ``workers`` above 0, one thread decodes up
    to ``workers`` frames ahead and another encodes up to ``workers`` results behind
    (FFmpeg releases the GIL while it works); ``workers=0`` does all in turn.

    Args:
        src (str): The input video.
        dst (str): The output video, written in one step; not written if no frame is.
        fn (Callable): ``fn(pixels, index) -> pixels`` (:func:`read_video_frames`' layout).
        workers (int): Frames decoded ahead and encoded behind. Default: 2.
        progress (Callable, optional): Called once per frame position.
        channel_order (str): Of the arrays ``fn`` takes and gives. Default: 'bgr'.

    Returns:
        VideoResult: Frames written, positions, skipped frames and the encoding.
    """
    info = probe_video(src)
    frames = read_video_frames(src, channel_order)
    skipped, reads, writes, written, last = [], deque(), deque(), 0, -1
    with ExitStack() as stack:  # exits in reverse: the threads finish before the file does
        writer = stack.enter_context(
            VideoWriter(dst, info.fps, info.codec, info.pix_fmt, channel_order, info.colorspace,
                        info.color_range))
        reader, encoder = (
            stack.enter_context(ThreadPoolExecutor(1) if workers else InlineExecutor())
            for _ in range(2))
        for _ in range(max(workers, 1)):
            reads.append(reader.submit(next, frames, None))
        while reads:
            frame = reads.popleft().result()
            if frame is None:
                break
            reads.append(reader.submit(next, frames, None))
            last = frame.index
            if frame.problem:
                skipped.append((frame.index, frame.problem))
            else:
                writes.append(
                    encoder.submit(writer.write, fn(frame.pixels, frame.index), frame.index))
                written += 1
            while writes and (len(writes) > workers or writes[0].done()):
                writes.popleft().result()  # raises the error of a failed encode
            if progress is not None:
                progress()
        for write in writes:
            write.result()
    return VideoResult(written, max(info.frames or 0, last + 1), skipped, writer.describe())
