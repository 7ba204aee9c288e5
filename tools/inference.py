# Copyright (c) mmssg contributors. All rights reserved.
"""Super-resolve real LR images with a trained generator; the segmentor is never built.

Usage: python tools/inference.py CONFIG CHECKPOINT INPUT OUTPUT [--tile 128 --tile-overlap 16]

INPUT is an image or a folder (searched recursively); OUTPUT is an image path (for a single
input) or a folder. Paths are compared as resolved real paths (links followed): the output
folder may not be the input folder or inside it, and no result may land on an input file.
Unreadable files are skipped and listed; the tool then exits with status 3 (EXIT_SKIPPED)
after writing every readable image. Other errors exit with status 1.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmssg.apis import init_model, super_resolve  # noqa: E402
from mmssg.utils import IMG_EXTENSIONS, exit_status, is_inside, list_images, run_tool  # noqa: E402

# What an SR result can be written as (PGM holds grey images only).
OUTPUT_EXTENSIONS = tuple(ext for ext in IMG_EXTENSIONS if ext != '.pgm')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='SSG-RWSR inference on real LR images')
    parser.add_argument('config', help='the config the model was trained with')
    parser.add_argument('checkpoint', help='training or exported generator checkpoint')
    parser.add_argument('input', help='an image or a folder of images')
    parser.add_argument('output', help='output image (single input) or folder')
    parser.add_argument('--tile', type=int, default=None,
                        help='tile size in LR pixels for large frames (default: whole image)')
    parser.add_argument('--tile-overlap', type=int, default=16,
                        help='context around each tile in LR pixels (default: 16)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--suffix', default='', help='appended to output file names')
    return parser.parse_args(argv)


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
        targets = [osp.join(osp.abspath(output),
                            osp.splitext(osp.relpath(p, base))[0] + suffix + '.png')
                   for p in map(osp.abspath, inputs)]
    clashes = set(map(osp.realpath, inputs)) & set(map(osp.realpath, targets))
    if clashes:
        raise ValueError(f'refusing to overwrite input file(s): {sorted(clashes)}')
    return targets


def main(argv=None):
    """Super-resolve INPUT into OUTPUT; returns the exit status (3 if files were skipped)."""
    args = parse_args(argv)
    inputs = list_inputs(args.input)
    targets = output_paths(inputs, args.input, args.output, args.suffix)
    model = init_model(args.config, args.checkpoint, device=args.device)
    skipped = []
    for src, dst in tqdm(list(zip(inputs, targets)), desc='super-resolving', unit='img'):
        bgr = cv2.imread(src, cv2.IMREAD_COLOR)
        if bgr is None:
            skipped.append(src)
            continue
        sr = super_resolve(model, bgr, args.tile, args.tile_overlap, channel_order='bgr')
        os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
        if not cv2.imwrite(dst, sr):
            raise OSError(f'could not write {dst}')
    for path in skipped:
        print(f'skipped (unreadable): {path}')
    print(f'wrote {len(inputs) - len(skipped)} image(s) to {args.output}; '
          f'skipped {len(skipped)} unreadable file(s)')
    return exit_status(len(skipped))


if __name__ == '__main__':
    run_tool(main)
