# Copyright (c) mmssg contributors. All rights reserved.
"""Offline estimation of degradations (section 3.2): noise-patch pool, KernelGAN kernels."""
