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
    synthesis_summary.json                counts, skipped and cropped images, arguments

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

The tool refuses an OUT_ROOT equal to or inside SRC_ROOT and never writes a
path that is one of its inputs. Unreadable images are skipped and listed.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import shutil
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np

from mmssg.datasets.transforms.synthetic_degradation import SyntheticDegradation

IMG_DIR, LABEL_DIR, HR_DIR = 'leftImg8bit', 'gtFine', 'leftImg8bit_hr'
IMG_SUFFIX, LABEL_SUFFIX = '_leftImg8bit.png', '_gtFine_labelTrainIds.png'


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
    return parser.parse_args(argv)


def image_seed(seed, rel_path):
    """A 32-bit seed from the base seed and the image path relative to ``leftImg8bit/``."""
    digest = hashlib.sha256(f'{seed}:{rel_path.replace(os.sep, "/")}'.encode()).digest()
    return int.from_bytes(digest[:4], 'little')


def _is_inside(path, root):
    path, root = osp.realpath(path), osp.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


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


def _write_png(path, img, inputs):
    if osp.realpath(path) in inputs:
        raise RuntimeError(f'refusing to overwrite an input file: {path}')
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, img):
        raise IOError(f'could not write {path}')


def synthesize_one(args):
    """Worker: degrade one image and its labels; returns a small report."""
    src_root, out_root, (split, city, name), cfg = args
    rel = osp.join(split, city, name)
    src_img = osp.join(src_root, IMG_DIR, rel)
    label_name = name[:-len(IMG_SUFFIX)] + LABEL_SUFFIX
    src_label = osp.join(src_root, LABEL_DIR, split, city, label_name)
    inputs = {osp.realpath(src_img), osp.realpath(src_label)}
    report = dict(image=rel, ok=False, cropped=False, label=False)

    bgr = cv2.imread(src_img, cv2.IMREAD_COLOR)
    if bgr is None:
        return report
    seg = None
    if osp.exists(src_label):
        seg = cv2.imread(src_label, cv2.IMREAD_UNCHANGED)
        if seg is None or seg.ndim != 2 or seg.shape != bgr.shape[:2]:
            report['label_error'] = f'unreadable or mismatched label {src_label}'
            seg = None
    s = cfg['scale']
    H, W = bgr.shape[0] - bgr.shape[0] % s, bgr.shape[1] - bgr.shape[1] % s
    if H == 0 or W == 0:
        report['error'] = f'image smaller than the scale: {bgr.shape[:2]}'
        return report
    report['cropped'] = (H, W) != bgr.shape[:2]
    results = dict(gt=cv2.cvtColor(bgr[:H, :W], cv2.COLOR_BGR2RGB), gt_channel_order='rgb')
    if seg is not None:
        results['gt_seg_map'] = seg[:H, :W]

    np.random.seed(image_seed(cfg['seed'], rel))
    transform = SyntheticDegradation(
        scale=s, kernel_size=cfg['kernel_size'], sigma=cfg['sigma'], noise_sigma=cfg['noise_sigma'])
    results = transform(results)

    lr = cv2.cvtColor(results['img'].astype(np.uint8), cv2.COLOR_RGB2BGR)
    _write_png(osp.join(out_root, IMG_DIR, rel), lr, inputs)
    hr_out = osp.join(out_root, HR_DIR, rel)
    if report['cropped']:
        _write_png(hr_out, bgr[:H, :W], inputs)
    else:
        if osp.realpath(hr_out) in inputs:
            raise RuntimeError(f'refusing to overwrite an input file: {hr_out}')
        os.makedirs(osp.dirname(hr_out), exist_ok=True)
        shutil.copyfile(src_img, hr_out)
    if seg is not None:
        _write_png(
            osp.join(out_root, LABEL_DIR, split, city, label_name), results['gt_seg_map'], inputs)
        report['label'] = True
    report['ok'] = True
    return report


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    if not osp.isdir(args.src_root):
        raise FileNotFoundError(f'SRC_ROOT not found: {args.src_root}')
    if _is_inside(args.out_root, args.src_root):
        raise ValueError(
            f'OUT_ROOT {args.out_root} is inside (or equal to) SRC_ROOT {args.src_root}; '
            'choose a folder outside it')
    if args.scale < 1:
        raise ValueError(f'--scale must be >= 1, got {args.scale}')
    jobs = find_jobs(args.src_root, args.splits)
    cfg = dict(
        seed=args.seed,
        scale=args.scale,
        kernel_size=args.kernel_size,
        sigma=args.sigma,
        noise_sigma=args.noise_sigma)
    tasks = [(args.src_root, args.out_root, job, cfg) for job in jobs]
    reports = []
    with tqdm(total=len(tasks), desc='synthesize LR', unit='img', disable=args.no_progress) as bar:
        if args.workers <= 1:
            for task in tasks:
                reports.append(synthesize_one(task))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=args.workers) as pool:
                for report in pool.map(synthesize_one, tasks, chunksize=1):
                    reports.append(report)
                    bar.update()
    summary = dict(
        src_root=osp.abspath(args.src_root),
        arguments=vars(args),
        images_found=len(jobs),
        images_written=sum(r['ok'] for r in reports),
        labels_written=sum(r['label'] for r in reports),
        skipped_unreadable=[r['image'] for r in reports if not r['ok'] and 'error' not in r],
        skipped_other={r['image']: r['error']
                       for r in reports if not r['ok'] and 'error' in r},
        cropped=[r['image'] for r in reports if r['cropped'] and r['ok']],
        without_labels=[r['image'] for r in reports if r['ok'] and not r['label']],
        label_errors=[r['label_error'] for r in reports if 'label_error' in r])
    os.makedirs(args.out_root, exist_ok=True)
    with open(osp.join(args.out_root, 'synthesis_summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(
        f"{summary['images_written']}/{summary['images_found']} images written, "
        f"{summary['labels_written']} label maps, {len(jobs) - summary['images_written']} skipped")
    for rel in summary['skipped_unreadable']:
        print(f'skipped (unreadable): {rel}')
    for rel, why in summary['skipped_other'].items():
        print(f'skipped ({why}): {rel}')
    return summary


if __name__ == '__main__':
    main()
