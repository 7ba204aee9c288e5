# Copyright (c) mmssg contributors. All rights reserved.
from .metrics import LPIPS, SRMeanIoU

__all__ = ['LPIPS', 'SRMeanIoU']
