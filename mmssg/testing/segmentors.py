# Copyright (c) mmssg contributors. All rights reserved.
"""A tiny MMSegmentation segmentor config and checkpoint, for the pseudo-label tests.

The segmentor is :func:`~.configs.tiny_model_cfg`'s (the paper's fcn_hr18 in miniature, 19
Cityscapes classes), written as a plain MMSegmentation config; its checkpoint holds random
weights whose classifier is scaled up so that the class probabilities spread from near
uniform to near certain, as a trained segmentor's do, and MMSegmentation's ``dataset_meta``.
"""
import os.path as osp
from typing import Tuple

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from mmseg.utils import get_classes

from .configs import tiny_model_cfg

#: How much the classifier's random weights are scaled up.
LOGIT_GAIN = 300.0


def tiny_segmentor_config(path: str, wider: bool = False) -> str:
    """Write the tiny segmentor's MMSegmentation config to ``path``; ``wider`` doubles the
    decode head's channels (another architecture)."""
    model = tiny_model_cfg().segmentor
    if wider:
        model.decode_head.channels *= 2
    Config(dict(model=model.to_dict(), default_scope='mmseg')).dump(path)
    return path


def write_tiny_segmentor(folder, seed: int = 0, wider: bool = False) -> Tuple[str, str]:
    """The tiny segmentor's config and a checkpoint of it, written into ``folder``.

    Args:
        folder: An existing folder.
        seed (int): Seeds the random weights. Defaults to 0.
        wider (bool): The wider architecture of :func:`tiny_segmentor_config`.

    Returns:
        tuple[str, str]: ``(config path, checkpoint path)``.
    """
    name = 'tiny_segmentor_wider' if wider else 'tiny_segmentor'
    config = tiny_segmentor_config(osp.join(str(folder), f'{name}.py'), wider)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(Config.fromfile(config).model)
    with torch.no_grad():
        model.decode_head.conv_seg.weight.mul_(LOGIT_GAIN)
    checkpoint = osp.join(str(folder), f'{name}_{seed}.pth')
    meta = dict(dataset_meta=dict(classes=list(get_classes('cityscapes'))))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), checkpoint)
    return config, checkpoint
