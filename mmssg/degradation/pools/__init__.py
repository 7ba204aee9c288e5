# Copyright (c) mmssg contributors. All rights reserved.
"""The two degradation pools of section 3.2: blur kernels and noise patches.

Both are made from a folder of real LR images (the guided training dataset's, of the size it
trains on) and read by :class:`~mmssg.datasets.DomainAdaptedDegradation`. For each pool this
package holds:

- what it is made with: one settings schema per pool (:mod:`.settings`: ``kernel_settings``,
  ``noise_settings``), recorded by the writer and compared by :func:`pool_status`;
- the reader (:mod:`.readers`: ``load_kernel_pool``, ``load_noise_pool``) and the noise files'
  format (:mod:`.noise_files`);
- the writers (:mod:`.kernel_writer`: ``write_kernel_pool``, with its estimators
  (:mod:`.kernel_estimates`), resuming (:mod:`.records`), sharding (:mod:`.shards`) and
  summaries (:mod:`.kernel_summary`); :mod:`.noise_writer`: ``write_noise_pool``), over the
  images of :mod:`.sources`;
- the pools of a training config (:mod:`.config`: ``pool_spec``, ``pool_status``).

``tools/data/estimate_kernels.py`` and ``tools/data/collect_noise_patches.py`` parse their
command lines and call the writers.
"""
from .config import POOL_KINDS, PoolSpec, pool_spec, pool_status
from .readers import KernelPool, NoisePool, load_kernel_pool, load_noise_pool
from .settings import METHODS, kernel_settings, noise_settings

__all__ = [
    'POOL_KINDS', 'PoolSpec', 'pool_spec', 'pool_status', 'KernelPool', 'NoisePool',
    'load_kernel_pool', 'load_noise_pool', 'METHODS', 'kernel_settings', 'noise_settings'
]
