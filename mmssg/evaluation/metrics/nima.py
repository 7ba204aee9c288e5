# Copyright (c) mmssg contributors. All rights reserved.
"""NIMA (Talebi and Milanfar 2018) of SR output, as an MMagic metric (no reference)."""
from types import SimpleNamespace
from unittest import mock

import timm
import torch
from mmagic.registry import METRICS
from pyiqa.archs import nima_arch
from pyiqa.archs.arch_util import load_pretrained_network
from pyiqa.default_model_configs import DEFAULT_CONFIGS

from .iqa_base import NoReferenceIQAMetric, find_weights, pyiqa_cache_dir

# pyiqa's NIMA models with published weights: backbone and training set
VARIANTS = ('nima', 'nima-vgg16-ava', 'nima-koniq', 'nima-spaq')


def nima_options(variant: str) -> dict:
    """pyiqa's constructor options of a NIMA variant (backbone, training set, bins)."""
    if variant not in VARIANTS:
        raise ValueError(f'NIMA: variant must be one of {VARIANTS}, got {variant!r}')
    options = dict(DEFAULT_CONFIGS[variant]['metric_opts'])
    options.pop('type')
    options.setdefault('train_dataset', 'ava')
    return options


def nima_url(variant: str = 'nima') -> str:
    """Where pyiqa downloads the published weights of a NIMA variant from."""
    options = nima_options(variant)
    return nima_arch.default_model_urls[f'{options["base_model_name"]}-{options["train_dataset"]}']


def build_nima_network(**options) -> torch.nn.Module:
    """pyiqa's NIMA network with random weights, nothing downloaded.

    pyiqa's constructor always fetches timm's ImageNet backbone, which the
    NIMA weights file replaces entirely; timm is asked for a random one.
    """
    factory = SimpleNamespace(create_model=lambda name, pretrained=False, **kwargs: timm.
                              create_model(name, pretrained=False, **kwargs))
    with mock.patch.object(nima_arch, 'timm', factory):
        return nima_arch.NIMA(pretrained=False, **options)


@METRICS.register_module()
class NIMA(NoReferenceIQAMetric):
    """Neural Image Assessment (higher is better), Tables 1, 2 and 4 of the paper.

    NIMA predicts the distribution of human ratings over 10 bins (1..10); the
    score is its mean, sum_i i * p_i. The network is pyiqa's, with the weights
    pyiqa publishes:

    - ``'nima'`` (default): Inception-ResNet-v2 trained on AVA,
      ``NIMA_InceptionV2_ava-b0c77c00.pth``;
    - ``'nima-vgg16-ava'``: VGG16 on AVA, ``NIMA_VGG16_ava-dc4e8265.pth``;
    - ``'nima-koniq'`` / ``'nima-spaq'``: Inception-ResNet-v2 regressing one
      technical-quality score on KonIQ-10k / SPAQ (no distribution; the score
      is the regressed value, about 0-1).

    The paper scored NIMA's "technical image quality" (on the 1-10 scale of
    the 10-bin models, so presumably NIMA trained on TID2013); pyiqa has no
    such weights, so the default is the AVA model: the same network and score,
    trained on aesthetic ratings.

    Args:
        variant (str): One of ``VARIANTS``. Defaults to ``'nima'``.
        weights (str, optional): Local weights file of the variant; None: the
            copy in pyiqa's cache (``$TORCH_HOME/hub/pyiqa``).
        pretrained (bool): False: random weights (tests only). Defaults to True.
        crop_border (int): Pixels cropped from each border before scoring.
        input_order (str): ``'CHW'`` or ``'HWC'``. Defaults to ``'CHW'``.
        device (str): Where the network runs. Defaults to ``'cpu'``.
        **kwargs: ``pred_key``, ``collect_device``, ``prefix``.
    """
    metric = 'NIMA'

    def __init__(self, variant: str = 'nima', **kwargs) -> None:
        self.variant = variant
        self.options = nima_options(variant)
        super().__init__(**kwargs)

    @property
    def url(self) -> str:
        """Where the published weights of this variant are downloaded from."""
        return nima_url(self.variant)

    def build_network(self, weights, pretrained):
        if not pretrained:
            return build_nima_network(**self.options)
        path = find_weights(f'NIMA ({self.variant})', weights, self.url, pyiqa_cache_dir())
        net = build_nima_network(**self.options)
        load_pretrained_network(net, path, strict=True, weight_keys='params')
        return net

    @torch.no_grad()
    def score(self, batch):
        """The mean of the predicted rating distribution (pyiqa resizes and centre-crops)."""
        return float(self.net(batch, return_mos=True))
