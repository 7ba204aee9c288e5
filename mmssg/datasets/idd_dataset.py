# Copyright (c) mmssg contributors. All rights reserved.
from mmagic.registry import DATASETS
from mmseg.datasets import BaseSegDataset

from .sr_seg_dataset import SRSegDatasetMixin


@DATASETS.register_module()
class IDDDataset(SRSegDatasetMixin, BaseSegDataset):
    """India Driving Dataset (IDD) segmentation, at its level-4 ids (30 classes).

    The layout follows IDD's toolkit: ``leftImg8bit/<split>/<seq>/<frame>_leftImg8bit.png``
    and ``gtFine/<split>/<seq>/<frame>_gtFine_labellevel4Ids.png``, the label
    maps written by the toolkit's ``createLabels.py --id-type level4Id``
    (255 = ignore). The paper uses the 1280x720 images only (1876 train, 442
    val); list them with ``ann_file`` if the other resolution is present. Class
    names are those of IDD's level-4 ids (where several labels share an id,
    the first label's name).

    Args:
        img_suffix (str): Image suffix. Defaults to ``'_leftImg8bit.png'``.
        seg_map_suffix (str): Label suffix. Defaults to
            ``'_gtFine_labellevel4Ids.png'``.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`;
            ``data_prefix`` may also hold ``gt_path``.
    """
    METAINFO = dict(
        classes=('road', 'parking', 'drivable fallback', 'sidewalk', 'non-drivable fallback',
                 'person', 'animal', 'rider', 'motorcycle', 'bicycle', 'autorickshaw', 'car',
                 'truck', 'bus', 'caravan', 'vehicle fallback', 'curb', 'wall', 'fence',
                 'guard rail', 'billboard', 'traffic sign', 'traffic light', 'pole',
                 'obs-str-bar-fallback', 'building', 'bridge', 'vegetation', 'sky',
                 'fallback background'),
        palette=[[128, 64, 128], [250, 170, 160], [81, 0, 81], [244, 35, 232],
                 [152, 251, 152], [220, 20, 60], [246, 198, 145], [255, 0, 0], [0, 0, 230],
                 [119, 11, 32], [255, 204, 54], [0, 0, 142], [0, 0, 70], [0, 60, 100],
                 [0, 0, 90], [136, 143, 153], [220, 190, 40], [102, 102, 156],
                 [190, 153, 153], [180, 165, 180], [174, 64, 67], [220, 220, 0],
                 [250, 170, 30], [153, 153, 153], [169, 187, 214], [70, 70, 70],
                 [150, 100, 100], [107, 142, 35], [70, 130, 180], [169, 187, 214]])

    def __init__(self,
                 img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labellevel4Ids.png',
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
