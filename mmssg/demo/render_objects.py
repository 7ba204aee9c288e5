# Copyright (c) mmssg contributors. All rights reserved.
"""Upright objects standing on the ground, drawn facing the camera far to near: cars, trucks,
buses, trams, people, cyclists and motorcyclists, trees, poles with lamps, signs or traffic
lights, and litter bins.

Each object is drawn in its own local frame: ``a`` metres right of its base centre and ``b``
metres above the ground (see :func:`_object_frame`), from simple shapes.
"""
import math

import numpy as np

from .canvas import tinted
from .labels import (BICYCLE, BUS, CAR, IGNORE_INDEX, MOTORCYCLE, PERSON, POLE, RIDER,
                     TRAFFIC_LIGHT, TRAFFIC_SIGN, TRAIN, TRUCK, VEGETATION)


def _object_frame(cam, obj, half_width, height):
    """The pixel window of an object's world box and local metric coordinates in it.

    Args:
        cam (StreetCamera): The camera.
        obj (SceneObject): The object (base centre ``(x, 0, z)``).
        half_width (float): Half the box width (metres).
        height (float): Box height (metres).

    Returns:
        tuple | None: ``(window, a, b, metres_per_pixel)`` with ``a`` (metres right of the
        base centre, ``(1, w)``) and ``b`` (metres above the ground, ``(h, 1)``), or None when
        the box is outside the image.
    """
    scale = cam.focal / obj.z
    x0 = int(math.floor(cam.cx + (obj.x - half_width) * scale))
    x1 = int(math.ceil(cam.cx + (obj.x + half_width) * scale)) + 1
    y0 = int(math.floor(cam.cy - (height - cam.height) * scale))
    y1 = int(math.ceil(cam.cy + cam.height * scale)) + 1
    x0, x1 = max(x0, 0), min(x1, cam.width)
    y0, y1 = max(y0, 0), min(y1, cam.rows)
    if x0 >= x1 or y0 >= y1:
        return None
    a = ((np.arange(x0, x1) + 0.5 - cam.cx) / scale - obj.x)[None, :]
    b = (cam.height - (np.arange(y0, y1) + 0.5 - cam.cy) / scale)[:, None]
    return (slice(y0, y1), slice(x0, x1)), a, b, 1.0 / scale


def _box(a, b, a0, a1, b0, b1):
    """Axis-aligned rectangle in local coordinates."""
    return (a >= a0) & (a <= a1) & (b >= b0) & (b <= b1)


def _rounded_box(a, b, a0, a1, b0, b1, radius):
    """Rectangle with rounded corners."""
    ca = np.clip(a, a0 + radius, a1 - radius)
    cb = np.clip(b, b0 + radius, b1 - radius)
    return _box(a, b, a0, a1, b0, b1) & ((a - ca)**2 + (b - cb)**2 <= radius**2)


def _ellipse(a, b, ca, cb, ra, rb):
    """Filled ellipse."""
    return ((a - ca) / ra)**2 + ((b - cb) / rb)**2 <= 1.0


def _capsule(a, b, p, q, radius):
    """Points within ``radius`` of the segment from ``p`` to ``q``."""
    (pa, pb), (qa, qb) = p, q
    da, db = qa - pa, qb - pb
    t = np.clip(((a - pa) * da + (b - pb) * db) / max(da * da + db * db, 1e-12), 0, 1)
    return (a - pa - t * da)**2 + (b - pb - t * db)**2 <= radius**2


def _trapezoid(a, b, b0, b1, half_bottom, half_top):
    """Symmetric trapezoid between heights ``b0`` and ``b1``."""
    t = np.clip((b - b0) / max(b1 - b0, 1e-9), 0, 1)
    return (b >= b0) & (b <= b1) & (np.abs(a) <= half_bottom + (half_top - half_bottom) * t)


def _photo_colour(textures, params, a, b, metres, tpm=120.0):
    """A crop of the object's photograph mapped onto local coordinates."""
    ou, ov = params['photo_offset']
    a, b = np.broadcast_arrays(a, b)
    return textures[params['photo']].sample(ou + a * tpm, ov - b * tpm, metres * tpm)


def _vehicle_masks(a, b, kind, hw, h):
    """Body, rear window, lights and number plate of a vehicle seen from behind.

    Args:
        a (np.ndarray): Metres right of the base centre.
        b (np.ndarray): Metres above the ground.
        kind (str): ``'car'``, ``'truck'``, ``'bus'`` or ``'tram'``.
        hw (float): Half the vehicle's width (metres).
        h (float): The vehicle's height (metres).

    Returns:
        tuple: Boolean masks ``(body, glass, lights, plate)``.
    """
    if kind == 'car':
        lower = _rounded_box(a, b, -hw, hw, 0.28, 0.62 * h, 0.12)
        cabin = _trapezoid(a, b, 0.6 * h, h, hw - 0.08, hw - 0.35)
        glass = _trapezoid(a, b, 0.66 * h, 0.95 * h, hw - 0.2, hw - 0.42)
        lights = (
            _box(a, b, -hw + 0.05, -hw + 0.35, 0.45 * h, 0.56 * h)
            | _box(a, b, hw - 0.35, hw - 0.05, 0.45 * h, 0.56 * h))
        return lower | cabin, glass, lights, _box(a, b, -0.26, 0.26, 0.34, 0.46)
    body = _box(a, b, -hw, hw, 0.3, h)
    if kind in ('bus', 'tram'):
        glass = _box(a, b, -hw + 0.15, hw - 0.15, 0.62 * h, 0.93 * h)
    else:
        glass = np.zeros_like(body)
    lights = (
        _box(a, b, -hw + 0.05, -hw + 0.3, 0.45, 0.62) | _box(a, b, hw - 0.3, hw - 0.05, 0.45, 0.62))
    return body, glass, lights, _box(a, b, -0.26, 0.26, 0.4, 0.52)


def _paint_vehicle_extras(canvas, window, obj, a, b, metres, body, label, textures):
    """A truck's door seam, a bus's advertisement (a photograph), a tram's pantograph."""
    p = obj.params
    hw, h = p['width'] / 2, p['height']
    if obj.kind == 'truck':  # rear doors: a seam and two hinges lines
        seam = body & (np.abs(a) < 0.025) & (b > 0.6)
        canvas.paint(window, seam, np.asarray(p['colour'], np.float32) * 0.5, label)
    if obj.kind == 'bus':  # an advertisement: a photograph on the back
        ad = _box(a, b, -hw + 0.2, hw - 0.2, 0.75, 0.55 * h)
        canvas.paint(window, ad, _photo_colour(textures, p, a, b, metres, 160.0), label)
    if obj.kind == 'tram':  # pantograph
        pantograph = (
            _capsule(a, b, (-0.5, h),
                     (0.0, h + 0.6), 0.035) | _capsule(a, b, (0.5, h), (0.0, h + 0.6), 0.035)
            | _box(a, b, -0.45, 0.45, h + 0.57, h + 0.63))
        canvas.paint(window, pantograph, (45, 45, 48), label)


def _draw_vehicle(canvas, cam, obj, textures):
    """A car, truck, bus or tram (label train) seen from behind: wheels, body, rear window,
    lights, plate; a tram has a pantograph on its roof."""
    p = obj.params
    label = {'car': CAR, 'truck': TRUCK, 'bus': BUS, 'tram': TRAIN}[obj.kind]
    hw, h = p['width'] / 2, p['height']
    frame = _object_frame(cam, obj, hw + 0.15, h + (0.7 if obj.kind == 'tram' else 0.0))
    if frame is None:
        return
    window, a, b, metres = frame
    canvas.shade(window, _box(a, b, -hw - 0.1, hw + 0.1, -1.0, 0.06) & (b < 0.06), 0.55)
    body_colour = tinted(textures['gravel'], a * 60 + 50, b * 60, metres * 60, p['colour'], 0.04)
    body_colour = body_colour * (0.8 + 0.3 * np.clip(b / h, 0, 1))[..., None]
    wheels = (_box(a, b, -hw + 0.05, -hw + 0.38, 0, 0.5) | _box(a, b, hw - 0.38, hw - 0.05, 0, 0.5))
    canvas.paint(window, wheels, (22, 22, 24), label)
    body, glass, lights, plate = _vehicle_masks(a, b, obj.kind, hw, h)
    canvas.paint(window, body, body_colour, label)
    _paint_vehicle_extras(canvas, window, obj, a, b, metres, body, label, textures)
    if glass.any():
        reflection = _photo_colour(textures, p, a, b, metres) * np.float32(0.35) + 15
        canvas.paint(window, glass, reflection, label)
    canvas.paint(window, lights, (200, 25, 20), label)
    canvas.paint(window, plate, (235, 235, 225), label)
    plate_centre = 0.40 if obj.kind == 'car' else 0.46
    characters = plate & (np.mod(a + 0.26, 0.08) < 0.045) & (np.abs(b - plate_centre) < 0.035)
    canvas.paint(window, characters, (25, 25, 30), label)


def _person_masks(a, b, p, pose_centre=0.0):
    """Head, hair, torso, arms and legs of a standing person (local coordinates)."""
    h = p['height']
    stride = p['stride']
    hip = 0.5 * h
    legs = (
        _capsule(a, b, (pose_centre - 0.08, hip), (pose_centre - 0.08 - stride, 0.05), 0.075)
        | _capsule(a, b, (pose_centre + 0.08, hip), (pose_centre + 0.08 + stride, 0.05), 0.075))
    torso = _rounded_box(a, b, pose_centre - 0.2, pose_centre + 0.2, hip - 0.05, 0.82 * h, 0.07)
    arms = (
        _capsule(a, b, (pose_centre - 0.22, 0.8 * h), (pose_centre - 0.27, 0.48 * h), 0.05)
        | _capsule(a, b, (pose_centre + 0.22, 0.8 * h), (pose_centre + 0.27, 0.48 * h), 0.05))
    head = _ellipse(a, b, pose_centre, 0.915 * h, 0.095, 0.115)
    hair = head & (b > 0.94 * h)
    neck = _box(a, b, pose_centre - 0.05, pose_centre + 0.05, 0.8 * h, 0.86 * h)
    return dict(legs=legs, torso=torso, arms=arms, head=head | neck, hair=hair)


def _draw_person(canvas, cam, obj, textures):
    """A pedestrian facing the camera."""
    p = obj.params
    frame = _object_frame(cam, obj, 0.5, p['height'] + 0.05)
    if frame is None:
        return
    window, a, b, metres = frame
    canvas.shade(window, _ellipse(a, b, 0, 0, 0.45, 0.06), 0.6)
    masks = _person_masks(a, b, p)
    shirt = _photo_colour(textures, p, a, b, metres, 200.0)
    shirt = np.asarray(p['shirt'], np.float32) * (0.75 + 0.5 * shirt / 255.0)
    canvas.paint(window, masks['legs'], p['trousers'], PERSON)
    canvas.paint(window, masks['torso'] | masks['arms'], shirt, PERSON)
    canvas.paint(window, masks['head'], p['skin'], PERSON)
    canvas.paint(window, masks['hair'], p['hair'], PERSON)


def _draw_cyclist(canvas, cam, obj, textures):
    """A bicycle or a motorcycle seen from the side, and its rider."""
    p = obj.params
    facing = p['facing']
    frame = _object_frame(cam, obj, 1.0, 1.85)
    if frame is None:
        return
    window, a, b, metres = frame
    motor = obj.kind == 'motorcyclist'
    r, tyre = (0.3, 0.1) if motor else (0.34, 0.05)
    rear, front = (-0.52 * facing, r), (0.52 * facing, r)
    saddle, bar = (-0.2 * facing, 0.95), (0.42 * facing, 1.05)
    pedal = (0.0, 0.32)
    rings = np.zeros(np.broadcast(a, b).shape, bool)
    for ca, cb in (rear, front):
        dist = np.sqrt((a - ca)**2 + (b - cb)**2)
        rings |= (dist <= r) & (dist >= r - tyre)
        rings |= _capsule(a, b, (ca, cb), (ca, cb), 0.03)
    frame_mask = (
        _capsule(a, b, rear, pedal, 0.025) | _capsule(a, b, pedal, saddle, 0.025)
        | _capsule(a, b, saddle,
                   (0.35 * facing, 0.9), 0.025) | _capsule(a, b, pedal, (0.35 * facing, 0.9), 0.025)
        | _capsule(a, b, front, bar, 0.025) | _capsule(a, b, rear, saddle, 0.02))
    if motor:  # engine, tank and seat
        frame_mask |= (
            _ellipse(a, b, 0.0, 0.5, 0.32, 0.2) | _ellipse(a, b, 0.15 * facing, 0.85, 0.3, 0.12)
            | _capsule(a, b, (-0.5 * facing, 0.8), (0.0, 0.85), 0.08))
    label = MOTORCYCLE if motor else BICYCLE
    canvas.paint(window, rings, (25, 25, 25), label)
    canvas.paint(window, frame_mask, p['frame_colour'], label)
    shoulder = (0.05 * facing, 1.5)
    body = _capsule(a, b, saddle, shoulder, 0.13)
    thigh = _capsule(a, b, saddle, (0.2 * facing, 0.65), 0.07)
    shin = _capsule(a, b, (0.2 * facing, 0.65), (0.05 * facing, 0.3), 0.06)
    arm = _capsule(a, b, (shoulder[0], 1.42), bar, 0.045)
    head = _ellipse(a, b, 0.1 * facing, 1.7, 0.1, 0.115)
    shirt = _photo_colour(textures, p, a, b, metres, 200.0)
    shirt = np.asarray(p['shirt'], np.float32) * (0.75 + 0.5 * shirt / 255.0)
    canvas.paint(window, thigh | shin, p['trousers'], RIDER)
    canvas.paint(window, body | arm, shirt, RIDER)
    canvas.paint(window, head, p['skin'], RIDER)
    canvas.paint(window, head & ((b > 1.73) | motor), p['hair'], RIDER)  # helmet on a motorbike


def _draw_tree(canvas, cam, obj, textures):
    """A trunk and a leafy crown of overlapping blobs with a ragged outline."""
    p = obj.params
    top = p['trunk_height'] + 2.2 * p['crown']
    frame = _object_frame(cam, obj, 1.6 * p['crown'], top)
    if frame is None:
        return
    window, a, b, metres = frame
    trunk = _box(a, b, -p['trunk_width'] / 2, p['trunk_width'] / 2, 0,
                 p['trunk_height'] + 0.5 * p['crown'])
    bark = tinted(textures['gravel'], a * 300, b * 300, metres * 300, (85, 65, 45), 0.25)
    canvas.paint(window, trunk, bark, VEGETATION)
    centre = p['trunk_height'] + p['crown']
    tpm = 260.0
    ou, ov = p['texture_offset']
    leaves = textures['grass'].sample(*np.broadcast_arrays(a * tpm + ou, b * tpm + ov),
                                      metres * tpm)
    inside = np.full(leaves.shape, np.inf, np.float32)
    for ca, cb, radius in p['blobs']:
        inside = np.minimum(inside, np.sqrt((a - ca)**2 + (b - centre - cb)**2) / radius)
    crown = inside + 0.12 * leaves <= 1.0
    colour = np.asarray(p['green'], np.float32) * (1 + 0.35 * leaves[..., None])
    colour *= (0.75 + 0.35 * np.clip((b - centre) / p['crown'] + 0.5, 0, 1))[..., None]
    canvas.paint(window, crown, colour, VEGETATION)


def _paint_sign(canvas, window, a, b, p):
    """A round, triangular or square traffic sign at height ``p['sign_height']``."""
    cb = p['sign_height']
    shape = p['sign_shape']
    if shape == 'round':
        outer = _ellipse(a, b, 0, cb, 0.32, 0.32)
        inner = _ellipse(a, b, 0, cb, 0.24, 0.24)
        canvas.paint(window, outer, (200, 25, 30), TRAFFIC_SIGN)
        canvas.paint(window, inner, (240, 240, 240), TRAFFIC_SIGN)
        canvas.paint(window,
                     inner & (np.abs(a) < 0.12) & (np.abs(b - cb) < 0.08) & (np.mod(a, 0.1) < 0.04),
                     (20, 20, 20), TRAFFIC_SIGN)
    elif shape == 'triangle':
        outer = _trapezoid(a, b, cb - 0.3, cb + 0.36, 0.4, 0.0)
        inner = _trapezoid(a, b, cb - 0.22, cb + 0.2, 0.28, 0.03)
        canvas.paint(window, outer, (200, 25, 30), TRAFFIC_SIGN)
        canvas.paint(window, inner, (240, 240, 235), TRAFFIC_SIGN)
    else:
        board = _box(a, b, -0.3, 0.3, cb - 0.3, cb + 0.3)
        canvas.paint(window, board, (30, 70, 160), TRAFFIC_SIGN)
        canvas.paint(window, _box(a, b, -0.06, 0.06, cb - 0.2, cb + 0.2), (240, 240, 240),
                     TRAFFIC_SIGN)


def _paint_traffic_light(canvas, window, a, b, p, reach, arm_radius):
    """An arm over the road holding a three-lamp traffic light, one lamp lit."""
    h = p['height']
    arm = _capsule(a, b, (0, h - 0.3), (reach, h - 0.3), max(arm_radius, 0.05))
    canvas.paint(window, arm, (110, 110, 115), POLE)
    box = _rounded_box(a, b, reach - 0.17, reach + 0.17, h - 1.25, h - 0.3, 0.05)
    canvas.paint(window, box, (30, 32, 30), TRAFFIC_LIGHT)
    lamps = ((255, 40, 30), (255, 190, 20), (40, 230, 110))
    for k, lamp in enumerate(lamps):
        cb = h - 0.47 - 0.3 * k
        colour = lamp if k == p['lit'] else tuple(c * 0.25 for c in lamp)
        canvas.paint(window, _ellipse(a, b, reach, cb, 0.1, 0.1), colour, TRAFFIC_LIGHT)


def _draw_pole(canvas, cam, obj, textures):
    """A pole with a street lamp, a traffic sign or a traffic light."""
    p = obj.params
    h = p['height']
    reach = 1.6 * p['towards_road']
    frame = _object_frame(cam, obj, 1.7, h + 0.4)
    if frame is None:
        return
    window, a, b, metres = frame
    # thin parts stay at least one pixel wide, so far poles do not break up
    radius = max(0.06, 0.5 * metres)
    pole = _box(a, b, -radius, radius, 0, h)
    shading = np.float32(120) + np.float32(40) * np.cos(np.clip(a / radius, -1.5, 1.5))
    colour = np.broadcast_to(shading[..., None], np.broadcast(a, b).shape + (1, )) * \
        np.array([1.0, 1.0, 1.05], np.float32)
    canvas.paint(window, pole, colour, POLE)
    carries = p['carries']
    arm_radius = max(0.04, 0.5 * metres)
    if carries == 'lamp':
        arm = _capsule(a, b, (0, h - 0.1), (reach, h + 0.1), arm_radius)
        canvas.paint(window, arm, (110, 110, 115), POLE)
        canvas.paint(window, _ellipse(a, b, reach, h + 0.02, 0.28, 0.09), (60, 60, 62), POLE)
    elif carries == 'sign':
        _paint_sign(canvas, window, a, b, p)
    elif carries == 'light':
        _paint_traffic_light(canvas, window, a, b, p, reach, arm_radius)


def _draw_bin(canvas, cam, obj, textures):
    """A litter bin: a 'static' object, labelled ignore as in Cityscapes."""
    frame = _object_frame(cam, obj, 0.3, 1.0)
    if frame is None:
        return
    window, a, b, metres = frame
    bin_mask = _rounded_box(a, b, -0.28, 0.28, 0, 0.95, 0.06)
    colour = tinted(textures['gravel'], a * 200, b * 200, metres * 200, obj.params['colour'], 0.1)
    canvas.paint(window, bin_mask, colour, IGNORE_INDEX)


_DRAWERS = {
    'car': _draw_vehicle,
    'truck': _draw_vehicle,
    'bus': _draw_vehicle,
    'tram': _draw_vehicle,
    'motorcyclist': _draw_cyclist,
    'person': _draw_person,
    'cyclist': _draw_cyclist,
    'tree': _draw_tree,
    'pole': _draw_pole,
    'bin': _draw_bin
}


def draw_object(canvas, cam, obj, textures):
    """Paint one upright object over what the canvas holds.

    Args:
        canvas (Canvas): Painted in place.
        cam (StreetCamera): The camera.
        obj (SceneObject): The object; its ``kind`` picks the drawing.
        textures (dict): :func:`~mmssg.demo.textures.load_textures`.
    """
    _DRAWERS[obj.kind](canvas, cam, obj, textures)
