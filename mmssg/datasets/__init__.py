# Copyright (c) mmssg contributors. All rights reserved.
from .cityscapes_sr_dataset import CityscapesSRDataset
from .idd_dataset import IDDDataset
from .sr_seg_dataset import SRSegDatasetMixin
from .transforms import DomainAdaptedDegradation, SyntheticDegradation

__all__ = ['CityscapesSRDataset', 'IDDDataset', 'SRSegDatasetMixin', 'DomainAdaptedDegradation',
           'SyntheticDegradation']
