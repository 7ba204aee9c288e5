# Copyright (c) mmssg contributors. All rights reserved.
"""A video frame by frame through a function: decode, map and encode overlapping."""
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Callable, List, NamedTuple, Optional, Tuple

import numpy as np

from ..parallel import InlineExecutor
from .reader import probe_video, read_video_frames
from .writer import VideoWriter


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
