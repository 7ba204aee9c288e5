# Copyright (c) mmssg contributors. All rights reserved.
from typing import List, Optional, Sequence

from mmagic.registry import DATASETS
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from mmssg.utils.image_sizes import as_image_size, select_image_size
from .sr_seg_dataset import SRSegDatasetMixin


@DATASETS.register_module()
class IDDDataset(SRSegDatasetMixin, BaseSegDataset):
    """India Driving Dataset (IDD) segmentation, at its level-4 ids (30 classes).

    The layout follows IDD's toolkit: ``leftImg8bit/<split>/<seq>/<frame>_leftImg8bit.png``
    and ``gtFine/<split>/<seq>/<frame>_gtFine_labellevel4Ids.png``, the label
    maps written by the toolkit's ``createLabels.py --id-type level4Id``
    (255 = ignore). IDD holds 1920x1080 and 1280x720 frames; the paper uses
    the 1280x720 ones only (1876 train, 442 val), which ``image_size``
    selects (the IDD configs set it). Class names are those of IDD's level-4
    ids (where several labels share an id, the first label's name).

    Args:
        img_suffix (str): Image suffix. Defaults to ``'_leftImg8bit.png'``.
        seg_map_suffix (str): Label suffix. Defaults to
            ``'_gtFine_labellevel4Ids.png'``.
        image_size (Sequence[int], optional): ``(width, height)``: keep only
            images of this size (read from the file header, no decoding), log
            how many others were left out, and fail naming the folder and the
            sizes found when none qualifies
            (:func:`mmssg.utils.image_sizes.select_image_size`, the selection the
            degradation pools of an IDD config make too). Defaults to None
            (every image).
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
        palette=[[128, 64, 128], [250, 170, 160], [81, 0, 81], [244, 35, 232], [152, 251, 152],
                 [220, 20, 60], [246, 198, 145], [255, 0, 0], [0, 0, 230], [119, 11, 32],
                 [255, 204, 54], [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 0, 90], [136, 143, 153],
                 [220, 190, 40], [102, 102, 156], [190, 153, 153], [180, 165, 180], [174, 64, 67],
                 [220, 220, 0], [250, 170, 30], [153, 153, 153], [169, 187, 214], [70, 70, 70],
                 [150, 100, 100], [107, 142, 35], [70, 130, 180], [169, 187, 214]])

    def __init__(self,
                 img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labellevel4Ids.png',
                 image_size: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        self.image_size = as_image_size(image_size, 'IDDDataset')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if self.image_size is None:
            return data_list
        folder = self.data_prefix.get('img_path')
        try:
            selection = select_image_size([info['img_path'] for info in data_list], self.image_size,
                                          folder)
        except ValueError as error:
            raise ValueError(f'IDDDataset: {error}') from None
        if selection.left_out:
            print_log(
                f'IDDDataset: kept the {len(selection.kept)} images of {self.image_size[0]}x'
                f'{self.image_size[1]}, left out {sum(selection.left_out.values())} of other '
                f'sizes under {folder}',
                logger='current')
        kept = set(selection.kept)
        return [info for info in data_list if info['img_path'] in kept]
