# Copyright (c) mmssg contributors. All rights reserved.
"""Atomic output files (mmssg.utils.files)."""
import os

import numpy as np
import pytest

from mmssg.utils import atomic_output, check_outputs, save_npy_atomic, write_json_atomic
from mmssg.utils.files import NAME_MAX, temporary_name


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


@pytest.mark.parametrize('name', ['a' * 246 + '.tif', '\u00e9' * 120 + '.png', 'short.npy'])
def test_a_file_whose_name_is_near_the_limit_is_written_too(tmp_path, name):
    # the temporary name adds a dot, the process id and .part: a digest stands in for a name
    # that would then pass the file system's limit (bytes, so 120 accented letters are 240)
    assert len(temporary_name(name).encode()) <= NAME_MAX
    with atomic_output(str(tmp_path / name)) as f:
        f.write(b'pixels')
    assert os.listdir(tmp_path) == [name]
    assert (tmp_path / name).read_bytes() == b'pixels'


def test_outputs_are_refused_over_an_input_or_each_other_links_followed(tmp_path):
    source = tmp_path / 'results.json'
    source.write_text('{}')
    (tmp_path / 'link').symlink_to(tmp_path, target_is_directory=True)
    through_link = str(tmp_path / 'link' / 'results.json')
    with pytest.raises(ValueError, match=f'^--out {through_link} is the input {source} '):
        check_outputs({'--out': through_link}, [str(source)])
    with pytest.raises(ValueError, match='^--b .*b.md is also --a '):
        check_outputs({'--a': str(tmp_path / 'b.md'), '--b': through_link[:-12] + 'b.md'}, [])
    check_outputs({
        '--a': str(tmp_path / 'a.md'),
        '--b': None,
        '--c': str(tmp_path / 'c.md')
    }, [str(source)])
