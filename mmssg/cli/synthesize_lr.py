# Copyright (c) mmssg contributors. All rights reserved.
"""Synthesise the paper's LR Cityscapes (section 5.1) from a Cityscapes-layout root.

    python tools/data/synthesize_lr.py SRC_ROOT OUT_ROOT --seed 0 \
        [--splits train val] [--scale 4] [--workers 8]

Input (SRC_ROOT)::

    leftImg8bit/<split>/<city>/*_leftImg8bit.png
    gtFine/<split>/<city>/*_gtFine_labelTrainIds.png

Output (OUT_ROOT), same layout::

    leftImg8bit/<split>/<city>/<name>     synthetic LR (11x11 Gaussian sigma 1.5, x4, noise 8)
    gtFine/<split>/<city>/<label name>    labels on the LR grid (nearest, HR pixel s*i + s//2)
    leftImg8bit_hr/<split>/<city>/<name>  the HR ground truth, copied byte for byte
    synthesis_summary.json                the summary of mmssg.utils.summary, plus labels
                                          written, cropped and converted images

Each image is degraded with numpy seeded from ``--seed`` and its path relative
to ``leftImg8bit/`` (SHA-256), so the output does not depend on the worker
count or the processing order. Only ``*_gtFine_labelTrainIds.png`` labels are
down-sampled (other gtFine files are not copied); an image without labels is
still degraded.

Sizes not divisible by the scale: the image (and its labels) are cropped at the
bottom and right to the largest multiple of the scale; the HR ground truth is
then written as the cropped image (lossless PNG) instead of a byte copy, and
the image is listed under ``cropped`` in the summary. (Cityscapes 2048x1024 and
IDD 1280x720 need no crop at x4.)

16-bit images (read by :func:`mmssg.utils.read_image`) are rounded to 8 bits
(``x / 257``) before the degradation, and their HR ground truth is written as
that 8-bit image (listed under ``converted_to_8bit``), so that LR and HR stay
on one scale. Label maps are read as stored.

The tool refuses an OUT_ROOT equal to or inside SRC_ROOT (compared as resolved real
paths) and never writes a path that is one of its inputs. An OUT_ROOT that already
holds files this run would write is refused unless ``--overwrite`` is given.
Unreadable images and unreadable or
mismatched label maps are skipped (an image whose labels are skipped is still
degraded), listed in the summary with every other path relative to SRC_ROOT;
the exit status is then 3.
"""
import argparse
import functools
import hashlib
import os
import os.path as osp

import cv2
import numpy as np

from mmssg.datasets.transforms.synthetic_degradation import SyntheticDegradation
from mmssg.utils import (copy_file_atomic, finish, is_inside, parallel_map, read_image, run_tool,
                         skipped_input, write_image_atomic, write_summary)

IMG_DIR, LABEL_DIR, HR_DIR = 'leftImg8bit', 'gtFine', 'leftImg8bit_hr'
IMG_SUFFIX, LABEL_SUFFIX = '_leftImg8bit.png', '_gtFine_labelTrainIds.png'
SUMMARY = 'synthesis_summary.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Synthesise LR Cityscapes (blur, x4, noise) with labels.')
    parser.add_argument('src_root', help='Cityscapes-layout root of HR images and labels')
    parser.add_argument('out_root', help='root to write (must not be inside SRC_ROOT)')
    parser.add_argument(
        '--seed', type=int, required=True, help='base seed; each image is seeded from it')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'], help='splits to process')
    parser.add_argument('--scale', type=int, default=4, help='down-sampling factor (4)')
    parser.add_argument('--kernel-size', type=int, default=11, help='Gaussian kernel size (11)')
    parser.add_argument('--sigma', type=float, default=1.5, help='Gaussian kernel std (1.5)')
    parser.add_argument('--noise-sigma', type=float, default=8.0, help='noise std on 0-255 (8)')
    parser.add_argument('--workers', type=int, default=1, help='processes (1)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the results of an earlier run in OUT_ROOT (refused by default; input '
        'files are never written either way)')
    return parser.parse_args(argv)


def image_seed(seed, rel_path):
    """A 32-bit seed from the base seed and the image path relative to ``leftImg8bit/``."""
    digest = hashlib.sha256(f'{seed}:{rel_path.replace(os.sep, "/")}'.encode()).digest()
    return int.from_bytes(digest[:4], 'little')


def find_jobs(src_root, splits):
    """``(split, city, image name)`` of every HR image of the requested splits."""
    jobs = []
    for split in splits:
        split_dir = osp.join(src_root, IMG_DIR, split)
        if not osp.isdir(split_dir):
            raise FileNotFoundError(f'split folder not found: {split_dir}')
        for city in sorted(os.listdir(split_dir)):
            city_dir = osp.join(split_dir, city)
            if osp.isdir(city_dir):
                jobs += [(split, city, n) for n in sorted(os.listdir(city_dir))
                         if n.endswith(IMG_SUFFIX)]
    return jobs


def _prepare_output(path, inputs):
    """Refuse to write over an input; create the folder of ``path``."""
    if osp.realpath(path) in inputs:
        raise RuntimeError(f'refusing to overwrite an input file: {path}')
    os.makedirs(osp.dirname(path), exist_ok=True)


def _write_png(path, img, inputs):
    _prepare_output(path, inputs)
    write_image_atomic(path, img)


def _read_8bit(path):
    """The image as RGB uint8 (16-bit rounded to 8) and whether it was converted."""
    rgb = read_image(path, 'rgb')
    if rgb.dtype == np.uint16:
        return np.rint(rgb / 257).astype(np.uint8), True
    return rgb, False


def _read_labels(path, shape):
    """The label map of an image, or None; raises ValueError when it cannot be used."""
    if not osp.exists(path):
        return None
    seg = cv2.imread(path, cv2.IMREAD_UNCHANGED)  # label ids: read as stored, no conversion
    if seg is None or seg.ndim != 2 or seg.shape != shape:
        found = 'unreadable' if seg is None else f'shape {seg.shape}'
        raise ValueError(f'label map {found}, expected a single-channel {shape[1]}x{shape[0]} map')
    return seg


def _degrade(rgb, seg, rel, cfg):
    """The transform's output for one image, seeded by its path."""
    results = dict(gt=rgb, gt_channel_order='rgb')
    if seg is not None:
        results['gt_seg_map'] = seg
    np.random.seed(image_seed(cfg['seed'], rel))
    transform = SyntheticDegradation(
        scale=cfg['scale'],
        kernel_size=cfg['kernel_size'],
        sigma=cfg['sigma'],
        noise_sigma=cfg['noise_sigma'])
    return transform(results)


def _write_hr(src_img, hr_out, rgb, rewrite, inputs):
    """The HR ground truth: a byte copy, or the (cropped or converted) image as a PNG."""
    if rewrite:
        _write_png(hr_out, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), inputs)
        return
    _prepare_output(hr_out, inputs)
    copy_file_atomic(src_img, hr_out)


def synthesize_one(src_root, out_root, cfg, job):
    """Worker: degrade one image and its labels; returns a small report."""
    split, city, name = job
    rel = osp.join(split, city, name)
    label_rel = osp.join(LABEL_DIR, split, city, name[:-len(IMG_SUFFIX)] + LABEL_SUFFIX)
    src_img, src_label = osp.join(src_root, IMG_DIR, rel), osp.join(src_root, label_rel)
    inputs = {osp.realpath(src_img), osp.realpath(src_label)}
    report = dict(image=osp.join(IMG_DIR, rel), skipped=[])
    try:
        rgb, report['converted'] = _read_8bit(src_img)
    except (OSError, ValueError) as error:
        report['skipped'].append(skipped_input(report['image'], error))
        return report
    s = cfg['scale']
    H, W = rgb.shape[0] - rgb.shape[0] % s, rgb.shape[1] - rgb.shape[1] % s
    if H == 0 or W == 0:
        report['skipped'].append(
            skipped_input(report['image'], f'image smaller than the scale: {rgb.shape[:2]}'))
        return report
    try:
        seg = _read_labels(src_label, rgb.shape[:2])
    except ValueError as error:
        report['skipped'].append(skipped_input(label_rel, error))
        seg = None
    report['cropped'] = (H, W) != rgb.shape[:2]
    rgb = np.ascontiguousarray(rgb[:H, :W])
    results = _degrade(rgb, None if seg is None else seg[:H, :W], rel, cfg)
    lr = cv2.cvtColor(results['img'].astype(np.uint8), cv2.COLOR_RGB2BGR)
    _write_png(osp.join(out_root, IMG_DIR, rel), lr, inputs)
    _write_hr(src_img, osp.join(out_root, HR_DIR, rel), rgb, report['cropped']
              or report['converted'], inputs)
    if seg is not None:
        _write_png(osp.join(out_root, label_rel), results['gt_seg_map'], inputs)
    report.update(written=True, label=seg is not None)
    return report


def check_roots(args):
    """Refuse a missing SRC_ROOT, an OUT_ROOT inside it and a bad scale."""
    if not osp.isdir(args.src_root):
        raise FileNotFoundError(f'SRC_ROOT not found: {args.src_root}')
    if is_inside(args.out_root, args.src_root):
        raise ValueError(
            f'OUT_ROOT {args.out_root} is inside (or equal to) SRC_ROOT {args.src_root}; '
            'choose a folder outside it')
    if args.scale < 1:
        raise ValueError(f'--scale must be >= 1, got {args.scale}')


def output_files(out_root, jobs):
    """Every file a run over ``jobs`` may write under ``out_root`` (labels included)."""
    files = [osp.join(out_root, SUMMARY)]
    for split, city, name in jobs:
        label = name[:-len(IMG_SUFFIX)] + LABEL_SUFFIX
        files += [
            osp.join(out_root, IMG_DIR, split, city, name),
            osp.join(out_root, HR_DIR, split, city, name),
            osp.join(out_root, LABEL_DIR, split, city, label)
        ]
    return files


def check_not_filled(out_root, jobs, overwrite):
    """Refuse to replace earlier results unless ``--overwrite`` was given."""
    existing = [path for path in output_files(out_root, jobs) if osp.lexists(path)]
    if existing and not overwrite:
        raise FileExistsError(
            f'OUT_ROOT {out_root} already holds {len(existing)} of the files this run would '
            f'write (e.g. {existing[0]}); pass --overwrite to replace them, or choose another '
            'folder')


def main(argv=None):
    """Synthesise the LR copy of SRC_ROOT; returns the exit status (3 if inputs were skipped)."""
    args = parse_args(argv)
    check_roots(args)
    jobs = find_jobs(args.src_root, args.splits)
    check_not_filled(args.out_root, jobs, args.overwrite)
    cfg = dict(
        seed=args.seed,
        scale=args.scale,
        kernel_size=args.kernel_size,
        sigma=args.sigma,
        noise_sigma=args.noise_sigma)
    worker = functools.partial(synthesize_one, args.src_root, args.out_root, cfg)
    reports = parallel_map(worker, jobs, args.workers, 'synthesize LR', not args.no_progress)
    written = [r for r in reports if r.get('written')]
    skipped = [item for r in reports for item in r['skipped']]
    write_summary(
        args.out_root,
        args.src_root,
        len(jobs),
        len(written),
        skipped,
        vars(args),
        name=SUMMARY,
        labels_written=sum(r['label'] for r in written),
        cropped=[r['image'] for r in written if r['cropped']],
        converted_to_8bit=[r['image'] for r in written if r['converted']],
        without_labels=[r['image'] for r in written if not r['label']])
    done = (f'{len(written)}/{len(jobs)} images written to {args.out_root}, '
            f'{sum(r["label"] for r in written)} label maps')
    return finish(done, skipped, osp.join(args.out_root, SUMMARY))


if __name__ == '__main__':
    run_tool(main)
