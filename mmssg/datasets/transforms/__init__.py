# Copyright (c) mmssg contributors. All rights reserved.
from .domain_adapted_degradation import DomainAdaptedDegradation
from .match_label_size import MatchLabelSize
from .synthetic_degradation import SyntheticDegradation

__all__ = ['DomainAdaptedDegradation', 'MatchLabelSize', 'SyntheticDegradation']
