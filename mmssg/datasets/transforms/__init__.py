# Copyright (c) mmssg contributors. All rights reserved.
from .domain_adapted_degradation import DomainAdaptedDegradation
from .synthetic_degradation import SyntheticDegradation

__all__ = ['DomainAdaptedDegradation', 'SyntheticDegradation']
