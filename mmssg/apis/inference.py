# Copyright (c) mmssg contributors. All rights reserved.
"""Build a trained SSG-RWSR model from its config and checkpoint, and super-resolve images."""
from typing import Callable, Optional, Union

import numpy as np
import torch
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmssg.models.utils import evaluation_model_cfg, load_networks


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               with_segmentor: bool = False) -> torch.nn.Module:
    """Build the model of a config for evaluation and load its trained networks strictly.

    This is the one way mmssg builds a trained model (inference, export, the
    demo; ``tools/test.py`` applies the same two steps to its runner): the
    config goes through :func:`~mmssg.models.utils.evaluation_model_cfg` (no
    model-zoo file, no LPIPS backbone, the segmentor only when asked for) and
    the checkpoint through :func:`~mmssg.models.utils.load_networks` (every
    network key must fit, or the error names the file and the keys).

    Args:
        config (str | Config): An mmssg config (or its path).
        checkpoint (str, optional): A training checkpoint, or a generator-only
            one from ``tools/export_generator.py``. ``None`` keeps random
            weights (for tests).
        device (str): Device. Defaults to ``'cpu'``.
        with_segmentor (bool): Also build and load the segmentor (for
            ``test_cfg.segment=True``). Defaults to False.

    Returns:
        nn.Module: The model, in eval mode.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    model = MODELS.build(evaluation_model_cfg(cfg.model, with_segmentor))
    if checkpoint is not None:
        load_networks(model, checkpoint)
    return model.to(device).eval()


@torch.no_grad()
def super_resolve(model: torch.nn.Module,
                  image: np.ndarray,
                  tile: Optional[int] = None,
                  tile_overlap: int = 16,
                  progress: Optional[Callable[[int, int], None]] = None,
                  channel_order: str = 'rgb',
                  dtype: Optional[torch.dtype] = None) -> np.ndarray:
    """Super-resolve one image with the generator alone.

    The image goes through the model's own data preprocessor and comes back
    through its ``destruct`` (de-normalised, clamped), then is rounded.

    Args:
        model (nn.Module): A model from :func:`init_model`.
        image (np.ndarray): (H, W, 3) uint8 image.
        tile (int, optional): Tile size in LR pixels for large frames.
            Defaults to the whole image.
        tile_overlap (int): Context around each tile in LR pixels.
        progress (Callable, optional): Called as ``progress(done, total)``.
        channel_order (str): ``'rgb'`` or ``'bgr'`` (as cv2 reads), of the
            input and of the result. Defaults to ``'rgb'``.
        dtype (torch.dtype, optional): Run the generator under autocast to
            this dtype (``torch.bfloat16`` or ``torch.float16``). Defaults to
            full precision.

    Returns:
        np.ndarray: (sH, sW, 3) uint8 SR image in ``channel_order``.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'super_resolve expects an (H, W, 3) image, got shape {image.shape}')
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    sample = DataSample(metainfo=dict(img_channel_order=channel_order))
    data = model.data_preprocessor(dict(inputs=[tensor], data_samples=[sample]), False)
    device_type = data['inputs'].device.type
    with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
        sr = model.generate(data['inputs'], tile, tile_overlap, progress)
    bgr = model.data_preprocessor.destruct(sr.float(), data['data_samples'])[0]
    out = bgr if channel_order == 'bgr' else bgr.flip(0)
    return out.round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
