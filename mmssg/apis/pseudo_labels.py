# Copyright (c) mmssg contributors. All rights reserved.
"""Pseudo-labels of real LR frames, from an MMSegmentation segmentor, on the guided turns' grid.

A guided turn super-resolves a real LR image by the generator's scale ``s`` and segments the SR
image; fcn_hr18's logits come out at 1/4 of its input, which at ``s = 4`` is the LR grid, and
the cross-entropy compares them with labels of the LR image's size. A frame without labels is
labelled the same way (:func:`lr_class_probabilities`, :func:`label_map`):

1. it is up-sampled ``s`` times by bicubic interpolation (:class:`BicubicUpsampler`,
   MATLAB's kernel: the bicubic row of the tables), neither rounded nor clamped, the way an SR
   output reaches the segmentor;
2. MMSegmentation segments it with the model's own ``test_step``: its data preprocessor
   (normalisation, channel order: the frame is given in BGR, as MMSegmentation's
   ``LoadImageFromFile`` reads it) and its ``test_cfg`` (whole image, or slide windows whose
   logits it averages), which returns logits at the size of its input (fcn_hr18 computes them
   at 1/4 and resizes them bilinearly);
3. the class probabilities (softmax) are averaged over each ``s x s`` block: one probability
   vector per LR pixel, the grid of the frame and of the guided turn's labels;
4. each LR pixel gets its most probable class, or :data:`IGNORE_INDEX` where that class's
   probability is below the threshold (the segmentor's cross-entropy ignores it).

The segmentor is built by ``mmseg.apis.init_model`` and its weights are read as data through
mmengine's ``CheckpointLoader`` (mmssg's weights-only loader, which also fetches a URL into
the torch hub cache) and loaded strictly: a checkpoint of another architecture is refused
with the file and the first keys that differ. (``init_model`` with a checkpoint also reads it
through ``CheckpointLoader``, but loads it with ``strict=False``: mismatched keys would only
be warned about.)
"""
import copy
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader
from mmengine.utils import is_installed
from mmseg.apis import init_model
from mmseg.structures import SegDataSample
from torch import Tensor, nn

from mmssg.models.generators import BicubicUpsampler
from mmssg.models.utils.weights import load_network
from mmssg.utils.checkpoint import state_dict_of, strip_wrapper_keys

#: The label of pixels the segmentor is not sure of; the segmentors' cross-entropy ignores it.
IGNORE_INDEX = 255
#: The key of a training config that says how its frames are labelled.
CONFIG_KEY = 'pseudo_labels'
#: The peak sample value of each frame type, mapped to 255.
_PEAK = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


class PseudoLabelSettings(NamedTuple):
    """How the frames of a folder are labelled, and where the labels go.

    Attributes:
        src_dir (str): The real LR frames (searched recursively).
        out_dir (str): The label maps, at the frames' relative paths (PNG).
        segmentor (str): An MMSegmentation config (a path or ``mmseg::...``).
        checkpoint (str): Its weights (a path or a URL).
        scale (int): The guided turns' SR scale (the generator's ``upscale_factor``).
        threshold (float): Top-class probability below which a pixel is ignored.
        test_cfg (dict | None): The segmentor's ``test_cfg`` (``mode='whole'`` or
            ``'slide'`` with ``crop_size`` and ``stride`` in SR pixels); None keeps its config's.
    """
    src_dir: str
    out_dir: str
    segmentor: str
    checkpoint: str
    scale: int
    threshold: float
    test_cfg: Optional[Dict]


def config_settings(cfg: Config) -> PseudoLabelSettings:
    """The pseudo-label settings of a training config.

    The frames are its guided dataset's images (``train_dataloader.dataset``: ``data_root`` +
    ``data_prefix.img_path``), the labels go where that dataset reads them (``data_root`` +
    ``data_prefix.seg_map_path``), the scale is the generator's ``upscale_factor``, and
    ``pseudo_labels`` gives ``segmentor``, ``checkpoint``, ``threshold`` and ``test_cfg``.

    Raises:
        KeyError: A piece is missing; the message names the config and the key.
    """
    name = getattr(cfg, 'filename', None) or 'the config'
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    prefix = dataset.get('data_prefix') or {}
    for key in ('img_path', 'seg_map_path'):
        if not prefix.get(key):
            raise KeyError(f'{name}: no train_dataloader.dataset.data_prefix.{key}: the frames '
                           'are the guided dataset\'s images and their labels go where it reads '
                           'its label maps')
    settings = cfg.get(CONFIG_KEY)
    missing = [k for k in ('segmentor', 'checkpoint', 'threshold') if k not in (settings or {})]
    if missing:
        raise KeyError(f'{name}: {CONFIG_KEY}.{missing[0]} is missing ({CONFIG_KEY} = '
                       'dict(segmentor=MMSEG_CONFIG, checkpoint=WEIGHTS, threshold=T, '
                       'test_cfg=...))')
    scale = ((cfg.get('model') or {}).get('generator') or {}).get('upscale_factor')
    if not isinstance(scale, int):
        raise KeyError(f'{name}: model.generator.upscale_factor (the guided turns\' scale) is '
                       f'missing or not an integer: {scale!r}')
    root = dataset.get('data_root') or ''
    return PseudoLabelSettings(
        osp.join(root, prefix['img_path']), osp.join(root, prefix['seg_map_path']),
        settings['segmentor'], settings['checkpoint'], scale, settings['threshold'],
        settings.get('test_cfg'))


def check_settings(settings: PseudoLabelSettings) -> None:
    """Refuse a threshold outside [0, 1] or a scale below 1, naming the value."""
    if not 0 <= settings.threshold <= 1:
        raise ValueError(f'threshold {settings.threshold!r}: a probability, in [0, 1]')
    if settings.scale < 1:
        raise ValueError(f'scale {settings.scale!r}: expected an integer >= 1')


def load_segmentor_config(config: Union[str, Config]) -> Config:
    """A segmentor config from a path or a package's ``pkg::folder/file.py`` (as ``_base_``
    takes it, e.g. ``mmseg::hrnet/fcn_hr18_4xb2-160k_cityscapes-512x1024.py``), as a copy."""
    if isinstance(config, Config):
        return copy.deepcopy(config)
    if '::' in config:
        package = config.split('::')[0]
        if not is_installed(package):  # mmengine would pip-install it
            raise FileNotFoundError(f'segmentor config {config}: package {package} is not '
                                    'installed')
        return get_config(config)
    if not osp.isfile(config):
        raise FileNotFoundError(f'segmentor config {config} does not exist')
    return Config.fromfile(config)


def segmentor_weights(checkpoint, path: str) -> Dict[str, Tensor]:
    """The segmentor's state dict of a loaded checkpoint: MMSegmentation's (bare keys) or an
    mmssg training checkpoint's ``segmentor.*`` keys."""
    state = strip_wrapper_keys(state_dict_of(checkpoint, path))
    if not state:
        raise ValueError(f'{path} holds no weights: its state dict is empty')
    prefix = 'segmentor.'
    if any(key.startswith(prefix) for key in state):
        return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    return state


def class_names(checkpoint) -> Optional[List[str]]:
    """The class names a checkpoint's meta records (MMSegmentation 1.x ``dataset_meta`` or 0.x
    ``CLASSES``), or None."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    names = (meta.get('dataset_meta') or {}).get('classes') or meta.get('CLASSES')
    return [str(n) for n in names] if isinstance(names, (list, tuple)) else None


def init_segmentor(config: Union[str, Config],
                   checkpoint: str,
                   device: str = 'cpu',
                   test_cfg: Optional[Dict] = None) -> nn.Module:
    """Build an MMSegmentation segmentor with ``mmseg.apis.init_model`` and load its weights
    strictly, read as data (see the module's docstring).

    Args:
        config (str | Config): The segmentor's config (a path, ``mmseg::...`` or a Config).
        checkpoint (str): A checkpoint file or URL: MMSegmentation's, or an mmssg training
            checkpoint (its ``segmentor.*`` weights).
        device (str): Device. Defaults to ``'cpu'``.
        test_cfg (dict, optional): Replaces the config's ``model.test_cfg``.

    Returns:
        nn.Module: The segmentor in eval mode; ``dataset_meta['classes']`` holds the class
        names its checkpoint records (or None).

    Raises:
        ValueError: The checkpoint does not fit the config's segmentor, holds no weights, or
            is no checkpoint; the message names the file.
    """
    cfg = load_segmentor_config(config)
    if test_cfg is not None:
        cfg.model.test_cfg = test_cfg
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmseg')):
        model = init_model(cfg, None, device='cpu')
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    load_network(model, segmentor_weights(loaded, checkpoint), 'segmentor', checkpoint)
    model.dataset_meta = dict(classes=class_names(loaded))
    return model.to(device).eval()


def upscale_frame(image: np.ndarray, scale: int, device='cpu') -> Tensor:
    """A frame up-sampled by bicubic interpolation (MATLAB's kernel), as an SR output.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 or uint16 (16 bits are mapped to 0-255).
        scale (int): The scale.
        device: Where to compute. Defaults to the CPU.

    Returns:
        Tensor: ``(3, sH, sW)`` float32 on the 0-255 scale, neither rounded nor clamped, the
        channels in ``image``'s order.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype not in _PEAK:
        raise ValueError(f'expected an (H, W, 3) uint8 or uint16 frame, got {image.dtype} '
                         f'{image.shape}')
    frame = torch.from_numpy(np.ascontiguousarray(image)).to(device).permute(2, 0, 1).float()
    frame = frame * (255 / _PEAK[image.dtype]) if image.dtype != np.uint8 else frame
    return BicubicUpsampler(upscale_factor=scale)(frame[None])[0]


@torch.no_grad()
def lr_class_probabilities(model: nn.Module, image: np.ndarray, scale: int) -> Tensor:
    """The segmentor's class probabilities of a frame, on the frame's own (LR) grid.

    Args:
        model (nn.Module): A segmentor from :func:`init_segmentor`.
        image (np.ndarray): ``(H, W, 3)`` uint8 or uint16 frame in BGR order (as
            MMSegmentation's ``LoadImageFromFile`` reads it; the data preprocessor converts it
            as its config says).
        scale (int): The guided turns' SR scale.

    Returns:
        Tensor: ``(classes, H, W)`` float32 on the CPU: the softmax of the logits MMSegmentation
        returns for the up-sampled frame, averaged over each ``scale x scale`` block.
    """
    device = next(model.parameters()).device
    sr = upscale_frame(image, scale, device)
    sample = SegDataSample(metainfo=dict(img_shape=sr.shape[1:], ori_shape=sr.shape[1:]))
    result = model.test_step(dict(inputs=[sr], data_samples=[sample]))[0]
    logits = result.seg_logits.data
    if not 2 <= logits.shape[0] <= IGNORE_INDEX:
        raise ValueError(f'the segmentor has {logits.shape[0]} output channels; pseudo-labels '
                         f'need 2 to {IGNORE_INDEX} classes (uint8 train ids)')
    return F.avg_pool2d(logits.softmax(0)[None], scale)[0].cpu()


def label_map(probabilities: Tensor, threshold: float) -> np.ndarray:
    """Each pixel's most probable class, :data:`IGNORE_INDEX` where its probability is below
    ``threshold``.

    Args:
        probabilities (Tensor): ``(classes, H, W)`` class probabilities.
        threshold (float): In [0, 1].

    Returns:
        np.ndarray: ``(H, W)`` uint8 train ids.
    """
    top, labels = probabilities.max(0)
    labels[top < threshold] = IGNORE_INDEX
    return labels.to(torch.uint8).numpy()
