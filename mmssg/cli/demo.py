# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job: the whole SSG-RWSR pipeline on generated data, on a CPU.

    python tools/demo.py [--work-dir work_dirs/demo] [--config CONFIG] [--fresh] [--quick]
        [--jobs N] [--dry-run] [--readme README.md]

The job is the list of stages in :func:`~mmssg.cli.demo_stages.demo_stages`, each a tool of
:mod:`mmssg.cli` with its arguments read from the demo config (``configs/ssg_rwsr_x4_demo.py``:
paths, patch sizes, noise windows, the kernel estimator, the stand-ins' configs, the
schedules):

1. ``data``: street scenes in the Cityscapes layout seen through a hidden camera (the real LR
   domain, with labels) and clean HR images (the DF2K stand-in);
2. ``noise_pool`` and ``kernel_pool`` from the real LR training images (section 3.2);
3. ``pretrain_generator`` and ``pretrain_segmentor``: the model-zoo stand-ins, MMagic's
   BaseEditModel on bicubic pairs and MMSegmentation's EncoderDecoder on the real LR images;
   ``initial_checkpoint`` puts both into one SSG-RWSR checkpoint (the row before joint
   training);
4. ``train_<run>``: joint training from the same start, both turns (SSG-RWSR), adapted turns
   only and guided turns only (Table 4);
5. ``test_<row>``: tools/test.py on the real-LR val split against the hidden HR renders, for
   every row, saving the SR images;
6. ``inference``: tools/inference.py on the real-LR val images (no segmentor);
7. ``table3``, ``table4`` and ``figure``: the paper-style tables and a figure of zoomed crops.

A stage is redone only when what it is made from changed, by content: the fully resolved
config (``_base_`` files included), its arguments and the bytes of the earlier stages' outputs
it reads (:mod:`mmssg.utils.stages`; ``--dry-run`` lists what would be redone). Training and
test stages run as one-thread processes side by side, ``--jobs`` at a time, which keeps every
core busy with the small networks' work and fixes each run's arithmetic whatever the number of
cores. Everything goes under the work directory; ``--readme`` also rewrites the README's
results block.
"""
import argparse
import os
import os.path as osp
import shutil
import time

import cv2
import numpy as np
from mmengine.config import Config

from mmssg.cli.demo_stages import CURVES, SCORE_ORDER, demo_stages
from mmssg.demo.report import (PSEUDO_BEGIN, PSEUDO_END, PSEUDO_PAGE, README_BEGIN, README_END,
                               TABLES, results_text, write_readme)
from mmssg.utils import CONFIG_ROOT, atomic_output, copy_file_atomic, list_images
from mmssg.utils.stages import RAN, StageRunner

DEMO_CONFIG = osp.join(CONFIG_ROOT, 'ssg_rwsr_x4_demo.py')
# Where --readme puts the full run's training curves, for the README
README_CURVES = osp.join('docs', 'images', 'demo_curves.png')
# The job's size: (full, --quick); the quick one is the smallest that still runs every stage
# (at 128x64 no noise patch passes Eq. 2-4). The full job's steps and turns are the configs'
# own (:func:`config_schedule`).
SIZES = {
    'full':
    dict(num_train=32, num_val=8, num_clean=24, lr_size=(256, 128), figure_rows=3),
    'quick':
    dict(
        num_train=8,  # the kernel pool's least (MIN_POOLED_IMAGES)
        num_val=2,
        num_clean=3,
        lr_size=(192, 96),
        generator_iters=4,
        segmentor_iters=4,
        joint_turns=2,
        figure_rows=2),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run the SSG-RWSR demo pipeline end to end')
    parser.add_argument('--work-dir', default='work_dirs/demo', help='where everything goes')
    parser.add_argument(
        '--config', default=DEMO_CONFIG, help='the demo config (default: %(default)s)')
    parser.add_argument('--fresh', action='store_true', help='delete the work dir first')
    parser.add_argument('--quick', action='store_true', help='the smallest size, for tests')
    parser.add_argument('--seed', type=int, default=0, help='seed of the demo data')
    parser.add_argument(
        '--jobs',
        type=int,
        default=os.cpu_count() or 1,
        help='processes at once (one thread each) and data workers (default: the cores)')
    parser.add_argument('--dry-run', action='store_true', help='list the stages to redo, run none')
    parser.add_argument(
        '--pseudo-labels',
        action='store_true',
        help='also the SSG-RWSR run with the training labels withheld and replaced by '
        'pseudo-labels of a segmentor trained on another camera (pseudo_labels.md)')
    parser.add_argument(
        '--readme',
        help=f'also write the results between {README_BEGIN} and {README_END} here (with '
        f'--pseudo-labels, that run\'s between {PSEUDO_BEGIN} and {PSEUDO_END} in '
        f'{PSEUDO_PAGE} beside it)')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be at least 1, got {args.jobs}')
    return args


def load_demo_config(config, work):
    """The demo config with its root set to ``work`` (every path the stages use)."""
    os.environ['MMSSG_DEMO_ROOT'] = work  # read by the demo configs
    return Config.fromfile(config)


def config_schedule(cfg):
    """The full job's steps and turns, as the configs spell them out (``train_cfg.max_iters``).

    Returns:
        dict: ``generator_iters`` and ``segmentor_iters`` (the stand-ins' steps) and
        ``joint_turns`` (turns of each kind of the full joint run, and so of each ablation).
    """
    iters, kinds = cfg.train_cfg.max_iters, len(cfg.train_cfg.turns)
    if iters % kinds:
        raise ValueError(f'{cfg.filename}: train_cfg.max_iters={iters} is not a whole number '
                         f'of turns of each of its kinds {cfg.train_cfg.turns}')
    steps = {
        f'{name}_iters': Config.fromfile(path).train_cfg.max_iters
        for name, path in cfg.stand_in_configs.items()
    }
    return dict(steps, joint_turns=iters // kinds)


def largest_difference(folder_a, folder_b):
    """The largest difference in grey levels between the same images of two folders."""
    worst = 0
    for rel in list_images(folder_a):
        a = cv2.imread(osp.join(folder_a, rel)).astype(int)
        b = cv2.imread(osp.join(folder_b, rel)).astype(int)
        worst = max(worst, int(np.abs(a - b).max()))
    return worst


def write_report(cfg, work, args):
    """results.md (and the README block) from the tables, colour errors and kernel widths."""
    tables = []
    for name in TABLES:
        with open(osp.join(work, f'{name}.md')) as f:
            tables.append(f.read().strip())
    results = {slug: osp.join(work, 'results', f'{slug}.json') for slug in SCORE_ORDER}
    text = results_text(tables, results, cfg.kernel_pool,
                        osp.join(cfg.demo_data, 'camera_model.json'))
    with atomic_output(osp.join(work, 'results.md'), 'w') as f:
        f.write(f'{text}\n\n{curves_line(CURVES)}\n')
    if args.readme:
        # the picture goes next to the README's other pictures, where its link points
        os.makedirs(
            osp.join(osp.dirname(osp.abspath(args.readme)), 'docs', 'images'), exist_ok=True)
        copy_file_atomic(osp.join(work, CURVES), osp.join(osp.dirname(args.readme), README_CURVES))
        write_readme(args.readme, f'{text}\n\n{curves_line(README_CURVES)}')
    return text


def curves_line(path):
    """The Markdown line that shows the full run's training curves."""
    return f'Losses of the SSG-RWSR run, per turn (tools/analysis/plot_logs.py): ![losses]({path})'


def main(argv=None):
    """Run every stage that is not current; returns the exit status."""
    args = parse_args(argv)
    work = osp.abspath(args.work_dir)
    if args.fresh and osp.isdir(work) and not args.dry_run:
        print(f'--fresh: removing {work}')
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    cfg = load_demo_config(args.config, work)
    size = SIZES['quick'] if args.quick else dict(SIZES['full'], **config_schedule(cfg))
    runner = StageRunner(
        demo_stages(cfg, osp.abspath(args.config), work, size, args), osp.join(work, 'stages'),
        osp.join(work, 'logs'), args.jobs)
    if args.dry_run:
        for name, outcome in runner.plan().items():
            print(f'{name}: {outcome}')
        return 0
    start = time.time()
    outcome = runner.run()
    print(f'\nstages run: {", ".join(n for n, o in outcome.items() if o == RAN) or "none"}')
    difference = largest_difference(
        osp.join(work, 'sr_inference'), osp.join(work, 'sr', 'ssg_rwsr'))
    text = write_report(cfg, work, args)
    print(f'\nSSG-RWSR demo on the {size["num_val"]} real-LR val images '
          f'({size["lr_size"][0]}x{size["lr_size"][1]} -> x4), {time.time() - start:.0f} s:'
          f'\n\n{text}\n\ntools/inference.py against the SR images tools/test.py saved: at most '
          f'{difference} grey level(s) apart\nwork dir {work}: results/, sr/<row>/, '
          'comparison.png, results.md')
    if args.pseudo_labels:
        report_pseudo_labels(work, args.readme)
    return 0


def report_pseudo_labels(work, readme=None):
    """Print the pseudo-label run's report; with ``readme``, also write it into the block of
    :data:`PSEUDO_PAGE` next to that README."""
    with open(osp.join(work, 'pseudo_labels.md')) as f:
        text = f.read().strip()
    print(f'\n{text}\nin {osp.join(work, "pseudo_labels.md")}')
    if readme:
        page = osp.join(osp.dirname(osp.abspath(readme)), PSEUDO_PAGE)
        write_readme(page, text, PSEUDO_BEGIN, PSEUDO_END)
