# Copyright (c) mmssg contributors. All rights reserved.
"""A sampler that gives every sample it draws its own random seed."""
from typing import Iterator, Optional, Tuple

import numpy as np
from mmagic.registry import DATA_SAMPLERS
from mmengine.dist import get_dist_info
from torch.utils.data import Sampler


def sample_seed(seed: int, rank: int, epoch: int, position: int) -> int:
    """A 32-bit seed for the sample drawn at ``position`` of ``epoch`` on ``rank``."""
    sequence = np.random.SeedSequence([seed % 2**32, rank, epoch, position])
    return int(sequence.generate_state(1)[0])


@DATA_SAMPLERS.register_module()
class SampleSeedSampler(Sampler):
    """Yield ``(index, seed)`` pairs: another sampler's indices, each with its own seed.

    The seed is derived from ``(seed, rank, epoch, position in the epoch)``, so
    it does not depend on the worker that loads the sample or on whether the
    run was resumed. :class:`~mmssg.datasets.SampleSeededDataset` consumes the
    pairs.

    Args:
        dataset (Dataset): The dataset (passed on to the wrapped sampler).
        sampler (dict): Config of the wrapped sampler, e.g. mmengine's
            ``DefaultSampler`` or ``InfiniteSampler``.
        seed (int, optional): Base seed; the runner passes ``randomness.seed``.
            Defaults to 0.
    """

    def __init__(self, dataset, sampler: dict, seed: Optional[int] = None) -> None:
        self.seed = 0 if seed is None else int(seed)
        self.sampler = DATA_SAMPLERS.build(sampler, default_args=dict(dataset=dataset, seed=seed))
        self.rank = get_dist_info()[0]
        self.epoch = 0

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        for position, index in enumerate(self.sampler):
            yield int(index), sample_seed(self.seed, self.rank, self.epoch, position)

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the wrapped sampler (its shuffle order) and of the seeds."""
        self.epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)
