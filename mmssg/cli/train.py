# Copyright (c) mmssg contributors. All rights reserved.
"""Train an mmssg model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``."""
import argparse
import logging
import os.path as osp

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmssg.apis.preflight import check_run_inputs, describe
from mmssg.engine.hooks import ensure_collect_dir_hook
from mmssg.utils import (EXIT_ERROR, EXIT_OK, adapt_to_device, add_runner_arguments, enable_amp,
                         init_cpu_distributed, load_run_config, parse_runner_args, run_tool)
from mmssg.utils.cli import add_trust_argument, apply_trust


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train an SSG-RWSR model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir '
        'when no path is given')
    parser.add_argument('--amp', action='store_true', help='mixed precision (fp16) training')
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        default=None,
        help='dtype of --amp (default: float16)')
    parser.add_argument(
        '--check',
        action='store_true',
        help='only check that every input the config names is there (datasets, pools, start '
        'and metric weights), list what is missing with what provides it, and exit')
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        help='also log scalars and validation pictures for TensorBoard (<work dir>/<time>/'
        'vis_data/)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale both learning rates by the batch size of this run (processes x the guided '
        'loader\'s batch) over the config\'s auto_scale_lr.base_batch_size')
    add_runner_arguments(parser)
    add_trust_argument(parser)
    return apply_trust(parse_runner_args(parser, argv))


def build_config(args) -> Config:
    """The config of a run, with the command line applied."""
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.amp or args.amp_dtype:
        enable_amp(cfg, args.amp_dtype)
    if args.auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise KeyError(f'{args.config}: --auto-scale-lr needs auto_scale_lr.base_batch_size '
                           '(the total batch the learning rates are set for) in the config')
        cfg.auto_scale_lr.enable = True
    if args.tensorboard:
        cfg.visualizer.vis_backends = [
            *cfg.visualizer.get('vis_backends', []),
            dict(type='TensorboardVisBackend')
        ]
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume checkpoint {args.resume} does not exist')
        cfg.resume, cfg.load_from = True, args.resume
    return adapt_to_device(cfg)


def check_inputs(cfg, config: str, only_check: bool) -> int:
    """Check every input of the run (:mod:`mmssg.apis.preflight`) before anything is built.

    Returns:
        int: With ``only_check``, the exit status of ``--check`` (1 when an input is missing).

    Raises:
        FileNotFoundError: Without ``only_check``, when an input is missing; the message lists
            every one, with what provides it.
    """
    report = check_run_inputs(cfg)
    downloads = ('\nDownloaded on first use (missing on a machine without internet access):\n' +
                 describe(report.to_download)) if report.to_download else ''
    if only_check:
        print(f'{config}: inputs found:\n{describe(report.present)}')
        if report.missing:
            print(f'missing:\n{describe(report.missing)}')
        print(downloads.strip() or 'nothing to download')
        return EXIT_ERROR if report.missing else EXIT_OK
    if report.missing:
        raise FileNotFoundError(f'{config}: {len(report.missing)} input(s) of this run are '
                                f'missing:\n{describe(report.missing)}{downloads}')
    if downloads:
        print_log(downloads.strip(), logger='current', level=logging.WARNING)
    return EXIT_OK


def main(argv=None):
    """Train as the config says; returns the exit status."""
    args = parse_args(argv)
    cfg = build_config(args)
    status = check_inputs(cfg, args.config, args.check)
    if args.check:
        return status
    init_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    ensure_collect_dir_hook(runner)
    runner.train()
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
