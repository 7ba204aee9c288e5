# Copyright (c) mmssg contributors. All rights reserved.
"""Splitting a pool's work over processes (mmssg.degradation.pools.shards)."""
import pytest

from mmssg.degradation.pools.shards import (is_summary_name, parse_shard, seeded_subset,
                                            select_work, shard_from_environment, shard_summary_name,
                                            take_shard)


def test_shards_partition_the_list_and_subsets_do_not_depend_on_them():
    items = list(range(10))
    shards = [take_shard(items, i, 3) for i in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert sorted(sum(shards, [])) == items
    subset = seeded_subset(items, 4, seed=7)
    assert subset == seeded_subset(items, 4, seed=7) == sorted(subset) and len(subset) == 4
    assert seeded_subset(items, 40, seed=7) == items
    assert shard_from_environment({}) == (0, 1)
    assert shard_from_environment(dict(RANK='2', WORLD_SIZE='4')) == (2, 4)
    with pytest.raises(ValueError, match=r"RANK and WORLD_SIZE from the launcher: shard '4/4'"):
        shard_from_environment(dict(RANK='4', WORLD_SIZE='4'))


def test_shard_summaries_are_named_apart_from_the_pool_summary():
    assert shard_summary_name(1, 4) == 'summary.shard-1-of-4.json'
    assert is_summary_name('summary.json') and is_summary_name(shard_summary_name(1, 4))
    assert not is_summary_name('summary.shard-1-of-4.json.part') and not is_summary_name('a.npy')
    assert parse_shard(' 1 / 4 ') == (1, 4)
    with pytest.raises(ValueError, match=r"shard '4/4': the index I must be in 0\.\.3"):
        parse_shard('4/4')


def test_an_images_seed_index_and_the_run_digest_do_not_depend_on_the_shard():
    jobs = [(f'img_{i}.png', f'img_{i}.npy') for i in range(7)]
    shards = [select_work(jobs, 4, seed=3, shard=(i, 2)) for i in range(2)]
    (first, digest), (second, other) = shards
    assert digest == other  # names the run's whole image list
    assert sorted(first + second) == select_work(jobs, 4, seed=3, shard=(0, 1))[0]
    assert all(jobs[item.seed_index][0] == item.file for item in first + second)
    assert select_work(jobs, None, 3, (0, 1))[1] != digest
