# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job: the whole SSG-RWSR pipeline on generated data, on a CPU.

    python tools/demo.py [--work-dir work_dirs/demo] [--config CONFIG] [--fresh] [--quick]
        [--jobs N] [--dry-run] [--readme README.md]

The job is the list of stages in :func:`demo_stages`, each a tool of :mod:`mmssg.cli` with its
arguments read from the demo config (``configs/ssg_rwsr_x4_demo.py``: paths, patch sizes,
noise windows, the kernel estimator, the stand-ins' configs, the schedules):

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
import functools
import os
import os.path as osp
import shutil
import time

import cv2
import numpy as np
from mmengine.config import Config

from mmssg.cli import (collect_noise_patches, compare_crops, estimate_kernels, inference,
                       make_demo_data, make_tables, plot_logs, test, train)
from mmssg.cli.demo_pseudo_labels import pseudo_label_stages
from mmssg.degradation.pools import pool_spec, pool_status
from mmssg.demo.report import (PSEUDO_BEGIN, PSEUDO_END, PSEUDO_PAGE, README_BEGIN, README_END,
                               ROWS, TABLES, results_text, write_readme)
from mmssg.utils import CONFIG_ROOT, atomic_output, copy_file_atomic, list_images
from mmssg.utils.config import resolved_config_digest
from mmssg.utils.stages import RAN, Stage, StageRunner

DEMO_CONFIG = osp.join(CONFIG_ROOT, 'ssg_rwsr_x4_demo.py')
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
# The joint runs and their turns: every run makes the same number of turns of each of its
# kinds, so the full run is the two ablations' turns together.
JOINT_RUNS = {
    'ssg_rwsr': ['guided', 'adapted'],
    'adapted_only': ['adapted'],
    'guided_only': ['guided']
}
# The full run's training curves: in the work dir, and where --readme puts them for the README
CURVES, README_CURVES = 'curves.png', osp.join('docs', 'images', 'demo_curves.png')
# The rows' scores in the order they start, and the report's order: the full run's first (its
# training ends last and its score is the longest), then the other Table 3 rows, then the
# Table 4-only ones.
SCORE_ORDER = sorted(ROWS, key=lambda s: (s != 'ssg_rwsr', s not in TABLES['table3'][0]))


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


def trained_for(config, iters, name, work_dir):
    """tools/train.py's arguments for ``iters`` steps, keeping (only) the last checkpoint."""
    return [
        config, '--work-dir', work_dir, '--cfg-options', f'train_cfg.max_iters={iters}',
        f'default_hooks.checkpoint.interval={iters}', f'experiment_name=demo_{name}'
    ]


def stand_in_stage(cfg, work, name, iters):
    """Train a model-zoo stand-in; its last checkpoint is kept where the demo config reads it."""
    config, target = cfg.stand_in_configs[name], cfg[f'{name}_stand_in']
    work_dir = osp.join(work, f'pretrain_{name}')

    def keep_checkpoint():
        os.makedirs(osp.dirname(target), exist_ok=True)
        copy_file_atomic(osp.join(work_dir, f'iter_{iters}.pth'), target)

    return Stage(
        f'pretrain_{name}',
        train.main,
        trained_for(config, iters, f'pretrain_{name}', work_dir),
        inputs=[cfg.demo_data],
        outputs=[target],
        settings=dict(config=resolved_config_digest(config)),
        process=True,
        then=keep_checkpoint)


def initial_checkpoint(argv):
    """``[generator stand-in, segmentor stand-in, out]``: both in one SSG-RWSR checkpoint."""
    import torch

    from mmssg.models.utils import network_state_dict, read_checkpoint
    generator, segmentor, out = argv
    state = {
        f'generator.{k}': v
        for k, v in network_state_dict(read_checkpoint(generator), 'generator').items()
    }
    state.update({f'segmentor.{k}': v for k, v in read_checkpoint(segmentor).items()})
    with atomic_output(out) as f:
        torch.save({'state_dict': state, 'meta': dict(note='demo stand-ins')}, f)
    return 0


def pool_stages(cfg, config, jobs):
    """The noise-patch and kernel pools of the demo config (:func:`pool_spec`), current when
    :func:`pool_status` says so."""
    stages = []
    for kind, command in (('noise', collect_noise_patches.main), ('kernels',
                                                                  estimate_kernels.main)):
        spec = pool_spec(cfg, kind)
        stages.append(
            Stage(
                f'{kind.rstrip("s")}_pool',
                command, ['--config', config],
                quiet_argv=['--workers', str(jobs)],
                inputs=[spec.src_dir],
                outputs=[spec.out_dir],
                settings=spec._asdict(),
                check=functools.partial(pool_status, spec)))
    return stages


def joint_stages(cfg, config, work, turns):
    """The three joint-training runs from the same stand-ins; returns (stages, checkpoints)."""
    stages, checkpoints = [], {}
    made_from = [
        cfg.generator_stand_in, cfg.segmentor_stand_in, cfg.noise_pool, cfg.kernel_pool,
        cfg.demo_data
    ]
    for slug, kinds in JOINT_RUNS.items():
        iters = turns * len(kinds)
        train_dir = osp.join(work, 'train', slug)
        checkpoints[slug] = osp.join(train_dir, f'iter_{iters}.pth')
        argv = trained_for(config, iters, slug, train_dir) + [
            f'train_cfg.val_interval={iters}', f'train_cfg.val_begin={iters + 1}',
            f'train_cfg.turns=[{",".join(kinds)}]'
        ]
        stages.append(
            Stage(
                f'train_{slug}',
                train.main,
                argv,
                inputs=made_from,
                outputs=[checkpoints[slug]],
                settings=dict(config=resolved_config_digest(config)),
                process=True))
    checkpoints['bicubic'] = checkpoints['ssg_rwsr']  # its segmentor scores bicubic's mIoU
    return stages, checkpoints


def test_stages(cfg, config, work, checkpoints):
    """tools/test.py for every row (in :data:`SCORE_ORDER`); the Table 4-only rows skip the
    slow NIQE and DISTS."""
    stages = []
    for slug in SCORE_ORDER:
        test_config = config if slug in TABLES['table3'][0] else cfg.table4_test_config
        options = [f'experiment_name=demo_test_{slug}']
        if slug == 'bicubic':
            options.append('model.generator.type=BicubicUpsampler')
        stages.append(
            Stage(
                f'test_{slug}',
                test.main, [
                    test_config, checkpoints[slug], '--work-dir',
                    osp.join(work, 'test', slug), '--out',
                    osp.join(work, 'results', f'{slug}.json'), '--method-name', ROWS[slug],
                    '--save-sr',
                    osp.join(work, 'sr', slug), '--cfg-options', *options
                ],
                inputs=[checkpoints[slug], cfg.demo_data],
                outputs=[osp.join(work, 'results', f'{slug}.json'),
                         osp.join(work, 'sr', slug)],
                settings=dict(config=resolved_config_digest(test_config)),
                process=True))
    return stages


def report_stages(cfg, config, work, checkpoints, size):
    """Inference without the segmentor, the two tables, the figure of zoomed crops and the
    full run's training curves."""
    val = osp.join(cfg.demo_data, 'cityscapes', 'leftImg8bit', 'val')
    hr = osp.join(cfg.demo_data, 'cityscapes', 'leftImg8bit_hr', 'val')
    results = {slug: osp.join(work, 'results', f'{slug}.json') for slug in ROWS}
    stages = [
        Stage(
            'inference',
            inference.main, [config, checkpoints['ssg_rwsr'], val,
                             osp.join(work, 'sr_inference')],
            inputs=[checkpoints['ssg_rwsr'], val],
            outputs=[osp.join(work, 'sr_inference')],
            settings=dict(config=resolved_config_digest(config)))
    ]
    for name, (rows, columns, title) in TABLES.items():
        stages.append(
            Stage(
                name,
                make_tables.main, [
                    *[f'--result={ROWS[slug]}={results[slug]}'
                      for slug in rows], '--columns', *columns, '--title', title, '--out-md',
                    osp.join(work, f'{name}.md'), '--out-csv',
                    osp.join(work, f'{name}.csv')
                ],
                inputs=[results[slug] for slug in rows],
                outputs=[osp.join(work, f'{name}.md'),
                         osp.join(work, f'{name}.csv')]))
    sr = {slug: osp.join(work, 'sr', slug) for slug in ROWS}
    stages.append(
        Stage(
            'figure',
            compare_crops.main, [
                '--lr', val, *[f'--method={ROWS[slug]}={path}'
                               for slug, path in sr.items()], '--hr', hr, '--num-images',
                str(size['figure_rows']), '--scale',
                str(cfg.scale), '--out',
                osp.join(work, 'comparison.png')
            ],
            inputs=[val, hr, *sr.values()],
            outputs=[osp.join(work, 'comparison.png')]))
    full_run = osp.dirname(checkpoints['ssg_rwsr'])
    stages.append(
        Stage(
            'curves',
            plot_logs.main, [full_run, '--out', osp.join(work, CURVES)],
            inputs=[full_run],
            outputs=[osp.join(work, CURVES)]))
    return stages


def demo_stages(cfg, config, work, size, args):
    """Every stage of the demo, in the order they may run."""
    data = Stage(
        'data',
        make_demo_data.main, [
            cfg.demo_data, '--seed',
            str(args.seed), '--num-train',
            str(size['num_train']), '--num-val',
            str(size['num_val']), '--num-clean',
            str(size['num_clean']), '--lr-size', *map(str, size['lr_size'])
        ],
        quiet_argv=['--workers', str(args.jobs)],
        outputs=[cfg.demo_data],
        title='street scenes through a hidden camera + clean HR images')
    initial = osp.join(work, 'pretrained', 'ssg_rwsr_init.pth')
    stand_ins = [
        stand_in_stage(cfg, work, name, size[f'{name}_iters']) for name in cfg.stand_in_configs
    ]
    combine = Stage(
        'initial_checkpoint',
        initial_checkpoint, [cfg.generator_stand_in, cfg.segmentor_stand_in, initial],
        inputs=[cfg.generator_stand_in, cfg.segmentor_stand_in],
        outputs=[initial])
    joint, checkpoints = joint_stages(cfg, config, work, size['joint_turns'])
    checkpoints['stand_ins'] = initial
    pseudo = (
        pseudo_label_stages(cfg, config, work, size, args, trained_for)
        if args.pseudo_labels else dict(data=[], runs=[], report=[]))
    return ([data] + pool_stages(cfg, config, args.jobs) + pseudo['data'] + stand_ins + [combine] +
            joint + pseudo['runs'] + test_stages(cfg, config, work, checkpoints) +
            pseudo['report'] + report_stages(cfg, config, work, checkpoints, size))


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
