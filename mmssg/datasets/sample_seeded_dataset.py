# Copyright (c) mmssg contributors. All rights reserved.
"""Per-sample random seeds, so that a resumed run repeats the uninterrupted one exactly.

Random crops, flips and degradations draw from numpy's, Python's and torch's
global generators, whose state lives in each dataloader worker (or in the main
process) and is not in any checkpoint. :class:`~mmssg.datasets.SampleSeedSampler` tags every
index it yields with a seed derived from ``(seed, rank, epoch, position in the
epoch)``; :class:`SampleSeededDataset` seeds all three generators with it
before loading the sample and restores them afterwards. A sample's randomness
is then a function of where it is drawn, whatever the number of workers, the
worker that loads it, or whether the run was interrupted and resumed.
:class:`~mmssg.engine.JointTrainLoop` wraps its loaders this way by default.
"""
import contextlib
import random
from typing import Union

import numpy as np
import torch
from mmagic.registry import DATASETS
from torch.utils.data import Dataset


@contextlib.contextmanager
def seeded_generators(seed: int):
    """Seed numpy's, Python's and torch's global generators; restore them afterwards."""
    states = np.random.get_state(), random.getstate(), torch.get_rng_state()
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
        torch.set_rng_state(states[2])


def build_non_empty(cfg: dict) -> Dataset:
    """Build a dataset, refusing one that lists no sample with a message naming its folders.

    mmengine's datasets would otherwise fail in their serialisation step with a
    bare ``need at least one array to concatenate``.
    """
    dataset = DATASETS.build(dict(cfg, lazy_init=True))
    if hasattr(dataset, 'load_data_list') and not dataset.load_data_list():
        where = {k: getattr(dataset, k, None) for k in ('data_root', 'data_prefix', 'ann_file')}
        raise ValueError(f'{type(dataset).__name__} lists no samples: nothing found under '
                         f'{where}; check the folders and file suffixes of this dataset config')
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    return dataset


@DATASETS.register_module()
class SampleSeededDataset(Dataset):
    """Load each sample with the generators seeded from its ``(index, seed)`` key.

    Plain integer indices load the sample as the wrapped dataset would.

    Args:
        dataset (dict | Dataset): The dataset (or its config).
    """

    def __init__(self, dataset: Union[dict, Dataset]) -> None:
        self.dataset = build_non_empty(dataset) if isinstance(dataset, dict) else dataset

    @property
    def metainfo(self) -> dict:
        return getattr(self.dataset, 'metainfo', {})

    def full_init(self) -> None:
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            index, seed = key
            with seeded_generators(seed):
                return self.dataset[index]
        return self.dataset[key]
