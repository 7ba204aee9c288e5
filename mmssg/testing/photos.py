# Copyright (c) mmssg contributors. All rights reserved.
"""Photograph-like images of any size for the benchmarks: mosaics of real photographs.

scikit-image ships a few colour photographs (no download); where it is not installed (the lent
GPU machine) procedural stand-ins take their place, so that the benchmarks run there too.
"""
import cv2
import numpy as np

#: scikit-image's colour photographs used as tiles
PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket', 'immunohistochemistry', 'retina')
_photo_cache = []


def procedural_photo(rng, size=512):
    """A photograph-like RGB image: smooth noise at several scales plus hard-edged shapes.

    Args:
        rng (np.random.Generator): Random numbers.
        size (int): Side in pixels. Defaults to 512.

    Returns:
        np.ndarray: (size, size, 3) uint8 RGB image.
    """
    image = np.zeros((size, size, 3), np.float32)
    for cells, amplitude in ((4, 60.), (16, 30.), (64, 15.), (256, 8.)):
        coarse = rng.uniform(-1, 1, (cells, cells, 3)).astype(np.float32)
        image += amplitude * cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    for _ in range(12):
        x0, y0, w, h = (int(v) for v in rng.integers(0, size, 4))
        shade = rng.uniform(-50, 50, 3)
        image[y0:y0 + h // 3, x0:x0 + w // 3] += shade
    return np.clip(image + 128, 0, 255).astype(np.uint8)


def load_photos():
    """scikit-image's :data:`PHOTOS` (RGB uint8), or procedural stand-ins without it.

    Returns:
        list[np.ndarray]: One image per name of :data:`PHOTOS`, loaded once per process.
    """
    if not _photo_cache:
        try:
            from skimage import data
            _photo_cache.extend(getattr(data, name)()[..., :3] for name in PHOTOS)
        except ImportError:
            rng = np.random.default_rng(123)
            _photo_cache.extend(procedural_photo(rng) for _ in PHOTOS)
    return _photo_cache


def smooth_tile(height, width, rng):
    """A smooth colour gradient, as sky, road or walls fill much of a street scene (RGB uint8)."""
    top, bottom = rng.uniform(20, 235, (2, 3))
    ramp = np.linspace(0, 1, height)[:, None, None]
    return np.broadcast_to(top + (bottom - top) * ramp, (height, width, 3)).astype(np.uint8)


def photo_mosaic(height, width, rng, noise_sigma, smooth_share=0.):
    """Randomly scaled photograph tiles with Gaussian sensor-like noise.

    Args:
        height (int): Image height.
        width (int): Image width.
        rng (np.random.Generator): Random numbers (tile sizes, choices, noise).
        noise_sigma (float): Noise standard deviation (0-255 scale).
        smooth_share (float): Share of the tiles that are smooth gradients
            (:func:`smooth_tile`) instead of photographs. Defaults to 0.

    Returns:
        np.ndarray: (height, width, 3) uint8 RGB image.
    """
    canvas = np.empty((height, width, 3), np.uint8)
    y = 0
    while y < height:
        tile_h, x = int(rng.integers(256, 640)), 0
        while x < width:
            tile_w = int(rng.integers(256, 768))
            if rng.uniform() < smooth_share:
                tile = smooth_tile(tile_h, tile_w, rng)
            else:
                photos = load_photos()
                photo = photos[rng.integers(len(photos))]
                tile = cv2.resize(photo, (tile_w, tile_h), interpolation=cv2.INTER_CUBIC)
            canvas[y:y + tile_h, x:x + tile_w] = tile[:height - y, :width - x]
            x += tile_w
        y += tile_h
    noise = rng.normal(0, noise_sigma, canvas.shape)
    return np.clip(canvas + noise, 0, 255).astype(np.uint8)
