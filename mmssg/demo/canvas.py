# Copyright (c) mmssg contributors. All rights reserved.
"""The street camera and the canvas the demo scenes are painted on.

Image pixel ``(row y, column x)`` has its centre at ``(y + 0.5, x + 0.5)`` in continuous
coordinates; world ``X`` points right, ``Y`` up, ``Z`` forward (metres).
"""
import dataclasses

import numpy as np

from .labels import IGNORE_INDEX


@dataclasses.dataclass(frozen=True)
class StreetCamera:
    """Pinhole camera of the scene in pixels: ``x = cx + f X / Z``, ``y = cy - f (Y - h) / Z``.

    Args:
        focal (float): Focal length (pixels).
        cx (float): Vanishing point column (continuous pixel coordinates).
        cy (float): Horizon row.
        height (float): Camera height (metres).
        width (int): Image width (pixels).
        rows (int): Image height (pixels).
    """

    focal: float
    cx: float
    cy: float
    height: float
    width: int
    rows: int

    @classmethod
    def from_layout(cls, layout, width, height):
        """The camera of a layout at a given image size.

        Args:
            layout (SceneLayout): The scene.
            width (int): Image width (pixels).
            height (int): Image height (pixels).
        """
        return cls(
            focal=layout.focal * width,
            cx=layout.vanishing_x * width,
            cy=layout.horizon * height,
            height=layout.camera_height,
            width=width,
            rows=height)


class Canvas:
    """An RGB float image (0-255) and its label map, painted in order (later wins).

    Args:
        width (int): Width (pixels).
        height (int): Height (pixels).
    """

    def __init__(self, width, height):
        self.image = np.zeros((height, width, 3), dtype=np.float32)
        self.labels = np.full((height, width), IGNORE_INDEX, dtype=np.uint8)

    def paint(self, window, mask, colour, label):
        """Paint ``colour`` with ``label`` where ``mask`` holds inside ``window``.

        Args:
            window (tuple): ``(row slice, column slice)``.
            mask (np.ndarray): Boolean mask of the window's shape.
            colour (np.ndarray | tuple): ``(h, w, 3)`` or ``(3, )`` colour(s).
            label (int | None): Train id, or None to keep the labels (shadows, markings).
        """
        if not mask.any():
            return
        region = self.image[window]
        colour = np.broadcast_to(np.asarray(colour, np.float32), region.shape)
        region[mask] = colour[mask]
        if label is not None:
            self.labels[window][mask] = label

    def shade(self, window, mask, factor):
        """Multiply the image by ``factor`` where ``mask`` holds (labels unchanged)."""
        self.image[window][mask] *= factor


def add_haze(colour, depth, haze_colour, distance=500.0):
    """Aerial perspective: blend towards the horizon colour with depth."""
    weight = (1.0 - np.exp(-np.asarray(depth, np.float32) / distance))[..., None]
    return colour * (1 - weight) + np.asarray(haze_colour, np.float32) * weight


def tinted(texture, u, v, footprint, colour, contrast):
    """``colour * (1 + contrast * texture)`` with a grey texture."""
    grey = texture.sample(u, v, footprint)
    return np.asarray(colour, np.float32) * (1 + contrast * grey[..., None])
