# Copyright (c) mmssg contributors. All rights reserved.
"""Real textures and photographs from ``skimage.data`` for the demo scenes.

Surfaces are textured with ``brick``, ``grass`` and ``gravel``; windows, shirts and vehicles
reflect crops of the colour photographs, which also join the clean HR domain as they are.
Textures are sampled through a small mip pyramid so distant surfaces keep fine, un-aliased
detail.
"""
import functools

import cv2
import numpy as np

PHOTO_NAMES = ('astronaut', 'chelsea', 'coffee', 'immunohistochemistry', 'rocket',
               'stereo_motorcycle')


class MipTexture:
    """A texture with a 2x pyramid, sampled by the nearest texel at the level that matches
    the footprint (level-0 texels per output pixel), tiling (wrapping) at the borders.

    Args:
        image (np.ndarray): ``(h, w)`` or ``(h, w, c)`` float32 texture.
    """

    def __init__(self, image):
        levels = [np.ascontiguousarray(image, dtype=np.float32)]
        while min(levels[-1].shape[:2]) >= 8 and len(levels) < 9:
            h, w = levels[-1].shape[:2]
            levels.append(cv2.resize(levels[-1], (w // 2, h // 2), interpolation=cv2.INTER_AREA))
        self.levels = levels
        self.height, self.width = image.shape[:2]

    def sample(self, u, v, footprint):
        """Sample at level-0 texel coordinates.

        Args:
            u (np.ndarray): Horizontal texel coordinates.
            v (np.ndarray): Vertical texel coordinates (same shape as ``u``).
            footprint (float | np.ndarray): Level-0 texels covered by one output pixel.

        Returns:
            np.ndarray: float32 ``u.shape + channels``.
        """
        u, v = np.broadcast_arrays(np.asarray(u, np.float64), np.asarray(v, np.float64))
        footprint = np.broadcast_to(np.asarray(footprint, np.float64), u.shape)
        level = np.log2(np.maximum(footprint, 1.0)).astype(np.int64)
        level = np.minimum(level, len(self.levels) - 1)
        out = np.empty(u.shape + self.levels[0].shape[2:], dtype=np.float32)
        for lvl in np.unique(level):
            tex = self.levels[lvl]
            sel = level == lvl
            div = float(2**lvl)
            cols = np.floor(u[sel] / div).astype(np.int64) % tex.shape[1]
            rows = np.floor(v[sel] / div).astype(np.int64) % tex.shape[0]
            out[sel] = tex[rows, cols]
        return out


def load_photographs():
    """The colour photographs of ``skimage.data`` used as the clean HR domain.

    Returns:
        dict: name -> ``(h, w, 3)`` uint8 RGB image.
    """
    return dict(_load_photographs())


@functools.lru_cache(maxsize=1)
def _load_photographs():
    from skimage import data
    photos = []
    for name in PHOTO_NAMES:
        image = getattr(data, name)()
        if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
            image = image[0]
        photos.append((name, np.ascontiguousarray(image[..., :3], dtype=np.uint8)))
    return tuple(photos)


@functools.lru_cache(maxsize=1)
def load_textures():
    """Real textures from ``skimage.data`` as mip textures.

    Grey textures (``brick``, ``bricks_h`` rotated for facades, ``grass``, ``gravel``) are
    normalised to zero mean and unit standard deviation, to be used as
    ``colour * (1 + contrast * texture)``; photographs stay RGB on the 0-255 scale.

    Returns:
        dict: name -> :class:`MipTexture`.
    """
    from skimage import data
    textures = {}
    for name in ('brick', 'grass', 'gravel'):
        grey = getattr(data, name)().astype(np.float32)
        textures[name] = MipTexture((grey - grey.mean()) / grey.std())
    textures['bricks_h'] = MipTexture(np.ascontiguousarray(textures['brick'].levels[0].T))
    for name, photo in _load_photographs():
        textures[name] = MipTexture(photo.astype(np.float32))
    return textures
