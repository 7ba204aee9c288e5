# Copyright (c) mmssg contributors. All rights reserved.
from .metrics import DISTS, LPIPS, NIMA, ColourShift, MetaIQA, SafeNIQE, SRMeanIoU

__all__ = ['ColourShift', 'DISTS', 'LPIPS', 'MetaIQA', 'NIMA', 'SafeNIQE', 'SRMeanIoU']
