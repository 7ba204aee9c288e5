# Copyright (c) mmssg contributors. All rights reserved.
"""Per-sample seeds: a sample's randomness depends on where it is drawn, nothing else."""
import random

import numpy as np
import pytest
import torch
from mmagic.registry import DATA_SAMPLERS, DATASETS
from torch.utils.data import Dataset

from mmssg.datasets import SampleSeededDataset, SampleSeedSampler


class RandomDraws(Dataset):
    """Each item is what numpy, Python and torch draw when it is loaded."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return index, np.random.rand(), random.random(), torch.rand(()).item()


def sampler(seed=3, shuffle=True):
    return DATA_SAMPLERS.build(
        dict(type='SampleSeedSampler', sampler=dict(type='DefaultSampler', shuffle=shuffle)),
        default_args=dict(dataset=RandomDraws(), seed=seed))


def test_sampler_tags_the_wrapped_order_with_seeds_of_epoch_and_position():
    keys = sampler()
    inner = DATA_SAMPLERS.build(
        dict(type='DefaultSampler', shuffle=True), default_args=dict(dataset=RandomDraws(), seed=3))
    first = list(keys)
    assert [index for index, _ in first] == list(inner)
    assert len({seed for _, seed in first}) == len(first)  # one seed per position
    assert list(keys) == first  # same epoch, same keys
    keys.set_epoch(1)
    inner.set_epoch(1)
    second = list(keys)
    assert [index for index, _ in second] == list(inner)
    assert not {seed for _, seed in second} & {seed for _, seed in first}
    assert [s for _, s in list(sampler(seed=4))] != [s for _, s in first]


def test_a_key_gives_the_same_sample_whatever_the_global_state_and_restores_it():
    dataset = SampleSeededDataset(RandomDraws())
    key = (2, 12345)
    np.random.seed(0)
    first = dataset[key]
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    state = np.random.get_state()[1].copy(), random.getstate(), torch.get_rng_state()
    assert dataset[key] == first
    assert np.array_equal(np.random.get_state()[1], state[0])
    assert random.getstate() == state[1] and torch.equal(torch.get_rng_state(), state[2])
    assert dataset[(2, 54321)] != first
    assert dataset[2][0] == 2  # a plain index loads as the wrapped dataset would


def test_an_empty_image_folder_is_named_before_training(tmp_path):
    (tmp_path / 'HR').mkdir()
    with pytest.raises(ValueError, match=r'BasicImageDataset lists no samples.*HR'):
        DATASETS.build(
            dict(
                type='SampleSeededDataset',
                dataset=dict(
                    type='BasicImageDataset',
                    data_root=str(tmp_path),
                    data_prefix=dict(gt='HR'),
                    pipeline=[])))


def test_the_sampler_is_a_registered_wrapper_of_any_sampler():
    keys = sampler(shuffle=False)
    assert isinstance(keys, SampleSeedSampler) and len(keys) == 6
    assert [index for index, _ in keys] == list(range(6))
