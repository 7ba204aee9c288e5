# Copyright (c) mmssg contributors. All rights reserved.
from .lpips_metric import LPIPS
from .safe_niqe import SafeNIQE
from .sr_mean_iou import SRMeanIoU

__all__ = ['LPIPS', 'SafeNIQE', 'SRMeanIoU']
