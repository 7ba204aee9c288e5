# Copyright (c) mmssg contributors. All rights reserved.
"""Super-resolve real LR images with a trained generator; the segmentor is never built.

Usage: python tools/inference.py CONFIG CHECKPOINT INPUT OUTPUT [--tile 128 --tile-overlap 16]

INPUT is an image or a folder (searched recursively); OUTPUT is an image path (for a single
input) or a folder, which must not be the input folder or inside it. Unreadable files are
skipped and listed at the end.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmssg.apis import init_sr_model, super_resolve  # noqa: E402
from mmssg.utils import IMG_EXTENSIONS, list_images  # noqa: E402

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
    """Where each result goes; refuses to write into the input folder or over an input."""
    input_root = osp.abspath(input_root)
    output = osp.abspath(output)
    single = osp.isfile(input_root)
    if single and output.lower().endswith(OUTPUT_EXTENSIONS):
        targets = [output]
    else:
        base = osp.dirname(input_root) if single else input_root
        if not single and (output == base or output.startswith(base + os.sep)):
            raise ValueError(f'output folder {output} is the input folder {base} or inside it; '
                             'choose another one')
        targets = [osp.join(output, osp.splitext(osp.relpath(p, base))[0] + suffix + '.png')
                   for p in map(osp.abspath, inputs)]
    clashes = set(map(osp.abspath, inputs)) & set(targets)
    if clashes:
        raise ValueError(f'refusing to overwrite input file(s): {sorted(clashes)}')
    return targets


def main(argv=None):
    args = parse_args(argv)
    inputs = list_inputs(args.input)
    targets = output_paths(inputs, args.input, args.output, args.suffix)
    model = init_sr_model(args.config, args.checkpoint, device=args.device)
    skipped = []
    for src, dst in tqdm(list(zip(inputs, targets)), desc='super-resolving', unit='img'):
        bgr = cv2.imread(src, cv2.IMREAD_COLOR)
        if bgr is None:
            skipped.append(src)
            continue
        sr = super_resolve(model, bgr[..., ::-1], args.tile, args.tile_overlap)
        os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
        if not cv2.imwrite(dst, sr[..., ::-1]):
            raise OSError(f'could not write {dst}')
    done = len(inputs) - len(skipped)
    print(f'wrote {done} image(s) to {args.output}')
    if skipped:
        print(f'skipped {len(skipped)} unreadable file(s):')
        for path in skipped:
            print(f'  {path}')
    return dict(written=[t for s, t in zip(inputs, targets) if s not in skipped], skipped=skipped)


if __name__ == '__main__':
    main()
