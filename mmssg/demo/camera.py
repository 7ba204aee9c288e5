# Copyright (c) mmssg contributors. All rights reserved.
"""The hidden camera that turns the demo's clean HR renders into *real LR* images.

The camera deliberately shares no code with :mod:`mmssg.degradation`: it is the ground truth
that the noise collection, the kernel estimation and the degradation pipeline are tested
against, so a mistake in those must not be repeated here and cancel out. Its conventions
differ on purpose too: an even-sized kernel centred between taps, angles in degrees as seen on
screen, sampling by direct summation at the LR block centres.
"""
import dataclasses
import math

import cv2
import numpy as np


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
      ``scale*i + scale//2`` (:func:`camera_label_downsample`), half an HR pixel from that
      centre.
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


def camera_blur_kernel(sigma_major, sigma_minor, angle_deg, size):
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
    return camera_blur_kernel(camera.blur_sigma_major, camera.blur_sigma_minor,
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


def camera_label_downsample(labels, scale):
    """Nearest-neighbour label down-sampling: LR ``(i, j)`` takes HR ``(s*i + s//2, ...)``.

    Args:
        labels (np.ndarray): ``(H, W)`` label map.
        scale (int): Down-sampling factor.
    """
    lr_h, lr_w = labels.shape[0] // scale, labels.shape[1] // scale
    return np.ascontiguousarray(labels[scale // 2::scale, scale // 2::scale][:lr_h, :lr_w])
