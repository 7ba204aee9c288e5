# Copyright (c) mmssg contributors. All rights reserved.
"""The demo's pseudo-label run (``tools/demo.py --pseudo-labels``): SSG-RWSR on the hidden
camera with its training labels withheld, as a user's own camera has none.

The stages added to the demo's:

1. ``other_camera_data``: street scenes of other seeds through another camera (a light blur,
   faint noise, JPEG at quality 100): a labelled set that is not the hidden camera's, as
   Cityscapes is not the user's camera;
2. ``pretrain_segmentor_other_camera``: the demo's segmentor stand-in trained on that set
   only (the model zoo's fcn_hr18 of this run);
3. ``pseudo_labels``: tools/data/pseudo_labels.py labels the hidden camera's real LR training
   frames with it;
4. ``train_ssg_rwsr_pseudo``: the SSG-RWSR run on those labels, its segmentor starting from
   the other camera's, everything else as the SSG-RWSR row;
5. ``test_ssg_rwsr_pseudo`` and ``pseudo_label_table``: its scores beside the adapted-only
   and true-label rows, and how far the pseudo-labels are from the withheld labels
   (``pseudo_labels.md`` in the work dir).
"""
import json
import os
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np

from mmssg.cli import make_tables, pseudo_labels, test, train
from mmssg.demo import CameraModel, make_demo_dataset
from mmssg.demo.report import ROWS, TABLES
from mmssg.utils import atomic_output, copy_file_atomic, list_images
from mmssg.utils.config import resolved_config_digest
from mmssg.utils.stages import Stage

# The camera of the labelled set the segmentor learns from: not the hidden camera (which
# blurs with sigmas 2.2/1.2, adds noise of 4+ grey levels and compresses at quality 90)
OTHER_CAMERA = CameraModel(
    blur_sigma_major=1.0,
    blur_sigma_minor=0.8,
    blur_angle_deg=0.0,
    noise_sigma_read=1.0,
    noise_gain=0.0,
    noise_channel_correlation=0.0,
    jpeg_quality=100)
# its scenes: seeds the hidden camera's data never uses (the demo's --seed plus this)
OTHER_SEED_OFFSET = 1000
PSEUDO_ROW = 'SSG-RWSR, pseudo-labels'
# the rows the pseudo-label run is compared with (slugs of ROWS)
COMPARED_ROWS = ['adapted_only', 'ssg_rwsr']
IGNORE_INDEX = 255


def other_camera_data(argv: List[str]) -> int:
    """``[OUT, SEED, NUM_TRAIN, LR_W, LR_H]``: the other camera's labelled set."""
    out, seed, num_train, width, height = argv
    make_demo_dataset(
        out,
        seed=int(seed),
        num_train=int(num_train),
        num_val=0,
        num_clean=0,
        lr_size=(int(width), int(height)),
        camera=OTHER_CAMERA)
    return 0


def label_agreement(pseudo_dir: str, true_dir: str) -> Dict[str, float]:
    """How the pseudo-labels compare with the withheld true labels of the same frames.

    Args:
        pseudo_dir (str): ``<city>/<stem>_leftImg8bit.png`` label maps (tools/data/
            pseudo_labels.py).
        true_dir (str): ``<city>/<stem>_gtFine_labelTrainIds.png`` maps of the same frames.

    Returns:
        dict: ``ignored_share`` (pixels set to 255), ``accuracy`` (share of the labelled
        pixels that carry the true class) and ``miou`` (over the classes present in either,
        on the labelled pixels), each over every pixel with a true label.
    """
    confusion = np.zeros((IGNORE_INDEX + 1, IGNORE_INDEX + 1), np.int64)
    for rel in list_images(pseudo_dir):
        pseudo = cv2.imread(osp.join(pseudo_dir, rel), cv2.IMREAD_UNCHANGED)
        true_rel = rel.replace('_leftImg8bit.png', '_gtFine_labelTrainIds.png')
        true = cv2.imread(osp.join(true_dir, true_rel), cv2.IMREAD_UNCHANGED)
        if true is None or pseudo is None or true.shape != pseudo.shape:
            raise ValueError(f'{osp.join(true_dir, true_rel)}: no label map of the shape of '
                             f'{osp.join(pseudo_dir, rel)}')
        np.add.at(confusion, (true.ravel(), pseudo.ravel()), 1)
    counted = confusion[:IGNORE_INDEX]  # rows: pixels with a true label
    labelled = counted[:, :IGNORE_INDEX]
    hits = np.diag(labelled)
    union = labelled.sum(0) + labelled.sum(1) - hits
    present = union > 0
    return dict(
        ignored_share=float(counted[:, IGNORE_INDEX].sum() / max(counted.sum(), 1)),
        accuracy=float(hits.sum() / max(labelled.sum(), 1)),
        miou=float((hits[present] / union[present]).mean()) if present.any() else 0.0)


def pseudo_label_report(argv: List[str]) -> int:
    """``[TABLE_MD, LABELS, TRUE_LABELS, OUT_MD]``: the table and the labels' agreement."""
    table_md, labels, true_labels, out_md = argv
    with open(table_md) as f:
        table = f.read().strip()
    with open(osp.join(labels, 'summary.json')) as f:
        summary = json.load(f)
    agreement = label_agreement(labels, true_labels)
    text = (f'{table}\n\nPseudo-labels of the {summary["images_read"]} real LR training '
            f'frames (threshold {summary["threshold"]}): '
            f'{100 * summary["ignored_share"]:.1f} % of the pixels ignored; against the '
            f'withheld labels, {100 * agreement["accuracy"]:.1f} % of the labelled pixels '
            f'right, mIoU {100 * agreement["miou"]:.1f} (ignored pixels left out).')
    with atomic_output(out_md, 'w') as f:
        f.write(text + '\n')
    print(text)
    return 0


def labelled_set_stages(cfg, work, size, args, trained_for) -> List[Stage]:
    """The other camera's labelled set and the segmentor trained on it alone."""
    other = osp.join(work, 'other_camera_data')
    iters = size['segmentor_iters']
    work_dir = osp.join(work, 'pretrain_segmentor_other_camera')
    segmentor = other_camera_segmentor(work)
    config = cfg.stand_in_configs['segmentor']

    def keep_checkpoint():
        os.makedirs(osp.dirname(segmentor), exist_ok=True)
        copy_file_atomic(osp.join(work_dir, f'iter_{iters}.pth'), segmentor)

    width, height = size['lr_size']
    return [
        Stage(
            'other_camera_data',
            other_camera_data, [
                other,
                str(args.seed + OTHER_SEED_OFFSET),
                str(size['num_train']),
                str(width),
                str(height)
            ],
            outputs=[other],
            settings=dict(camera=OTHER_CAMERA.to_dict()),
            title='street scenes of other seeds through another camera, with labels'),
        Stage(
            'pretrain_segmentor_other_camera',
            train.main,
            trained_for(config, iters, 'pretrain_segmentor_other_camera', work_dir) +
            [f'train_dataloader.dataset.data_root={osp.join(other, "cityscapes")}'],
            inputs=[other],
            outputs=[segmentor],
            settings=dict(config=resolved_config_digest(config)),
            process=True,
            then=keep_checkpoint)
    ]


def other_camera_segmentor(work: str) -> str:
    """Where the segmentor that never saw the hidden camera's labels is kept."""
    return osp.join(work, 'pretrained', 'segmentor_other_camera.pth')


def pseudo_label_stages(cfg, config, work, size, args, trained_for) -> Dict[str, List[Stage]]:
    """Every stage of the pseudo-label run (see the module's docstring), in three groups for
    the demo's list: ``data`` (in this process, before the stand-ins are trained), ``runs``
    (processes) and ``report`` (after the demo's tests).

    Args:
        cfg (Config): The demo config, its root set to the work dir.
        config (str): Its path.
        work (str): The demo's work dir.
        size (dict): The demo's size (:data:`mmssg.cli.demo.SIZES` with its schedule).
        args (Namespace): The demo's arguments (``seed``).
        trained_for (Callable): The demo's tools/train.py arguments for a number of steps.
    """
    segmentor = other_camera_segmentor(work)
    frames = osp.join(cfg.demo_data, 'cityscapes', 'leftImg8bit', 'train')
    labels = osp.join(work, 'pseudo_labels')
    result = osp.join(work, 'results', 'ssg_rwsr_pseudo.json')
    data, pretrain = labelled_set_stages(cfg, work, size, args, trained_for)
    labelling = Stage(
        'pseudo_labels',
        pseudo_labels.main, [
            frames, labels, '--segmentor', cfg.stand_in_configs['segmentor'], '--checkpoint',
            segmentor, '--device', 'cpu', '--overwrite'
        ],
        quiet_argv=['--no-progress'],
        inputs=[frames, segmentor],
        outputs=[labels],
        process=True)
    runs = [pretrain, labelling] + run_stages(cfg, config, work, 2 * size['joint_turns'],
                                              trained_for, result)
    table = osp.join(work, 'pseudo_label_table.md')
    return dict(data=[data], runs=runs, report=report_stages(work, cfg, result, labels, table))


def run_stages(cfg, config, work, iters, trained_for, result) -> List[Stage]:
    """The SSG-RWSR run on the pseudo-labels, from the other camera's segmentor, and its
    score as a Table 4 row (in ``result``)."""
    segmentor, labels = other_camera_segmentor(work), osp.join(work, 'pseudo_labels')
    train_dir = osp.join(work, 'train', 'ssg_rwsr_pseudo')
    checkpoint = osp.join(train_dir, f'iter_{iters}.pth')
    training = Stage(
        'train_ssg_rwsr_pseudo',
        train.main,
        trained_for(config, iters, 'ssg_rwsr_pseudo', train_dir) + [
            f'train_cfg.val_interval={iters}', f'train_cfg.val_begin={iters + 1}',
            f'train_dataloader.dataset.data_prefix.seg_map_path={labels}',
            'train_dataloader.dataset.seg_map_suffix=_leftImg8bit.png',
            f'model.segmentor.init_cfg.checkpoint={segmentor}'
        ],
        inputs=[
            cfg.generator_stand_in, segmentor, labels, cfg.noise_pool, cfg.kernel_pool,
            cfg.demo_data
        ],
        outputs=[checkpoint],
        settings=dict(config=resolved_config_digest(config)),
        process=True)
    testing = Stage(
        'test_ssg_rwsr_pseudo',
        test.main, [
            cfg.table4_test_config, checkpoint, '--work-dir',
            osp.join(work, 'test', 'ssg_rwsr_pseudo'), '--out', result, '--method-name', PSEUDO_ROW,
            '--cfg-options', 'experiment_name=demo_test_ssg_rwsr_pseudo'
        ],
        inputs=[checkpoint, cfg.demo_data],
        outputs=[result],
        settings=dict(config=resolved_config_digest(cfg.table4_test_config)),
        process=True)
    return [training, testing]


def report_stages(work, cfg, result, labels, table) -> List[Stage]:
    """The three-row table and the report with the labels' agreement."""
    compared = {slug: osp.join(work, 'results', f'{slug}.json') for slug in COMPARED_ROWS}
    true_labels = osp.join(cfg.demo_data, 'cityscapes', 'gtFine', 'train')
    columns = TABLES['table4'][1]
    return [
        Stage(
            'pseudo_label_table',
            make_tables.main, [
                *[f'--result={ROWS[slug]}={path}' for slug, path in compared.items()],
                f'--result={PSEUDO_ROW}={result}', '--columns', *columns, '--title',
                'Pseudo-labels: the hidden camera\'s training labels withheld', '--out-md', table
            ],
            inputs=[*compared.values(), result],
            outputs=[table]),
        Stage(
            'pseudo_label_report',
            pseudo_label_report, [table, labels, true_labels,
                                  osp.join(work, 'pseudo_labels.md')],
            inputs=[table, labels, true_labels],
            outputs=[osp.join(work, 'pseudo_labels.md')])
    ]
