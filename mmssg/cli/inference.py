# Copyright (c) mmssg contributors. All rights reserved.
"""Super-resolve real LR images with a trained generator; the segmentor is never built.

Usage: python tools/inference.py CONFIG CHECKPOINT INPUT OUTPUT [--tile 128 --tile-overlap 16]

INPUT is an image or a folder (searched recursively); OUTPUT is an image path (for a single
input) or a folder. Paths are compared as resolved real paths (links followed): the output
folder may not be the input folder or inside it, and no result may land on an input file.
Unreadable files are skipped and listed; the tool then exits with status 3 (EXIT_SKIPPED)
after writing every readable image. Other errors exit with status 1.

Decoding, super-resolving and PNG encoding overlap: ``--workers`` threads read the next
images and encode finished ones while the model works on the current one (OpenCV releases
the GIL while it decodes and encodes), with at most ``--workers`` images waiting on either
side. ``--workers 0`` does everything in turn in one thread. ``--dtype bf16`` runs the
generator under bf16 autocast (GPUs with bf16 support, or recent CPUs).
"""
import argparse
import os
import os.path as osp
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import torch
from tqdm import tqdm

from mmssg.apis import init_model, super_resolve
from mmssg.utils import (IMG_EXTENSIONS, exit_status, is_inside, list_images, run_tool,
                         write_image_atomic)
from mmssg.utils.cli import add_trust_argument, apply_trust

# What an SR result can be written as (PGM holds grey images only).
OUTPUT_EXTENSIONS = tuple(ext for ext in IMG_EXTENSIONS if ext != '.pgm')
DTYPES = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='SSG-RWSR inference on real LR images')
    parser.add_argument('config', help='the config the model was trained with')
    parser.add_argument('checkpoint', help='training or exported generator checkpoint')
    parser.add_argument('input', help='an image or a folder of images')
    parser.add_argument('output', help='output image (single input) or folder')
    parser.add_argument(
        '--tile',
        type=int,
        default=None,
        help='tile size in LR pixels for large frames (default: whole image)')
    parser.add_argument(
        '--tile-overlap',
        type=int,
        default=16,
        help='context around each tile in LR pixels (default: 16)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
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
    args = apply_trust(parser.parse_args(argv))
    if args.workers < 0:
        parser.error(f'--workers must be 0 or more, got {args.workers}')
    return args


def list_inputs(path):
    """The image files of INPUT (a file or a folder, recursively), sorted."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input {path} does not exist')
    files = [osp.join(path, name) for name in list_images(path)]
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {path}')
    return files


def output_paths(inputs, input_root, output, suffix):
    """Where each result goes; refuses to write into the input folder or over an input.

    Both checks use resolved real paths, so an output folder that is a link to the
    input folder (or a link to an input file) is refused like the folder itself.
    """
    single = osp.isfile(input_root)
    if single and output.lower().endswith(OUTPUT_EXTENSIONS):
        targets = [osp.abspath(output)]
    else:
        base = osp.dirname(osp.abspath(input_root)) if single else input_root
        if not single and is_inside(output, base):
            raise ValueError(f'output folder {output} is the input folder {input_root} or inside '
                             f'it (resolved: {osp.realpath(output)}); choose another one')
        targets = [
            osp.join(osp.abspath(output),
                     osp.splitext(osp.relpath(p, base))[0] + suffix + '.png')
            for p in map(osp.abspath, inputs)
        ]
    clashes = set(map(osp.realpath, inputs)) & set(map(osp.realpath, targets))
    if clashes:
        raise ValueError(f'refusing to overwrite input file(s): {sorted(clashes)}')
    return targets


class InlineExecutor:
    """An executor that runs each call at once, in the calling thread (``--workers 0``)."""

    def submit(self, fn, *args) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as error:  # delivered by future.result(), as a thread pool does
            future.set_exception(error)
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def write_image(path, image):
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    write_image_atomic(path, image)


def super_resolve_all(model, jobs, args, progress):
    """Super-resolve ``(src, dst)`` jobs with reads and writes overlapping the model.

    Returns:
        list[str]: The inputs that could not be read, in input order.
    """
    skipped, reads, writes = [], deque(), deque()
    pending = iter(jobs)
    executor = ThreadPoolExecutor(args.workers) if args.workers else InlineExecutor()
    with executor:

        def read_next():
            job = next(pending, None)
            if job is not None:
                reads.append((job, executor.submit(cv2.imread, job[0], cv2.IMREAD_COLOR)))

        for _ in range(max(args.workers, 1)):
            read_next()
        while reads:
            (src, dst), image = reads.popleft()
            read_next()
            bgr = image.result()
            if bgr is None:
                skipped.append(src)
            else:
                sr = super_resolve(
                    model,
                    bgr,
                    args.tile,
                    args.tile_overlap,
                    channel_order='bgr',
                    dtype=DTYPES[args.dtype])
                writes.append(executor.submit(write_image, dst, sr))
            while writes and (len(writes) > args.workers or writes[0].done()):
                writes.popleft().result()  # raises the error of a failed write
            progress.update()
        for write in writes:
            write.result()
    return skipped


def main(argv=None):
    """Super-resolve INPUT into OUTPUT; returns the exit status (3 if files were skipped)."""
    args = parse_args(argv)
    inputs = list_inputs(args.input)
    targets = output_paths(inputs, args.input, args.output, args.suffix)
    model = init_model(args.config, args.checkpoint, device=args.device)
    with tqdm(total=len(inputs), desc='super-resolving', unit='img') as progress:
        skipped = super_resolve_all(model, list(zip(inputs, targets)), args, progress)
    for path in skipped:
        print(f'skipped (unreadable): {path}')
    print(f'wrote {len(inputs) - len(skipped)} image(s) to {args.output}; '
          f'skipped {len(skipped)} unreadable file(s)')
    return exit_status(len(skipped))


if __name__ == '__main__':
    run_tool(main)
