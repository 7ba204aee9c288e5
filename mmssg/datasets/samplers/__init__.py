# Copyright (c) mmssg contributors. All rights reserved.
from .sample_seed_sampler import SampleSeedSampler, sample_seed

__all__ = ['SampleSeedSampler', 'sample_seed']
