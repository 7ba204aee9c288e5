# Copyright (c) mmssg contributors. All rights reserved.
"""Degradation algorithms (sections 3.2 and 5.1) and the degradation pools.

:mod:`.functional` (pure blur / down-sampling / noise functions),
:mod:`.noise_patches` (the noise-window test of Eq. 2-4), :mod:`.kernelgan` and
:mod:`.spectral_kernels` (blur-kernel estimation; the latter fits the averaged periodograms of
:mod:`.power_spectra`) and :mod:`.pools` (the kernel and noise pools: what they are made with,
their files, writing them from a folder or a training config, and reading them).
"""
