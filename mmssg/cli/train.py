# Copyright (c) mmssg contributors. All rights reserved.
"""Train an mmssg model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``."""
import argparse
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from mmssg.utils import (EXIT_OK, adapt_to_device, add_runner_arguments, enable_amp,
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
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume checkpoint {args.resume} does not exist')
        cfg.resume, cfg.load_from = True, args.resume
    return adapt_to_device(cfg)


def main(argv=None):
    """Train as the config says; returns the exit status."""
    args = parse_args(argv)
    cfg = build_config(args)
    init_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
