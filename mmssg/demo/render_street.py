# Copyright (c) mmssg contributors. All rights reserved.
"""The street itself: sky, ground (road, lane marks, kerbs, sidewalks, grass), building
facades parallel to the street, walls and fences, and the building closing the street.

Facades have brick or plaster walls (real textures) and windows that reflect crops of real
photographs.
"""
import math

import numpy as np
from scipy import ndimage

from .canvas import add_haze, tinted
from .labels import BUILDING, FENCE, ROAD, SIDEWALK, SKY, TERRAIN, WALL


def render_sky(canvas, cam, layout):
    """Vertical gradient plus a low-frequency cloud field; fills the whole canvas."""
    rows, cols = canvas.image.shape[:2]
    y = np.arange(rows, dtype=np.float64) + 0.5
    x = np.arange(cols, dtype=np.float64) + 0.5
    elevation = np.clip((cam.cy - y) / cam.focal, 0, None)  # tan of the angle above horizon
    t = np.clip(elevation / 0.45, 0, 1)**0.7
    top, horizon = np.asarray(layout.sky_top), np.asarray(layout.sky_horizon)
    gradient = horizon[None, :] * (1 - t[:, None]) + top[None, :] * t[:, None]
    # clouds on a coarse (elevation, azimuth) grid, smoothly interpolated
    grid_rows, grid_cols = layout.clouds.shape
    ey = np.clip(elevation / 0.5, 0, 1) * (grid_rows - 1)
    ax = np.clip(((x - cam.cx) / cam.focal + 0.7) / 1.4, 0, 1) * (grid_cols - 1)
    ey2, ax2 = np.meshgrid(ey, ax, indexing='ij')
    clouds = ndimage.map_coordinates(layout.clouds, [ey2, ax2], order=3, mode='nearest')
    cover = np.clip((clouds - 0.45) * 2.5, 0, 1) * layout.cloud_amount
    white = np.array([238, 240, 244], np.float32)
    sky = gradient[:, None, :] * (1 - cover[..., None]) + white * cover[..., None]
    canvas.paint((slice(None), slice(None)), np.ones((rows, cols), bool), sky, SKY)


def _ground_coordinates(cam, rows_from):
    """Depth and lateral position of the ground under each pixel from row ``rows_from``."""
    y = np.arange(rows_from, cam.rows, dtype=np.float64) + 0.5
    x = np.arange(cam.width, dtype=np.float64) + 0.5
    depth = cam.focal * cam.height / (y - cam.cy)
    lateral = (x[None, :] - cam.cx) * depth[:, None] / cam.focal
    return np.broadcast_to(depth[:, None], lateral.shape), lateral


def _road_markings(layout, depth, lateral):
    """Where the road is painted white: lane lines (solid or dashed) and a zebra crossing.

    Args:
        layout (SceneLayout): The scene.
        depth (np.ndarray): Depth of the ground under each pixel (metres).
        lateral (np.ndarray): Lateral position of the ground under each pixel (metres).
    """
    paint_white = np.zeros(lateral.shape, bool)
    for line_x, dashed in layout.lane_lines:
        on_line = np.abs(lateral - line_x) < 0.075
        if dashed:
            on_line &= np.mod(depth, 9.0) < 3.0
        paint_white |= on_line
    if layout.crosswalk is not None:
        z0, z1 = layout.crosswalk
        paint_white |= (depth >= z0) & (depth <= z1) & (np.mod(lateral, 1.0) < 0.5)
    return paint_white


def render_ground(canvas, cam, layout, textures):
    """Road (asphalt, lane marks, zebra), kerbs, sidewalks (paving) and grass."""
    first_row = int(math.floor(cam.cy + 0.5))
    if first_row >= cam.rows:
        return
    first_row = max(first_row, 0)
    depth, lateral = _ground_coordinates(cam, first_row)
    depth = np.where(depth > 0, depth, 1e6)
    window = (slice(first_row, cam.rows), slice(None))
    # footprint: geometric mean of lateral and depth pixel extents (metres)
    metres_per_pixel = depth / cam.focal * np.sqrt(np.maximum(depth / cam.height, 1.0))
    haze = layout.sky_horizon
    left, right = layout.left, layout.right
    edge = np.where(lateral < 0, left.road_edge, right.road_edge)
    outer = np.where(lateral < 0, left.sidewalk_outer, right.sidewalk_outer)
    dist = np.abs(lateral)

    # grass everywhere off the road and sidewalks (verges, parks, behind barriers)
    tpm = 340.0  # grass texels per metre
    grass = tinted(textures['grass'], lateral * tpm, depth * tpm, metres_per_pixel * tpm,
                   layout.grass_colour, 0.35)
    canvas.paint(window, dist >= outer, add_haze(grass, depth, haze), TERRAIN)
    # paving; facades hide what lies beyond them, alleys and squares are paved
    tpm = 200.0
    paving = tinted(textures['brick'], lateral * tpm, depth * tpm, metres_per_pixel * tpm,
                    layout.sidewalk_colour, 0.22)
    is_sidewalk = (dist >= edge) & (dist < outer)
    kerb = is_sidewalk & (dist < edge + 0.18)
    paving[kerb] = np.asarray(layout.sidewalk_colour, np.float32) * 1.12
    canvas.paint(window, is_sidewalk, add_haze(paving, depth, haze), SIDEWALK)
    # asphalt with lane lines and an optional zebra crossing (all labelled road)
    tpm = 300.0
    asphalt = tinted(textures['gravel'], lateral * tpm, depth * tpm, metres_per_pixel * tpm,
                     layout.road_colour, 0.18)
    paint_white = _road_markings(layout, depth, lateral)
    # worn white paint: mostly paint, some asphalt texture showing through
    asphalt[paint_white] = np.float32(0.25) * asphalt[paint_white] + np.float32(0.75 * 230)
    is_road = dist < edge
    canvas.paint(window, is_road, add_haze(asphalt, depth, haze), ROAD)


def _window_grid(u, v, building, shop_floor):
    """Which facade points are windows, and their local coordinates in 0-1.

    Args:
        u (np.ndarray): Position along the facade from the building's start (metres).
        v (np.ndarray): Height above the ground (metres).
        building (Building): The building.
        shop_floor (bool): Whether the ground floor has shop windows.

    Returns:
        tuple: ``(is_window, is_frame, local_u, local_v, window_id)``.
    """
    spacing, width = building.window_spacing, building.window_width
    ground = 4.0 if shop_floor else building.floor_height
    floor = np.floor((v - ground) / building.floor_height)
    in_floor = v - ground - floor * building.floor_height
    sill = 0.9
    column = np.floor(u / spacing)
    in_column = u - column * spacing - (spacing - width) / 2
    upper = ((v >= ground) & (v <= building.height - 0.9) & (in_floor >= sill) &
             (in_floor <= sill + building.window_height) & (in_column >= 0) & (in_column <= width) &
             (u > 0.3) & (u < building.end - building.start - 0.3))
    local_u = in_column / width
    local_v = 1 - (in_floor - sill) / building.window_height
    window_id = (column * 7 + floor * 13).astype(np.int64)
    if shop_floor:
        shop_w = 2 * spacing - 0.6
        shop_col = np.floor(u / (2 * spacing))
        in_shop = u - shop_col * 2 * spacing - 0.3
        shop = ((v >= 0.35) & (v <= 3.1) & (in_shop >= 0) & (in_shop <= shop_w) & (u > 0.3) &
                (u < building.end - building.start - 0.3))
        local_u = np.where(shop, in_shop / shop_w, local_u)
        local_v = np.where(shop, 1 - (v - 0.35) / 2.75, local_v)
        window_id = np.where(shop, (shop_col * 5 + 101).astype(np.int64), window_id)
        upper |= shop
    frame = upper & ((local_u < 0.06) | (local_u > 0.94) | (local_v < 0.06) | (local_v > 0.94))
    return upper, frame, local_u, local_v, window_id


def _facade_colour(u, v, building, metres_per_pixel, textures, light):
    """Colour of facade points: wall texture, windows with reflected photographs, cornice.

    Args:
        u (np.ndarray): Position along the facade from the building's start (metres).
        v (np.ndarray): Height above the ground (metres).
        building (Building): The building.
        metres_per_pixel (np.ndarray | float): Footprint of a pixel on the facade (metres).
        textures (dict): :func:`~mmssg.demo.textures.load_textures`.
        light (float): Brightness factor of the facade.
    """
    ou, ov = building.texture_offset
    if building.material == 'brick':
        tpm = 220.0
        wall = tinted(textures['bricks_h'], u * tpm + ou, v * tpm + ov, metres_per_pixel * tpm,
                      building.colour, 0.3)
    else:
        tpm = 120.0
        wall = tinted(textures['gravel'], u * tpm + ou, v * tpm + ov, metres_per_pixel * tpm,
                      building.colour, 0.06)
    cornice = v > building.height - 0.45
    wall[cornice] *= 0.72
    is_window, frame, local_u, local_v, window_id = _window_grid(u, v, building, building.shop)
    if is_window.any():
        photo = textures[building.photo]
        offsets_u = (window_id * 97 % 37) * 9.0 + ou
        offsets_v = (window_id * 61 % 23) * 9.0 + ov
        tpm = 90.0  # photo texels per metre of window
        glass = photo.sample(offsets_u[is_window] + local_u[is_window] * tpm * 2.5,
                             offsets_v[is_window] + local_v[is_window] * tpm * 2.0,
                             np.broadcast_to(metres_per_pixel, u.shape)[is_window] * tpm)
        # darkened, slightly bluish reflections
        wall[is_window] = glass * np.float32(0.55) + np.array([10, 18, 30], np.float32)
        wall[frame] = np.array([225, 222, 215], np.float32) * 0.85
    return wall * np.float32(light)


def _side_plane_depth(cam, side, distance):
    """Depth where each column's ray meets the vertical plane ``distance`` metres out on one
    side of the street (inf for columns looking to the other side).

    Args:
        cam (StreetCamera): The camera.
        side (StreetSide): The side (its ``sign``).
        distance (float): Lateral distance of the plane from the camera (metres).
    """
    x = np.arange(cam.width, dtype=np.float64) + 0.5
    offset = side.sign * (x - cam.cx)
    return np.where(offset > 0.5, cam.focal * distance / np.maximum(offset, 1e-9), np.inf)


def _render_facades(canvas, cam, layout, side, textures):
    """The buildings of one side: planes at ``side.facade``, ``u`` = depth along the street."""
    y = np.arange(cam.rows, dtype=np.float64) + 0.5
    depth = _side_plane_depth(cam, side, side.facade)
    for building in side.buildings:
        cols = np.nonzero((depth >= building.start) & (depth < building.end))[0]
        if cols.size == 0:
            continue
        c0, c1 = cols[0], cols[-1] + 1
        z = depth[c0:c1][None, :]
        height = cam.height + (cam.cy - y)[:, None] * z / cam.focal
        rows = np.nonzero(((height >= 0) & (height <= building.height)).any(axis=1))[0]
        if rows.size == 0:
            continue
        r0, r1 = rows[0], rows[-1] + 1
        v = height[r0:r1]
        mask = (v >= 0) & (v <= building.height)
        u = np.broadcast_to(z - building.start, v.shape)
        metres = np.broadcast_to(z / cam.focal * np.sqrt(np.maximum(z / side.facade, 1.0)), v.shape)
        colour = _facade_colour(u, v, building, metres, textures, side.facade_light)
        colour = add_haze(colour, np.broadcast_to(z, v.shape), layout.sky_horizon)
        canvas.paint((slice(r0, r1), slice(c0, c1)), mask, colour, BUILDING)


def _render_barrier(canvas, cam, layout, side, textures):
    """The wall or fence standing on a sidewalk's outer edge over ``side.barrier_range``."""
    y = np.arange(cam.rows, dtype=np.float64) + 0.5
    z0, z1 = side.barrier_range
    depth = _side_plane_depth(cam, side, side.sidewalk_outer)
    cols = np.nonzero((depth >= z0) & (depth < z1))[0]
    if cols.size == 0:
        return
    c0, c1 = cols[0], cols[-1] + 1
    z = depth[c0:c1][None, :]
    v = cam.height + (cam.cy - y)[:, None] * z / cam.focal
    mask = (v >= 0) & (v <= side.barrier_height)
    window = (slice(None), slice(c0, c1))
    metres = z / cam.focal * np.sqrt(np.maximum(z / side.sidewalk_outer, 1.0))
    u = np.broadcast_to(z, v.shape)
    if side.verge == 'wall':
        colour = tinted(textures['gravel'], u * 150, v * 150, metres * 150,
                        (150, 145, 135), 0.25) * np.float32(side.facade_light)
        canvas.paint(window, mask, add_haze(colour, u, layout.sky_horizon), WALL)
    else:
        bars = (np.mod(u, 0.25) < 0.06) | (v < 0.08) | (np.abs(v - side.barrier_height) < 0.07)
        colour = np.broadcast_to(np.array([70, 75, 72], np.float32), v.shape + (3, ))
        canvas.paint(window, mask & bars, colour, FENCE)


def render_side(canvas, cam, layout, side, textures):
    """Facades of one side of the street, then its wall or fence.

    Args:
        canvas (Canvas): Painted in place.
        cam (StreetCamera): The camera.
        layout (SceneLayout): The scene.
        side (StreetSide): ``layout.left`` or ``layout.right``.
        textures (dict): :func:`~mmssg.demo.textures.load_textures`.
    """
    _render_facades(canvas, cam, layout, side, textures)
    if side.verge in ('wall', 'fence'):
        _render_barrier(canvas, cam, layout, side, textures)


def render_closing_building(canvas, cam, layout, textures):
    """The building facing the camera across the far end of the street."""
    building = layout.closing_building
    if building is None:
        return
    z = layout.street_end
    x = np.arange(cam.width, dtype=np.float64) + 0.5
    y = np.arange(cam.rows, dtype=np.float64) + 0.5
    lateral = (x - cam.cx) * z / cam.focal
    height = cam.height + (cam.cy - y) * z / cam.focal
    cols = np.nonzero((lateral >= building.start) & (lateral <= building.end))[0]
    rows = np.nonzero((height >= 0) & (height <= building.height))[0]
    if cols.size == 0 or rows.size == 0:
        return
    window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    u, v = np.meshgrid(lateral[window[1]] - building.start, height[window[0]])
    colour = _facade_colour(u, v, building, z / cam.focal, textures, 0.9)
    colour = add_haze(colour, np.full(u.shape, z), layout.sky_horizon)
    canvas.paint(window, np.ones(u.shape, bool), colour, BUILDING)
