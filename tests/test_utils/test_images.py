# Copyright (c) mmssg contributors. All rights reserved.
"""Listing a folder's images, shared by the data tools and inference."""
import pytest

from mmssg.utils import list_images


def test_list_images_recurses_sorts_and_matches_suffixes_case_insensitively(tmp_path):
    for rel in ('b.png', 'a/z.JPG', 'a/y.txt', 'a/deeper/x.pgm', '.hidden.png', 'c.npy'):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'')
    assert list_images(str(tmp_path)) == ['a/deeper/x.pgm', 'a/z.JPG', 'b.png']


def test_list_images_of_an_empty_folder_is_empty_and_a_missing_one_is_named(tmp_path):
    assert list_images(str(tmp_path)) == []
    with pytest.raises(FileNotFoundError, match='nowhere'):
        list_images(str(tmp_path / 'nowhere'))
