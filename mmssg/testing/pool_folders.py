# Copyright (c) mmssg contributors. All rights reserved.
"""Small real-LR training folders and the configs that make pools of them, for the pool tests,
and readers of the pool folders the tools write (their kernels and summary).

Frames are written in the Cityscapes layout (``leftImg8bit/train/<city>/<city>_..._leftImg8bit
.png``) or IDD's (``leftImg8bit/train/<sequence>/<frame>_leftImg8bit.png``), each half
photograph-like texture (a power-law spectrum, what the spectral kernel fit expects) and half
a noisy flat field (where noise patches are found). A pool config names such a folder as its
guided training dataset and two pool folders in a ``DomainAdaptedDegradation``, as the
paper's configs do.
"""
import os
import os.path as osp
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from mmssg.utils import load_json
from .configs import power_law_image

#: The label maps' suffix of each layout (the datasets' defaults).
LABEL_SUFFIXES = dict(cityscapes='_gtFine_labelTrainIds.png', idd='_gtFine_labellevel4Ids.png')
#: Noise windows small enough for the frames below (p 32, q 16).
SMALL_NOISE_WINDOWS = dict(patch_size=32, sub_size=16)


def frame(width: int, height: int, seed: int) -> np.ndarray:
    """An RGB uint8 frame: texture on the left half, a noisy flat field on the right."""
    rng = np.random.default_rng(seed)
    texture = power_law_image(max(width, height), seed)[:height, :width]
    image = np.repeat(texture[..., None], 3, axis=2)
    image[:, width // 2:] = [90, 120, 150] + rng.normal(0, 4, (height, width - width // 2, 3))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def write_frames(data_root: str,
                 sizes: Sequence[Sequence[int]],
                 layout: str = 'cityscapes',
                 split: str = 'train') -> list:
    """One frame per ``(width, height)`` of ``sizes`` under ``data_root/leftImg8bit/split``,
    with its (all-zero) label map under ``data_root/gtFine/split``.

    Args:
        data_root (str): The dataset's root.
        sizes (Sequence): ``(width, height)`` of each frame.
        layout (str): ``'cityscapes'`` (two cities) or ``'idd'`` (two numbered sequences).
        split (str): The split folder. Default: 'train'.

    Returns:
        list[str]: The frames' paths relative to ``data_root/leftImg8bit/split``.
    """
    label_suffix = LABEL_SUFFIXES[layout]
    written = []
    for i, (width, height) in enumerate(sizes):
        folder = ('aachen', 'bremen')[i % 2] if layout == 'cityscapes' else str(i % 2)
        stem = f'{folder}_000000_{i:06d}' if layout == 'cityscapes' else f'{i:06d}'
        for sub in ('leftImg8bit', 'gtFine'):
            os.makedirs(osp.join(data_root, sub, split, folder), exist_ok=True)
        cv2.imwrite(
            osp.join(data_root, 'leftImg8bit', split, folder, stem + '_leftImg8bit.png'),
            cv2.cvtColor(frame(width, height, i), cv2.COLOR_RGB2BGR))
        cv2.imwrite(
            osp.join(data_root, 'gtFine', split, folder, stem + label_suffix),
            np.zeros((height, width), np.uint8))
        written.append(osp.join(folder, stem + '_leftImg8bit.png'))
    return written


def write_pool_config(path: str,
                      data_root: str,
                      pools_root: str,
                      image_size: Optional[Sequence[int]] = None,
                      kernel_method: str = 'spectral',
                      noise_windows: Optional[dict] = None,
                      scale: int = 4) -> str:
    """A training config whose guided dataset is ``data_root``'s and whose pools go under
    ``pools_root`` (``kernels_x<scale>``, ``noise``); ``image_size`` makes it an IDD config."""
    dataset = dict(
        type='IDDDataset' if image_size is not None else 'CityscapesSRDataset',
        data_root=data_root,
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'))
    if image_size is not None:
        dataset['image_size'] = tuple(image_size)
    degradation = dict(
        type='DomainAdaptedDegradation',
        kernel_pool=osp.join(pools_root, f'kernels_x{scale}'),
        noise_pool=osp.join(pools_root, 'noise'),
        scale=scale)
    text = (f'train_dataloader = dict(dataset={dataset!r})\n'
            'train_cfg = dict(dataloaders=dict(adapted=dict(dataset=dict(pipeline=['
            f'{degradation!r}]))))\n'
            f'kernel_method = {kernel_method!r}\n'
            f'noise_windows = {dict(noise_windows or SMALL_NOISE_WINDOWS)!r}\n')
    with open(path, 'w') as f:
        f.write(text)
    return path


def kernel_files(folder) -> dict:
    """``{file name: bytes}`` of the kernels (``*.npy``) in the pool folder ``folder``."""
    return {p.name: p.read_bytes() for p in sorted(Path(folder).glob('*.npy'))}


def pool_summary(folder, name: str = 'summary.json') -> dict:
    """The pool folder ``folder``'s summary (``name``), as written."""
    return load_json(osp.join(folder, name))
