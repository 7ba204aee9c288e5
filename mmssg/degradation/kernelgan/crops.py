# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN inputs: image preparation and gradient-weighted crop sampling."""
import numpy as np
from scipy import ndimage

from ..functional import drop_alpha

IMAGE_CHANNELS = 3


def prepare_image(image: np.ndarray, min_size: int = 64, name: str = 'image') -> np.ndarray:
    """Validate an image and bring it to ``(3, H, W)`` float32 in [-1, 1].

    Args:
        image (np.ndarray): ``(H, W)`` or ``(H, W, C)`` with C in {1, 3, 4}
            (alpha dropped); uint8, uint16, or float in [0, 1].
        min_size (int): Smallest accepted height and width (the generator's
            crop). Default: 64.
        name (str): How to name the image in error messages. Default: 'image'.

    Returns:
        np.ndarray: ``(3, H', W')`` float32, H' and W' cut down to even sizes so
        that the image tiles the x2 grid.
    """
    image = drop_alpha(image, name)
    height, width = image.shape[:2]
    if height < min_size or width < min_size:
        raise ValueError(f'{name}: size {width}x{height} is too small; KernelGAN needs at '
                         f'least {min_size}x{min_size} pixels (the generator crop)')
    if image.dtype == np.uint8:
        image = image.astype(np.float32) / 255
    elif image.dtype == np.uint16:
        image = image.astype(np.float32) / 65535
    else:
        image = image.astype(np.float32)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] == 1:
        image = np.repeat(image, IMAGE_CHANNELS, axis=2)
    image = image[:height - height % 2, :width - width % 2]
    return np.ascontiguousarray(image.transpose(2, 0, 1) * 2 - 1)


def crop_probability_map(image: np.ndarray, crop: int, quantile: float = 0.97) -> np.ndarray:
    """Probability of each top-left corner for a ``crop x crop`` crop.

    As published, crops are drawn where the image has strong edges: a pixel
    counts when its gradient magnitude is in the top ``1 - quantile``, and a
    crop is weighted by how many such pixels fall in its central half. Flat
    crops carry little information about the kernel, and on small images they
    make the estimate drift.

    Args:
        image (np.ndarray): ``(C, H, W)`` or ``(H, W)`` image.
        crop (int): Crop side length.
        quantile (float): Gradient-magnitude quantile that counts as an edge.
            Default: 0.97.

    Returns:
        np.ndarray: ``(H - crop + 1, W - crop + 1)`` float64, summing to 1.
    """
    gray = image.mean(axis=0) if image.ndim == 3 else image
    grad_rows, grad_cols = np.gradient(gray.astype(np.float64))
    magnitude = np.hypot(grad_rows, grad_cols)
    threshold = np.quantile(magnitude, quantile)
    # Fewer edges than the quantile assumes: count every non-flat pixel instead.
    strong = (magnitude >= threshold) if threshold > 0 else (magnitude > 0)
    strong = strong.astype(np.float64)
    window = max(crop // 2, 1)
    density = ndimage.uniform_filter(strong, size=window, mode='constant')
    height, width = gray.shape
    # Density at the centre of each admissible crop, indexed by its top-left corner.
    centre = crop // 2
    prob = density[centre:centre + height - crop + 1, centre:centre + width - crop + 1]
    prob = prob + 1e-12  # keep every crop possible, e.g. on a constant image
    return prob / prob.sum()


def sample_crop_corners(prob_map: np.ndarray,
                        num: int,
                        rng: np.random.Generator,
                        even: bool = False) -> np.ndarray:
    """Draw ``num`` top-left corners from a crop probability map.

    Args:
        prob_map (np.ndarray): Output of :func:`crop_probability_map`.
        num (int): How many corners.
        rng (np.random.Generator): Source of randomness.
        even (bool): Round corners down to even coordinates, so that the
            generator's stride-2 grid stays in phase with the image. Default: False.

    Returns:
        np.ndarray: ``(num, 2)`` int64 (row, col).
    """
    flat = rng.choice(prob_map.size, size=num, p=prob_map.ravel())
    corners = np.stack(np.unravel_index(flat, prob_map.shape), axis=1).astype(np.int64)
    if even:
        corners -= corners % 2
    return corners
