# Copyright (c) mmssg contributors. All rights reserved.
"""Label real LR frames that have no labels with a segmentor: the guided turns' pseudo-labels.

    python tools/data/pseudo_labels.py --config configs/ssg_rwsr_x4_own_camera.py
    python tools/data/pseudo_labels.py FRAMES OUT --segmentor SEG_CONFIG --checkpoint CKPT \
        [--scale 4] [--threshold 0.9] [--window 512 --stride 340]

With ``--config``, the frames are the config's guided dataset's images, the labels go where
that dataset reads them, the scale is the generator's, and the config's ``pseudo_labels``
names the segmentor, its checkpoint, the threshold and the windows (the options these set are
refused with ``--config``: change them there). How a frame is labelled, on the grid the guided
turns use: :mod:`mmssg.apis.pseudo_labels`.

Output: ``OUT/<the frame's path relative to FRAMES, suffix .png>``, a single-channel uint8 PNG
of train ids of the frame's size, 255 where the segmentor's top-class probability is below
the threshold; and ``OUT/summary.json`` (the fields of :func:`mmssg.utils.write_summary`, then
the segmentor's config, checkpoint and classes, the scale, threshold and windows, the share of
pixels of each class and the share ignored), written last.

OUT may not be FRAMES or lie inside it; no label may land on a frame; an OUT that already holds
label maps this run would write is refused unless ``--overwrite`` is given. Unreadable frames
are skipped and named (exit status 3).
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmengine.config import Config

from mmssg.apis.pseudo_labels import (IGNORE_INDEX, PseudoLabelSettings, check_settings,
                                      config_settings, init_segmentor, label_map,
                                      lr_class_probabilities)
from mmssg.utils import (SUMMARY_NAME, finish, is_inside, list_images, parallel_map, read_image,
                         run_tool, skipped_input, write_image_atomic, write_summary)
from mmssg.utils.cli import add_trust_argument, apply_trust, check_config_or_paths

#: the guided turns' SR patch in the paper's configs (128 LR pixels x 4): the default window
DEFAULT_WINDOW = 512
DEFAULT_THRESHOLD = 0.9
# what --config decides, and the config key each comes from
FROM_CONFIG = dict(
    segmentor='pseudo_labels.segmentor',
    checkpoint='pseudo_labels.checkpoint',
    threshold='pseudo_labels.threshold',
    window='pseudo_labels.test_cfg',
    stride='pseudo_labels.test_cfg',
    scale='model.generator.upscale_factor')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a label map for every real LR frame of a folder (pseudo-labels).')
    parser.add_argument('src_dir', nargs='?', help='folder of real LR frames (recursive)')
    parser.add_argument('out_dir', nargs='?', help='where to write the label maps')
    parser.add_argument(
        '--config',
        help="a training config instead of FRAMES OUT: its guided dataset's folders, its "
        "generator's scale and its pseudo_labels settings")
    parser.add_argument('--segmentor', help='MMSegmentation config (a path or mmseg::...)')
    parser.add_argument('--checkpoint', help="the segmentor's weights (a path or a URL)")
    parser.add_argument('--scale', type=int, help='the guided turns\' SR scale (default: 4)')
    parser.add_argument(
        '--threshold',
        type=float,
        help='top-class probability below which a pixel gets 255, ignored by the guided turns '
        f'(default: {DEFAULT_THRESHOLD})')
    parser.add_argument(
        '--window',
        type=int,
        help='segment the up-sampled frame in slide windows of this many SR pixels (default: '
        f'{DEFAULT_WINDOW}, the guided turns\' SR patch); 0: the whole frame at once')
    parser.add_argument(
        '--stride',
        type=int,
        help='stride of the windows (default: 2/3 of --window, a multiple of the scale)')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help="'cpu', 'cuda' or 'cuda:N' (default: cuda when PyTorch sees a GPU)")
    parser.add_argument(
        '--overwrite', action='store_true', help='replace label maps of an earlier run in OUT')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    paths = (args.out_dir, args.segmentor, args.checkpoint)
    if not check_config_or_paths(parser, args, FROM_CONFIG, 'FRAMES OUT') and None in paths:
        parser.error('give FRAMES OUT --segmentor SEG_CONFIG --checkpoint CKPT, or --config '
                     'CONFIG')
    return apply_trust(args)


def window_test_cfg(window: int, stride, scale: int) -> dict:
    """The segmentor's ``test_cfg`` for ``--window`` and ``--stride``.

    Args:
        window (int): The side of MMSegmentation's slide windows in SR pixels; 0: the whole
            frame at once (``mode='whole'``).
        stride (int | None): Their stride; None: 2/3 of the window, a multiple of ``scale``.
        scale (int): The SR scale.
    """
    if window < 0 or (window and stride is not None and not 0 < stride <= window):
        raise ValueError(f'--window {window} --stride {stride}: expected a window >= 0 and a '
                         'stride in (0, window]')
    if not window:
        return dict(mode='whole')
    stride = stride or max(scale, window * 2 // 3 // scale * scale)
    return dict(mode='slide', crop_size=(window, window), stride=(stride, stride))


def run_settings(args) -> PseudoLabelSettings:
    """The settings of this run: the config's, or the command line's."""
    if args.config is not None:
        settings = config_settings(Config.fromfile(args.config))
    else:
        scale = 4 if args.scale is None else args.scale
        window = DEFAULT_WINDOW if args.window is None else args.window
        settings = PseudoLabelSettings(
            args.src_dir, args.out_dir, args.segmentor, args.checkpoint, scale,
            DEFAULT_THRESHOLD if args.threshold is None else args.threshold, None)
        check_settings(settings)  # the scale before the windows are sized by it
        return settings._replace(test_cfg=window_test_cfg(window, args.stride, scale))
    check_settings(settings)
    return settings


def label_paths(settings: PseudoLabelSettings, overwrite: bool) -> List[Tuple[str, str]]:
    """``(frame, label map)`` paths relative to FRAMES and OUT, every check passed.

    Raises:
        FileNotFoundError: FRAMES is missing or holds no image.
        ValueError: OUT is FRAMES or inside it, two frames share a label map, or a label map
            would land on a frame.
        FileExistsError: OUT holds label maps of this run and ``overwrite`` is False.
    """
    src, out = settings.src_dir, settings.out_dir
    if not osp.isdir(src):
        raise FileNotFoundError(f'frames folder {src} not found (tools/data/extract_frames.py '
                                'writes the frames of footage)')
    if is_inside(out, src):
        raise ValueError(f'OUT {out} is inside (or equal to) the frames folder {src}; choose '
                         'a folder outside it')
    rels = list_images(src)
    if not rels:
        raise FileNotFoundError(f'no images under the frames folder {src}')
    labels = [osp.splitext(rel)[0] + '.png' for rel in rels]
    if len(set(labels)) < len(labels):
        shared = sorted({label for label in labels if labels.count(label) > 1})
        raise ValueError(f'frames under {src} would share the label maps {shared[:3]} '
                         '(a.png and a.jpg side by side); rename them')
    frames = {osp.realpath(osp.join(src, rel)) for rel in rels}
    on_frames = [label for label in labels if osp.realpath(osp.join(out, label)) in frames]
    if on_frames:
        raise ValueError(f'the label map {osp.join(out, on_frames[0])} would overwrite a frame')
    existing = [label for label in labels if osp.lexists(osp.join(out, label))]
    if existing and not overwrite:
        raise FileExistsError(
            f'OUT {out} already holds {len(existing)} of the label maps this run would write '
            f'(e.g. {osp.join(out, existing[0])}); pass --overwrite to replace them, or choose '
            'another folder')
    return list(zip(rels, labels))


def label_frame(model, settings: PseudoLabelSettings, job: Tuple[str, str]) -> Dict:
    """Label one frame and write its map; returns its class counts or why it was skipped."""
    rel, label = job
    try:
        frame = read_image(osp.join(settings.src_dir, rel), 'bgr')
    except (OSError, ValueError) as error:
        return dict(skipped=skipped_input(rel, error))
    labels = label_map(lr_class_probabilities(model, frame, settings.scale), settings.threshold)
    path = osp.join(settings.out_dir, label)
    os.makedirs(osp.dirname(path), exist_ok=True)
    write_image_atomic(path, labels)
    return dict(counts=np.bincount(labels.ravel(), minlength=IGNORE_INDEX + 1))


def class_shares(counts: np.ndarray, names) -> Tuple[List[Dict], float]:
    """Each class's share of the labelled pixels (``id``, ``name``, ``share``): every class
    the segmentor names, and any other that occurs; and the share ignored."""
    total = max(int(counts.sum()), 1)
    used = np.flatnonzero(counts[:IGNORE_INDEX])
    classes = max(len(names or []), int(used.max()) + 1 if used.size else 0)
    shares = [
        dict(
            id=i, name=names[i] if names and i < len(names) else None, share=int(counts[i]) / total)
        for i in range(classes)
    ]
    return shares, int(counts[IGNORE_INDEX]) / total


def main(argv=None):
    """Write the pseudo-labels; returns the exit status (3 if frames were skipped)."""
    args = parse_args(argv)
    settings = run_settings(args)
    jobs = label_paths(settings, args.overwrite)
    model = init_segmentor(settings.segmentor, settings.checkpoint, args.device, settings.test_cfg)
    reports = parallel_map(lambda job: label_frame(model, settings, job), jobs, 1, 'pseudo-labels',
                           not args.no_progress)
    skipped = [r['skipped'] for r in reports if 'skipped' in r]
    counts = sum((r['counts'] for r in reports if 'counts' in r),
                 np.zeros(IGNORE_INDEX + 1, np.int64))
    shares, ignored = class_shares(counts, model.dataset_meta.get('classes'))
    written = len(jobs) - len(skipped)
    write_summary(
        settings.out_dir,
        settings.src_dir,
        len(jobs),
        written,
        skipped,
        vars(args),
        segmentor=dict(
            config=settings.segmentor,
            checkpoint=settings.checkpoint,
            classes=model.dataset_meta.get('classes')),
        scale=settings.scale,
        threshold=settings.threshold,
        ignore_index=IGNORE_INDEX,
        test_cfg=model.test_cfg.to_dict(),
        pixels=int(counts.sum()),
        ignored_share=ignored,
        class_share=shares)
    done = f'{written}/{len(jobs)} label maps written to {settings.out_dir}'
    return finish(done, skipped, osp.join(settings.out_dir, SUMMARY_NAME))


if __name__ == '__main__':
    run_tool(main)
