# Copyright (c) mmssg contributors. All rights reserved.
"""parallel_map: the data tools' one way to run over many inputs."""
import functools
import os

import pytest

from mmssg.utils import parallel_map


def _shifted_with_pid(offset, i):
    return i + offset, os.getpid()


def test_results_come_back_in_order_in_process_and_over_workers():
    shifted = functools.partial(_shifted_with_pid, 10)  # how the tools pass their settings
    items = list(range(7))
    expected = [(i + 10, os.getpid()) for i in items]
    assert parallel_map(shifted, items, progress=False) == expected
    pooled = parallel_map(shifted, items, workers=3, progress=False)
    assert [r[0] for r in pooled] == [i + 10 for i in items]
    assert os.getpid() not in {r[1] for r in pooled}  # done in other processes
    assert parallel_map(abs, [], workers=3) == []


def _fail_on_three(i):
    if i == 3:
        raise ValueError('item 3 is bad')
    return i


@pytest.mark.parametrize('workers', [1, 2])
def test_an_error_in_fn_reaches_the_caller(workers):
    with pytest.raises(ValueError, match='item 3 is bad'):
        parallel_map(_fail_on_three, range(5), workers=workers, progress=False)


def test_the_progress_bar_counts_the_items(capsys):
    parallel_map(abs, [-1, -2, -3], desc='numbers', unit='n')
    err = capsys.readouterr().err
    assert 'numbers' in err and '3/3' in err
    parallel_map(abs, [-1], desc='quiet', progress=False)
    assert 'quiet' not in capsys.readouterr().err
