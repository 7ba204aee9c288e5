# Copyright (c) mmssg contributors. All rights reserved.
"""Segmentation datasets that may also carry HR ground truth for their LR images."""
import os.path as osp
from typing import List


class SRSegDatasetMixin:
    """Checks a segmentation dataset's files and optionally pairs HR ground truth.

    Mixed into MMSegmentation dataset classes. On top of what they list it
    adds, when ``data_prefix`` has ``gt_path``, the path of each image's HR
    ground truth: the file with the same relative path under ``gt_path`` (the
    layout ``tools/data/synthesize_lr.py`` and the demo data use). Missing
    folders and missing label or ground-truth files are reported at start-up,
    by name, instead of failing in a dataloader worker later.
    """

    def load_data_list(self) -> List[dict]:
        name = type(self).__name__
        img_dir = self.data_prefix.get('img_path')
        if not img_dir or not osp.isdir(img_dir):
            raise FileNotFoundError(f'{name}: image folder {img_dir!r} (data_root + '
                                    'data_prefix.img_path) does not exist')
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(f'{name}: no "*{self.img_suffix}" images under {img_dir}')
        gt_dir = self.data_prefix.get('gt_path')
        if gt_dir is not None and not osp.isdir(gt_dir):
            raise FileNotFoundError(f'{name}: ground-truth folder {gt_dir!r} (data_prefix.gt_path) '
                                    'does not exist')
        for info in data_list:
            seg_map = info.get('seg_map_path')
            if seg_map is not None and not osp.isfile(seg_map):
                raise FileNotFoundError(f'{name}: label map {seg_map} for {info["img_path"]} '
                                        'is missing')
            if gt_dir is not None:
                info['gt_path'] = osp.join(gt_dir, osp.relpath(info['img_path'], img_dir))
                if not osp.isfile(info['gt_path']):
                    raise FileNotFoundError(f'{name}: HR ground truth {info["gt_path"]} for '
                                            f'{info["img_path"]} is missing')
        return data_list
