# Copyright (c) mmssg contributors. All rights reserved.
"""LR | SR | the segmentation of SR, side by side, for validation samples of real LR images."""
import os.path as osp
from typing import Sequence

import numpy as np
import torch
from mmagic.registry import VISUALIZERS
from mmagic.structures import DataSample
from mmagic.visualization import ConcatImageVisualizer

IGNORE_INDEX = 255


def as_hwc(image) -> np.ndarray:
    """A data sample's image (tensor or array, CHW or HW) as an HWC or HW numpy array."""
    if isinstance(image, dict) and 'data' in image:  # PixelData
        image = image['data']
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    if image.ndim == 3 and image.shape[0] in (1, 3):
        image = image.transpose(1, 2, 0)
    return image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image


def colour_labels(labels: np.ndarray, palette: Sequence) -> np.ndarray:
    """An (H, W) label map as an RGB image: each class in its palette colour, ignored pixels
    (and ids beyond the palette) black."""
    table = np.zeros((256, 3), np.uint8)
    table[:len(palette)] = np.asarray(palette, np.uint8)[:256]
    table[IGNORE_INDEX] = 0
    return table[labels.astype(np.int64).clip(0, 255)]


@VISUALIZERS.register_module()
class SRSegVisualizer(ConcatImageVisualizer):
    """MMagic's concatenating visualiser for real-LR samples: no HR ground truth, an LR input
    smaller than the SR output, and a label map instead of an image.

    Each key of ``img_keys`` that a sample holds becomes one panel: images (BGR in [0, 255],
    as MMagic's data samples hold them) are turned to RGB; label maps (``pred_seg_map``,
    ``gt_seg_map``) are coloured with the dataset's palette (``dataset_meta['palette']``,
    which mmengine's validation and test loops set); panels smaller than the largest by an
    integer factor (the LR input) are enlarged by pixel repetition, so every shown pixel is
    a source pixel. MMagic's ``BasicVisualizationHook`` calls it; the vis backends write the
    row under the sample's file name.

    Args:
        fn_key (str): The sample key whose file name names the picture. Defaults to
            ``'img_path'``.
        img_keys (Sequence[str]): The panels, left to right. Defaults to
            ``('input', 'pred_img', 'pred_seg_map')``.
        name (str): The instance's name (mmengine's visualisers are named singletons).
            Defaults to ``'visualizer'``.
        **kwargs: Of :class:`mmagic.visualization.ConcatImageVisualizer` (``vis_backends``,
            ``save_dir``).
    """
    LABEL_KEYS = ('pred_seg_map', 'gt_seg_map')

    def __init__(self,
                 fn_key: str = 'img_path',
                 img_keys: Sequence[str] = ('input', 'pred_img', 'pred_seg_map'),
                 name: str = 'visualizer',
                 **kwargs) -> None:
        kwargs.pop('bgr2rgb', None)  # images are always turned to RGB, label maps coloured
        super().__init__(fn_key=fn_key, img_keys=list(img_keys), name=name, **kwargs)

    def panel(self, key: str, value) -> np.ndarray:
        """One key's value as an RGB uint8 image."""
        image = as_hwc(value)
        if key in self.LABEL_KEYS:
            palette = (self.dataset_meta or {}).get('palette') or []
            return colour_labels(image, palette)
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=2)
        return np.clip(np.round(image[..., ::-1].astype(np.float64)), 0, 255).astype(np.uint8)

    def add_datasample(self, data_sample: DataSample, step=0) -> None:
        sample = data_sample.to_dict()
        sample.update(sample.get('output') or {})
        panels = [self.panel(key, sample[key]) for key in self.img_keys if key in sample]
        if not panels:
            return
        height = max(p.shape[0] for p in panels)
        panels = [
            np.repeat(np.repeat(p, height // p.shape[0], 0), height // p.shape[0], 1) if height %
            p.shape[0] == 0 else p for p in panels
        ]
        panels = [
            np.pad(p, ((0, height - p.shape[0]), (0, 0), (0, 0)), constant_values=127)
            for p in panels
        ]
        name = sample.get(self.fn_key, 'sample')
        name = osp.splitext(osp.basename(name[0] if isinstance(name, list) else name))[0]
        for backend in self._vis_backends.values():
            backend.add_image(name, np.concatenate(panels, axis=1), step)
