# Copyright (c) mmssg contributors. All rights reserved.
"""Degradation algorithms (sections 3.2 and 5.1), no command-line work.

:mod:`.functional` (pure blur / down-sampling / noise functions),
:mod:`.noise_patches` (the noise-window test of Eq. 2-4), :mod:`.noise_files`
(the noise-pool file formats, compact and float32, read one patch at a
time), :mod:`.kernelgan` and :mod:`.spectral_kernels` (blur-kernel estimation;
the latter fits the averaged periodograms of :mod:`.power_spectra`) and
:mod:`.pools` (loading the kernel and noise pools the tools under ``tools/data/``
write).
"""
