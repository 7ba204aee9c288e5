# Copyright (c) mmssg contributors. All rights reserved.
"""Evaluate an mmssg model: ``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]``."""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmssg.utils import adapt_to_device, init_cpu_distributed, load_run_config  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (evaluate) an SSG-RWSR model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='also dump the metrics to this JSON file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args) -> Config:
    """The config of an evaluation, with the command line applied."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    # the trained checkpoint replaces every pretrained init
    cfg.model.get('generator', {}).pop('init_cfg', None)
    if cfg.model.get('segmentor'):
        cfg.model.segmentor.pop('init_cfg', None)
    return adapt_to_device(cfg)


class MetricsRecorder(Hook):
    """Keeps the metrics of the test epoch (MMagic's test loop does not return them)."""

    def __init__(self):
        self.metrics = None

    def after_test_epoch(self, runner, metrics=None):
        self.metrics = metrics


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    init_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    recorder = MetricsRecorder()
    runner.register_hook(recorder, 'LOWEST')
    runner.test()
    metrics = {k: float(v) for k, v in (recorder.metrics or {}).items()}
    if args.out and runner.rank == 0:
        with open(args.out, 'w') as f:
            json.dump(metrics, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
