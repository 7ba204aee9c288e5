# Copyright (c) mmssg contributors. All rights reserved.
from .bicubic_upsampler import BicubicUpsampler
from .upsampler_start_init import UpsamplerStartInit

__all__ = ['BicubicUpsampler', 'UpsamplerStartInit']
