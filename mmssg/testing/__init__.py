# Copyright (c) mmssg contributors. All rights reserved.
"""Helpers shared by the test suite and the benchmarks: small configs and batches, photograph
mosaics, generated study folders, a tiny training set-up run with the real tools, the tools'
commands run as processes many at once (:mod:`.tool_processes`), and independent reference
implementations that the tests compare the package with.

Importing this package imports MMagic (for its data samples); nothing here is registered.
"""
from .batches import adapted_batch, guided_batch
from .blur_reference import blur_and_subsample, gaussian_kernel, valid_blur_and_subsample
from .configs import (BN, GENERATORS, REPO_ROOT, base_model_cfg, config_path,
                      generator_swapped_config, power_law_image, tiny_generator_config,
                      tiny_model_cfg, twice_bilinear_x2)
from .photos import load_photos, photo_mosaic
from .reference_noise import noise_patch_positions_reference

__all__ = [
    'adapted_batch', 'guided_batch', 'blur_and_subsample', 'gaussian_kernel',
    'valid_blur_and_subsample', 'BN', 'GENERATORS', 'REPO_ROOT', 'base_model_cfg', 'config_path',
    'generator_swapped_config', 'power_law_image', 'tiny_generator_config', 'tiny_model_cfg',
    'twice_bilinear_x2', 'noise_patch_positions_reference', 'load_photos', 'photo_mosaic'
]
