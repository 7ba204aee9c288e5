# Copyright (c) mmssg contributors. All rights reserved.
"""Check (or bring) a label map to the size of its image, before any crop."""
from mmagic.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from mmssg.degradation.functional import downsample_labels


def label_scale(image_size, label_size):
    """The integer factor by which a label map is larger than its image, or None."""
    (h, w), (lh, lw) = image_size, label_size
    if lh % h or lw % w or lh // h != lw // w:
        return None
    return lh // h


@TRANSFORMS.register_module()
class MatchLabelSize(BaseTransform):
    """Make sure a label map covers its image pixel for pixel.

    Joint crops and flips (``mmseg.RandomCrop``, ``mmseg.RandomFlip``) cut the
    image and its labels at the same pixel coordinates, so labels of another
    size would be cut from the wrong region (or fail to stack later). This
    transform runs right after loading: labels of the image's size pass;
    labels an integer factor ``s`` larger in both directions (e.g. HR labels
    of an LR image) are down-sampled by nearest neighbour at the block centre
    (:func:`~mmssg.degradation.functional.downsample_labels`) when
    ``downsample=True``; anything else is an error naming both files and sizes.

    Required keys: ``img``, ``gt_seg_map``. Modified key: ``gt_seg_map``.

    Args:
        downsample (bool): Down-sample labels an integer factor larger than
            the image. Defaults to True.
    """

    def __init__(self, downsample: bool = True) -> None:
        self.downsample = downsample

    def transform(self, results: dict) -> dict:
        image_size = results['img'].shape[:2]
        labels = results['gt_seg_map']
        if labels.shape[:2] == image_size:
            return results
        scale = label_scale(image_size, labels.shape[:2]) if self.downsample else None
        if scale is None:
            allowed = ' or an integer multiple of it' if self.downsample else ''
            raise ValueError(
                f'label map {results.get("seg_map_path", "(no path)")} is '
                f'{labels.shape[1]}x{labels.shape[0]} but its image '
                f'{results.get("img_path", "(no path)")} is {image_size[1]}x{image_size[0]}; '
                f'labels must have the image\'s size{allowed}')
        results['gt_seg_map'] = downsample_labels(labels, scale)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(downsample={self.downsample})'
