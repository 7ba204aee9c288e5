# Copyright (c) mmssg contributors. All rights reserved.
"""The published weights files a metric config needs, and where each one is looked for."""
import os.path as osp
from typing import List, NamedTuple, Optional
from urllib.parse import urlparse

from mmssg.models.losses import lpips_backbone_url
from .metrics.dists import DISTS_URL
from .metrics.iqa_base import pyiqa_cache_dir, torchvision_cache_dir
from .metrics.meta_iqa import METAIQA_URL
from .metrics.nima import nima_url


class WeightsFile(NamedTuple):
    """A weights file a run reads: what needs it, the local path, the URL that provides it."""
    what: str
    path: str
    url: str


def cached(url: str, cache_dir: str, path: Optional[str] = None) -> str:
    """The file a config names, or the file of ``url`` in ``cache_dir``."""
    return path if path is not None else osp.join(cache_dir, osp.basename(urlparse(url).path))


def metric_weight_files(metric: dict, where: str) -> List[WeightsFile]:
    """The published weights a metric config reads (none when it runs with random weights).

    Args:
        metric (dict): One entry of an evaluator's ``metrics``.
        where (str): The config key of the entry, for the messages.

    Returns:
        list[WeightsFile]: DISTS lists its VGG16 backbone too, which it reads only when its
        weights file lacks the backbone's layers.
    """
    kind = str(metric.get('type', '')).split('.')[-1]
    if kind == 'LPIPS':
        if not metric.get('pretrained_backbone', True):
            return []
        url = lpips_backbone_url(metric.get('net', 'alex'))
        return [WeightsFile(f'{where} (LPIPS backbone)', cached(url, torchvision_cache_dir()), url)]
    if kind not in ('NIMA', 'DISTS', 'MetaIQA') or not metric.get('pretrained', True):
        return []
    url = dict(
        NIMA=lambda: nima_url(metric.get('variant', 'nima')),
        DISTS=lambda: DISTS_URL,
        MetaIQA=lambda: METAIQA_URL)[kind]()
    files = [
        WeightsFile(f'{where} ({kind})', cached(url, pyiqa_cache_dir(), metric.get('weights')), url)
    ]
    if kind == 'DISTS' and metric.get('backbone_weights') is not None:
        from .metrics.dists import VGG16_URL
        files.append(
            WeightsFile(f'{where} (DISTS backbone)',
                        cached(VGG16_URL, torchvision_cache_dir(), metric['backbone_weights']),
                        VGG16_URL))
    return files
