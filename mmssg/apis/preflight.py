# Copyright (c) mmssg contributors. All rights reserved.
"""Every input a run's config names, checked before anything is built, and all that is missing
listed at once with what provides it (``tools/train.py CONFIG --check``).

A run reads its datasets' folders, the two degradation pools, the start weights of its
networks (``init_cfg``, ``load_from``), LPIPS's backbone and the weights of its learned
metrics. Without this check a run stops at the first missing piece, one run per piece.
Files that a run downloads by itself on first use (model-zoo checkpoints, backbones, metric
weights) are listed apart: they are missing only on a machine without internet access.

A missing dataset folder is named with where its dataset type's data come from
(:data:`DATASET_SOURCES`), or with what the config says makes it: ``input_sources``, keyed by
the folder's config key (``train_dataloader.dataset.data_prefix.seg_map_path``), e.g. the
command that writes a new camera's pseudo-labels (``configs/ssg_rwsr_x4_own_camera.py``).
"""
import os
import os.path as osp
from typing import Iterator, List, NamedTuple, Tuple

import torch

from mmssg.degradation.pools import POOL_KINDS, pool_spec, pool_status
from mmssg.evaluation.weight_files import WeightsFile, cached, metric_weight_files
from mmssg.models.losses import lpips_backbone_url
from mmssg.utils import IMG_EXTENSIONS

# where each dataset type's data come from
DATASET_SOURCES = dict(
    CityscapesSRDataset='https://www.cityscapes-dataset.com/ (label maps: cityscapesscripts '
    'createTrainIdLabelImgs; the synthetic set: tools/data/synthesize_lr.py)',
    IDDDataset='https://idd.insaan.iiit.ac.in/ (IDD Segmentation; label maps by its '
    'createLabels.py --id-type level4Id)',
    BasicImageDataset='DF2K: DIV2K https://data.vision.ee.ethz.ch/cvl/DIV2K/ and Flickr2K '
    '(their train HR images in one folder)')
POOL_TOOLS = dict(kernels='estimate_kernels.py', noise='collect_noise_patches.py')


class Found(NamedTuple):
    """One input a run reads: what it is, where, and what is there (or what provides it)."""
    what: str
    path: str
    note: str


class Report(NamedTuple):
    """What :func:`check_run_inputs` found: ``present``, ``missing`` (a run cannot start) and
    ``to_download`` (a run downloads them on first use, if it can reach the internet)."""
    present: List[Found]
    missing: List[Found]
    to_download: List[Found]


def dataset_configs(cfg) -> Iterator[Tuple[str, dict]]:
    """``(config key, dataset config)`` of every dataloader of a run."""
    loaders = [('train_dataloader', cfg.get('train_dataloader'))]
    for name, loader in ((cfg.get('train_cfg') or {}).get('dataloaders') or {}).items():
        loaders.append((f'train_cfg.dataloaders.{name}', loader))
    loaders += [(key, cfg.get(key)) for key in ('val_dataloader', 'test_dataloader')]
    for key, loader in loaders:
        if isinstance(loader, dict) and isinstance(loader.get('dataset'), dict):
            yield f'{key}.dataset', loader['dataset']


def count_images(folder: str) -> int:
    return sum(name.lower().endswith(IMG_EXTENSIONS) for _, _, names in os.walk(folder)
               for name in names)


def dataset_source(cfg, what: str, dataset: dict, folder: str) -> str:
    """What provides a dataset folder: the config's ``input_sources[what]`` where it has one
    (a command, with ``{path}`` the folder and ``{config}`` the config), else where the
    dataset type's data come from."""
    source = (cfg.get('input_sources') or {}).get(what)
    if source:
        return source.format(path=folder, config=getattr(cfg, 'filename', None) or 'CONFIG')
    return 'from ' + DATASET_SOURCES.get(str(dataset.get('type')).split('.')[-1], 'the dataset')


def check_datasets(cfg, report: Report) -> None:
    """Each dataset folder (``data_root`` + each ``data_prefix``) and its image count."""
    seen = set()
    for where, dataset in dataset_configs(cfg):
        for key, prefix in (dataset.get('data_prefix') or {}).items():
            folder = osp.join(dataset.get('data_root') or '', prefix)
            if folder in seen:
                continue
            seen.add(folder)
            what = f'{where}.data_prefix.{key}'
            if osp.isdir(folder):
                report.present.append(Found(what, folder, f'{count_images(folder)} images'))
                continue
            report.missing.append(Found(what, folder, dataset_source(cfg, what, dataset, folder)))


def pool_files(folder: str) -> List[str]:
    return [n for n in os.listdir(folder) if n.endswith(('.npy', '.npz'))] \
        if osp.isdir(folder) else []


def check_pools(cfg, report: Report) -> None:
    """Both pools of the config: there, and made with its settings where a summary records
    them (:func:`pool_status`); a folder of pool files without a summary (made by hand, which
    the readers take as it is) is taken as it is."""
    for kind in POOL_KINDS:
        try:
            spec = pool_spec(cfg, kind)
        except ValueError:  # no DomainAdaptedDegradation or guided images: no pools to check
            continue
        files, what = pool_files(spec.out_dir), f'{kind} pool'
        summaries = [n for n in os.listdir(spec.out_dir) if n.startswith('summary')] \
            if files else []
        why = pool_status(spec) if summaries else None if files else 'no pool files'
        if why is None:
            note = 'complete' if summaries else f'{len(files)} files, made without the pool tools'
            report.present.append(Found(what, spec.out_dir, note))
            continue
        why = why.split(f'{spec.out_dir}: ', 1)[-1]  # the path is printed once
        command = f'python tools/data/{POOL_TOOLS[kind]} --config {cfg.filename}'
        report.missing.append(Found(what, spec.out_dir, f'{why}; make it: {command}'))


def weight_files(cfg) -> List[WeightsFile]:
    """The start weights, LPIPS's backbone and the metrics' weights of a run."""
    model = cfg.get('model') or {}
    files = []
    for name in ('generator', 'segmentor'):
        init = (model.get(name) or {}).get('init_cfg') or {}
        if init.get('type') == 'Pretrained' and init.get('checkpoint'):
            url = init['checkpoint']
            path = cached(url, osp.join(torch.hub.get_dir(), 'checkpoints')) \
                if url.startswith(('http://', 'https://')) else url
            files.append(WeightsFile(f'model.{name}.init_cfg.checkpoint', path, url))
    if cfg.get('load_from'):
        files.append(WeightsFile('load_from', cfg.load_from, cfg.load_from))
    loss = model.get('perceptual_loss') or {}
    if loss and loss.get('pretrained_backbone', True):
        url = lpips_backbone_url(loss.get('net', 'alex'))
        path = cached(url, osp.join(torch.hub.get_dir(), 'checkpoints'))
        files.append(WeightsFile('model.perceptual_loss (LPIPS backbone)', path, url))
    for key in ('val_evaluator', 'test_evaluator'):
        metrics = (cfg.get(key) or {}).get('metrics') or []
        for index, metric in enumerate(metrics if isinstance(metrics, list) else [metrics]):
            files += metric_weight_files(metric, f'{key}.metrics.{index}')
    return files


def check_weights(cfg, report: Report) -> None:
    for file in weight_files(cfg):
        if osp.isfile(file.path):
            report.present.append(Found(file.what, file.path, 'present'))
        elif file.url.startswith(('http://', 'https://')):
            report.to_download.append(
                Found(file.what, file.path, f'downloaded on first use from {file.url}'))
        else:
            report.missing.append(Found(file.what, file.path, 'no such file'))


def check_run_inputs(cfg) -> Report:
    """Every input a loaded run config names: present, missing, or to be downloaded."""
    report = Report([], [], [])
    check_datasets(cfg, report)
    check_pools(cfg, report)
    check_weights(cfg, report)
    return report


def describe(items: List[Found]) -> str:
    """One line per input: what, where, and what is there or what provides it."""
    return '\n'.join(f'  - {item.what}: {item.path}: {item.note}' for item in items) or '  none'
