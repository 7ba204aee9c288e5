# Copyright (c) mmssg contributors. All rights reserved.
"""A demo dataset made here: procedural street scenes seen through a hidden camera.

Cityscapes, IDD and DF2K cannot be downloaded in this workplace, so the demo and the tests
run the real pipeline on data this module draws. It writes three things under one folder:

* ``cityscapes/``: the *real LR* domain in the Cityscapes layout. Each scene is rendered at
  HR (x4) with exact per-pixel labels (Cityscapes train ids), then photographed by a hidden
  camera (:class:`CameraModel`: anisotropic Gaussian blur, x4 down-sampling, signal-dependent
  colour-correlated sensor noise, JPEG) to make the LR image. Labels are down-sampled to the
  LR grid by nearest neighbour. The clean HR render is kept beside it for evaluation only.
* ``clean_hr/``: the *clean HR* domain (DF2K stand-in): more clean renders from other seeds
  and the colour photographs that ship with scikit-image.
* ``camera_model.json`` (the hidden camera, for reporting only) and ``summary.json``.

Scenes are drawn with a pinhole street camera (:class:`StreetCamera`): a ground plane with
road, lane marks, kerbs, sidewalks and grass verges, building facades parallel to the street
with windows (crops of real photographs) and brick or plaster walls (real textures from
``skimage.data``), walls and fences, and upright "billboard" objects (cars, trucks, buses,
people, cyclists, trees, poles with signs and traffic lights, bins) painted far to near.
Textures are sampled through a small mip pyramid so distant surfaces keep fine, un-aliased
detail. Everything is a pure function of the seed, so one seed gives byte-identical files.

Geometry conventions: image pixel ``(row y, column x)`` has its centre at ``(y + 0.5,
x + 0.5)`` in continuous coordinates; world ``X`` points right, ``Y`` up, ``Z`` forward (metres).
"""
import dataclasses
import functools
import json
import math
import os
import shutil
from typing import Optional

import cv2
import numpy as np
from scipy import ndimage

# --------------------------------------------------------------------------- labels

CITYSCAPES_CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
                      'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky',
                      'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
                      'bicycle')
CITYSCAPES_PALETTE = ((128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156),
                      (190, 153, 153), (153, 153, 153), (250, 170, 30), (220, 220, 0),
                      (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60),
                      (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100),
                      (0, 0, 230), (119, 11, 32))
IGNORE_INDEX = 255
(ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, TRAFFIC_LIGHT, TRAFFIC_SIGN, VEGETATION,
 TERRAIN, SKY, PERSON, RIDER, CAR, TRUCK, BUS, TRAIN, MOTORCYCLE, BICYCLE) = range(19)

# --------------------------------------------------------------------------- dataset layout

GENERATOR_NAME = 'mmssg.datasets.demo_data'
FORMAT_VERSION = 1
DEFAULT_LR_SIZE = (128, 64)  # (width, height)
SPLIT_CITIES = {'train': ('demotown', 'synthburg'), 'val': ('pixelheim', )}
CITYSCAPES_FRAME = 19  # Cityscapes annotates the 20th frame of each snippet
PHOTO_NAMES = ('astronaut', 'chelsea', 'coffee', 'immunohistochemistry', 'rocket',
               'stereo_motorcycle')
GENERATED_ENTRIES = ('cityscapes', 'clean_hr', 'camera_model.json', 'summary.json')
# independent random streams: (domain code, purpose)
_STREAM_SCENE, _STREAM_CAMERA = 0, 1
_DOMAIN_CODES = {'train': 0, 'val': 1, 'clean': 2}


class DemoDatasetError(FileExistsError):
    """The output folder cannot hold (or be replaced by) a demo dataset."""


# =========================================================================== hidden camera


@dataclasses.dataclass(frozen=True)
class CameraModel:
    """The hidden camera that turns a clean HR render into a *real LR* image.

    ``LR = JPEG(quantise(subsample(HR * k) + n))``, the same for every image of the domain:

    * ``k``: anisotropic Gaussian, standard deviations ``blur_sigma_major`` and
      ``blur_sigma_minor`` (HR pixels), major axis at ``blur_angle_deg`` counter-clockwise
      from the image's +x axis as seen on screen (i.e. towards -y, rows grow downwards),
      sampled on ``2 * blur_radius`` taps per axis at half-integer offsets (see
      :func:`camera_kernel`).
    * ``subsample``: LR pixel ``(i, j)`` is the blurred HR image at the centre of its
      ``scale x scale`` block, HR position ``(scale*i + (scale-1)/2, scale*j + (scale-1)/2)``
      in pixel-index units (see :func:`blur_and_downsample`). Labels take the HR pixel
      ``scale*i + scale//2`` (:func:`downsample_labels`), half an HR pixel from that centre.
    * ``n``: zero-mean Gaussian noise on the 0-255 scale with standard deviation
      ``sqrt(noise_sigma_read**2 + noise_gain * clean)`` per channel (read noise plus a shot
      noise part), correlated across the three channels with ``noise_channel_correlation``.
    * ``quantise``: round and clip to 8 bits; ``JPEG``: OpenCV/libjpeg at ``jpeg_quality``
      with its default 4:2:0 chroma subsampling; the result is stored as PNG.

    Args:
        scale (int): Down-sampling factor (even). Default: 4.
        blur_sigma_major (float): Blur standard deviation along the major axis, HR pixels.
        blur_sigma_minor (float): Blur standard deviation along the minor axis, HR pixels.
        blur_angle_deg (float): Direction of the major axis in degrees (see above).
        blur_radius (int): Half the kernel size in taps; the kernel is ``2r x 2r``.
        noise_sigma_read (float): Signal-independent noise standard deviation (0-255 scale).
        noise_gain (float): Signal-dependent variance per unit of clean intensity.
        noise_channel_correlation (float): Correlation of the noise between channels.
        jpeg_quality (int): JPEG quality factor.
    """

    scale: int = 4
    blur_sigma_major: float = 2.2
    blur_sigma_minor: float = 1.2
    blur_angle_deg: float = 30.0
    blur_radius: int = 7
    noise_sigma_read: float = 4.0
    noise_gain: float = 0.04
    noise_channel_correlation: float = 0.4
    jpeg_quality: int = 90

    def noise_sigma(self, clean_intensity):
        """Noise standard deviation (0-255 scale) at a clean intensity (0-255).

        Args:
            clean_intensity (float | np.ndarray): Clean value(s) of a channel.
        """
        clean = np.clip(np.asarray(clean_intensity, dtype=np.float64), 0, 255)
        return np.sqrt(self.noise_sigma_read**2 + self.noise_gain * clean)

    def to_dict(self):
        """JSON-ready parameters, the HR blur kernel and a plain-words description."""
        params = dataclasses.asdict(self)
        kernel = camera_kernel(self)
        return dict(
            params,
            model='LR = JPEG(quantise(subsample(HR * k) + n))',
            kernel_hr=np.round(kernel, 8).tolist(),
            kernel_centre_hr=[self.blur_radius - 0.5, self.blur_radius - 0.5],
            sampling=('LR pixel (i, j) = blurred HR at (s*i + (s-1)/2, s*j + (s-1)/2) in HR '
                      'pixel-index units; labels take HR pixel (s*i + s//2, s*j + s//2)'),
            blur_angle_convention=('major axis counter-clockwise from +x as seen on screen; '
                                   'kernel_hr[row][col] with rows pointing down'),
            noise=('per-channel std sqrt(noise_sigma_read^2 + noise_gain * clean), channels '
                   'correlated with noise_channel_correlation, added on the 0-255 scale'),
            jpeg='OpenCV imencode, 4:2:0 chroma subsampling',
        )


def anisotropic_gaussian_kernel(sigma_major, sigma_minor, angle_deg, size):
    """A normalised, rotated 2-D Gaussian sampled on a ``size x size`` grid.

    The grid is centred at ``(size - 1) / 2`` (between two taps when ``size`` is even).

    Args:
        sigma_major (float): Standard deviation along the major axis, in taps.
        sigma_minor (float): Standard deviation along the minor axis, in taps.
        angle_deg (float): Major axis, counter-clockwise from +x as seen on screen.
        size (int): Number of taps per axis.

    Returns:
        np.ndarray: ``(size, size)`` float64 kernel summing to one, indexed ``[row, col]``.
    """
    taps = np.arange(size, dtype=np.float64) - (size - 1) / 2
    cols, rows = np.meshgrid(taps, taps)
    theta = math.radians(angle_deg)
    # major axis direction (cos, -sin) in (x, y-down) coordinates
    along_major = cols * math.cos(theta) - rows * math.sin(theta)
    along_minor = cols * math.sin(theta) + rows * math.cos(theta)
    kernel = np.exp(-0.5 * ((along_major / sigma_major)**2 + (along_minor / sigma_minor)**2))
    return kernel / kernel.sum()


def camera_kernel(camera):
    """The hidden camera's HR blur kernel, ``2r x 2r`` taps at half-integer offsets.

    Args:
        camera (CameraModel): The camera.
    """
    return anisotropic_gaussian_kernel(camera.blur_sigma_major, camera.blur_sigma_minor,
                                       camera.blur_angle_deg, 2 * camera.blur_radius)


def blur_and_downsample(hr, camera):
    """Blur an HR image with the camera kernel and sample it at the LR block centres.

    ``LR[i, j] = sum_pq HR[s*i + s/2 - r + p, s*j + s/2 - r + q] * k[p, q]``: the kernel's
    centre (tap ``r - 0.5``) lands on HR ``s*i + (s-1)/2``, the centre of the LR pixel's
    block. HR borders are mirrored (``reflect``).

    Args:
        hr (np.ndarray): ``(H, W)`` or ``(H, W, C)`` image, any numeric dtype.
        camera (CameraModel): The camera (its ``scale`` must be even).

    Returns:
        np.ndarray: float32 ``(H // s, W // s[, C])`` image on the input's scale.
    """
    scale, radius = camera.scale, camera.blur_radius
    if scale % 2:
        raise ValueError(f'the camera model needs an even scale, got {scale}')
    kernel = camera_kernel(camera)
    hr = np.asarray(hr, dtype=np.float32)
    lr_h, lr_w = hr.shape[0] // scale, hr.shape[1] // scale
    pad = [(radius, radius), (radius, radius)] + [(0, 0)] * (hr.ndim - 2)
    padded = np.pad(hr, pad, mode='reflect')
    lr = np.zeros((lr_h, lr_w) + hr.shape[2:], dtype=np.float64)
    first = scale // 2
    for p in range(2 * radius):
        rows = slice(first + p, first + p + scale * lr_h, scale)
        for q in range(2 * radius):
            cols = slice(first + q, first + q + scale * lr_w, scale)
            lr += kernel[p, q] * padded[rows, cols]
    return lr.astype(np.float32)


def sensor_noise(clean, camera, rng):
    """Signal-dependent, colour-correlated Gaussian noise for a clean LR image.

    Args:
        clean (np.ndarray): ``(h, w, 3)`` clean image on the 0-255 scale.
        camera (CameraModel): The camera.
        rng (np.random.Generator): Random source.

    Returns:
        np.ndarray: float32 noise of ``clean``'s shape.
    """
    rho = camera.noise_channel_correlation
    shared = rng.standard_normal(clean.shape[:2] + (1, ))
    own = rng.standard_normal(clean.shape)
    unit = math.sqrt(rho) * shared + math.sqrt(1.0 - rho) * own
    return (camera.noise_sigma(clean) * unit).astype(np.float32)


def jpeg_roundtrip(image, quality):
    """Encode an RGB uint8 image as JPEG and decode it again.

    Args:
        image (np.ndarray): ``(h, w, 3)`` uint8 RGB image.
        quality (int): JPEG quality factor.
    """
    ok, encoded = cv2.imencode('.jpg', image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1].copy()


def apply_camera(hr, camera, rng):
    """Photograph a clean HR render with the hidden camera.

    Args:
        hr (np.ndarray): ``(H, W, 3)`` uint8 RGB HR image.
        camera (CameraModel): The camera.
        rng (np.random.Generator): Random source of the sensor noise.

    Returns:
        np.ndarray: ``(H // s, W // s, 3)`` uint8 RGB *real LR* image.
    """
    clean = blur_and_downsample(hr, camera)
    noisy = clean + sensor_noise(clean, camera, rng)
    quantised = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
    return jpeg_roundtrip(quantised, camera.jpeg_quality)


def downsample_labels(labels, scale):
    """Nearest-neighbour label down-sampling: LR ``(i, j)`` takes HR ``(s*i + s//2, ...)``.

    Args:
        labels (np.ndarray): ``(H, W)`` label map.
        scale (int): Down-sampling factor.
    """
    lr_h, lr_w = labels.shape[0] // scale, labels.shape[1] // scale
    return np.ascontiguousarray(labels[scale // 2::scale, scale // 2::scale][:lr_h, :lr_w])


# =========================================================================== textures


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
            levels.append(cv2.resize(levels[-1], (w // 2, h // 2),
                                     interpolation=cv2.INTER_AREA))
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


# =========================================================================== scene layout


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


_FACADE_COLOURS = ((178, 92, 70), (150, 80, 62), (205, 190, 160), (220, 210, 190),
                   (170, 170, 165), (120, 115, 110), (200, 160, 110), (160, 175, 190),
                   (230, 225, 215), (140, 100, 80))
_CAR_COLOURS = ((235, 235, 235), (25, 25, 28), (150, 152, 155), (170, 30, 30),
                (30, 60, 140), (30, 80, 50), (220, 180, 40), (90, 90, 95), (110, 20, 30))
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
        buildings.append(Building(
            start=z, end=min(z + length, end), height=rng.uniform(7, 24),
            colour=_jitter_colour(rng, _pick(rng, _FACADE_COLOURS)),
            material='brick' if rng.random() < 0.4 else 'plaster',
            floor_height=floor_height, window_spacing=spacing,
            window_width=spacing * rng.uniform(0.35, 0.6),
            window_height=floor_height * rng.uniform(0.4, 0.6),
            photo=_pick(rng, photos), shop=bool(rng.random() < 0.5),
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
        sign=sign, road_edge=road_edge, sidewalk_width=rng.uniform(2.5, 5.0), verge=verge,
        verge_width=verge_width,
        barrier_range=(barrier_start, barrier_start + rng.uniform(15, 60)),
        barrier_height=rng.uniform(0.9, 1.8),
        buildings=_sample_buildings(rng, first_building, street_end, photos),
        facade_light=rng.uniform(0.7, 1.05))


def _sample_closing_building(rng, layout_focal, layout_horizon, aspect, camera_height,
                             left, right, street_end, photos):
    """A building across the end of the street whose top stays well below the image top."""
    # top row fraction t: y_top / H = horizon - f_w * (height - h) / (Z * aspect) >= 0.2
    max_height = camera_height + (layout_horizon - 0.2) * aspect * street_end / layout_focal
    height = rng.uniform(0.5, 1.0) * max_height
    building = _sample_buildings(rng, -left.facade, right.facade, photos)[0]
    return dataclasses.replace(building, start=-left.facade, end=right.facade,
                               height=max(height, 3.0))


def _sample_objects(rng, layout):
    """Cars, trucks, buses, people, cyclists, trees, poles (with signs and lights), bins."""
    objects = []
    occupied = []  # (lateral lane position, depth) of vehicles

    def free(x, z, gap):
        return all(abs(x - ox) > 1.0 or abs(z - oz) > gap for ox, oz in occupied)

    lane_centres = [(a + b) / 2 for (a, _), (b, _) in
                    zip(layout.lane_lines[:-1], layout.lane_lines[1:])]
    parking = [(-layout.left.road_edge + 1.1), (layout.right.road_edge - 1.1)]

    def add_vehicle(kind, x, z_max, half_width, gap):
        z_min = _visible_depth(layout, x, half_width)
        for _ in range(10):
            z = rng.uniform(z_min, max(z_min + 1, z_max))
            if free(x, z, gap):
                occupied.append((x, z))
                objects.append(SceneObject(kind, x, z, _vehicle_params(rng, kind)))
                return True
        return False

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

    for side in (layout.left, layout.right):
        s = side.sign
        # people on the sidewalk (at least one on one side)
        for k in range(int(rng.integers(1 if s > 0 else 0, 4))):
            x = s * (side.road_edge + rng.uniform(0.6, side.sidewalk_width - 0.4))
            z_min = _visible_depth(layout, x, 0.35)
            z = rng.uniform(z_min, max(z_min + 1, 40.0))
            objects.append(SceneObject('person', x, z, _person_params(rng)))
        # poles near the kerb, some with a sign or a traffic light
        z = _visible_depth(layout, s * (side.road_edge + 0.35), 0.2) + rng.uniform(0, 8)
        while z < 90:
            carries = _pick(rng, ('lamp', 'lamp', 'sign', 'sign', 'light', 'none'))
            objects.append(SceneObject('pole', s * (side.road_edge + 0.35), z,
                                       _pole_params(rng, carries, s)))
            z += rng.uniform(14, 30)
        # trees on the verge or the sidewalk
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
            colour = _jitter_colour(rng, _pick(rng, ((60, 90, 60), (90, 90, 95),
                                                     (40, 60, 110))))
            objects.append(SceneObject('bin', x, rng.uniform(z_min, z_min + 25),
                                       dict(colour=colour)))
    for kind, probability in (('cyclist', 0.35), ('motorcyclist', 0.15)):
        if rng.random() < probability:
            x = rng.uniform(lane_centres[0] - 1, parking[1])
            z_min = _visible_depth(layout, x, 0.9)
            params = _person_params(rng)
            params.update(facing=_pick(rng, (-1, 1)), frame_colour=_jitter_colour(
                rng, _pick(rng, _CAR_COLOURS), 0.2))
            objects.append(SceneObject(kind, x, rng.uniform(z_min, z_min + 20), params))
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
    return dict(width=width, height=height,
                colour=_jitter_colour(rng, _pick(rng, palette), 0.1),
                photo=_pick(rng, PHOTO_NAMES),
                photo_offset=(float(rng.uniform(0, 400)), float(rng.uniform(0, 300))))


def _person_params(rng):
    """Height and clothes of a person."""
    return dict(height=rng.uniform(1.55, 1.92), shirt=_jitter_colour(rng, _pick(rng, _CLOTHES)),
                trousers=_jitter_colour(rng, _pick(rng, _CLOTHES)),
                skin=_jitter_colour(rng, _pick(rng, _SKIN)),
                hair=_jitter_colour(rng, _pick(rng, ((30, 25, 20), (90, 60, 30),
                                                     (200, 170, 110), (120, 120, 120)))),
                stride=rng.uniform(0.0, 0.25), photo=_pick(rng, PHOTO_NAMES),
                photo_offset=(float(rng.uniform(0, 400)), float(rng.uniform(0, 300))))


def _pole_params(rng, carries, side_sign):
    """Height of a pole and what it carries."""
    return dict(height=rng.uniform(4.5, 7.5), carries=carries, towards_road=-side_sign,
                sign_shape=_pick(rng, ('round', 'round', 'triangle', 'square')),
                sign_height=rng.uniform(2.2, 3.0), lit=int(rng.integers(3)))


def _tree_params(rng):
    """Trunk and canopy of a tree."""
    crown = rng.uniform(1.6, 3.2)
    blobs = [(rng.uniform(-0.6, 0.6) * crown, rng.uniform(-0.5, 0.6) * crown,
              rng.uniform(0.45, 0.75) * crown) for _ in range(int(rng.integers(5, 9)))]
    return dict(trunk_height=rng.uniform(1.8, 3.5), trunk_width=rng.uniform(0.2, 0.4),
                crown=crown, blobs=blobs,
                green=_jitter_colour(rng, _pick(rng, ((70, 110, 40), (50, 90, 35),
                                                      (95, 125, 50))), 0.1),
                texture_offset=(float(rng.uniform(0, 512)), float(rng.uniform(0, 512))))


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
    lines = [((k - ego_lane - 0.5) * lane_width, 0 < k < num_lanes)
             for k in range(num_lanes + 1)]
    left_edge = -lines[0][0] + parking
    right_edge = lines[-1][0] + parking
    street_end = rng.uniform(90, 260)
    photos = PHOTO_NAMES
    left = _sample_side(rng, -1, left_edge, street_end, photos)
    right = _sample_side(rng, 1, right_edge, street_end, photos)
    closing = None
    if rng.random() < 0.5:
        closing = _sample_closing_building(rng, focal, horizon, aspect, camera_height, left,
                                           right, street_end, photos)
    crosswalk = None
    if rng.random() < 0.3:
        z = rng.uniform(12, 35)
        crosswalk = (z, z + rng.uniform(3, 5))
    overcast = rng.random() < 0.3
    sky_top = (150, 160, 172) if overcast else _jitter_colour(rng, (70, 125, 200), 0.12)
    sky_horizon = (200, 204, 210) if overcast else _jitter_colour(rng, (180, 205, 230), 0.05)
    layout = SceneLayout(
        aspect=aspect, focal=focal, horizon=horizon, vanishing_x=vanishing_x,
        camera_height=camera_height, lane_width=lane_width, lane_lines=tuple(lines),
        crosswalk=crosswalk, left=left, right=right, closing_building=closing,
        street_end=street_end, sky_top=sky_top, sky_horizon=sky_horizon,
        clouds=rng.random((6, 12)), cloud_amount=rng.uniform(0.0, 0.5),
        road_colour=_jitter_colour(rng, np.array([88, 88, 92]) * rng.uniform(0.75, 1.2), 0.03),
        sidewalk_colour=_jitter_colour(rng, (165, 160, 152), 0.1),
        grass_colour=_jitter_colour(rng, (85, 120, 50), 0.12),
        light=tuple(rng.uniform(0.88, 1.08) * np.array([1, 1, 1]) *
                    (1 + rng.uniform(-0.04, 0.04, 3))),
        objects=[])
    layout.objects = _sample_objects(rng, layout)
    return layout


# =========================================================================== rendering


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
        return cls(focal=layout.focal * width, cx=layout.vanishing_x * width,
                   cy=layout.horizon * height, height=layout.camera_height, width=width,
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


def _haze(colour, depth, haze_colour, distance=500.0):
    """Aerial perspective: blend towards the horizon colour with depth."""
    weight = (1.0 - np.exp(-np.asarray(depth, np.float32) / distance))[..., None]
    return colour * (1 - weight) + np.asarray(haze_colour, np.float32) * weight


def _tinted(texture, u, v, footprint, colour, contrast):
    """``colour * (1 + contrast * texture)`` with a grey texture."""
    grey = texture.sample(u, v, footprint)
    return np.asarray(colour, np.float32) * (1 + contrast * grey[..., None])


def _render_sky(canvas, cam, layout):
    """Vertical gradient plus a low-frequency cloud field; fills the whole canvas."""
    rows, cols = canvas.image.shape[:2]
    y = np.arange(rows, dtype=np.float64) + 0.5
    x = np.arange(cols, dtype=np.float64) + 0.5
    elevation = np.clip((cam.cy - y) / cam.focal, 0, None)  # tan of the angle above horizon
    t = np.clip(elevation / 0.45, 0, 1) ** 0.7
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


def _render_ground(canvas, cam, layout, textures):
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
    grass = _tinted(textures['grass'], lateral * tpm, depth * tpm, metres_per_pixel * tpm,
                    layout.grass_colour, 0.35)
    canvas.paint(window, dist >= outer, _haze(grass, depth, haze), TERRAIN)
    # paving; facades hide what lies beyond them, alleys and squares are paved
    tpm = 200.0
    paving = _tinted(textures['brick'], lateral * tpm, depth * tpm, metres_per_pixel * tpm,
                     layout.sidewalk_colour, 0.22)
    is_sidewalk = (dist >= edge) & (dist < outer)
    kerb = is_sidewalk & (dist < edge + 0.18)
    paving[kerb] = np.asarray(layout.sidewalk_colour, np.float32) * 1.12
    canvas.paint(window, is_sidewalk, _haze(paving, depth, haze), SIDEWALK)
    # asphalt with lane lines and an optional zebra crossing (all labelled road)
    tpm = 300.0
    asphalt = _tinted(textures['gravel'], lateral * tpm, depth * tpm, metres_per_pixel * tpm,
                      layout.road_colour, 0.18)
    paint_white = np.zeros(dist.shape, bool)
    for line_x, dashed in layout.lane_lines:
        on_line = np.abs(lateral - line_x) < 0.075
        if dashed:
            on_line &= np.mod(depth, 9.0) < 3.0
        paint_white |= on_line
    if layout.crosswalk is not None:
        z0, z1 = layout.crosswalk
        paint_white |= (depth >= z0) & (depth <= z1) & (np.mod(lateral, 1.0) < 0.5)
    # worn white paint: mostly paint, some asphalt texture showing through
    asphalt[paint_white] = np.float32(0.25) * asphalt[paint_white] + np.float32(0.75 * 230)
    is_road = dist < edge
    canvas.paint(window, is_road, _haze(asphalt, depth, haze), ROAD)


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
             (in_floor <= sill + building.window_height) & (in_column >= 0) &
             (in_column <= width) & (u > 0.3) & (u < building.end - building.start - 0.3))
    local_u = in_column / width
    local_v = 1 - (in_floor - sill) / building.window_height
    window_id = (column * 7 + floor * 13).astype(np.int64)
    if shop_floor:
        shop_w = 2 * spacing - 0.6
        shop_col = np.floor(u / (2 * spacing))
        in_shop = u - shop_col * 2 * spacing - 0.3
        shop = ((v >= 0.35) & (v <= 3.1) & (in_shop >= 0) & (in_shop <= shop_w) &
                (u > 0.3) & (u < building.end - building.start - 0.3))
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
        textures (dict): :func:`load_textures`.
        light (float): Brightness factor of the facade.
    """
    ou, ov = building.texture_offset
    if building.material == 'brick':
        tpm = 220.0
        wall = _tinted(textures['bricks_h'], u * tpm + ou, v * tpm + ov,
                       metres_per_pixel * tpm, building.colour, 0.3)
    else:
        tpm = 120.0
        wall = _tinted(textures['gravel'], u * tpm + ou, v * tpm + ov,
                       metres_per_pixel * tpm, building.colour, 0.06)
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


def _render_side(canvas, cam, layout, side, textures):
    """Facades of one side of the street, then its wall or fence."""
    x = np.arange(cam.width, dtype=np.float64) + 0.5
    y = np.arange(cam.rows, dtype=np.float64) + 0.5
    offset = side.sign * (x - cam.cx)
    valid = offset > 0.5
    # facades: planes at lateral distance side.facade, u = depth along the street
    for building in side.buildings:
        depth = np.where(valid, cam.focal * side.facade / np.maximum(offset, 1e-9), np.inf)
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
        metres = np.broadcast_to(z / cam.focal * np.sqrt(np.maximum(z / side.facade, 1.0)),
                                 v.shape)
        colour = _facade_colour(u, v, building, metres, textures, side.facade_light)
        colour = _haze(colour, np.broadcast_to(z, v.shape), layout.sky_horizon)
        canvas.paint((slice(r0, r1), slice(c0, c1)), mask, colour, BUILDING)
    if side.verge not in ('wall', 'fence'):
        return
    z0, z1 = side.barrier_range
    depth = np.where(valid, cam.focal * side.sidewalk_outer / np.maximum(offset, 1e-9), np.inf)
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
        colour = _tinted(textures['gravel'], u * 150, v * 150, metres * 150,
                         (150, 145, 135), 0.25) * np.float32(side.facade_light)
        canvas.paint(window, mask, _haze(colour, u, layout.sky_horizon), WALL)
    else:
        bars = (np.mod(u, 0.25) < 0.06) | (v < 0.08) | (np.abs(v - side.barrier_height) < 0.07)
        colour = np.broadcast_to(np.array([70, 75, 72], np.float32), v.shape + (3, ))
        canvas.paint(window, mask & bars, colour, FENCE)


def _render_closing_building(canvas, cam, layout, textures):
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
    colour = _haze(colour, np.full(u.shape, z), layout.sky_horizon)
    canvas.paint(window, np.ones(u.shape, bool), colour, BUILDING)


# ---------------------------------------------------------------- upright objects


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
    body_colour = _tinted(textures['gravel'], a * 60 + 50, b * 60, metres * 60, p['colour'],
                          0.04)
    body_colour = body_colour * (0.8 + 0.3 * np.clip(b / h, 0, 1))[..., None]
    wheels = (_box(a, b, -hw + 0.05, -hw + 0.38, 0, 0.5) |
              _box(a, b, hw - 0.38, hw - 0.05, 0, 0.5))
    canvas.paint(window, wheels, (22, 22, 24), label)
    if obj.kind == 'car':
        lower = _rounded_box(a, b, -hw, hw, 0.28, 0.62 * h, 0.12)
        cabin = _trapezoid(a, b, 0.6 * h, h, hw - 0.08, hw - 0.35)
        body = lower | cabin
        glass = _trapezoid(a, b, 0.66 * h, 0.95 * h, hw - 0.2, hw - 0.42)
        lights = (_box(a, b, -hw + 0.05, -hw + 0.35, 0.45 * h, 0.56 * h) |
                  _box(a, b, hw - 0.35, hw - 0.05, 0.45 * h, 0.56 * h))
        plate = _box(a, b, -0.26, 0.26, 0.34, 0.46)
    else:
        body = _box(a, b, -hw, hw, 0.3, h)
        if obj.kind in ('bus', 'tram'):
            glass = _box(a, b, -hw + 0.15, hw - 0.15, 0.62 * h, 0.93 * h)
        else:
            glass = np.zeros_like(body)
        lights = (_box(a, b, -hw + 0.05, -hw + 0.3, 0.45, 0.62) |
                  _box(a, b, hw - 0.3, hw - 0.05, 0.45, 0.62))
        plate = _box(a, b, -0.26, 0.26, 0.4, 0.52)
    canvas.paint(window, body, body_colour, label)
    if obj.kind == 'truck':  # rear doors: a seam and two hinges lines
        seam = body & (np.abs(a) < 0.025) & (b > 0.6)
        canvas.paint(window, seam, np.asarray(p['colour'], np.float32) * 0.5, label)
    if obj.kind == 'bus':  # an advertisement: a photograph on the back
        ad = _box(a, b, -hw + 0.2, hw - 0.2, 0.75, 0.55 * h)
        canvas.paint(window, ad, _photo_colour(textures, p, a, b, metres, 160.0), label)
    if obj.kind == 'tram':  # pantograph
        pantograph = (_capsule(a, b, (-0.5, h), (0.0, h + 0.6), 0.035) |
                      _capsule(a, b, (0.5, h), (0.0, h + 0.6), 0.035) |
                      _box(a, b, -0.45, 0.45, h + 0.57, h + 0.63))
        canvas.paint(window, pantograph, (45, 45, 48), label)
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
    legs = (_capsule(a, b, (pose_centre - 0.08, hip), (pose_centre - 0.08 - stride, 0.05), 0.075)
            | _capsule(a, b, (pose_centre + 0.08, hip), (pose_centre + 0.08 + stride, 0.05),
                       0.075))
    torso = _rounded_box(a, b, pose_centre - 0.2, pose_centre + 0.2, hip - 0.05, 0.82 * h, 0.07)
    arms = (_capsule(a, b, (pose_centre - 0.22, 0.8 * h), (pose_centre - 0.27, 0.48 * h), 0.05)
            | _capsule(a, b, (pose_centre + 0.22, 0.8 * h), (pose_centre + 0.27, 0.48 * h),
                       0.05))
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
    frame_mask = (_capsule(a, b, rear, pedal, 0.025) | _capsule(a, b, pedal, saddle, 0.025) |
                  _capsule(a, b, saddle, (0.35 * facing, 0.9), 0.025) |
                  _capsule(a, b, pedal, (0.35 * facing, 0.9), 0.025) |
                  _capsule(a, b, front, bar, 0.025) | _capsule(a, b, rear, saddle, 0.02))
    if motor:  # engine, tank and seat
        frame_mask |= (_ellipse(a, b, 0.0, 0.5, 0.32, 0.2) |
                       _ellipse(a, b, 0.15 * facing, 0.85, 0.3, 0.12) |
                       _capsule(a, b, (-0.5 * facing, 0.8), (0.0, 0.85), 0.08))
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
    trunk = _box(a, b, -p['trunk_width'] / 2, p['trunk_width'] / 2, 0, p['trunk_height'] +
                 0.5 * p['crown'])
    bark = _tinted(textures['gravel'], a * 300, b * 300, metres * 300, (85, 65, 45), 0.25)
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
        cb = p['sign_height']
        shape = p['sign_shape']
        if shape == 'round':
            outer = _ellipse(a, b, 0, cb, 0.32, 0.32)
            inner = _ellipse(a, b, 0, cb, 0.24, 0.24)
            canvas.paint(window, outer, (200, 25, 30), TRAFFIC_SIGN)
            canvas.paint(window, inner, (240, 240, 240), TRAFFIC_SIGN)
            canvas.paint(window, inner & (np.abs(a) < 0.12) & (np.abs(b - cb) < 0.08) &
                         (np.mod(a, 0.1) < 0.04), (20, 20, 20), TRAFFIC_SIGN)
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
    elif carries == 'light':
        arm = _capsule(a, b, (0, h - 0.3), (reach, h - 0.3), max(arm_radius, 0.05))
        canvas.paint(window, arm, (110, 110, 115), POLE)
        box = _rounded_box(a, b, reach - 0.17, reach + 0.17, h - 1.25, h - 0.3, 0.05)
        canvas.paint(window, box, (30, 32, 30), TRAFFIC_LIGHT)
        lamps = ((255, 40, 30), (255, 190, 20), (40, 230, 110))
        for k, lamp in enumerate(lamps):
            cb = h - 0.47 - 0.3 * k
            colour = lamp if k == p['lit'] else tuple(c * 0.25 for c in lamp)
            canvas.paint(window, _ellipse(a, b, reach, cb, 0.1, 0.1), colour, TRAFFIC_LIGHT)


def _draw_bin(canvas, cam, obj, textures):
    """A litter bin: a 'static' object, labelled ignore as in Cityscapes."""
    frame = _object_frame(cam, obj, 0.3, 1.0)
    if frame is None:
        return
    window, a, b, metres = frame
    bin_mask = _rounded_box(a, b, -0.28, 0.28, 0, 0.95, 0.06)
    colour = _tinted(textures['gravel'], a * 200, b * 200, metres * 200, obj.params['colour'],
                     0.1)
    canvas.paint(window, bin_mask, colour, IGNORE_INDEX)


_DRAWERS = {'car': _draw_vehicle, 'truck': _draw_vehicle, 'bus': _draw_vehicle,
            'tram': _draw_vehicle, 'motorcyclist': _draw_cyclist,
            'person': _draw_person, 'cyclist': _draw_cyclist, 'tree': _draw_tree,
            'pole': _draw_pole, 'bin': _draw_bin}


def render_scene(layout, width, height):
    """Render a layout: sky, ground, facades, walls and fences, then objects far to near.

    Args:
        layout (SceneLayout): The scene.
        width (int): Image width (pixels).
        height (int): Image height (pixels).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(H, W, 3)`` uint8 RGB image and ``(H, W)`` uint8
        train-id labels (255 = ignore).
    """
    textures = load_textures()
    cam = StreetCamera.from_layout(layout, width, height)
    canvas = Canvas(width, height)
    _render_sky(canvas, cam, layout)
    _render_ground(canvas, cam, layout, textures)
    _render_closing_building(canvas, cam, layout, textures)
    for side in (layout.left, layout.right):
        _render_side(canvas, cam, layout, side, textures)
    for obj in layout.objects:
        _DRAWERS[obj.kind](canvas, cam, obj, textures)
    image = canvas.image * np.asarray(layout.light, np.float32)
    return np.clip(np.round(image), 0, 255).astype(np.uint8), canvas.labels


def scene_rng(seed, domain, index, stream=_STREAM_SCENE):
    """The random source of one image, independent of every other image's.

    Args:
        seed (int): Dataset seed.
        domain (str): ``'train'``, ``'val'`` or ``'clean'``.
        index (int): Image index in its domain.
        stream (int): 0 for the scene, 1 for the camera noise.
    """
    return np.random.default_rng([int(seed), _DOMAIN_CODES[domain], int(index), int(stream)])


def generate_scene(seed, domain, index, hr_size):
    """Draw and render one scene.

    Args:
        seed (int): Dataset seed.
        domain (str): ``'train'``, ``'val'`` or ``'clean'``.
        index (int): Image index in its domain.
        hr_size (tuple): ``(width, height)`` of the render.

    Returns:
        tuple[np.ndarray, np.ndarray]: HR RGB image and HR labels.
    """
    width, height = hr_size
    layout = sample_scene_layout(scene_rng(seed, domain, index), aspect=height / width)
    return render_scene(layout, width, height)


# =========================================================================== visualisation


def colorize_labels(labels):
    """Cityscapes colours for a train-id map (ignore -> black).

    Args:
        labels (np.ndarray): ``(H, W)`` uint8 train ids.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB.
    """
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(CITYSCAPES_PALETTE)] = CITYSCAPES_PALETTE
    return lut[labels]


def make_montage(lr, hr, labels):
    """``LR (nearest x s) | HR | labels (colourised, nearest to HR size)`` side by side.

    Args:
        lr (np.ndarray): ``(h, w, 3)`` uint8 LR image.
        hr (np.ndarray): ``(H, W, 3)`` uint8 HR image.
        labels (np.ndarray): ``(h, w)`` or ``(H, W)`` train ids.
    """
    height, width = hr.shape[:2]

    def to_hr(image):
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_NEAREST)

    gap = np.full((height, 4, 3), 255, np.uint8)
    return np.concatenate([to_hr(lr), gap, hr, gap, to_hr(colorize_labels(labels))], axis=1)


# =========================================================================== dataset


def cityscapes_stem(city, index):
    """``<city>_<seq:06d>_<frame:06d>`` for the ``index``-th image of a city.

    Args:
        city (str): City name.
        index (int): Sequence number.
    """
    return f'{city}_{index:06d}_{CITYSCAPES_FRAME:06d}'


def split_entries(split, count):
    """``(city, stem)`` of every image of a split; images alternate between its cities.

    Args:
        split (str): ``'train'`` or ``'val'``.
        count (int): Number of images.
    """
    cities = SPLIT_CITIES[split]
    return [(cities[i % len(cities)], cityscapes_stem(cities[i % len(cities)],
                                                      i // len(cities)))
            for i in range(count)]


def cityscapes_paths(split, city, stem):
    """Relative paths of an image's real LR file, label file and clean HR file.

    Args:
        split (str): ``'train'`` or ``'val'``.
        city (str): City name.
        stem (str): :func:`cityscapes_stem`.

    Returns:
        dict: ``lr``, ``label`` and ``hr`` paths relative to the dataset root.
    """
    image_name = f'{stem}_leftImg8bit.png'
    return dict(
        lr=os.path.join('cityscapes', 'leftImg8bit', split, city, image_name),
        label=os.path.join('cityscapes', 'gtFine', split, city,
                           f'{stem}_gtFine_labelTrainIds.png'),
        hr=os.path.join('cityscapes', 'leftImg8bit_hr', split, city, image_name))


def expected_files(num_train, num_val, num_clean):
    """Every file a complete demo dataset holds, relative to its root.

    Args:
        num_train (int): Training images.
        num_val (int): Validation images.
        num_clean (int): Clean HR renders.
    """
    files = ['camera_model.json', 'summary.json']
    for split, count in (('train', num_train), ('val', num_val)):
        for city, stem in split_entries(split, count):
            files.extend(cityscapes_paths(split, city, stem).values())
    files += [os.path.join('clean_hr', f'render_{i:04d}.png') for i in range(num_clean)]
    files += [os.path.join('clean_hr', f'photo_{name}.png') for name in PHOTO_NAMES]
    return files


def _write_png(path, image):
    """Write an RGB or single-channel uint8 image as PNG, making its folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = image[..., ::-1] if image.ndim == 3 else image
    if not cv2.imwrite(path, np.ascontiguousarray(data)):
        raise OSError(f'could not write {path}')


def _write_json(path, content):
    with open(path, 'w') as f:
        json.dump(content, f, indent=2, sort_keys=True)
        f.write('\n')


def read_summary(out_dir):
    """The ``summary.json`` of a demo dataset, or None when there is none (or not ours).

    Args:
        out_dir (str): Dataset root.
    """
    path = os.path.join(out_dir, 'summary.json')
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get('generator') != GENERATOR_NAME:
        return None
    return summary


def check_output_dir(out_dir):
    """Classify the output folder, refusing what is not ours.

    Args:
        out_dir (str): Dataset root.

    Returns:
        str: ``'new'`` (absent or empty) or ``'demo'`` (holds a previous demo dataset,
        complete or not).

    Raises:
        DemoDatasetError: ``out_dir`` is a file, or a non-empty folder without a demo
        dataset's ``summary.json``.
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise DemoDatasetError(f'{out_dir} exists and is not a directory')
    if not os.path.isdir(out_dir) or not os.listdir(out_dir):
        return 'new'
    if read_summary(out_dir) is None:
        raise DemoDatasetError(
            f'{out_dir} is not empty and holds no demo dataset (no summary.json written by '
            f'{GENERATOR_NAME}); choose an empty or new directory')
    return 'demo'


def remove_generated(out_dir):
    """Delete what a demo dataset consists of (``GENERATED_ENTRIES``), nothing else.

    Args:
        out_dir (str): Dataset root.
    """
    for name in GENERATED_ENTRIES:
        path = os.path.join(out_dir, name)
        if os.path.islink(path) or os.path.isfile(path):
            os.remove(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)


def _request(seed, num_train, num_val, num_clean, lr_size, camera):
    """The parameters that define a dataset (compared on reuse)."""
    scale = camera.scale
    return dict(seed=int(seed), num_train=int(num_train), num_val=int(num_val),
                num_clean=int(num_clean), lr_size=[int(lr_size[0]), int(lr_size[1])],
                hr_size=[int(lr_size[0]) * scale, int(lr_size[1]) * scale], scale=scale,
                camera=dataclasses.asdict(camera))


def _is_complete(out_dir, summary, request):
    """Whether ``summary`` describes a finished dataset made with ``request``."""
    if not summary.get('complete') or summary.get('request') != request:
        return False
    return all(os.path.isfile(os.path.join(out_dir, rel)) for rel in expected_files(
        request['num_train'], request['num_val'], request['num_clean']))


def _class_frequencies(counts):
    """Pixel fractions per class name (and ``ignore``) from a 256-bin histogram."""
    total = max(int(counts.sum()), 1)
    freqs = {name: round(int(counts[i]) / total, 6) for i, name in enumerate(CITYSCAPES_CLASSES)}
    freqs['ignore'] = round(int(counts[IGNORE_INDEX]) / total, 6)
    return freqs


def _no_progress(iterable, total, desc):
    return iterable


def make_demo_dataset(out_dir, seed=0, num_train=32, num_val=8, num_clean=24,
                      lr_size=DEFAULT_LR_SIZE, fresh=False, camera=None, progress=None,
                      log=print):
    """Generate (or reuse) the demo dataset under ``out_dir``.

    A complete dataset made with the same arguments is reused as it is (nothing is
    rewritten). One made with other arguments is refused unless ``fresh``; an unfinished one
    is regenerated. ``fresh`` deletes only the dataset's own entries
    (``GENERATED_ENTRIES``) first. Nothing is written outside ``out_dir``.

    Args:
        out_dir (str): Dataset root (created if missing).
        seed (int): Seed of every random choice. Default: 0.
        num_train (int): Real LR training images. Default: 32.
        num_val (int): Real LR validation images. Default: 8.
        num_clean (int): Clean HR renders (besides the photographs). Default: 24.
        lr_size (tuple): ``(width, height)`` of the LR images. Default: (128, 64).
        fresh (bool): Regenerate even when a dataset exists. Default: False.
        camera (CameraModel | None): Hidden camera; None for the default one.
        progress (callable | None): ``progress(iterable, total, desc)`` wrapping each loop
            (e.g. tqdm). Default: no display.
        log (callable): Receives one-line status messages. Default: print.

    Returns:
        dict: The summary (also in ``summary.json``), with ``reused`` telling whether an
        existing dataset was kept.

    Raises:
        DemoDatasetError: ``out_dir`` is a file, a folder that is not a demo dataset, or a
            demo dataset made with other arguments (without ``fresh``).
    """
    camera = camera or CameraModel()
    progress = progress or _no_progress
    width, height = int(lr_size[0]), int(lr_size[1])
    if width < 8 or height < 8 or min(num_train, num_val, num_clean) < 0:
        raise ValueError(f'bad sizes: lr_size={lr_size}, counts=({num_train}, {num_val}, '
                         f'{num_clean})')
    request = _request(seed, num_train, num_val, num_clean, lr_size, camera)
    state = check_output_dir(out_dir)
    if state == 'demo':
        summary = read_summary(out_dir)
        if not fresh:
            if _is_complete(out_dir, summary, request):
                log(f'Reusing the demo dataset in {out_dir} (seed {seed}); '
                    f'pass --fresh to regenerate it')
                return dict(summary, reused=True)
            if summary.get('complete'):
                differences = sorted(k for k in request if summary.get('request', {}).get(k)
                                     != request[k])
                if differences:
                    raise DemoDatasetError(
                        f'{out_dir} holds a demo dataset made with other {", ".join(differences)}'
                        f'; pass --fresh to replace it')
            log(f'The demo dataset in {out_dir} is incomplete; regenerating it')
        remove_generated(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    summary = dict(generator=GENERATOR_NAME, format_version=FORMAT_VERSION, complete=False,
                   request=request)
    _write_json(os.path.join(out_dir, 'summary.json'), summary)  # marks the folder as ours

    hr_size = (width * camera.scale, height * camera.scale)
    histograms = {}
    images_with_class = {}
    for split, count in (('train', num_train), ('val', num_val)):
        histogram = np.zeros(256, np.int64)
        present = np.zeros(256, np.int64)
        for index, (city, stem) in enumerate(progress(split_entries(split, count), count,
                                                      f'cityscapes/{split}')):
            hr, hr_labels = generate_scene(seed, split, index, hr_size)
            lr = apply_camera(hr, camera, scene_rng(seed, split, index, _STREAM_CAMERA))
            labels = downsample_labels(hr_labels, camera.scale)
            paths = cityscapes_paths(split, city, stem)
            _write_png(os.path.join(out_dir, paths['lr']), lr)
            _write_png(os.path.join(out_dir, paths['label']), labels)
            _write_png(os.path.join(out_dir, paths['hr']), hr)
            counts = np.bincount(labels.ravel(), minlength=256)
            histogram += counts
            present += counts > 0
        histograms[split] = histogram
        images_with_class[split] = {name: int(present[i])
                                    for i, name in enumerate(CITYSCAPES_CLASSES)}
    for index in progress(range(num_clean), num_clean, 'clean_hr/render'):
        hr, _ = generate_scene(seed, 'clean', index, hr_size)
        _write_png(os.path.join(out_dir, 'clean_hr', f'render_{index:04d}.png'), hr)
    photos = load_photographs()
    for name in progress(PHOTO_NAMES, len(PHOTO_NAMES), 'clean_hr/photo'):
        _write_png(os.path.join(out_dir, 'clean_hr', f'photo_{name}.png'), photos[name])
    _write_json(os.path.join(out_dir, 'camera_model.json'), camera.to_dict())

    summary.update(
        complete=True, seed=int(seed), scale=camera.scale, lr_size=[width, height],
        hr_size=list(hr_size),
        counts=dict(train=num_train, val=num_val, clean_renders=num_clean,
                    clean_photos=len(PHOTO_NAMES)),
        cities={split: list(cities) for split, cities in SPLIT_CITIES.items()},
        classes=list(CITYSCAPES_CLASSES), ignore_index=IGNORE_INDEX,
        class_pixel_frequency={split: _class_frequencies(h) for split, h in histograms.items()},
        images_with_class=images_with_class,
        photo_sizes={name: [int(p.shape[1]), int(p.shape[0])] for name, p in photos.items()})
    _write_json(os.path.join(out_dir, 'summary.json'), summary)
    log(f'Wrote the demo dataset to {out_dir}: {num_train} train + {num_val} val real LR '
        f'images {width}x{height} (HR {hr_size[0]}x{hr_size[1]}), {num_clean} clean renders '
        f'and {len(PHOTO_NAMES)} photographs')
    return dict(summary, reused=False)
