# Copyright (c) mmssg contributors. All rights reserved.
from .sr_seg_visualizer import SRSegVisualizer

__all__ = ['SRSegVisualizer']
