# Copyright (c) mmssg contributors. All rights reserved.
"""Side by side with one thread each, or one after the other with every thread?

The demo (``tools/demo.py``) runs its joint-training runs as one-thread processes side by
side. This times the same training runs both ways on the demo's data, pools and stand-ins:

- side by side: ``--runs`` processes of ``tools/train.py``, one thread each, ``--threads``
  at once;
- one after the other: the same runs, each with ``--threads`` threads.

Both use :func:`mmssg.utils.run_jobs`, so process start-up counts on both sides. Needs a
demo work directory (``make demo`` or ``python tools/demo.py``) for the config's paths.

    python benchmarks/parallel_runs.py --demo-root work_dirs/demo --turns 60 --runs 2
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from mmssg.utils import Job, run_jobs  # noqa: E402

DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_demo.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--demo-root', default='work_dirs/demo', help='a demo work directory')
    parser.add_argument('--turns', type=int, default=60, help='turns of each training run')
    parser.add_argument('--runs', type=int, default=2, help='how many training runs')
    parser.add_argument(
        '--threads', type=int, default=os.cpu_count() or 1, help='threads in all (cores)')
    parser.add_argument('--out', help='also write the figures to this JSON file')
    args = parser.parse_args(argv)
    if not osp.isfile(osp.join(args.demo_root, 'pretrained', 'ssg_rwsr_init.pth')):
        parser.error(f'{args.demo_root} holds no finished demo stand-ins '
                     '(pretrained/ssg_rwsr_init.pth); run tools/demo.py first')
    for name in ('turns', 'runs', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be at least 1, got {getattr(args, name)}')
    return args


def training_jobs(work, turns, runs, threads):
    """``runs`` joint-training runs of the demo config (both turns), ``threads`` each."""
    jobs = []
    for index in range(runs):
        run_dir = osp.join(work, f'run{index}')
        command = [
            sys.executable,
            osp.join(REPO_ROOT, 'tools', 'train.py'), DEMO_CONFIG, '--work-dir', run_dir,
            '--cfg-options', f'train_cfg.max_iters={turns}', f'train_cfg.val_begin={turns + 1}',
            f'default_hooks.checkpoint.interval={turns}', f'randomness.seed={index}',
            f'experiment_name=bench_parallel_{index}'
        ]
        jobs.append(Job(f'run{index}', command, osp.join(work, f'run{index}.log'), threads=threads))
    return jobs


def timed(jobs, slots):
    start = time.time()
    run_jobs(jobs, slots)
    return time.time() - start


def main(argv=None):
    args = parse_args(argv)
    os.environ['MMSSG_DEMO_ROOT'] = osp.abspath(args.demo_root)
    with tempfile.TemporaryDirectory() as work:
        side_by_side = timed(
            training_jobs(osp.join(work, 'side'), args.turns, args.runs, 1), args.threads)
        one_after_another = timed(
            training_jobs(osp.join(work, 'serial'), args.turns, args.runs, args.threads),
            args.threads)
    figures = dict(
        turns=args.turns,
        runs=args.runs,
        threads=args.threads,
        side_by_side_s=round(side_by_side, 1),
        one_after_another_s=round(one_after_another, 1),
        ratio=round(one_after_another / side_by_side, 2))
    print(f'{args.runs} runs of {args.turns} turns on {args.threads} threads: side by side, '
          f'one thread each {side_by_side:.1f} s; one after the other, {args.threads} threads '
          f'each {one_after_another:.1f} s; ratio {figures["ratio"]:.2f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(figures, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
