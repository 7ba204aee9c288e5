# Copyright (c) mmssg contributors. All rights reserved.
"""Super-resolve real LR images with a trained SSG-RWSR generator (no segmentor)."""
import copy
from typing import Optional, Union

import numpy as np
import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from .tiling import tiled_forward


def generator_state_dict(checkpoint: Union[str, dict]) -> dict:
    """Extract generator weights from any checkpoint format mmssg meets.

    Accepts an SSG-RWSR (or any MMagic editor) checkpoint, whose generator keys
    start with ``generator.``, and a generator-only checkpoint as written by
    :func:`mmssg.apis.export_generator_checkpoint` (keys without prefix).

    Args:
        checkpoint (str | dict): A path or a loaded checkpoint.

    Returns:
        dict: The generator's state dict, keys without prefix.
    """
    if isinstance(checkpoint, str):
        path = checkpoint
        checkpoint = torch.load(checkpoint, map_location='cpu', weights_only=False)
    else:
        path = 'the checkpoint'
    state = checkpoint.get('state_dict', checkpoint)
    prefixed = {k[len('generator.'):]: v for k, v in state.items() if k.startswith('generator.')}
    if prefixed:
        return prefixed
    if any(k.startswith(('segmentor.', 'generator_ema.')) for k in state):
        raise KeyError(f'{path} has no "generator." weights')
    return dict(state)


def init_sr_model(config: Union[str, Config], checkpoint: Optional[str] = None,
                  device: str = 'cpu') -> torch.nn.Module:
    """Build the SSG-RWSR model of a config for inference, without its segmentor.

    The segmentor and the perceptual loss are never built (no MMSegmentation
    weights, no LPIPS backbone download), pretrained ``init_cfg`` of the
    generator is dropped in favour of ``checkpoint``, and the model is put in
    eval mode.

    Args:
        config (str | Config): An mmssg config (or its path).
        checkpoint (str, optional): Trained weights, see
            :func:`generator_state_dict`. ``None`` keeps random weights.
        device (str): Device. Defaults to ``'cpu'``.

    Returns:
        nn.Module: The model; use :func:`super_resolve` with it.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(segmentor=None, perceptual_loss=None, init_cfg=None)
    model_cfg.generator.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        model.generator.load_state_dict(generator_state_dict(checkpoint), strict=True)
    return model.to(device).eval()


@torch.no_grad()
def super_resolve(model: torch.nn.Module, image: np.ndarray, tile: Optional[int] = None,
                  tile_overlap: int = 16, progress=None) -> np.ndarray:
    """Super-resolve one image.

    Args:
        model (nn.Module): A model from :func:`init_sr_model`.
        image (np.ndarray): (H, W, 3) uint8 image in the generator's channel
            order (RGB for the provided configs).
        tile (int, optional): Tile size in LR pixels for large frames, see
            :func:`tiled_forward`. Defaults to the whole image.
        tile_overlap (int): Context around each tile in LR pixels.
        progress (Callable, optional): Called as ``progress(done, total)``.

    Returns:
        np.ndarray: (sH, sW, 3) uint8 SR image, same channel order.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'super_resolve expects an (H, W, 3) image, got shape {image.shape}')
    device = next(model.generator.parameters()).device
    pre = model.data_preprocessor
    mean, std = (pre.mean, pre.std) if pre._enable_normalize else (0., 1.)
    lr = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].to(device).float()
    lr = (lr - mean) / std
    if getattr(model, 'channels_last', False):
        lr = lr.contiguous(memory_format=torch.channels_last)
    sr = tiled_forward(model.generator, lr, tile, tile_overlap, progress)
    sr = (sr.float() * std + mean).clamp_(0, 255).round_()
    return sr[0].permute(1, 2, 0).to(torch.uint8).cpu().numpy()
