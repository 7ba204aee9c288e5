# Copyright (c) mmssg contributors. All rights reserved.
from .cityscapes_sr_dataset import CityscapesSRDataset
from .idd_dataset import IDDDataset
from .sample_seeded_dataset import SampleSeededDataset
from .samplers import SampleSeedSampler
from .sr_seg_dataset import SRSegDatasetMixin
from .transforms import DomainAdaptedDegradation, SyntheticDegradation

__all__ = [
    'CityscapesSRDataset', 'IDDDataset', 'SampleSeededDataset', 'SampleSeedSampler',
    'SRSegDatasetMixin', 'DomainAdaptedDegradation', 'SyntheticDegradation'
]
