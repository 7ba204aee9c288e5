# Copyright (c) mmssg contributors. All rights reserved.
"""DISTS (Ding et al. 2020) between SR output and HR ground truth, as an MMagic metric."""
from types import SimpleNamespace
from typing import Optional
from unittest import mock

import torch
from mmagic.registry import METRICS
from pyiqa.archs import dists_arch
from torch import nn
from torchvision.models import VGG16_Weights, vgg
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from .iqa_base import (IQAMetric, check_loaded, find_weights, load_weights, pyiqa_cache_dir,
                       torchvision_cache_dir)

DISTS_URL = dists_arch.default_model_urls['url']
VGG16_URL = VGG16_Weights.IMAGENET1K_V1.url


def vgg16_features(weights_path: Optional[str] = None) -> nn.Sequential:
    """torchvision's VGG16 convolutional layers, random or loaded from its ImageNet file.

    Only the ``features`` part: DISTS does not use the classifier, whose 120 M
    weights would only cost time and memory.
    """
    features = vgg.make_layers(vgg.cfgs['D'])
    if weights_path is not None:
        state = {
            key[len('features.'):]: value
            for key, value in load_weights(weights_path).items() if key.startswith('features.')
        }
        check_loaded('DISTS', weights_path, features.state_dict(), state)
        features.load_state_dict(state)
    return features


def build_dists_network(features: nn.Sequential) -> nn.Module:
    """pyiqa's DISTS network around VGG16 ``features``, nothing downloaded.

    pyiqa's constructor fetches torchvision's ImageNet VGG16 itself; it is
    handed ``features`` instead, whose weights the caller has loaded (or not).
    """
    factory = SimpleNamespace(vgg16=lambda *args, **kwargs: SimpleNamespace(features=features))
    with mock.patch.object(dists_arch, 'models', factory):
        return dists_arch.DISTS(pretrained=False)


@METRICS.register_module()
class DISTS(IQAMetric):
    """Deep Image Structure and Texture Similarity (lower is better), Table 3 of the paper.

    DISTS compares the SR image with its HR ground truth through VGG16
    features: per channel, a texture term (the means) and a structure term
    (variances and covariance), weighted by the learnt ``alpha`` and ``beta``
    and subtracted from 1. The network is pyiqa's, with the published weights:

    - ``weights``: pyiqa's ``DISTS_weights-f5e65c96.pth`` (the learnt alpha
      and beta; if it also holds the VGG16 weights, nothing else is needed);
    - ``backbone_weights``: torchvision's ImageNet VGG16
      ``vgg16-397923af.pth``, read only when ``weights`` lacks the VGG layers.

    Either file is looked up in its library's cache when not given.

    The reference code of DISTS's authors shrinks a large image (bilinear,
    antialiased) until its shorter side is 256 pixels before scoring it;
    ``resize_short_side=256`` does the same here. pyiqa, and so the default,
    scores the images as they are.

    Args:
        weights (str, optional): Local DISTS weights file.
        backbone_weights (str, optional): Local torchvision VGG16 file.
        resize_short_side (int, optional): Shrink both images (after the
            border crop) so that their shorter side has this many pixels, when
            it has more. Defaults to None: no resizing.
        pretrained (bool): False: random weights (tests only). Defaults to True.
        crop_border (int): Pixels cropped from each border before comparing.
        input_order (str): ``'CHW'`` or ``'HWC'``. Defaults to ``'CHW'``.
        device (str): Where the network runs. Defaults to ``'cpu'``.
        **kwargs: ``gt_key``, ``pred_key``, ``collect_device``, ``prefix``.
    """
    metric = 'DISTS'

    def __init__(self,
                 weights: Optional[str] = None,
                 backbone_weights: Optional[str] = None,
                 resize_short_side: Optional[int] = None,
                 **kwargs) -> None:
        if resize_short_side is not None and (isinstance(resize_short_side, bool)
                                              or not isinstance(resize_short_side, int)
                                              or resize_short_side < 1):
            raise ValueError('DISTS: resize_short_side must be a positive whole number of '
                             f'pixels or None, got {resize_short_side!r}')
        self.backbone_weights = backbone_weights
        self.resize_short_side = resize_short_side
        super().__init__(weights=weights, **kwargs)

    def build_network(self, weights, pretrained):
        if not pretrained:
            return build_dists_network(vgg16_features())
        path = find_weights('DISTS', weights, DISTS_URL, pyiqa_cache_dir())
        state = load_weights(path)
        with_backbone = any(key.startswith('stage') for key in state)
        vgg_path = None if with_backbone else find_weights(
            'DISTS',
            self.backbone_weights,
            VGG16_URL,
            torchvision_cache_dir(),
            key='backbone_weights')
        net = build_dists_network(vgg16_features(vgg_path))
        # the input normalisation and the L2-pooling filters are constants of the network
        expected = [
            k for k in net.state_dict()
            if k not in ('mean', 'std') and not k.endswith('.filter') and (
                with_backbone or not k.startswith('stage'))
        ]
        check_loaded('DISTS', path, expected, state)
        net.load_state_dict(state, strict=False)
        return net

    def to_network_input(self, img):
        """The network's input (see :class:`IQAMetric`), shrunk when ``resize_short_side``
        asks for it."""
        img = super().to_network_input(img)
        if self.resize_short_side is None or min(img.shape[-2:]) <= self.resize_short_side:
            return img
        return TF.resize(
            img, self.resize_short_side, interpolation=InterpolationMode.BILINEAR, antialias=True)

    @torch.no_grad()
    def process_image(self, gt, pred, mask):
        """DISTS of one image pair (MMagic's BGR, [0, 255])."""
        return float(self.net(self.to_network_input(pred), self.to_network_input(gt)))
