# Copyright (c) mmssg contributors. All rights reserved.
r"""One labelled PNG of the same zoomed crop in LR, every method's SR and HR (paper Figs. 3-5).

    python tools/analysis/compare_crops.py --lr data/cityscapes/leftImg8bit/val \
        --method Bicubic=sr/bicubic --method ESRGAN=sr/esrgan --method Ours=sr/ssg_rwsr \
        [--hr data/cityscapes_synthetic_x4/leftImg8bit_hr/val] \
        [--images frankfurt/frankfurt_000000_000294_leftImg8bit.png ...] \
        [--crop X Y W H | --crop-size W H] [--scale 4] [--zoom 2] --out figure.png

Each method folder holds the SR images of the LR images (``tools/test.py --save-sr DIR`` or
``tools/inference.py``), under the same relative paths (the file extensions may differ). A
method or HR folder whose image names differ from the LR folder's stops the tool with the
differences listed. Each chosen image gives one row: LR | method 1 | ... | HR, under one strip of
labels. The crop is given in HR pixels (multiples of ``--scale``), or chosen per image where
the methods disagree most (the highest mean variance across methods, in grey levels). Panels
are enlarged ``--zoom`` times by pixel repetition (the LR crop ``scale * zoom`` times), so every
shown pixel is a source pixel.
"""
import argparse
import os.path as osp

import cv2
import numpy as np

from mmssg.utils import check_outputs, list_images, write_image_atomic
from mmssg.utils.cli import EXIT_OK, run_tool

LABEL_HEIGHT = 28
GAP = 4
SHOWN_NAMES = 8  # names listed per difference before "and N more"
#: What --out may name: the formats OpenCV writes a colour figure in.
FIGURE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--lr', required=True, help='folder of the LR input images')
    parser.add_argument(
        '--method',
        action='append',
        required=True,
        metavar='NAME=DIR',
        help='a method and its folder of SR images (repeat, in column order)')
    parser.add_argument('--hr', help='folder of HR ground truth (synthetic data only)')
    rows = parser.add_mutually_exclusive_group()
    rows.add_argument(
        '--images',
        nargs='+',
        metavar='REL',
        help='images (paths relative to --lr, extension optional), one row '
        'each; default: the first image')
    rows.add_argument(
        '--num-images',
        type=int,
        default=1,
        metavar='N',
        help='without --images: the first N images in name order (default: 1)')
    crop = parser.add_mutually_exclusive_group()
    crop.add_argument(
        '--crop',
        nargs=4,
        type=int,
        metavar=('X', 'Y', 'W', 'H'),
        help='crop box in HR pixels, multiples of --scale')
    crop.add_argument(
        '--crop-size',
        nargs=2,
        type=int,
        default=[128, 96],
        metavar=('W', 'H'),
        help='size of the automatic crop in HR pixels (default: 128 96)')
    parser.add_argument('--scale', type=int, default=4, help='SR scale (default: 4)')
    parser.add_argument('--zoom', type=int, default=2, help='panel enlargement (default: 2)')
    parser.add_argument('--out', required=True, help='output PNG')
    args = parser.parse_args(argv)
    if not args.out.lower().endswith(FIGURE_EXTENSIONS):
        parser.error(f'--out {args.out}: expected a {", ".join(FIGURE_EXTENSIONS)} file')
    return args


def image_index(folder):
    """{relative path without extension: file path} of the images under ``folder``."""
    return {osp.splitext(rel)[0]: osp.join(folder, rel) for rel in list_images(folder)}


def name_differences(reference, folders):
    """Lines naming each folder whose image names differ from ``reference``'s."""

    def listed(names):
        names = sorted(names)
        more = f' and {len(names) - SHOWN_NAMES} more' if len(names) > SHOWN_NAMES else ''
        return ', '.join(names[:SHOWN_NAMES]) + more

    lines = []
    for label, index in folders.items():
        missing, extra = set(reference) - set(index), set(index) - set(reference)
        parts = ([f'lacks {listed(missing)}'] if missing else []) + ([f'has extra {listed(extra)}']
                                                                     if extra else [])
        if parts:
            lines.append(f'{label}: ' + '; '.join(parts))
    return lines


def load_folders(args):
    """The LR index and {column label: index} of the methods (and HR), names checked."""
    lr = image_index(args.lr)
    if not lr:
        raise FileNotFoundError(f'no images under --lr {args.lr}')
    folders = {}
    for item in args.method:
        name, sep, folder = item.partition('=')
        if not sep or not name or not folder:
            raise ValueError(f'--method {item!r}: expected NAME=DIR')
        if name in folders or name == 'HR':
            raise ValueError(f'--method {name!r}: the name is taken (given twice, or "HR")')
        folders[name] = folder
    if args.hr:
        folders['HR'] = args.hr
    columns = {label: image_index(folder) for label, folder in folders.items()}
    differences = name_differences(lr, {
        f'{label} ({folders[label]})': index
        for label, index in columns.items()
    })
    if differences:
        raise ValueError(f'image names differ from --lr {args.lr}:\n  ' + '\n  '.join(differences))
    check_outputs({'--out': args.out},
                  [p for index in [lr, *columns.values()] for p in index.values()])
    return lr, columns


def read_image(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f'cannot read image {path}')
    return img


def auto_crop(srs, size, scale):
    """(x, y, w, h) in HR pixels, aligned to ``scale``, where the SR images differ most.

    The score of a window is the mean, over its pixels, of the variance of the
    grey value across methods (summed with integral images).
    """
    w, h = size
    grey = np.stack([cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float64) for img in srs])
    spread = grey.var(axis=0)
    rows, cols = spread.shape
    if w > cols or h > rows:
        raise ValueError(f'--crop-size {w} {h} is larger than the SR images ({cols}x{rows})')
    integral = np.pad(spread.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    ys = np.arange(0, rows - h + 1, scale)[:, None]
    xs = np.arange(0, cols - w + 1, scale)[None, :]
    sums = integral[ys + h, xs + w] - integral[ys, xs + w] - integral[ys + h, xs] + integral[ys, xs]
    y, x = np.unravel_index(np.argmax(sums), sums.shape)
    return int(xs[0, x]), int(ys[y, 0]), w, h


def check_box(box, scale, shape, what):
    x, y, w, h = box
    if any(v % scale for v in box):
        raise ValueError(f'crop {box} must be in multiples of --scale {scale} (HR pixels)')
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > shape[1] or y + h > shape[0]:
        raise ValueError(f'crop {box} (x y w h) is outside {what} ({shape[1]}x{shape[0]})')


def panel(img, box, zoom):
    """The crop ``box`` (x, y, w, h) of ``img``, each pixel repeated ``zoom`` times."""
    x, y, w, h = box
    crop = img[y:y + h, x:x + w]
    return np.repeat(np.repeat(crop, zoom, axis=0), zoom, axis=1)


def label_strip(labels, panel_width):
    strip = np.full((LABEL_HEIGHT, len(labels) * (panel_width + GAP) - GAP, 3), 255, np.uint8)
    for i, text in enumerate(labels):
        scale = min(0.6, 0.6 * panel_width / max(1, 11 * len(text)))
        cv2.putText(strip, text, (i * (panel_width + GAP) + 4, LABEL_HEIGHT - 9),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def figure_row(key, lr_path, columns, args):
    """The panels of one image, and the crop box used."""
    lr = read_image(lr_path)
    images = {label: read_image(index[key]) for label, index in columns.items()}
    expected = (lr.shape[0] * args.scale, lr.shape[1] * args.scale)
    for label, img in images.items():
        if img.shape[:2] != expected:
            raise ValueError(f'{columns[label][key]} is {img.shape[1]}x{img.shape[0]}, expected '
                             f'{expected[1]}x{expected[0]} (x{args.scale} of {lr_path})')
    methods = [img for label, img in images.items() if label != 'HR']
    box = tuple(args.crop) if args.crop else auto_crop(methods, args.crop_size, args.scale)
    check_box(box, args.scale, expected, key)
    x, y, w, h = box
    lr_box = (x // args.scale, y // args.scale, w // args.scale, h // args.scale)
    panels = [panel(lr, lr_box, args.scale * args.zoom)]
    panels += [panel(img, box, args.zoom) for img in images.values()]
    gap = np.full((panels[0].shape[0], GAP, 3), 255, np.uint8)
    row = [p for item in panels for p in (item, gap)][:-1]
    return np.concatenate(row, axis=1), box


def main(argv=None) -> int:
    args = parse_args(argv)
    if min(args.scale, args.zoom, args.num_images) < 1:
        raise ValueError(f'--scale, --zoom and --num-images must be positive, got {args.scale}, '
                         f'{args.zoom} and {args.num_images}')
    lr, columns = load_folders(args)
    keys = [osp.splitext(k)[0]
            for k in args.images] if args.images else sorted(lr)[:args.num_images]
    unknown = [k for k in keys if k not in lr]
    if unknown:
        raise ValueError(f'--images not under --lr {args.lr}: {", ".join(unknown)}')
    rows = []
    for key in keys:
        row, box = figure_row(key, lr[key], columns, args)
        print(f'{key}: crop x={box[0]} y={box[1]} w={box[2]} h={box[3]} (HR pixels)')
        rows.append(row)
    width = (rows[0].shape[1] + GAP) // (len(columns) + 1) - GAP
    gap = np.full((GAP, rows[0].shape[1], 3), 255, np.uint8)
    parts = [label_strip(['LR'] + list(columns), width)]
    for row in rows:
        parts += [gap, row]
    write_image_atomic(args.out, np.concatenate(parts, axis=0))
    print(f'wrote {args.out}')
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
