# Copyright (c) mmssg contributors. All rights reserved.
"""Meta-IQA (Zhu et al. 2020) of SR output, as an MMagic metric (no reference)."""
from typing import Dict

import torch
from mmagic.registry import METRICS
from pyiqa.archs import metaiqa_arch
from torch import Tensor

from .iqa_base import (NoReferenceIQAMetric, check_loaded, find_weights, load_weights,
                       pyiqa_cache_dir)

# pyiqa's Meta-IQA fine-tuned for inference (its 'meta-train-seed' file is the meta-learnt
# prior, before fine-tuning)
METAIQA_URL = metaiqa_arch.default_model_urls['meta-infer-ready']


def metaiqa_state_dict(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Keys of a Meta-IQA checkpoint renamed to pyiqa's network, as pyiqa renames them.

    Checkpoints name the regression head ``net`` (the authors' code) and may
    carry ``net_g.``/``module.`` prefixes; pyiqa's network calls the head ``head``.
    """
    return {
        key.replace('net_g.', '').replace('module.', '').replace('net.', 'head.'): value
        for key, value in state.items()
    }


@METRICS.register_module()
class MetaIQA(NoReferenceIQAMetric):
    """Meta-IQA (higher is better), Tables 1, 2 and 4 of the paper.

    A ResNet-18 whose 1000 outputs feed a regression head (two fully
    connected layers with BN and PReLU, then a sigmoid); the input is resized
    to 224x224. The network is pyiqa's (``metaiqa``), with the weights pyiqa
    publishes for inference, ``Metaiqa_livec.pth`` (the meta-learnt prior
    fine-tuned on real photographs, LIVE Challenge by the name), looked up in
    pyiqa's cache when ``weights`` is not given.

    Args:
        weights (str, optional): Local weights file.
        pretrained (bool): False: random weights (tests only). Defaults to True.
        crop_border (int): Pixels cropped from each border before scoring.
        input_order (str): ``'CHW'`` or ``'HWC'``. Defaults to ``'CHW'``.
        device (str): Where the network runs. Defaults to ``'cpu'``.
        **kwargs: ``pred_key``, ``collect_device``, ``prefix``.
    """
    metric = 'MetaIQA'

    def build_network(self, weights, pretrained):
        if not pretrained:
            return metaiqa_arch.MetaIQA(pretrained=False)  # a random ResNet-18: no download
        path = find_weights('MetaIQA', weights, METAIQA_URL, pyiqa_cache_dir())
        state = metaiqa_state_dict(load_weights(path))
        net = metaiqa_arch.MetaIQA(pretrained=False)
        # every weight must arrive: pyiqa itself loads non-strictly, which would leave the
        # layers of a wrongly named file random without a word
        check_loaded('MetaIQA', path, net.state_dict(), state, optional=('mean', 'std'))
        net.load_state_dict(state, strict=False)
        return net

    @torch.no_grad()
    def score(self, batch):
        """The predicted quality in (0, 1)."""
        return float(self.net(batch))
