# Copyright (c) mmssg contributors. All rights reserved.
"""Evaluate an mmssg model: ``python tools/test.py CONFIG [CHECKPOINT] [--out RESULTS.json]``.

Without CHECKPOINT the model's weights come from its config (the ``init_cfg`` of the
model-zoo baselines in configs/baselines/; bicubic needs none). ``--out`` writes a results
file that names the method, config, checkpoint and dataset next to the metrics, the input of
tools/analysis/make_tables.py.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmssg.engine.hooks import ensure_collect_dir_hook
from mmssg.models.utils import evaluation_model_cfg, load_networks, read_checkpoint
from mmssg.utils import (EXIT_OK, adapt_to_device, add_runner_arguments, atomic_output,
                         check_outputs, init_cpu_distributed, is_inside, load_run_config,
                         parse_runner_args, run_tool, write_image_atomic)
from mmssg.utils.cli import add_trust_argument, apply_trust


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (evaluate) an SSG-RWSR model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file; omit it when the config names the weights (model-zoo baselines)')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out',
        help='write the results (metrics, method, config, checkpoint, dataset, image '
        'count, metrics run with random weights) to this JSON file')
    parser.add_argument(
        '--method-name', help='the method\'s name in the --out file (default: the config name)')
    parser.add_argument(
        '--save-sr',
        metavar='DIR',
        help='also write every SR image as PNG under DIR, at its input\'s relative path')
    add_runner_arguments(parser)
    add_trust_argument(parser)
    return apply_trust(parse_runner_args(parser, argv))


def build_config(args) -> Config:
    """The config of an evaluation, with the command line applied.

    With a CHECKPOINT, the model is built as :func:`mmssg.apis.init_model` builds
    it (no pretrained init, no perceptual loss) and the checkpoint is loaded
    strictly in :func:`main` rather than through ``load_from``, which mmengine
    loads leniently. Without one, the config's ``init_cfg`` name the weights.
    """
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = None
    if args.checkpoint is None:
        return adapt_to_device(cfg)
    cfg.model = evaluation_model_cfg(cfg.model, with_segmentor=bool(cfg.model.get('segmentor')))
    return adapt_to_device(cfg)


class MetricsRecorder(Hook):
    """Keeps the metrics of the test epoch (MMagic's test loop does not return them)."""

    def __init__(self):
        self.metrics = None

    def after_test_epoch(self, runner, metrics=None):
        self.metrics = metrics


class SRImageWriter(Hook):
    """Writes each SR output of the test as PNG under ``out_dir``, at its input's relative path.

    Args:
        out_dir (str): Output folder.
        img_root (str): The folder the dataset's images are listed from.
    """

    def __init__(self, out_dir, img_root):
        self.out_dir, self.img_root = out_dir, img_root

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        for sample in outputs or []:
            rel = osp.relpath(sample.metainfo['img_path'], self.img_root)
            path = osp.join(self.out_dir, osp.splitext(rel)[0] + '.png')
            # MMagic's data samples hold BGR images in [0, 255], (C, H, W)
            img = sample.output.pred_img.detach().cpu().clamp(0, 255).round().byte()
            os.makedirs(osp.dirname(path), exist_ok=True)
            write_image_atomic(path, img.permute(1, 2, 0).numpy())


def test_image_root(cfg) -> str:
    """The folder the test dataset's images are listed from."""
    dataset = cfg.test_dataloader.dataset
    prefix = dataset.get('data_prefix', {})
    return osp.join(dataset.get('data_root') or '', prefix.get('img_path', prefix.get('img', '')))


def check_test_outputs(args, cfg) -> None:
    """Refuse an ``--out`` that is CONFIG or CHECKPOINT, and a ``--save-sr`` folder that is,
    holds or lies inside the test images' folder (its PNGs would replace them)."""
    check_outputs({'--out': args.out}, [p for p in (args.config, args.checkpoint) if p])
    if args.save_sr:
        images = test_image_root(cfg)
        if is_inside(args.save_sr, images) or is_inside(images, args.save_sr):
            raise ValueError(f'--save-sr {args.save_sr} is, holds or lies inside the test '
                             f'images\' folder {images} (resolved: {osp.realpath(images)}); '
                             'its results would replace them: choose another folder')


def dataset_description(dataset_cfg) -> dict:
    """What identifies a test set: type, root, folders (and list file, image size if set)."""
    keys = ('type', 'data_root', 'data_prefix', 'ann_file', 'image_size')
    return {k: dataset_cfg[k] for k in keys if dataset_cfg.get(k) not in (None, '')}


def config_weights(cfg) -> str:
    """The generator weights a config names (its init_cfg checkpoint), or 'none'."""
    return (cfg.model.get('generator', {}).get('init_cfg') or {}).get('checkpoint', 'none')


def write_results(path, args, cfg, runner, metrics):
    """The ``--out`` file: metrics and what they were computed on, for make_tables.py."""
    evaluator = runner.test_evaluator
    random_weights = [
        f'{m.prefix}/{m.metric}' if m.prefix else m.metric for m in evaluator.metrics
        if getattr(m, 'random_weights', False)
    ]
    results = dict(
        method=args.method_name or osp.splitext(osp.basename(args.config))[0],
        config=args.config,
        checkpoint=args.checkpoint,
        generator_init=None if args.checkpoint else config_weights(cfg),
        cfg_options=args.cfg_options or {},
        dataset=dataset_description(cfg.test_dataloader.dataset),
        num_images=len(runner.test_dataloader.dataset),
        metrics=metrics,
        random_weights_metrics=sorted(random_weights))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with atomic_output(path, 'w') as f:
        json.dump(results, f, indent=2, default=str)


def main(argv=None):
    """Evaluate CHECKPOINT with the config's test loop; returns the exit status."""
    args = parse_args(argv)
    # a bad file fails before anything is built
    weights = read_checkpoint(args.checkpoint) if args.checkpoint else None
    cfg = build_config(args)
    check_test_outputs(args, cfg)
    init_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    ensure_collect_dir_hook(runner)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if weights is not None:
        load_networks(model, weights, source=args.checkpoint)
    else:  # mmengine initialises weights only for training
        print_log(
            f'No CHECKPOINT: generator weights from the config: {config_weights(cfg)}',
            logger='current')
        model.init_weights()
    recorder = MetricsRecorder()
    runner.register_hook(recorder, 'LOWEST')
    if args.save_sr:
        runner.register_hook(SRImageWriter(args.save_sr, test_image_root(cfg)), 'LOWEST')
    runner.test()
    metrics = {k: float(v) for k, v in (recorder.metrics or {}).items()}
    if args.out and runner.rank == 0:
        write_results(args.out, args, cfg, runner, metrics)
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
