# Copyright (c) mmssg contributors. All rights reserved.
"""Every GPU speed figure of the project in one run of about 8 minutes, results in ``--out``.

On the lent GPU machine (after ``../shared/device/``'s kit, see its README), from the
repository root, with ``carry: [".whl", ".devkit"]``:

    bash .devkit/install_on_device.sh && export PYTHONPATH=/tmp/site:$PWD && \\
        python3 -m benchmarks.speed.gpu_session --out $OUT

Here, to check the plan in seconds (every stage's command parsed by its own benchmark, the
training config written and read back; nothing runs; ``plan.json`` in ``--out``), for the GPU
run as it is and for the dry run:

    python benchmarks/speed/gpu_session.py --plan --out /tmp/gpu_session_plan

and to run the whole script end to end on CPU with tiny sizes and the tests' tiny networks
(2 to 9 minutes on the 2-core development machine, depending on what else runs there, most
of it the OpenMMLab imports of each stage's process):

    python benchmarks/speed/gpu_session.py --dry-run --out /tmp/gpu_session_dry

Stages, most important first, each in its own process with a time limit (a stage that fails
or runs out of time is recorded and the next one starts):

1. ``data``: full-size generated data (Cityscapes-sized frames with labels, DF2K-sized HR
   images, 25x25 kernel and 128x128 noise pools; ``benchmarks/speed/data_pipeline.py``).
2. ``data_pipeline``: samples/s per worker of both training pipelines on this machine's CPU.
3. ``train``: ``python -m mmssg.cli.train`` (``tools/train.py``) with
   ``configs/ssg_rwsr_x4_cityscapes_bf16.py`` at batch 12 on one GPU (model-zoo weights and
   the LPIPS backbone replaced by random ones: nothing can be downloaded there), ``--warmup``
   + ``--turns`` iterations, logged every 10 iterations over windows of 10; the summary
   averages mmengine's own ``time`` and ``data_time`` over the turns after the warm-up.
4. ``joint_step``: ``benchmarks/speed/joint_step.py``, plugin vs plain, cheap levers.
5. ``inference``: a 2048x1024 frame x4 in bf16, whole and in 256-pixel tiles (time, peak
   memory); ``tools/inference.py``'s loop on a folder of such frames, with and without
   overlapped decoding and encoding.
6. ``lpips``: LPIPS bf16 against fp32 on photographs (random backbone;
   ``benchmarks/accuracy/lpips_precision.py``).
7. ``joint_step_compile``: the torch.compile / CUDA-graph levers, in whatever time is left.

``summary.json`` and ``summary.md`` in ``--out`` hold the figures; each stage's output is in
``<stage>.log``. What it measures and the targets: ``benchmarks/RESULTS.md#gpu_session``.
"""
import argparse
import glob
import importlib
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from mmengine.config import Config

from mmssg.testing import REPO_ROOT, tiny_model_cfg

GPU_MODES = ['bf16_cl', 'bf16_cl+fused', 'bf16_cl+fused+lpips_bf16']
GPU_COMPILE_MODES = [
    'bf16_cl+fused+compile_seg', 'bf16_cl+fused+compile_gen+compile_seg', 'bf16_cl+fused+cudagraphs'
]


def run_stage(name, cmd, timeout, out_dir, cwd=None):
    """Run ``cmd`` in its own process group; kill the whole group after ``timeout`` s.

    Returns:
        dict: ``status`` (the exit status or ``'timeout'``), ``seconds`` and ``limit``.
    """
    t0 = time.time()
    with open(osp.join(out_dir, f'{name}.log'), 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n')
        log.flush()
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd or REPO_ROOT, start_new_session=True)
        try:
            status = proc.wait(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            status = 'timeout'
    seconds = time.time() - t0
    print(f'[{name}] {status} after {seconds:.0f} s (limit {timeout:.0f} s)', flush=True)
    return dict(status=status, seconds=round(seconds, 1), limit=round(timeout))


def train_config(args, work):
    """The bf16 config made runnable here; written next to the run, returns its path."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes_bf16.py'))
    cfg.model.generator.init_cfg = None  # the model zoo cannot be reached
    cfg.model.segmentor.init_cfg = None
    cfg.model.perceptual_loss.pretrained_backbone = False
    loaders = (cfg.train_dataloader, cfg.train_cfg.dataloaders.adapted)
    for loader in loaders:
        loader.batch_size = args.batch
        loader.num_workers = args.workers
    cfg.train_cfg.max_iters = args.warmup + args.turns
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.logger.interval = args.log_every
    cfg.default_hooks.checkpoint.update(interval=10**9, save_last=False)
    cfg.log_processor.window_size = args.log_every
    if args.dry_run:
        dry_run_train_config(cfg)
    path = osp.join(work, 'train_config.py')
    cfg.dump(path)
    return path


def dry_run_train_config(cfg):
    """The tests' tiny networks, tiny crops, plain fp32 wrappers: the same run on a CPU."""
    for name in ('generator', 'segmentor'):
        optimizer = cfg.optim_wrapper[name].optimizer
        cfg.optim_wrapper[name] = dict(type='OptimWrapper', optimizer=optimizer)
    tiny = tiny_model_cfg()
    cfg.model.generator, cfg.model.segmentor = tiny.generator, tiny.segmentor
    for transform in cfg.train_dataloader.dataset.pipeline:
        if 'crop_size' in transform:
            transform.crop_size = (16, 16)
    for transform in cfg.train_cfg.dataloaders.adapted.dataset.pipeline:
        if 'crop_size' in transform:
            transform.crop_size = (64, 64)


def train_figures(work, warmup, log_every):
    """Mean ``time`` and ``data_time`` (ms) of the logged windows after the warm-up."""
    files = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    if not files:
        return dict(error=f'no scalars.json under {work}')
    with open(max(files, key=osp.getmtime)) as f:
        records = [json.loads(line) for line in f if line.strip()]
    timed = [r for r in records if 'data_time' in r and r.get('iter', 0) > warmup]
    if not timed:
        return dict(error='no logged iteration after the warm-up')
    time_ms = 1000 * sum(r['time'] for r in timed) / len(timed)
    data_ms = 1000 * sum(r['data_time'] for r in timed) / len(timed)
    return dict(
        turns_timed=log_every * len(timed),
        time_ms=round(time_ms, 1),
        data_time_ms=round(data_ms, 2),
        data_share=round(data_ms / time_ms, 4),
        hours_for_100k_turns=round(time_ms * 1e5 / 3.6e6, 2))


def stage_commands(args, work):
    """``(name, command, share of the budget or None for 'what is left', cwd)`` of every stage.

    The training config is written into ``work`` (the training stage runs there, where the
    configs' ``data/`` paths find the generated data).
    """
    py = [sys.executable, '-W', 'ignore', '-m']
    tiny = args.dry_run
    data_cmd = py + [
        'benchmarks.speed.data_pipeline', '--make-data',
        osp.join(work, 'data'), '--jobs',
        str(os.cpu_count()), '--frames',
        str(args.frames), '--hr-images',
        str(args.frames)
    ]
    if tiny:
        data_cmd += ['--frame-size', '128', '256', '--hr-size', '256', '256']
    pipeline = py + [
        'benchmarks.speed.data_pipeline', '--json',
        osp.join(args.out, 'data_pipeline.json')
    ]
    pipeline += (
        ['--frames', '2', '--hr-images', '2', '--samples', '4', '--repeats', '1'] if tiny else [
            '--frames', '8', '--hr-images', '8', '--samples', '24', '--repeats', '2', '--jobs',
            str(os.cpu_count())
        ])
    train = py + [
        'mmssg.cli.train',
        train_config(args, work), '--work-dir',
        osp.join(work, 'train')
    ]
    return [
        ('data', data_cmd, 0.06, None),
        ('data_pipeline', pipeline, 0.07, None),
        ('train', train, 0.36, work),
        *model_stages(args, py),
    ]


def model_stages(args, py):
    """The stages of :func:`stage_commands` that time the networks."""
    tiny = args.dry_run
    joint = py + [
        'benchmarks.speed.joint_step', '--device', args.device, '--batch',
        str(args.batch), '--lr-size', '16' if tiny else '128', '--iters', '1' if tiny else '6',
        '--warmup', '1' if tiny else '2'
    ] + (['--tiny'] if tiny else [])
    gpu_modes = ['fp32', 'fp32+fused'] if tiny else GPU_MODES
    compile_modes = (['fp32+compile_seg', '--compile-backend', 'eager']
                     if tiny else GPU_COMPILE_MODES)
    frame = ['--width', '32', '--height', '16'] if tiny else ['--width', '2048', '--height', '1024']
    dtype = 'fp32' if tiny else 'bf16'
    return [
        ('joint_step', joint + ['--modes'] + gpu_modes +
         ['--json', osp.join(args.out, 'joint_step.json')], 0.13, None),
        ('inference_tiling', py + [
            'benchmarks.speed.inference_tiling', '--device', args.device, '--dtype', dtype,
            '--config', 'configs/ssg_rwsr_x4_cityscapes_bf16.py', '--tile', '8' if tiny else '256',
            '--overlaps', '4' if tiny else '16', '--repeats', '1' if tiny else '2', '--generator',
            'demo' if tiny else 'paper', '--json',
            osp.join(args.out, 'inference_tiling.json')
        ] + frame, 0.07, None),
        ('inference_folder', py + [
            'benchmarks.speed.inference_folder', '--device', args.device, '--dtype', dtype,
            '--generator', 'demo' if tiny else 'paper', '--frames', '2' if tiny else '4',
            '--workers', '0', '4', '--repeats', '1', '--json',
            osp.join(args.out, 'inference_folder.json')
        ] + frame, 0.08, None),
        ('lpips', py + [
            'benchmarks.accuracy.lpips_precision', '--device', args.device, '--size',
            '64' if tiny else '512', '--json',
            osp.join(args.out, 'lpips.json')
        ], 0.05, None),
        ('joint_step_compile', joint + ['--modes'] + compile_modes +
         ['--json', osp.join(args.out, 'joint_step_compile.json')], None, None),
    ]


def check_command(cmd):
    """Parse a stage's arguments with the parser of the module it runs (``-m``).

    Returns:
        str: ``''`` when they parse, else what is wrong.
    """
    if '-m' not in cmd:
        return f'not a module command: {cmd}'
    module, argv = cmd[cmd.index('-m') + 1], cmd[cmd.index('-m') + 2:]
    try:
        importlib.import_module(module).parse_args(argv)
    except SystemExit as error:  # argparse's refusal (its message went to stderr)
        return f'{module} refuses {argv} (exit status {error.code})'
    except (ImportError, AttributeError) as error:
        return (f'{module}: {error} (run from the repository root: python -m '
                'benchmarks.speed.gpu_session --plan ...)')
    return ''


def check_plan(stages, args):
    """Check every stage's command and the training config; write ``plan.json``.

    Returns:
        int: 0 if the plan holds, 1 if a stage's command or the config does not.
    """
    plan, errors = [], []
    for name, cmd, share, cwd in stages:
        problem = check_command(cmd)
        if name == 'train' and not problem:
            config = Config.fromfile(cmd[cmd.index('mmssg.cli.train') + 1])
            if config.train_cfg.max_iters != args.warmup + args.turns:
                problem = f'the training config runs {config.train_cfg.max_iters} turns'
        plan.append(dict(stage=name, command=cmd, share=share, cwd=cwd, problem=problem))
        errors += [f'{name}: {problem}'] if problem else []
        print(f'[{name}] {"ok" if not problem else problem}: {" ".join(cmd[3:])}')
    with open(osp.join(args.out, 'plan.json'), 'w') as f:
        json.dump(dict(args=vars(args), stages=plan, errors=errors), f, indent=2)
    return 1 if errors else 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=os.environ.get('OUT'), help='results folder ($OUT)')
    parser.add_argument(
        '--budget-s',
        type=float,
        default=None,
        help='seconds for all stages (default: 480; 1200 with --dry-run)')
    parser.add_argument('--dry-run', action='store_true', help='tiny sizes, on CPU')
    parser.add_argument(
        '--plan',
        action='store_true',
        help='check the stages\' commands and the training config, run nothing')
    parser.add_argument('--turns', type=int, default=300, help='timed training turns')
    parser.add_argument('--warmup', type=int, default=40, help='training turns not timed')
    parser.add_argument('--batch', type=int, default=12)
    parser.add_argument('--workers', type=int, default=6, help='dataloader workers per turn')
    parser.add_argument('--frames', type=int, default=32, help='frames and HR images')
    args = parser.parse_args(argv)
    if not args.out:
        parser.error('give --out (or set $OUT)')
    args.out = osp.abspath(args.out)  # the stages run in other folders
    args.log_every = 10
    if args.dry_run:
        args.turns, args.warmup, args.batch, args.workers, args.frames = 4, 2, 2, 1, 4
        args.log_every = 2
    if args.budget_s is None:
        args.budget_s = 1200 if args.dry_run else 480
    args.device = 'cpu' if args.dry_run else 'cuda'
    return args


def run_stages(stages, args):
    """Each stage in turn within its share of ``--budget-s``; their records."""
    records, deadline = {}, time.time() + args.budget_s
    for name, cmd, share, cwd in stages:
        left = deadline - time.time()
        limit = left if share is None else min(share * args.budget_s, left)
        if limit < 5:
            records[name] = dict(status='skipped: no time left')
            continue
        records[name] = run_stage(name, cmd, limit, args.out, cwd=cwd)
    return records


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix='mmssg_gpu_session_')
    try:
        stages = stage_commands(args, work)
        if args.plan:
            return check_plan(stages, args)
        summary = dict(args=vars(args), stages=run_stages(stages, args))
        summary['train'] = train_figures(osp.join(work, 'train'), args.warmup, args.log_every)
        for scalars in glob.glob(osp.join(work, 'train', '*', 'vis_data', 'scalars.json')):
            shutil.copy(scalars, osp.join(args.out, 'train_scalars.json'))
        write_summary(summary, args.out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def write_summary(summary, out):
    """``summary.json`` and ``summary.md`` in ``out``; the Markdown is printed too."""
    summary['machine'] = machine_description()
    with open(osp.join(out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    lines = [f'# GPU session ({summary["machine"]})', '', '| stage | status | s |', '|---|---|---|']
    lines += [
        f'| {name} | {s.get("status")} | {s.get("seconds", "")} |'
        for name, s in summary['stages'].items()
    ]
    lines += ['', '## train (mmengine log)', '', json.dumps(summary['train'], indent=2)]
    with open(osp.join(out, 'summary.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


def machine_description():
    import torch
    if torch.cuda.is_available():
        return f'{torch.cuda.get_device_name()}, torch {torch.__version__}'
    return f'CPU only ({os.cpu_count()} cores), torch {torch.__version__}'


if __name__ == '__main__':
    sys.exit(main())
