# Copyright (c) mmssg contributors. All rights reserved.
"""Frames from footage: the real-LR folder of your own camera, from a video or an image folder.

    python tools/data/extract_frames.py SRC OUT [--every N | --count N] [--min-change T]

SRC is a video file (any container and codec of FFmpeg's, read with PyAV:
:mod:`mmssg.utils.video`) or a folder of images (searched recursively, read with
:func:`mmssg.utils.images.decode_image`, the reader of every mmssg tool). OUT receives::

    OUT/<sequence>/<sequence>_<index:06d>.png
    OUT/summary.json

``<sequence>`` is the video's file stem, or an image's sub-folder relative to SRC with its
folders joined by ``__`` (SRC's own name for the images at its top); ``<index>`` is the
frame's position in the source: the frame's presentation time times the frame rate for a
video (so frames left out leave gaps, never shift names), the image's position in its
sub-folder's sorted listing for a folder. Frames are PNG with what they hold: colour (grey
stays grey), 8 bits, or 16 bits where the source has more than 8 (a 16-bit PNG, a 10-bit
video), alpha where the source has it (grey with alpha as colour with alpha, three equal
colour channels: OpenCV writes no grey + alpha PNG; a ``converted:`` line says so); a video's
display rotation is applied (upright).

Sampling: ``--every N`` keeps positions 0, N, 2N... of each sequence (default: every frame);
``--count N`` keeps the first readable frame at or after each of N positions evenly spaced
over the whole source. A sampled frame that is a near-duplicate of the previous kept frame
of its sequence is left out (``--min-change``, below) and listed as such.

``--min-change T``: the mean absolute difference of the two frames, grey, area-downscaled
to at most :data:`THUMBNAIL_SIZE` pixels on the long side, in 8-bit grey levels; a frame
changing less than T from the last kept one is a duplicate. The default, 1 grey level, sits
between what a standing camera gives and what moving gives. A stopped car's frames differ
by sensor noise and compression flicker, which the downscaling averages away: independent
noise of 4 grey levels on 1280x720 frames differs by 0.13 grey levels in the thumbnails
(0.23 when it is the same in the three channels); a one-pixel pan of a photograph at that
size changes them by 1.2, and the demo drive's moving frames
(:func:`mmssg.demo.make_demo_video`, two pixels a frame) by 17-19, its standing ones by 0.
The comparison is with the last *kept* frame, so a slow creep is kept once it adds up.
``--min-change 0`` keeps every sampled frame.

Refused, with the path named and nothing written: a SRC that does not exist, is neither a
folder nor a video file, is a video without frames or a folder without images; an OUT
that is SRC, lies inside SRC or holds it (resolved real paths), or holds a link that would
lead a frame into SRC or onto an input (:mod:`mmssg.cli.extract_frames_checks`); an OUT
that already holds files (a previous run) unless ``--overwrite``, which replaces the frames
that run wrote (listed in its summary) and leaves anything else. Nothing in SRC is written.

Unreadable images, images with transparency OpenCV does not read (a grey PNG with a
transparent value: a frame would lose it) and undecodable or corrupt frames (a truncated
video included) are named and skipped, the others written; the exit status is then 3. The
summary (:mod:`mmssg.utils.summary`, written last) lists them with the frames kept, the
duplicates left out, and for a video its codec, frame rate and frame count.
"""
import argparse
import math
import os
import os.path as osp
from collections import deque
from typing import NamedTuple, Optional

import cv2
import numpy as np
from tqdm import tqdm

from mmssg.cli.extract_frames_checks import TOOL, SourceGuard, check_paths, remove_stale
from mmssg.utils import (FOLDER_JOIN, IMG_EXTENSIONS, SUMMARY_NAME, finish, list_images, run_tool,
                         skipped_input, write_image_atomic, write_summary)
from mmssg.utils.images import decode_image
from mmssg.utils.video import (VIDEO_EXTENSIONS, count_video_frames, is_video_path, probe_video,
                               read_video_frames)

#: The default ``--min-change``, in 8-bit grey levels (module docstring).
DEFAULT_MIN_CHANGE = 1.0
#: The long side of the grey thumbnails the duplicate test compares, in pixels.
THUMBNAIL_SIZE = 64
#: What a ``converted:`` line adds for grey with alpha (:attr:`ImageData.grey`).
GREY_ALPHA_NOTE = ('stored as colour with alpha, three equal colour channels (OpenCV writes '
                   'no grey + alpha PNG)')


class Item(NamedTuple):
    """One position of the source, sampled or not.

    Attributes:
        sequence (str): Its sequence name.
        index (int): Its position in the sequence.
        file (str): How the summary names it (a path relative to SRC, ``clip.mp4 frame 12``).
        pixels (np.ndarray | None): BGR(A) or grey pixels; None when not sampled or unusable.
        problem (str): Empty, or why it is unusable.
        note (str): Empty, or what reading converted.
    """
    sequence: str
    index: int
    file: str
    pixels: Optional[np.ndarray]
    problem: str = ''
    note: str = ''


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Sample the frames of a video or an image folder into the real-LR folder '
        'of the own-camera pipeline')
    parser.add_argument('src', help='a video file, or a folder of images (searched recursively)')
    parser.add_argument('out', help='output folder: OUT/<sequence>/<sequence>_<index>.png')
    sampling = parser.add_mutually_exclusive_group()
    sampling.add_argument(
        '--every', type=int, default=1, help='keep every Nth frame of each sequence (default: 1)')
    sampling.add_argument(
        '--count', type=int, default=None, help='keep N frames evenly spaced over the source')
    parser.add_argument(
        '--min-change',
        type=float,
        default=DEFAULT_MIN_CHANGE,
        help='leave out a frame whose mean absolute difference from the last kept one '
        f'(grey, {THUMBNAIL_SIZE}-pixel thumbnails, 8-bit levels) is below this '
        f'(default: {DEFAULT_MIN_CHANGE:g}; 0 keeps every sampled frame)')
    parser.add_argument(
        '--overwrite', action='store_true', help="replace a previous run's frames in OUT")
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    for name in ('every', 'count'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name} must be 1 or more, got {value}')
    if not math.isfinite(args.min_change) or args.min_change < 0:
        parser.error(f'--min-change must be a finite number, 0 or more, got {args.min_change}')
    return args


class Sampler:
    """``sampler(index, position) -> bool``: whether a source position is sampled, called
    once per position, in order, for positions that give a frame (a video's decodable ones).
    :meth:`due` and :meth:`take` split it where reading can fail after sampling (an image):
    ``--count`` then samples the next position until one is read.

    Args:
        every (int): Keep indices 0, N, 2N... of each sequence (when ``count`` is None).
        count (int, optional): Keep the first position at or after each of ``count``
            positions evenly spaced over ``total``.
        total (int): Positions in the whole source.
    """

    def __init__(self, every, count, total):
        self.every, self.targets = every, None
        if count is not None:
            spaced = np.round(np.linspace(0, max(total - 1, 0), count)).astype(int)
            self.targets = deque(sorted(set(spaced.tolist())))

    def __call__(self, index, position):
        sampled = self.due(index, position)
        self.take(position)
        return sampled

    def due(self, index, position):
        """Whether a position is sampled (nothing is marked reached)."""
        if self.targets is None:
            return index % self.every == 0
        return bool(self.targets) and self.targets[0] <= position

    def take(self, position):
        """Mark the ``--count`` positions up to ``position`` reached: it gave a frame."""
        while self.targets and self.targets[0] <= position:
            self.targets.popleft()


class VideoSource:
    """A video file as one sequence named after its stem.

    Raises:
        FileNotFoundError, ValueError: The file cannot be read as a video, or holds no frames.
    """
    kind = 'video'

    def __init__(self, path):
        self.path, self.info = path, probe_video(path)
        self.total = self.info.frames if self.info.exact else count_video_frames(path)
        if not self.total:
            raise ValueError(f'{path}: the video holds no frames')
        # frames a truncated file lost count too: the header announced them
        self.positions = max(self.total, self.info.frames or 0)
        self.sequence = osp.splitext(osp.basename(path))[0]
        self.names, self.inputs = [self.sequence], [path]

    def items(self, sampler):
        name = osp.basename(self.path)
        for frame in read_video_frames(self.path, 'bgr', lambda index: sampler(index, index)):
            yield Item(self.sequence, frame.index, f'{name} frame {frame.index}', frame.pixels,
                       frame.problem)

    def description(self):
        info = self.info
        return dict(
            codec=info.codec,
            pix_fmt=info.pix_fmt,
            width=info.width,
            height=info.height,
            fps=float(info.fps),
            fps_fraction=str(info.fps),
            frame_count=self.positions)


class FolderSource:
    """A folder of images, one sequence per sub-folder (module docstring).

    Raises:
        FileNotFoundError: The folder holds no image.
    """
    kind = 'images'

    def __init__(self, path):
        self.path, rels = path, list_images(path)
        if not rels:
            raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {path}')
        own = osp.basename(osp.normpath(osp.abspath(path)))
        self.sequences = {}
        for rel in rels:
            folder = osp.dirname(rel)
            name = FOLDER_JOIN.join(folder.split(os.sep)) if folder else own
            self.sequences.setdefault(name, []).append(rel)
        self.total = self.positions = len(rels)
        self.names, self.inputs = list(self.sequences), [osp.join(path, rel) for rel in rels]

    def items(self, sampler):
        position = 0
        for sequence, rels in self.sequences.items():
            for index, rel in enumerate(rels):
                item = Item(sequence, index, rel, None)
                if sampler.due(index, position):
                    item = self.read(sequence, index, rel)
                    if not item.problem:  # else the next image is sampled instead
                        sampler.take(position)
                position += 1
                yield item

    def read(self, sequence, index, rel):
        """The :class:`Item` of a sampled image: its pixels, or why it is skipped."""
        try:
            image = decode_image(osp.join(self.path, rel), 'bgr')
        except (OSError, ValueError) as error:
            return Item(sequence, index, rel, None, f'unreadable ({error})')
        if image.dropped:
            return Item(sequence, index, rel, None,
                        f'{image.dropped}: a frame would lose it; save it as an RGBA PNG')
        note = '; '.join(
            text for text in (image.converted, GREY_ALPHA_NOTE if image.grey else '') if text)
        return Item(sequence, index, rel, image.pixels, '', note)

    def description(self):
        return dict(sequences={name: len(rels) for name, rels in self.sequences.items()})


def open_source(src):
    """The :class:`VideoSource` or :class:`FolderSource` of SRC; errors name it."""
    if osp.isdir(src):
        return FolderSource(src)
    if not osp.exists(src):
        raise FileNotFoundError(f'SRC not found: {src}')
    if not is_video_path(src):
        kind = 'an image' if src.lower().endswith(IMG_EXTENSIONS) else 'not a video file'
        raise ValueError(f'SRC {src} is {kind}: give a video ({", ".join(VIDEO_EXTENSIONS)}) '
                         'or a folder of images')
    return VideoSource(src)


def thumbnail(pixels):
    """The grey thumbnail the duplicate test compares, float32 on the 8-bit scale."""
    grey = pixels.astype(np.float32)
    if pixels.dtype == np.uint16:
        grey *= 255 / 65535
    if grey.ndim == 3:
        grey = grey[..., :3].mean(axis=2)
    height, width = grey.shape
    factor = max(height, width) / THUMBNAIL_SIZE
    if factor > 1:
        size = (max(1, round(width / factor)), max(1, round(height / factor)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return grey


def change(thumb, previous):
    """Mean absolute difference of two thumbnails; infinite when there is no previous one
    or their sizes differ."""
    if previous is None or previous.shape != thumb.shape:
        return float('inf')
    return float(np.abs(thumb - previous).mean())


def frame_name(sequence, index):
    """``<sequence>/<sequence>_<index:06d>.png``, relative to OUT."""
    return f'{sequence}/{sequence}_{index:06d}.png'


class Extraction:
    """What a run found, wrote and left out; :meth:`take` handles one source position.

    Args:
        out (str): OUT.
        min_change (float): ``--min-change``.
        guard (SourceGuard): Refuses a frame path that resolves into SRC.
    """

    def __init__(self, out, min_change, guard):
        self.out, self.min_change, self.guard = out, min_change, guard
        self.found = self.read = 0
        self.written, self.skipped, self.duplicates, self.converted = [], [], [], []
        self.last = {}  # sequence -> (thumbnail, name) of its last kept frame

    def take(self, item):
        self.found += 1
        if item.problem:
            self.skipped.append(skipped_input(item.file, item.problem))
            return
        if item.pixels is None:
            return
        self.read += 1
        name = frame_name(item.sequence, item.index)
        thumb = thumbnail(item.pixels)
        previous, previous_name = self.last.get(item.sequence, (None, None))
        difference = change(thumb, previous)
        if difference < self.min_change:
            self.duplicates.append(dict(frame=name, change=round(difference, 3), of=previous_name))
            return
        path = osp.join(self.out, name)
        self.guard.check(path)
        os.makedirs(osp.dirname(path), exist_ok=True)
        write_image_atomic(path, item.pixels)
        self.written.append(name)
        self.last[item.sequence] = (thumb, name)
        if item.note:
            self.converted.append(dict(file=item.file, note=item.note))


def extract(source, args, progress, guard):
    """Sample, deduplicate and write the frames of a source (:class:`Extraction`)."""
    extraction = Extraction(args.out, args.min_change, guard)
    sampler = Sampler(args.every, args.count, source.total)
    for item in source.items(sampler):
        extraction.take(item)
        progress.update()
    # a truncated video's missing tail is one entry for several positions
    extraction.found = max(extraction.found, source.positions)
    return extraction


def save_summary(source, args, extraction):
    """Write OUT/summary.json (the common fields, then this tool's own)."""
    parameters = dict(
        every=None if args.count else args.every,
        count=args.count,
        min_change=args.min_change,
        thumbnail_size=THUMBNAIL_SIZE)
    return write_summary(
        args.out,
        args.src,
        extraction.found,
        extraction.read,
        extraction.skipped,
        parameters,
        tool=TOOL,
        source_kind=source.kind,
        source=source.description(),
        frames_kept=len(extraction.written),
        duplicates_skipped=len(extraction.duplicates),
        duplicates=extraction.duplicates,
        converted=extraction.converted,
        frames=extraction.written)


def main(argv=None):
    """Extract the frames of SRC into OUT; returns the exit status (3 if frames were skipped)."""
    args = parse_args(argv)
    source = open_source(args.src)
    previous = check_paths(args.src, args.out, args.overwrite)
    guard = SourceGuard(args.src, source.inputs)
    guard.check_links(args.out, source.names)
    with tqdm(
            total=source.total, desc='extracting', unit='frame',
            disable=args.no_progress) as progress:
        extraction = extract(source, args, progress, guard)
    remove_stale(args.out, previous, extraction.written, guard)
    save_summary(source, args, extraction)
    for item in extraction.converted:
        print(f'converted: {item["file"]}: {item["note"]}')
    summary_path = osp.join(args.out, SUMMARY_NAME)
    return finish(
        f'wrote {len(extraction.written)} frame(s) to {args.out}, left out '
        f'{len(extraction.duplicates)} near-duplicate(s) (--min-change {args.min_change:g})',
        extraction.skipped, summary_path)


if __name__ == '__main__':
    run_tool(main)
