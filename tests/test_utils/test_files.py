# Copyright (c) mmssg contributors. All rights reserved.
"""Atomic output files (mmssg.utils.files) and shard specs (mmssg.utils.shards)."""
import os

import numpy as np
import pytest

from mmssg.utils import (atomic_output, save_npy_atomic, seeded_subset, shard_from_environment,
                         take_shard, write_json_atomic)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / 'k.npy'
    save_npy_atomic(str(target), np.arange(3))
    with pytest.raises(RuntimeError, match='interrupted'):
        with atomic_output(str(target)) as f:
            f.write(b'half a kernel')
            raise RuntimeError('interrupted')
    np.testing.assert_array_equal(np.load(target), np.arange(3))
    assert os.listdir(tmp_path) == ['k.npy']
    write_json_atomic(str(tmp_path / 's.json'), dict(a=1))
    assert (tmp_path / 's.json').read_text().replace(' ', '').replace('\n', '') == '{"a":1}'


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
