# Copyright (c) mmssg contributors. All rights reserved.
from .metrics import DISTS, LPIPS, NIMA, MetaIQA, SafeNIQE, SRMeanIoU

__all__ = ['DISTS', 'LPIPS', 'MetaIQA', 'NIMA', 'SafeNIQE', 'SRMeanIoU']
