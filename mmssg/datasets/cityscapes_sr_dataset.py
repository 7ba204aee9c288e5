# Copyright (c) mmssg contributors. All rights reserved.
from mmagic.registry import DATASETS
from mmseg.datasets import CityscapesDataset

from .sr_seg_dataset import SRSegDatasetMixin


@DATASETS.register_module()
class CityscapesSRDataset(SRSegDatasetMixin, CityscapesDataset):
    """MMSegmentation's Cityscapes dataset, checked, with optional HR ground truth.

    Real LR training images are Cityscapes' own ``leftImg8bit`` frames with
    their ``*_gtFine_labelTrainIds.png`` labels (19 classes). For synthetic LR
    copies made by ``tools/data/synthesize_lr.py``, set
    ``data_prefix=dict(img_path=..., seg_map_path=..., gt_path='leftImg8bit_hr/val')``
    to also get each image's HR original as ``gt_path``.

    Args:
        **kwargs: Arguments of :class:`mmseg.datasets.CityscapesDataset`;
            ``data_prefix`` may also hold ``gt_path``.
    """
