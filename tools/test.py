# Copyright (c) mmssg contributors. All rights reserved.
"""Evaluate an mmssg model: ``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]``."""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmssg.models.utils import evaluation_model_cfg, load_networks, read_checkpoint  # noqa: E402
from mmssg.utils import (EXIT_OK, adapt_to_device, init_cpu_distributed,  # noqa: E402
                         load_run_config, run_tool)


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
    """The config of an evaluation, with the command line applied.

    The model is built as :func:`mmssg.apis.init_model` builds it (no pretrained
    init, no perceptual loss); the checkpoint is loaded strictly in :func:`main`
    rather than through ``load_from``, which mmengine loads leniently.
    """
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.model = evaluation_model_cfg(cfg.model, with_segmentor=bool(cfg.model.get('segmentor')))
    cfg.load_from = None
    return adapt_to_device(cfg)


class MetricsRecorder(Hook):
    """Keeps the metrics of the test epoch (MMagic's test loop does not return them)."""

    def __init__(self):
        self.metrics = None

    def after_test_epoch(self, runner, metrics=None):
        self.metrics = metrics


def main(argv=None):
    """Evaluate CHECKPOINT with the config's test loop; returns the exit status."""
    args = parse_args(argv)
    weights = read_checkpoint(args.checkpoint)  # a bad file fails before anything is built
    cfg = build_config(args)
    init_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    load_networks(runner.model.module if is_model_wrapper(runner.model) else runner.model,
                  weights, source=args.checkpoint)
    recorder = MetricsRecorder()
    runner.register_hook(recorder, 'LOWEST')
    runner.test()
    metrics = {k: float(v) for k, v in (recorder.metrics or {}).items()}
    if args.out and runner.rank == 0:
        with open(args.out, 'w') as f:
            json.dump(metrics, f, indent=2)
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
