# Copyright (c) mmssg contributors. All rights reserved.
"""What a demo street scene consists of: buildings, street sides, upright objects, the layout.

Lengths are in metres and camera quantities in image fractions, so one layout renders the same
scene at any resolution. World ``X`` points right, ``Y`` up, ``Z`` forward (metres).
"""
import dataclasses
from typing import Optional

import numpy as np


@dataclasses.dataclass
class Building:
    """One building of a street side (or the one closing the street).

    Args:
        start (float): Start along the facade (metres): depth Z for side buildings,
            lateral X for the closing building.
        end (float): End along the facade (metres).
        height (float): Height (metres).
        colour (tuple): Base RGB colour (0-255).
        material (str): ``'brick'`` or ``'plaster'``.
        floor_height (float): Storey height (metres).
        window_spacing (float): Distance between window centres (metres).
        window_width (float): Window width (metres).
        window_height (float): Window height (metres).
        photo (str): Photograph reflected in the windows.
        shop (bool): Whether the ground floor has shop windows.
        texture_offset (tuple): Offset of the texture (texels), so buildings differ.
    """

    start: float
    end: float
    height: float
    colour: tuple
    material: str
    floor_height: float
    window_spacing: float
    window_width: float
    window_height: float
    photo: str
    shop: bool
    texture_offset: tuple


@dataclasses.dataclass
class StreetSide:
    """One side of the street, from the kerb outwards.

    Args:
        sign (int): -1 for the left side, +1 for the right side.
        road_edge (float): Lateral distance of the kerb from the camera (metres).
        sidewalk_width (float): Width of the sidewalk (metres).
        verge (str): ``'none'``, ``'terrain'``, ``'wall'`` or ``'fence'``: what lies between
            the sidewalk and the facades (walls and fences stand on the sidewalk's outer edge
            with grass behind them).
        verge_width (float): Width of the verge (metres).
        barrier_range (tuple): Depth range ``(z0, z1)`` of the wall or fence.
        barrier_height (float): Height of the wall or fence (metres).
        buildings (list[Building]): Buildings along the side, ordered by depth.
        facade_light (float): Brightness of the facades (sun or shade).
    """

    sign: int
    road_edge: float
    sidewalk_width: float
    verge: str
    verge_width: float
    barrier_range: tuple
    barrier_height: float
    buildings: list
    facade_light: float

    @property
    def sidewalk_outer(self):
        """Lateral distance of the sidewalk's outer edge."""
        return self.road_edge + self.sidewalk_width

    @property
    def facade(self):
        """Lateral distance of the building facades."""
        return self.sidewalk_outer + self.verge_width


@dataclasses.dataclass
class SceneObject:
    """An upright object standing on the ground, drawn facing the camera.

    Args:
        kind (str): ``'car'``, ``'truck'``, ``'bus'``, ``'tram'``, ``'person'``,
            ``'cyclist'``, ``'motorcyclist'``, ``'tree'``, ``'pole'`` or ``'bin'``.
        x (float): Lateral position of its base centre (metres).
        z (float): Depth (metres).
        params (dict): Kind-specific appearance.
    """

    kind: str
    x: float
    z: float
    params: dict


@dataclasses.dataclass
class SceneLayout:
    """Everything that varies between scenes, in metres and image fractions.

    The layout does not depend on the image size, only on its aspect ratio, so the same seed
    draws the same scene at any resolution.

    Args:
        aspect (float): Image height / width.
        focal (float): Focal length as a fraction of the image width.
        horizon (float): Horizon row as a fraction of the image height.
        vanishing_x (float): Vanishing point column as a fraction of the image width.
        camera_height (float): Camera height above the road (metres).
        lane_width (float): Lane width (metres).
        lane_lines (tuple): Lateral positions of lane lines (metres): ``(x, dashed)``.
        crosswalk (tuple | None): Depth range of a zebra crossing.
        left (StreetSide): Left side.
        right (StreetSide): Right side.
        closing_building (Building | None): Building across the far end of the street.
        street_end (float): Depth where the side buildings end (metres).
        sky_top (tuple): Sky colour at the zenith side (RGB).
        sky_horizon (tuple): Sky colour at the horizon (RGB).
        clouds (np.ndarray): Coarse cloud field over (elevation, azimuth), 0-1.
        cloud_amount (float): Cloud opacity.
        road_colour (tuple): Asphalt colour (RGB).
        sidewalk_colour (tuple): Paving colour (RGB).
        grass_colour (tuple): Grass colour (RGB).
        light (tuple): Global RGB gain.
        objects (list[SceneObject]): Upright objects.
    """

    aspect: float
    focal: float
    horizon: float
    vanishing_x: float
    camera_height: float
    lane_width: float
    lane_lines: tuple
    crosswalk: Optional[tuple]
    left: StreetSide
    right: StreetSide
    closing_building: Optional[Building]
    street_end: float
    sky_top: tuple
    sky_horizon: tuple
    clouds: np.ndarray
    cloud_amount: float
    road_colour: tuple
    sidewalk_colour: tuple
    grass_colour: tuple
    light: tuple
    objects: list
