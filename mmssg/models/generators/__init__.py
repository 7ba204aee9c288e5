# Copyright (c) mmssg contributors. All rights reserved.
from .bicubic_upsampler import BicubicUpsampler

__all__ = ['BicubicUpsampler']
