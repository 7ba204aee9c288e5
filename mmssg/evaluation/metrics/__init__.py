# Copyright (c) mmssg contributors. All rights reserved.
from .colour_shift import ColourShift
from .dists import DISTS
from .lpips_metric import LPIPS
from .meta_iqa import MetaIQA
from .nima import NIMA
from .safe_niqe import SafeNIQE
from .sr_mean_iou import SRMeanIoU

__all__ = ['ColourShift', 'DISTS', 'LPIPS', 'MetaIQA', 'NIMA', 'SafeNIQE', 'SRMeanIoU']
