# Copyright (c) mmssg contributors. All rights reserved.
"""Random demo street scenes: :func:`sample_scene_layout` draws a
:class:`~mmssg.demo.scene.SceneLayout`.

Every choice comes from the one random source it is given, in a fixed order, so a seed gives
the same scene (and, rendered, the same bytes) every time.
"""
import dataclasses

import numpy as np

from .scene import Building, SceneLayout, SceneObject, StreetSide
from .textures import PHOTO_NAMES

_FACADE_COLOURS = ((178, 92, 70), (150, 80, 62), (205, 190, 160), (220, 210, 190), (170, 170, 165),
                   (120, 115, 110), (200, 160, 110), (160, 175, 190), (230, 225, 215), (140, 100,
                                                                                        80))
_CAR_COLOURS = ((235, 235, 235), (25, 25, 28), (150, 152, 155), (170, 30, 30), (30, 60, 140),
                (30, 80, 50), (220, 180, 40), (90, 90, 95), (110, 20, 30))
_TRAM_COLOURS = ((230, 190, 40), (200, 40, 35), (235, 235, 230), (40, 110, 70))
_CLOTHES = ((30, 30, 40), (60, 70, 110), (150, 30, 40), (200, 200, 190), (80, 90, 60),
            (110, 80, 60), (40, 90, 150), (190, 150, 60))
_SKIN = ((240, 200, 170), (210, 160, 120), (160, 110, 80), (100, 70, 50))


def _pick(rng, options):
    """One element of a sequence."""
    return options[int(rng.integers(len(options)))]


def _jitter_colour(rng, colour, amount=0.08):
    """A colour with a small random multiplicative change per channel."""
    return tuple(float(np.clip(c * (1 + rng.uniform(-amount, amount)), 0, 255)) for c in colour)


def _visible_depth(layout, x, half_width=0.0):
    """Smallest depth at which an object at lateral ``x`` is fully inside the image and its
    base is above the bottom edge.

    Args:
        layout (SceneLayout): The scene (its camera fractions).
        x (float): Lateral position (metres).
        half_width (float): Half the object's width (metres).
    """
    edge = layout.vanishing_x if x < 0 else 1.0 - layout.vanishing_x
    side = layout.focal * (abs(x) + half_width) / edge
    bottom = layout.focal * layout.camera_height / (layout.aspect * (1.0 - layout.horizon))
    return 1.05 * max(side, bottom)


def _sample_buildings(rng, start, end, photos):
    """Buildings side by side from depth ``start`` to ``end``."""
    buildings = []
    z = start
    while z < end:
        length = rng.uniform(8, 25)
        floor_height = rng.uniform(2.9, 3.6)
        spacing = rng.uniform(2.2, 3.4)
        buildings.append(
            Building(
                start=z,
                end=min(z + length, end),
                height=rng.uniform(7, 24),
                colour=_jitter_colour(rng, _pick(rng, _FACADE_COLOURS)),
                material='brick' if rng.random() < 0.4 else 'plaster',
                floor_height=floor_height,
                window_spacing=spacing,
                window_width=spacing * rng.uniform(0.35, 0.6),
                window_height=floor_height * rng.uniform(0.4, 0.6),
                photo=_pick(rng, photos),
                shop=bool(rng.random() < 0.5),
                texture_offset=(float(rng.uniform(0, 512)), float(rng.uniform(0, 512)))))
        z += length
    return buildings


def _sample_side(rng, sign, road_edge, street_end, photos):
    """One side of the street: sidewalk, verge, barrier and buildings."""
    verge = _pick(rng, ('none', 'none', 'terrain', 'wall', 'fence'))
    verge_width = 0.0 if verge == 'none' else rng.uniform(1.5, 4.0)
    # half of the sides keep an open foreground (a park, a square) before the buildings
    first_building = 0.0 if rng.random() < 0.5 else rng.uniform(15, 45)
    barrier_start = rng.uniform(0, 20)
    return StreetSide(
        sign=sign,
        road_edge=road_edge,
        sidewalk_width=rng.uniform(2.5, 5.0),
        verge=verge,
        verge_width=verge_width,
        barrier_range=(barrier_start, barrier_start + rng.uniform(15, 60)),
        barrier_height=rng.uniform(0.9, 1.8),
        buildings=_sample_buildings(rng, first_building, street_end, photos),
        facade_light=rng.uniform(0.7, 1.05))


def _sample_closing_building(rng, layout_focal, layout_horizon, aspect, camera_height, left, right,
                             street_end, photos):
    """A building across the end of the street whose top stays well below the image top."""
    # top row fraction t: y_top / H = horizon - f_w * (height - h) / (Z * aspect) >= 0.2
    max_height = camera_height + (layout_horizon - 0.2) * aspect * street_end / layout_focal
    height = rng.uniform(0.5, 1.0) * max_height
    building = _sample_buildings(rng, -left.facade, right.facade, photos)[0]
    return dataclasses.replace(
        building, start=-left.facade, end=right.facade, height=max(height, 3.0))


def _sample_vehicles(rng, layout, lane_centres, parking):
    """Cars (at least one fully in view near the ego lane), maybe a truck, a bus, a tram."""
    vehicles = []
    occupied = []  # (lateral lane position, depth) of vehicles

    def free(x, z, gap):
        return all(abs(x - ox) > 1.0 or abs(z - oz) > gap for ox, oz in occupied)

    def add_vehicle(kind, x, z_max, half_width, gap):
        z_min = _visible_depth(layout, x, half_width)
        for _ in range(10):
            z = rng.uniform(z_min, max(z_min + 1, z_max))
            if free(x, z, gap):
                occupied.append((x, z))
                vehicles.append(SceneObject(kind, x, z, _vehicle_params(rng, kind)))
                return

    # at least one car fully in view, in the ego lane's neighbourhood or parked
    num_cars = int(rng.integers(2, 7))
    for k in range(num_cars):
        x = _pick(rng, lane_centres + parking) if k else _pick(rng, lane_centres)
        add_vehicle('car', x, 55.0 if k else 30.0, 0.95, 6.0)
    if rng.random() < 0.25:
        add_vehicle('truck', _pick(rng, lane_centres), 70.0, 1.25, 9.0)
    if rng.random() < 0.2:
        add_vehicle('bus', _pick(rng, lane_centres), 70.0, 1.3, 12.0)
    if rng.random() < 0.12:
        add_vehicle('tram', _pick(rng, lane_centres), 80.0, 1.3, 14.0)
    return vehicles


def _sample_people_and_poles(rng, layout, side):
    """People on a sidewalk (at least one on the right side) and poles near its kerb, some
    with a sign or a traffic light."""
    objects = []
    s = side.sign
    for _ in range(int(rng.integers(1 if s > 0 else 0, 4))):
        x = s * (side.road_edge + rng.uniform(0.6, side.sidewalk_width - 0.4))
        z_min = _visible_depth(layout, x, 0.35)
        z = rng.uniform(z_min, max(z_min + 1, 40.0))
        objects.append(SceneObject('person', x, z, _person_params(rng)))
    z = _visible_depth(layout, s * (side.road_edge + 0.35), 0.2) + rng.uniform(0, 8)
    while z < 90:
        carries = _pick(rng, ('lamp', 'lamp', 'sign', 'sign', 'light', 'none'))
        objects.append(
            SceneObject('pole', s * (side.road_edge + 0.35), z, _pole_params(rng, carries, s)))
        z += rng.uniform(14, 30)
    return objects


def _sample_trees_and_bin(rng, layout, side):
    """Maybe a row of trees on the verge or the sidewalk, maybe a litter bin by the kerb."""
    objects = []
    s = side.sign
    if rng.random() < 0.75:
        if side.verge == 'terrain':
            tree_x = s * (side.sidewalk_outer + side.verge_width / 2)
        else:
            tree_x = s * (side.sidewalk_outer - 0.9)
        z = _visible_depth(layout, tree_x, 1.5) * rng.uniform(0.6, 1.2)
        while z < 90:
            objects.append(SceneObject('tree', tree_x, z, _tree_params(rng)))
            z += rng.uniform(8, 18)
    if rng.random() < 0.5:
        x = s * (side.road_edge + 0.7)
        z_min = _visible_depth(layout, x, 0.3)
        colour = _jitter_colour(rng, _pick(rng, ((60, 90, 60), (90, 90, 95), (40, 60, 110))))
        objects.append(SceneObject('bin', x, rng.uniform(z_min, z_min + 25), dict(colour=colour)))
    return objects


def _sample_riders(rng, layout, lane_centres, parking):
    """Maybe a cyclist, maybe a motorcyclist, between the first lane and the right kerb."""
    riders = []
    for kind, probability in (('cyclist', 0.35), ('motorcyclist', 0.15)):
        if rng.random() < probability:
            x = rng.uniform(lane_centres[0] - 1, parking[1])
            z_min = _visible_depth(layout, x, 0.9)
            params = _person_params(rng)
            params.update(
                facing=_pick(rng, (-1, 1)),
                frame_colour=_jitter_colour(rng, _pick(rng, _CAR_COLOURS), 0.2))
            riders.append(SceneObject(kind, x, rng.uniform(z_min, z_min + 20), params))
    return riders


def _sample_objects(rng, layout):
    """Cars, trucks, buses, people, cyclists, trees, poles (with signs and lights), bins,
    in painter's order (far to near)."""
    lane_centres = [(a + b) / 2
                    for (a, _), (b, _) in zip(layout.lane_lines[:-1], layout.lane_lines[1:])]
    parking = [(-layout.left.road_edge + 1.1), (layout.right.road_edge - 1.1)]
    objects = _sample_vehicles(rng, layout, lane_centres, parking)
    for side in (layout.left, layout.right):
        objects += _sample_people_and_poles(rng, layout, side)
        objects += _sample_trees_and_bin(rng, layout, side)
    objects += _sample_riders(rng, layout, lane_centres, parking)
    objects.sort(key=lambda obj: -obj.z)  # painter's order: far to near
    return objects


def _vehicle_params(rng, kind):
    """Size and colours of a car, truck or bus seen from behind."""
    if kind == 'car':
        width, height = rng.uniform(1.7, 1.95), rng.uniform(1.35, 1.65)
    elif kind == 'truck':
        width, height = rng.uniform(2.3, 2.55), rng.uniform(2.8, 3.6)
    else:
        width, height = rng.uniform(2.45, 2.6), rng.uniform(2.9, 3.3)
    palette = _TRAM_COLOURS if kind == 'tram' else _CAR_COLOURS
    return dict(
        width=width,
        height=height,
        colour=_jitter_colour(rng, _pick(rng, palette), 0.1),
        photo=_pick(rng, PHOTO_NAMES),
        photo_offset=(float(rng.uniform(0, 400)), float(rng.uniform(0, 300))))


def _person_params(rng):
    """Height and clothes of a person."""
    return dict(
        height=rng.uniform(1.55, 1.92),
        shirt=_jitter_colour(rng, _pick(rng, _CLOTHES)),
        trousers=_jitter_colour(rng, _pick(rng, _CLOTHES)),
        skin=_jitter_colour(rng, _pick(rng, _SKIN)),
        hair=_jitter_colour(
            rng, _pick(rng, ((30, 25, 20), (90, 60, 30), (200, 170, 110), (120, 120, 120)))),
        stride=rng.uniform(0.0, 0.25),
        photo=_pick(rng, PHOTO_NAMES),
        photo_offset=(float(rng.uniform(0, 400)), float(rng.uniform(0, 300))))


def _pole_params(rng, carries, side_sign):
    """Height of a pole and what it carries."""
    return dict(
        height=rng.uniform(4.5, 7.5),
        carries=carries,
        towards_road=-side_sign,
        sign_shape=_pick(rng, ('round', 'round', 'triangle', 'square')),
        sign_height=rng.uniform(2.2, 3.0),
        lit=int(rng.integers(3)))


def _tree_params(rng):
    """Trunk and canopy of a tree."""
    crown = rng.uniform(1.6, 3.2)
    blobs = [(rng.uniform(-0.6, 0.6) * crown, rng.uniform(-0.5, 0.6) * crown,
              rng.uniform(0.45, 0.75) * crown) for _ in range(int(rng.integers(5, 9)))]
    return dict(
        trunk_height=rng.uniform(1.8, 3.5),
        trunk_width=rng.uniform(0.2, 0.4),
        crown=crown,
        blobs=blobs,
        green=_jitter_colour(rng, _pick(rng, ((70, 110, 40), (50, 90, 35), (95, 125, 50))), 0.1),
        texture_offset=(float(rng.uniform(0, 512)), float(rng.uniform(0, 512))))


def _sample_crosswalk(rng):
    """``(near, far)`` distances of a crosswalk, or None (seven scenes in ten)."""
    if rng.random() >= 0.3:
        return None
    z = rng.uniform(12, 35)
    return (z, z + rng.uniform(3, 5))


def _sample_sky(rng):
    """Colours of the sky at its top and at the horizon (overcast in three scenes in ten)."""
    if rng.random() < 0.3:
        return (150, 160, 172), (200, 204, 210)
    return (_jitter_colour(rng, (70, 125, 200), 0.12), _jitter_colour(rng, (180, 205, 230), 0.05))


def sample_scene_layout(rng, aspect=0.5):
    """Draw a random street scene.

    Args:
        rng (np.random.Generator): Random source (all randomness of the scene).
        aspect (float): Image height / width. Default: 0.5 (Cityscapes).

    Returns:
        SceneLayout: The scene.
    """
    focal = rng.uniform(0.85, 1.05)
    horizon = rng.uniform(0.38, 0.48)
    vanishing_x = 0.5 + rng.uniform(-0.06, 0.06)
    camera_height = rng.uniform(1.35, 1.7)
    lane_width = rng.uniform(3.0, 3.5)
    num_lanes = int(rng.integers(2, 5))
    ego_lane = num_lanes - 1 - int(rng.integers(0, min(2, num_lanes)))  # right-hand traffic
    parking = rng.uniform(2.0, 2.6)
    lines = [((k - ego_lane - 0.5) * lane_width, 0 < k < num_lanes) for k in range(num_lanes + 1)]
    left_edge = -lines[0][0] + parking
    right_edge = lines[-1][0] + parking
    street_end = rng.uniform(90, 260)
    photos = PHOTO_NAMES
    left = _sample_side(rng, -1, left_edge, street_end, photos)
    right = _sample_side(rng, 1, right_edge, street_end, photos)
    closing = None
    if rng.random() < 0.5:
        closing = _sample_closing_building(rng, focal, horizon, aspect, camera_height, left, right,
                                           street_end, photos)
    crosswalk = _sample_crosswalk(rng)
    sky_top, sky_horizon = _sample_sky(rng)
    layout = SceneLayout(
        aspect=aspect,
        focal=focal,
        horizon=horizon,
        vanishing_x=vanishing_x,
        camera_height=camera_height,
        lane_width=lane_width,
        lane_lines=tuple(lines),
        crosswalk=crosswalk,
        left=left,
        right=right,
        closing_building=closing,
        street_end=street_end,
        sky_top=sky_top,
        sky_horizon=sky_horizon,
        clouds=rng.random((6, 12)),
        cloud_amount=rng.uniform(0.0, 0.5),
        road_colour=_jitter_colour(rng,
                                   np.array([88, 88, 92]) * rng.uniform(0.75, 1.2), 0.03),
        sidewalk_colour=_jitter_colour(rng, (165, 160, 152), 0.1),
        grass_colour=_jitter_colour(rng, (85, 120, 50), 0.12),
        light=tuple(
            rng.uniform(0.88, 1.08) * np.array([1, 1, 1]) * (1 + rng.uniform(-0.04, 0.04, 3))),
        objects=[])
    layout.objects = _sample_objects(rng, layout)
    return layout
