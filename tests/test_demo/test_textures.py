# Copyright (c) mmssg contributors. All rights reserved.
"""Mip textures and the scikit-image photographs."""
import numpy as np

from mmssg.demo.textures import PHOTO_NAMES, MipTexture, load_photographs, load_textures


def test_mip_texture_tiles_and_picks_the_level_of_the_footprint():
    image = np.arange(64, dtype=np.float32).reshape(8, 8)
    texture = MipTexture(image)
    assert [level.shape for level in texture.levels] == [(8, 8), (4, 4)]
    # footprint 1: the nearest level-0 texel, wrapping around the borders
    np.testing.assert_array_equal(
        texture.sample([0.5, 3.2, 8.5, -0.5], [0.5, 1.9, 0, 0], 1.0), [0, 11, 0, 7])
    # footprint 2: level 1, the mean of each 2x2 block
    np.testing.assert_allclose(texture.sample([0.5], [0.5], 2.0), [image[:2, :2].mean()])
    # colour textures keep their channels
    assert MipTexture(np.zeros((16, 16, 3), np.float32)).sample([1.0], [1.0], 1.0).shape == (1, 3)


def test_photographs_and_textures():
    photos = load_photographs()
    assert tuple(photos) == PHOTO_NAMES
    for photo in photos.values():
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3
    textures = load_textures()
    assert set(PHOTO_NAMES) | {'brick', 'bricks_h', 'grass', 'gravel'} == set(textures)
    grass = textures['grass'].levels[0]
    assert abs(float(grass.mean())) < 1e-3 and abs(float(grass.std()) - 1) < 1e-3
