# Copyright (c) mmssg contributors. All rights reserved.
from .metrics import LPIPS, SafeNIQE, SRMeanIoU

__all__ = ['LPIPS', 'SafeNIQE', 'SRMeanIoU']
