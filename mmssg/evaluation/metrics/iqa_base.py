# Copyright (c) mmssg contributors. All rights reserved.
"""What the learned image-quality metrics share: local weights files, input conversion.

DISTS, NIMA and Meta-IQA use the networks of pyiqa (the PyTorch IQA toolbox,
installed without its declared dependencies, see requirements/pyiqa.txt). pyiqa
downloads weights when a network is built; here every weights file is a local
file, found at build time (the path a config gives, or the copy in pyiqa's or
torchvision's cache), so a run without network access fails at once with a
message naming the file, where to get it and the config key to set, instead of
hanging in a download in the middle of a test.
"""
import logging
import os.path as osp
from typing import Dict, Optional
from urllib.parse import urlparse

import torch
from mmagic.evaluation.metrics.base_sample_wise_metric import BaseSampleWiseMetric
from mmagic.evaluation.metrics.metrics_utils import obtain_data
from mmengine.logging import print_log
from torch import Tensor, nn

from mmssg.utils.checkpoint import load_checkpoint_file


def pyiqa_cache_dir() -> str:
    """pyiqa's download cache: ``$TORCH_HOME/hub/pyiqa`` (``~/.cache/torch/hub/pyiqa``)."""
    return osp.join(torch.hub.get_dir(), 'pyiqa')


def torchvision_cache_dir() -> str:
    """torchvision's download cache of pretrained weights: ``$TORCH_HOME/hub/checkpoints``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def find_weights(metric: str,
                 path: Optional[str],
                 url: str,
                 cache_dir: str,
                 key: str = 'weights') -> str:
    """The local weights file of a metric, or an error saying how to provide it.

    Args:
        metric (str): The metric's name, for the message.
        path (str, optional): The file the config names (``key``); None looks
            for the file of ``url`` in ``cache_dir``.
        url (str): Where the published file is downloaded from.
        cache_dir (str): The cache the library itself would download to.
        key (str): The metric's config key of this file.

    Returns:
        str: An existing file.
    """
    file_name = osp.basename(urlparse(url).path)
    candidate = path if path is not None else osp.join(cache_dir, file_name)
    if osp.isfile(candidate):
        return candidate
    where = f'{candidate} does not exist' if path is not None else (
        f'{key} is not set and {file_name} is not in the cache {cache_dir}')
    raise FileNotFoundError(
        f'{metric}: weights file not found ({where}). Download {url} and set the metric\'s '
        f'{key}=PATH in the config (test_evaluator.metrics, e.g. --cfg-options '
        f'test_evaluator.metrics.<i>.{key}=PATH) or put it into {cache_dir}. '
        'pretrained=False builds random weights instead: for tests only, not the metric.')


def load_weights(path: str, nested_keys=('params', 'state_dict')) -> Dict[str, Tensor]:
    """The state dict in a weights file, unwrapped from ``params``/``state_dict`` if nested."""
    state = load_checkpoint_file(path)
    for key in nested_keys:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise ValueError(f'{path} holds no state dict (a {type(state).__name__})')
    return state


def check_loaded(metric: str, path: str, expected, provided, optional=()) -> None:
    """Fail naming the keys of ``expected`` that the file at ``path`` did not provide."""
    missing = sorted(set(expected) - set(provided) - set(optional))
    if missing:
        more = f' and {len(missing) - 8} more' if len(missing) > 8 else ''
        raise KeyError(f'{metric}: {path} lacks {len(missing)} weights of the network '
                       f'({", ".join(missing[:8])}{more}); is it the right file?')


class IQAMetric(BaseSampleWiseMetric):
    """Base of the metrics computed by a learned image-quality network.

    MMagic hands metrics images as tensors in [0, 255], BGR (MMagic's
    ``channel_order``), ``CHW`` by default; the networks take RGB in [0, 1].

    Args:
        weights (str, optional): Local file of the published weights. None:
            the file in the library's cache (see :func:`find_weights`).
        pretrained (bool): False builds the network with random weights, for
            tests only: the score is then not the metric, and
            ``random_weights`` is set so that result files and tables mark it.
            Defaults to True.
        crop_border (int): Pixels cropped from each border before scoring.
        input_order (str): ``'CHW'`` or ``'HWC'``. Defaults to ``'CHW'``.
        device (str): Where the network runs. Defaults to ``'cpu'``.
        **kwargs: ``gt_key``, ``pred_key``, ``collect_device``, ``prefix``.
    """

    def __init__(self,
                 weights: Optional[str] = None,
                 pretrained: bool = True,
                 crop_border: int = 0,
                 input_order: str = 'CHW',
                 device: str = 'cpu',
                 **kwargs) -> None:
        super().__init__(device=device, **kwargs)
        if input_order not in ('CHW', 'HWC'):
            raise ValueError(f'{self.metric}: input_order must be "CHW" or "HWC", '
                             f'got {input_order!r}')
        if weights is not None and not pretrained:
            raise ValueError(f'{self.metric}: weights={weights!r} with pretrained=False; '
                             'random weights ignore the file, drop one of the two')
        self.crop_border = crop_border
        self.input_order = input_order
        self.random_weights = not pretrained
        if self.random_weights:
            print_log(
                f'{self.metric} is built with RANDOM weights (pretrained=False): its '
                'values compare runs of this set-up only, never published figures',
                logger='current',
                level=logging.WARNING)
        self.net = self.build_network(weights, pretrained).to(device).eval()
        for param in self.net.parameters():
            param.requires_grad_(False)

    def build_network(self, weights: Optional[str], pretrained: bool) -> nn.Module:
        """The network with its weights loaded (random when ``pretrained`` is False)."""
        raise NotImplementedError

    def to_network_input(self, img: Tensor) -> Tensor:
        """One MMagic image (BGR, [0, 255]) as a (1, 3, H, W) RGB batch in [0, 1]."""
        img = torch.as_tensor(img)
        if self.input_order == 'HWC':
            img = img.permute(2, 0, 1)
        if self.crop_border:
            c = self.crop_border
            img = img[:, c:-c, c:-c]
        if img.shape[0] == 1:
            img = img.expand(3, -1, -1)
        elif self.channel_order.upper() == 'BGR':
            img = img.flip(0)
        return (img.float() / 255.).unsqueeze(0).to(self.device)


class NoReferenceIQAMetric(IQAMetric):
    """A learned no-reference metric: scores the SR output alone (no ground truth needed).

    Subclasses implement :meth:`score`.
    """

    def process(self, data_batch, data_samples) -> None:
        """Score every predicted image of the batch."""
        for data in data_samples:
            img = obtain_data(data['output'], self.pred_key, self.device)
            images = [img] if img.dim() <= 3 else list(img)
            values = [self.score(self.to_network_input(image)) for image in images]
            self.results.append({self.metric: sum(values) / len(values)})

    @torch.no_grad()
    def score(self, batch: Tensor) -> float:
        """The quality of one (1, 3, H, W) RGB image in [0, 1]."""
        raise NotImplementedError
