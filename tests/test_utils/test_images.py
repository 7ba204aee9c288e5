# Copyright (c) mmssg contributors. All rights reserved.
"""Listing a folder's images, shared by the data tools and inference."""
import os

import pytest

from mmssg.utils import list_images


def _touch(root, *rels):
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'')


def test_list_images_recurses_sorts_and_matches_suffixes_case_insensitively(tmp_path):
    _touch(tmp_path, 'b.png', 'a/z.JPG', 'a/y.txt', 'a/deeper/x.pgm', 'c.npy')
    assert list_images(str(tmp_path)) == ['a/deeper/x.pgm', 'a/z.JPG', 'b.png']


def test_list_images_skips_hidden_entries_and_symlinked_folders(tmp_path):
    data = tmp_path / 'data'
    _touch(data, 'real/a.png', '.hidden.png', '.ipynb_checkpoints/a-checkpoint.png')
    os.symlink(data / 'real', data / 'alias')  # would list a.png twice
    os.symlink(data, data / 'real' / 'loop')  # would never end
    assert list_images(str(data)) == ['real/a.png']
    # The folder given may itself be a link (a common way to mount datasets).
    os.symlink(data, tmp_path / 'link')
    assert list_images(str(tmp_path / 'link')) == ['real/a.png']


def test_list_images_of_an_empty_folder_is_empty_and_a_missing_one_is_named(tmp_path):
    assert list_images(str(tmp_path)) == []
    with pytest.raises(FileNotFoundError, match='nowhere'):
        list_images(str(tmp_path / 'nowhere'))
