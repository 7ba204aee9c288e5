# Copyright (c) mmssg contributors. All rights reserved.
"""Build a trained SSG-RWSR model from its config and checkpoint, and super-resolve images."""
from typing import Callable, Optional, Tuple, Union

import cv2
import numpy as np
import torch
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor

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


#: The largest sample value of each image type super_resolve takes.
_PEAK = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}
#: OpenCV's weights of the grey value (``cv2.COLOR_RGB2GRAY``), in RGB order.
_GREY_WEIGHTS = (0.299, 0.587, 0.114)


def split_image(image: np.ndarray) -> Tuple[np.ndarray, Optional[np.ndarray], bool]:
    """``(colour, alpha, grey)`` of an image as :func:`super_resolve` takes it.

    Args:
        image (np.ndarray): ``(H, W)`` grey, ``(H, W, 2)`` grey with alpha, ``(H, W, 3)``
            colour or ``(H, W, 4)`` colour with alpha, uint8 or uint16.

    Returns:
        tuple: The ``(H, W, 3)`` colour pixels (grey repeated to three channels), the
        ``(H, W)`` alpha plane or None, and whether the image is grey.

    Raises:
        ValueError: Another shape or sample type; the message gives it.
    """
    if image.dtype not in _PEAK:
        raise ValueError(f'super_resolve expects uint8 or uint16 samples, got {image.dtype}')
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2), None, True
    if image.ndim == 3 and image.shape[2] == 2:
        return np.repeat(image[..., :1], 3, axis=2), image[..., 1], True
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3], (image[..., 3] if image.shape[2] == 4 else None), False
    raise ValueError('super_resolve expects an (H, W) grey, (H, W, 2) grey + alpha, (H, W, 3) '
                     f'colour or (H, W, 4) colour + alpha image, got shape {image.shape}')


def output_size(height: int, width: int, scale: int, outscale: Optional[float]) -> Tuple[int, int]:
    """``(height, width)`` of the result: ``scale`` times the input, or ``outscale`` times
    it (rounded, at least one pixel) when given."""
    if outscale is None:
        return height * scale, width * scale
    if not outscale > 0:
        raise ValueError(f'outscale must be positive, got {outscale}')
    return max(1, round(height * outscale)), max(1, round(width * outscale))


def generate_colour(model: torch.nn.Module,
                    colour: np.ndarray,
                    tile: Optional[int] = None,
                    tile_overlap: int = 16,
                    progress: Optional[Callable[[int, int], None]] = None,
                    channel_order: str = 'rgb',
                    dtype: Optional[torch.dtype] = None) -> Tensor:
    """The generator's result for a colour image, on the 0-255 scale, not rounded.

    An 8-bit image enters the model's data preprocessor as it is; a 16-bit one as float
    samples on the 0-255 scale (``value * 255 / 65535``), so that the network sees it in
    [0, 1] at full precision whatever the preprocessor's normalisation.

    Args:
        model (nn.Module): A model from :func:`init_model`.
        colour (np.ndarray): ``(H, W, 3)`` uint8 or uint16 image.
        tile, tile_overlap, progress, channel_order, dtype: As :func:`super_resolve`.

    Returns:
        Tensor: ``(3, sH, sW)`` float32 on the model's device, clamped to [0, 255], in
        ``channel_order``.
    """
    tensor = torch.from_numpy(np.ascontiguousarray(colour)).permute(2, 0, 1)
    if colour.dtype == np.uint16:
        tensor = tensor.to(torch.float32) * (255 / 65535)
    sample = DataSample(metainfo=dict(img_channel_order=channel_order))
    data = model.data_preprocessor(dict(inputs=[tensor], data_samples=[sample]), False)
    device_type = data['inputs'].device.type
    with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
        sr = model.generate(data['inputs'], tile, tile_overlap, progress)
    bgr = model.data_preprocessor.destruct(sr.float(), data['data_samples'])[0]
    return bgr if channel_order == 'bgr' else bgr.flip(0)


def resize_lanczos(image: Tensor, size: Tuple[int, int]) -> Tensor:
    """A ``(C, H, W)`` float image resized to ``size`` (height, width) with OpenCV's Lanczos
    filter (8x8 taps, what Real-ESRGAN's ``--outscale`` uses), clamped to [0, 255]."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    hwc = image.permute(1, 2, 0).cpu().numpy()
    resized = cv2.resize(hwc, (size[1], size[0]), interpolation=cv2.INTER_LANCZOS4)
    return torch.from_numpy(resized).permute(2, 0, 1).clamp_(0, 255)


def to_grey(image: Tensor, channel_order: str) -> Tensor:
    """A ``(3, H, W)`` colour image as ``(1, H, W)`` grey, with OpenCV's weights
    (``cv2.COLOR_RGB2GRAY``)."""
    weights = _GREY_WEIGHTS if channel_order == 'rgb' else _GREY_WEIGHTS[::-1]
    return (image * image.new_tensor(weights).view(3, 1, 1)).sum(0, keepdim=True)


def quantise(image: Tensor, dtype: np.dtype) -> np.ndarray:
    """A ``(C, H, W)`` image on the 0-255 scale as ``(H, W, C)`` samples of ``dtype``
    (uint8 or uint16, 255 becoming 65535), rounded once."""
    peak = _PEAK[np.dtype(dtype)]
    scaled = image if peak == 255 else image * (peak / 255)
    samples = scaled.round().clamp_(0, peak).to(torch.int32 if peak > 255 else torch.uint8)
    return samples.permute(1, 2, 0).cpu().numpy().astype(dtype)


@torch.no_grad()
def super_resolve(model: torch.nn.Module,
                  image: np.ndarray,
                  tile: Optional[int] = None,
                  tile_overlap: int = 16,
                  progress: Optional[Callable[[int, int], None]] = None,
                  channel_order: str = 'rgb',
                  dtype: Optional[torch.dtype] = None,
                  outscale: Optional[float] = None) -> np.ndarray:
    """Super-resolve one image with the generator alone, keeping what the image holds.

    The colour pixels go through the model's data preprocessor and back through its
    ``destruct``, rounded once, at the end; the result has the layout and type of ``image``:

    - a grey image runs through the network repeated to three channels, and the result is
      converted back to one channel (OpenCV's grey weights);
    - an alpha plane is resized to the result's size with bilinear interpolation
      (``cv2.INTER_LINEAR``, as Real-ESRGAN does) and kept;
    - a 16-bit image runs at full precision (its samples scaled to [0, 1]) and its result
      is rounded to 16 bits.

    Args:
        model (nn.Module): A model from :func:`init_model`.
        image (np.ndarray): ``(H, W)`` grey, ``(H, W, 2)`` grey with alpha, ``(H, W, 3)``
            colour or ``(H, W, 4)`` colour with alpha (alpha last), uint8 or uint16.
        tile (int, optional): Tile size in LR pixels. Defaults to the whole image.
        tile_overlap (int): Context around each tile in LR pixels.
        progress (Callable, optional): Called as ``progress(done, total)`` after each tile.
        channel_order (str): ``'rgb'`` or ``'bgr'`` (as cv2 reads), of the
            input and of the result. Defaults to ``'rgb'``.
        dtype (torch.dtype, optional): Run the generator under autocast to
            this dtype (``torch.bfloat16`` or ``torch.float16``). Defaults to
            full precision.
        outscale (float, optional): Resize the result to ``outscale`` times the input's
            size with a Lanczos filter, as Real-ESRGAN's ``--outscale`` does (one rounding:
            the resize works on the unrounded result). Defaults to the network's scale.

    Returns:
        np.ndarray: The SR image, in the layout, channel order and sample type of ``image``.

    Raises:
        ValueError: ``image`` has another shape or sample type, or ``channel_order`` or
            ``outscale`` is invalid.
    """
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    colour, alpha, grey = split_image(image)
    sr = generate_colour(model, colour, tile, tile_overlap, progress, channel_order, dtype)
    height, width = colour.shape[:2]
    size = output_size(height, width, sr.shape[-2] // height, outscale)
    sr = resize_lanczos(sr, size)
    if grey:
        sr = to_grey(sr, channel_order)
    out = quantise(sr, image.dtype)
    if alpha is not None:
        alpha = cv2.resize(alpha, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
        return np.dstack([out, alpha])  # (H, W, 2) for grey
    return out[..., 0] if grey else out
