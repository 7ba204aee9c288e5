# Copyright (c) mmssg contributors. All rights reserved.
from .data_preprocessors import SSGDataPreprocessor
from .editors import SSGRWSR, build_segmentor
from .generators import BicubicUpsampler
from .losses import LPIPSLoss

__all__ = ['SSGRWSR', 'LPIPSLoss', 'SSGDataPreprocessor', 'BicubicUpsampler', 'build_segmentor']
