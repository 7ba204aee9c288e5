# Copyright (c) mmssg contributors. All rights reserved.
"""Speed and memory: training turns, data pipelines, degradation, inference, kernel pools."""
