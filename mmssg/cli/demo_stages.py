# Copyright (c) mmssg contributors. All rights reserved.
"""The demo's stages (:func:`demo_stages`): each a tool of :mod:`mmssg.cli` and its
arguments, read from the demo config; :mod:`mmssg.cli.demo` runs them (its description lists
them in order).
"""
import functools
import os
import os.path as osp

from mmssg.cli import (collect_noise_patches, compare_crops, estimate_kernels, inference,
                       make_demo_data, make_tables, plot_logs, test, train)
from mmssg.cli.demo_pseudo_labels import pseudo_label_stages
from mmssg.degradation.pools import pool_spec, pool_status
from mmssg.demo.report import ROWS, TABLES
from mmssg.utils import atomic_output, copy_file_atomic
from mmssg.utils.config import resolved_config_digest
from mmssg.utils.stages import Stage

# The joint runs and their turns: every run makes the same number of turns of each of its
# kinds, so the full run is the two ablations' turns together.
JOINT_RUNS = {
    'ssg_rwsr': ['guided', 'adapted'],
    'adapted_only': ['adapted'],
    'guided_only': ['guided']
}
# The full run's training curves, in the work dir
CURVES = 'curves.png'
# The rows' scores in the order they start, and the report's order: the full run's first (its
# training ends last and its score is the longest), then the other Table 3 rows, then the
# Table 4-only ones.
SCORE_ORDER = sorted(ROWS, key=lambda s: (s != 'ssg_rwsr', s not in TABLES['table3'][0]))


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
