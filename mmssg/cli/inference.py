# Copyright (c) mmssg contributors. All rights reserved.
"""Super-resolve real LR images with a trained generator; the segmentor is never built.

Usage: python tools/inference.py CONFIG CHECKPOINT INPUT OUTPUT [--tile 256 --ext auto]

INPUT is an image, a folder of images (searched recursively) or a video file; OUTPUT is an
image path (for a single image), a video path (for a video) or a folder. Paths are compared
as resolved real paths (links followed): the output folder may not be the input folder or
inside it, no result may land on an input file, and no two inputs may share a result
(``a.png`` and ``a.jpg`` with ``--ext png``).

Nothing an image holds is lost. Images are read by :func:`mmssg.utils.images.decode_image`,
the reader of every mmssg tool (EXIF orientation applied as in the training and test
pipelines), and :func:`mmssg.apis.super_resolve` keeps their layout: a grey image gives a
grey result (grey with alpha too, stored as it was read: colour with alpha, three equal
colour channels), an alpha channel is upscaled (bilinear) and kept, a 16-bit image gives a
16-bit result computed at full precision. Palette, CMYK and 1-bit images are converted to what
they hold (colour, with alpha where they have transparency; grey) and named in a
``converted:`` line. ``--ext auto`` (the default) writes each result in its input's format
(same suffix) where that format holds it, else as PNG (named in a ``converted:`` line);
``--ext png`` or ``--ext jpg`` writes every result in that format, and an input whose result
it cannot hold (a JPEG holds neither alpha nor 16 bits) is skipped and named with the reason,
never written lossily. Results carry no EXIF orientation: they are stored upright.

Defaults: ``--device`` is ``cuda`` when PyTorch sees a GPU, else ``cpu``; ``--tile`` and
``--tile-overlap`` are the config's ``model.test_cfg.tile`` / ``tile_overlap`` (the setting
evaluation uses; whole frames and 16 when the config has none), ``--tile 0`` runs whole
frames. A frame cut in :data:`MIN_TILES_FOR_BAR` tiles or more shows a bar over its tiles.
A CUDA out-of-memory error stops the tool with one line naming the image, the tile size
that failed and ``--tile`` as the fix. ``--outscale S`` resizes each x4 result to S times
its input (Lanczos, as Real-ESRGAN's ``--outscale``).

Unreadable files (named with why: corrupt, float samples, several frames in one file),
inputs whose result the chosen format cannot hold, and files whose transparency OpenCV
cannot read (a grey PNG with a transparent value) are skipped and listed; the tool then
exits with status 3 (EXIT_SKIPPED) after writing every other image. Other errors exit with
status 1.

Decoding, super-resolving and encoding overlap: ``--workers`` threads read the next
images and encode finished ones while the model works on the current one (OpenCV releases
the GIL while it decodes and encodes), with at most ``--workers`` images waiting on either
side. ``--workers 0`` does everything in turn in one thread. ``--dtype bf16`` runs the
generator under bf16 autocast (GPUs with bf16 support, or recent CPUs).

A video (a suffix of :data:`~mmssg.utils.video.VIDEO_EXTENSIONS`) gives a video: OUTPUT, or
``OUTPUT/<stem><suffix><its suffix>`` when OUTPUT is a folder, never the input itself
(resolved real paths). Its frames are decoded by :mod:`mmssg.utils.video` (upright, 8 bits,
or 16 where the stream has more) and super-resolved one by one as images are, with the same
tiles, ``--dtype`` and ``--outscale``, one thread decoding and another encoding up to
``--workers`` frames ahead and behind; the bar counts frames. The result has the input's
frame rate, each frame its input's timestamp, and the input's codec family and pixel format
where PyAV's wheel encodes them into OUTPUT's container (``h264`` -> ``libx264`` at CRF 18,
``ffv1`` stays lossless...), else H.264 (:func:`~mmssg.utils.video.choose_encoder`). The
audio track is not copied. A frame the decoder refuses or flags corrupt, and frames missing
from a truncated file, are skipped and named: the result then has that many frames fewer
(its last line says so; the kept frames keep their times) and the tool exits with status 3.
"""
import argparse
import os
import os.path as osp
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import torch
from tqdm import tqdm

from mmssg.apis import init_model, super_resolve
from mmssg.cli.inference_outputs import (OUTPUT_EXTENSIONS, list_inputs, names_a_file, output_paths,
                                         result_path)
from mmssg.utils import exit_status, run_tool, write_image_atomic
from mmssg.utils.cli import add_trust_argument, apply_trust
from mmssg.utils.images import decode_image
from mmssg.utils.parallel import InlineExecutor
from mmssg.utils.video import VIDEO_EXTENSIONS, is_video_path, map_video, probe_video

DTYPES = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}
#: A frame cut in at least this many tiles shows a progress bar over its tiles.
MIN_TILES_FOR_BAR = 4
#: How the reason of a file that could not be read begins.
UNREADABLE = 'unreadable'


def default_device():
    """``'cuda'`` when PyTorch sees a GPU, else ``'cpu'``."""
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='SSG-RWSR inference on real LR images')
    parser.add_argument('config', help='the config the model was trained with')
    parser.add_argument('checkpoint', help='training or exported generator checkpoint')
    parser.add_argument('input', help='an image, a folder of images, or a video')
    parser.add_argument('output', help='output image (single image), video (a video) or folder')
    parser.add_argument(
        '--tile',
        type=int,
        default=None,
        help="tile size in LR pixels (default: the config's model.test_cfg.tile, the "
        'setting evaluation uses; 0: whole frames)')
    parser.add_argument(
        '--tile-overlap',
        type=int,
        default=None,
        help="context around each tile in LR pixels (default: the config's "
        'model.test_cfg.tile_overlap, else 16)')
    parser.add_argument(
        '--device',
        default=default_device(),
        help='cpu or cuda[:N] (default: cuda when a GPU is available, else cpu)')
    parser.add_argument(
        '--ext',
        default='auto',
        choices=['auto', 'png', 'jpg'],
        help="format of the results (default: auto, each input's own format where it holds "
        'the result, else PNG)')
    parser.add_argument(
        '--outscale',
        type=float,
        default=None,
        help="resize each result to this many times its input's size (Lanczos; default: "
        "the network's scale, 4)")
    parser.add_argument('--suffix', default='', help='appended to output file names')
    parser.add_argument(
        '--dtype',
        default='fp32',
        choices=sorted(DTYPES),
        help='precision of the generator (autocast for bf16/fp16)')
    parser.add_argument(
        '--workers',
        type=int,
        default=2,
        help='threads that decode inputs and encode results while the model '
        'runs (default: 2; 0: everything in turn, in one thread)')
    add_trust_argument(parser)
    # set by main when OUTPUT names the result file of a single input: its format is kept
    parser.set_defaults(named_output=False)
    args = apply_trust(parser.parse_args(argv))
    for name in ('workers', 'tile', 'tile_overlap'):
        value = getattr(args, name)
        if value is not None and value < 0:
            parser.error(f'--{name.replace("_", "-")} must be 0 or more, got {value}')
    if args.outscale is not None and not args.outscale > 0:
        parser.error(f'--outscale must be positive, got {args.outscale}')
    return args


def tiling(args, test_cfg):
    """``(tile, overlap, where from)``: the command line's, else the config's ``test_cfg``.

    Args:
        args (Namespace): The parsed command line (``tile``, ``tile_overlap``).
        test_cfg (dict | None): The model's ``test_cfg``.

    Returns:
        tuple: The tile size in LR pixels (None: whole frames), the overlap, and a phrase
        saying where they come from.
    """
    test_cfg = test_cfg or {}
    tile = test_cfg.get('tile') if args.tile is None else args.tile
    overlap = test_cfg.get('tile_overlap', 16) if args.tile_overlap is None else args.tile_overlap
    from_config = [name for name in ('tile', 'tile_overlap') if getattr(args, name) is None]
    origin = (f"{' and '.join(from_config)} from the config's model.test_cfg"
              if from_config else 'from the command line')
    return (tile or None), overlap, origin


def oom_message(src, shape, tile):
    """The one line that turns a CUDA out-of-memory error into its fix."""
    height, width = shape[:2]
    if tile is None:
        how, smaller = 'as a whole frame', min(256, max(max(height, width) // 2, 8))
    else:
        how, smaller = f'in tiles of {tile} LR pixels (--tile {tile})', max(tile // 2, 8)
    return (f'CUDA out of memory super-resolving {src} ({width}x{height} LR pixels) {how}; '
            f'pass a smaller --tile, e.g. --tile {smaller}')


class TileBar:
    """``progress(done, total)`` of one frame: a bar over its tiles, shown when the frame is
    cut in :data:`MIN_TILES_FOR_BAR` tiles or more.

    Args:
        name (str): The bar's label (the image's file name).
    """

    def __init__(self, name):
        self.name, self.bar = name, None

    def __call__(self, done, total):
        if total < MIN_TILES_FOR_BAR:
            return
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.name, unit='tile', leave=False)
        self.bar.update(done - self.bar.n)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.close()
        return False


def write_image(path, image):
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    write_image_atomic(path, image)


def super_resolve_one(model, src, image, args, tiles):
    """The result of one decoded image (BGR(A) pixels), in its layout and sample type.

    Raises:
        RuntimeError: CUDA ran out of memory; the message names ``--tile`` as the fix.
    """
    tile, overlap, _ = tiles
    with TileBar(osp.basename(src)) as bar:
        try:
            return super_resolve(model, image, tile, overlap, bar, 'bgr', DTYPES[args.dtype],
                                 args.outscale)
        except torch.cuda.OutOfMemoryError as error:
            raise RuntimeError(oom_message(src, image.shape, tile)) from error


def decoded(read, src):
    """``(ImageData, '')`` of a read of ``src``, or ``(None, 'unreadable: why')``."""
    try:
        return read.result(), ''
    except (OSError, ValueError) as error:
        why = str(error)
        return None, f'{UNREADABLE}: {why[len(src) + 2:] if why.startswith(src + ": ") else why}'


def as_stored(sr):
    """A result as its file stores it: grey with alpha as colour with alpha (three equal
    colour channels), which is how the input was read; OpenCV writes no two-channel image."""
    return sr[..., [0, 0, 0, 1]] if sr.ndim == 3 and sr.shape[2] == 2 else sr


def super_resolve_all(model, jobs, args, progress, notes=None):
    """Super-resolve ``(src, dst)`` jobs with reads and writes overlapping the model.

    Args:
        model (nn.Module): A model from :func:`init_model`.
        jobs (list[tuple[str, str]]): Input files and their planned result paths.
        args (Namespace): The parsed command line.
        progress (tqdm): Updated once per input.
        notes (list, optional): Receives ``(src, note)`` for each input whose pixels were
            converted or whose result went to a PNG instead.

    Returns:
        list[tuple[str, str]]: ``(input, reason)`` of the inputs skipped (``'unreadable: '``
        and why, or what the result's format cannot hold), in input order.
    """
    notes = [] if notes is None else notes
    tiles = tiling(args, getattr(model, 'test_cfg', None))
    taken = {osp.realpath(path) for job in jobs for path in job}
    skipped, reads, writes = [], deque(), deque()
    pending = iter(jobs)
    executor = ThreadPoolExecutor(args.workers) if args.workers else InlineExecutor()
    with executor:

        def read_next():
            job = next(pending, None)
            if job is not None:
                reads.append((job, executor.submit(decode_image, job[0], 'bgr')))

        for _ in range(max(args.workers, 1)):
            read_next()
        while reads:
            (src, dst), read = reads.popleft()
            read_next()
            image, why = decoded(read, src)
            dst, note = (None, why) if image is None else result_path(dst, image, args, taken)
            if dst is None:
                skipped.append((src, note))
            else:
                notes += [(src, text) for text in (image.converted, note) if text]
                # grey with alpha runs as grey, so that its result is grey too
                pixels = image.pixels[..., [0, 3]] if image.grey else image.pixels
                sr = super_resolve_one(model, src, pixels, args, tiles)
                writes.append(executor.submit(write_image, dst, as_stored(sr)))
            while writes and (len(writes) > args.workers or writes[0].done()):
                writes.popleft().result()  # raises the error of a failed write
            progress.update()
        for write in writes:
            write.result()
    return skipped


def video_output(args):
    """Where the result of a video INPUT goes (module docstring); refuses the input itself
    and options that are for images."""
    if args.ext != 'auto':
        raise ValueError(f'--ext {args.ext} is for images; the result of the video {args.input} '
                         'is a video: leave --ext out')
    stem, suffix = osp.splitext(osp.basename(args.input))
    if is_video_path(args.output):
        dst = args.output
    elif args.output.lower().endswith(OUTPUT_EXTENSIONS):
        raise ValueError(f'OUTPUT {args.output} names an image, but INPUT {args.input} is a '
                         f'video: name a video file ({", ".join(VIDEO_EXTENSIONS)}) or a folder')
    else:
        dst = osp.join(args.output, stem + args.suffix + suffix)
    if osp.realpath(dst) == osp.realpath(args.input):
        raise ValueError(f'refusing to overwrite the input video {args.input} (the result '
                         f'would be {osp.realpath(dst)}); choose another OUTPUT')
    return dst


def super_resolve_video(model, args, dst):
    """Super-resolve the video INPUT into ``dst`` frame by frame; returns the exit status."""
    tiles = tiling(args, model.test_cfg)
    name = osp.basename(args.input)

    def frame_result(pixels, index):
        return super_resolve_one(model, f'{name} frame {index}', pixels, args, tiles)

    total = probe_video(args.input).frames
    with tqdm(total=total, desc='super-resolving', unit='frame') as progress:
        result = map_video(args.input, dst, frame_result, args.workers, progress.update)
    if not result.written and not result.skipped:
        raise ValueError(f'{args.input}: the video holds no frames')
    for index, problem in result.skipped:
        print(f'skipped ({problem}): {args.input} frame {index}')
    if not result.written:
        print(f'no frame of {args.input} could be read: nothing written to {dst}; skipped '
              f'{len(result.skipped)} unreadable frame(s)')
        return exit_status(len(result.skipped))
    print(f'encoded: {result.encoding}')
    fewer = result.positions - result.written
    print(f'wrote {result.written} frame(s) to {dst}; skipped {len(result.skipped)} unreadable '
          'frame(s)' + (f': the result has {fewer} frame(s) fewer than the input\'s '
                        f'{result.positions}, each kept frame at its own time' if fewer else ''))
    return exit_status(len(result.skipped))


def load_model(args):
    """The model of CONFIG and CHECKPOINT on ``--device``; prints the device and the tiling."""
    model = init_model(args.config, args.checkpoint, device=args.device)
    tile, overlap, origin = tiling(args, model.test_cfg)
    how = f'in tiles of {tile} LR pixels, {overlap} of overlap' if tile else 'whole frames'
    print(f'super-resolving on {args.device}, {how} ({origin})')
    return model


def main(argv=None):
    """Super-resolve INPUT into OUTPUT; returns the exit status (3 if inputs were skipped)."""
    args = parse_args(argv)
    if osp.isfile(args.input) and is_video_path(args.input):
        dst = video_output(args)
        probe_video(args.input)  # a file that is no video stops here, naming it
        return super_resolve_video(load_model(args), args, dst)
    inputs = list_inputs(args.input)
    targets = output_paths(inputs, args.input, args.output, args.suffix, args.ext)
    args.named_output = names_a_file(args.input, args.output)
    model = load_model(args)
    notes = []
    with tqdm(total=len(inputs), desc='super-resolving', unit='img') as progress:
        skipped = super_resolve_all(model, list(zip(inputs, targets)), args, progress, notes)
    for src, note in notes:
        print(f'converted: {src}: {note}')
    for src, reason in skipped:
        print(f'skipped ({reason}): {src}')
    unreadable = sum(reason.startswith(UNREADABLE) for _, reason in skipped)
    unheld_count = len(skipped) - unreadable
    print(f'wrote {len(inputs) - len(skipped)} image(s) to {args.output}; skipped {unreadable} '
          'unreadable file(s)' + (f' and {unheld_count} whose result the output format cannot '
                                  'hold' if unheld_count else ''))
    return exit_status(len(skipped))


if __name__ == '__main__':
    run_tool(main)
