# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN: image-specific blur-kernel estimation with an internal GAN.

Section 3.2 of the SSG-RWSR paper builds its pool of blur kernels by running
KernelGAN (Bell-Kligler, Shocher and Irani, NeurIPS 2019) on each real LR image.
A deep *linear* generator learns to downscale the image by 2 so that a patch
discriminator cannot tell its output patches from patches of the image itself;
the product of the generator's layers is then the image's x2 blur kernel.

What this implementation does differently from the public code, and why:

* **The generator's forward is exactly its kernel.** The published release
  strided the first (7x7) layer but reported the kernel of the layers run at
  full resolution, so the kernel saved was not the operator trained (a later
  upstream commit moved the stride to the last 1x1 layer). Here the product
  kernel is computed differentiably from the layer weights at every step and
  applied as one convolution with stride 2. That is the same linear map (and
  so the same gradients w.r.t. the layer weights) as running the layers one by
  one at full resolution and then subsampling, at a fraction of the cost.
* **Kernels are true convolution kernels, centred.** A pool kernel ``k`` at
  scale ``s`` means ``LR = (HR conv k)[::s, ::s]`` up to a grid offset; its
  centre of mass is moved to the array centre. The published scale-dependent
  half-pixel ``kernel_shift`` is *not* applied: the degradation transform aligns
  kernels to the sampling grid. For the same reason the bicubic prior is the
  x2 bicubic (Keys, a=-0.5) anti-aliasing kernel sampled on the odd, centred
  grid, and the centralized loss aims at the array centre.
* **Several images at once.** Every network holds one set of weights per image,
  with per-image spectral norm and per-image BatchNorm statistics. The
  discriminator runs every layer as one batched matrix product over the
  images (its 7x7 layer on unfolded patches), the generator's product kernel
  is composed with batched matmuls and fold, and that kernel is applied as
  one grouped convolution (a single small layer); losses are summed over images, whose
  parameters are disjoint, and Adam is elementwise, so each image trains
  exactly as it would alone. The generator's step skips the
  discriminator's weight gradients, which it would only throw away.
* **The generator starts a little larger.** Xavier gain 0.3 instead of 0.1
  (see :class:`KernelGenerator`), and the bicubic phase waits until the
  kernel has grown (see :class:`KernelGANSchedule`): with the published start
  about one run in four took over 250 steps to grow a kernel at all, and one
  was still stuck at zero after 1200.
* **Colour** is handled as published: the generator downscales the channels
  as a batch with one kernel, and the discriminator sees all three channels.
  Grayscale images are replicated to three channels; alpha is dropped.

Determinism: every image draws its initial weights, crop positions and noise
from its own generators seeded by ``(seed, index of the image in the list)``,
so the same seed on the same machine gives identical kernels (on CUDA, cuDNN
is asked for deterministic algorithms during a run), and batched and
one-by-one runs start from the same weights and see the same crops and noise.
They are *not* bitwise equal, nor close: batched and single matrix products sum in
different orders, and Adam's first steps move every weight by about +-lr
whatever the size of its gradient, so where a gradient is rounding noise the
two runs step in different directions and then drift apart. The gradients
themselves agree to rounding (tested).

Quality, measured on small images (150-256 px LR photographs blurred with
known Gaussians): the estimate is a centred blob whose width hardly follows
the true blur (per-axis variances of about 1-3 px^2 whether the truth had
0.6 x 1.0 or 0.8 x 2.0 px sigmas), so it beats a bicubic guess on wide blurs
and loses to it on narrow ones, and its orientation is right only about half
the time. The public code, run on a few of the same inputs, behaved alike.
Check a pool (e.g. the spread of its kernel shapes) before training on it.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import ndimage

from .functional import kernel_center_of_mass

GENERATOR_KERNEL_SIZES = (7, 5, 3, 1, 1, 1)
# The x2 kernel is the composition of the generator's layers: 7+5+3-2 = 13.
KERNEL_SIZE_X2 = sum(GENERATOR_KERNEL_SIZES) - len(GENERATOR_KERNEL_SIZES) + 1
# The published x4 kernel: the full composition (3k-2 = 37) cropped by k//2 a side.
KERNEL_SIZE_X4 = 2 * KERNEL_SIZE_X2 - 1
IMAGE_CHANNELS = 3

# ---------------------------------------------------------------------------
# Kernel utilities (numpy, pure)
# ---------------------------------------------------------------------------


def _keys_cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution function (the 'bicubic' of MATLAB's imresize)."""
    x = np.abs(x)
    near = (a + 2) * x**3 - (a + 3) * x**2 + 1
    far = a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def bicubic_kernel(size: int = KERNEL_SIZE_X2, scale: int = 2) -> np.ndarray:
    """The bicubic anti-aliasing kernel of a x``scale`` downscale, centred.

    It is the cubic stretched by ``scale`` and sampled at integer offsets from
    the centre, so that, like the pool kernels, it is odd-sized and centred
    (MATLAB's even-sized version carries a half-pixel shift instead).

    Args:
        size (int): Odd side length of the returned array. Default: 13.
        scale (int): Downscaling factor. Default: 2.

    Returns:
        np.ndarray: ``(size, size)`` float32 kernel summing to 1.
    """
    if size % 2 == 0:
        raise ValueError(f'kernel size must be odd, got {size}')
    offsets = np.arange(size) - size // 2
    taps = _keys_cubic(offsets / scale)
    taps /= taps.sum()
    return np.outer(taps, taps).astype(np.float32)


def boundary_penalty_mask(size: int = KERNEL_SIZE_X2, penalty: float = 30.) -> np.ndarray:
    """Weights that penalise kernel mass far from the centre.

    The central ``(size - 4) x (size - 4)`` square is free; the two-pixel frame
    around it is weighted by ``penalty * (1 - g / g.max())``, ``g`` a broad
    Gaussian, so that the corners cost most.

    Args:
        size (int): Kernel side length. Default: 13.
        penalty (float): Weight scale of the frame. Default: 30.

    Returns:
        np.ndarray: ``(size, size)`` float32 mask.
    """
    offsets = np.arange(size) - (size - 1) / 2
    sq_radius = offsets[:, None]**2 + offsets[None, :]**2
    mask = penalty * (1 - np.exp(-sq_radius / (2 * size**2)))
    free = 2
    mask[free:size - free, free:size - free] = 0
    return mask.astype(np.float32)


def zero_negligible_values(kernel: np.ndarray, keep: int = 40, ratio: float = 0.75) -> np.ndarray:
    """Zero values that are small next to the kernel's ``keep`` largest ones.

    As published: subtract ``ratio`` times the ``(keep + 1)``-th largest value,
    clip at zero and renormalise. This removes the faint noise floor (and
    negative lobes) that the linear generator leaves over the whole support.

    Args:
        kernel (np.ndarray): 2-D kernel.
        keep (int): How many of the largest values to measure against. Default: 40.
        ratio (float): Fraction of the ``(keep + 1)``-th largest value subtracted.
            Default: 0.75.

    Returns:
        np.ndarray: Non-negative kernel summing to 1, same shape.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    values = np.sort(kernel.ravel())[::-1]
    floor = ratio * values[min(keep, values.size - 1)]
    kept = np.clip(kernel - floor, 0, None)
    if kept.sum() <= 0:
        raise ValueError('kernel has no positive mass left after zeroing negligible values')
    return kept / kept.sum()


def center_kernel(kernel: np.ndarray, tolerance: float = 0.05, max_rounds: int = 5) -> np.ndarray:
    """Shift a kernel so that its centre of mass is at the array centre.

    The shift is linear interpolation on a padded copy, which moves the centre
    of mass by exactly the shift and keeps the kernel non-negative; cropping
    back to the original size can cut a little mass off-centre, hence a few
    rounds.

    Args:
        kernel (np.ndarray): 2-D, odd-sized kernel with a positive sum.
        tolerance (float): Largest accepted distance (pixels) of the centre of
            mass from the centre, per axis. Default: 0.05.
        max_rounds (int): Maximum number of shift-and-crop rounds. Default: 5.

    Returns:
        np.ndarray: Kernel of the same shape, summing to 1.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    kernel = kernel / kernel.sum()
    target = (np.array(kernel.shape) - 1) / 2
    for _ in range(max_rounds):
        shift = target - np.array(kernel_center_of_mass(kernel))
        if np.all(np.abs(shift) <= tolerance):
            break
        pad = int(np.ceil(np.abs(shift).max())) + 1
        shifted = ndimage.shift(np.pad(kernel, pad), shift, order=1, mode='constant')
        kernel = shifted[pad:pad + kernel.shape[0], pad:pad + kernel.shape[1]]
        kernel = kernel / kernel.sum()
    return kernel


def compose_x4_kernel(kernel_x2: np.ndarray, size: Optional[int] = None) -> np.ndarray:
    """The x4 kernel of two successive "blur with ``k``, keep every 2nd pixel" steps.

    Blurring with ``k`` after subsampling by 2 equals blurring with ``k``
    dilated by 2 before it, so the two steps are one blur with
    ``k4 = k conv dilate2(k)`` followed by subsampling by 4. For a ``k x k``
    input the full result is ``(3k - 2) x (3k - 2)``.

    Args:
        kernel_x2 (np.ndarray): Square, odd-sized convolution kernel of one step.
        size (int, optional): Crop the result centrally to ``size x size`` (odd)
            and renormalise. None keeps the exact full composition. Default: None.

    Returns:
        np.ndarray: The x4 convolution kernel (float64).
    """
    kernel_x2 = np.asarray(kernel_x2, dtype=np.float64)
    k = kernel_x2.shape[0]
    full = np.zeros((3 * k - 2, 3 * k - 2))
    # k4[2i + j] += k[i] k[j]: each tap of the dilated copy places a scaled k.
    for r in range(k):
        for c in range(k):
            full[2 * r:2 * r + k, 2 * c:2 * c + k] += kernel_x2[r, c] * kernel_x2
    if size is None:
        return full
    if size % 2 == 0 or size > full.shape[0]:
        raise ValueError(f'crop size must be odd and at most {full.shape[0]}, got {size}')
    margin = (full.shape[0] - size) // 2
    cropped = full[margin:margin + size, margin:margin + size]
    return cropped / cropped.sum()


def postprocess_kernel(kernel_x2: np.ndarray, scale: int = 2, keep: int = 40) -> np.ndarray:
    """Turn the generator's raw x2 kernel into a pool kernel.

    Zero negligible values, centre, and for x4 compose the result with itself
    and crop it to ``2k - 1`` (as published), then centre again.

    Args:
        kernel_x2 (np.ndarray): Raw ``(k, k)`` convolution kernel of the generator.
        scale (int): 2 or 4. Default: 2.
        keep (int): See :func:`zero_negligible_values`. Default: 40.

    Returns:
        np.ndarray: float32, square, odd-sized, centred kernel summing to 1
        (13x13 for x2, 25x25 for x4 with the default generator).
    """
    if scale not in (2, 4):
        raise ValueError(f'scale must be 2 or 4, got {scale}')
    kernel = center_kernel(zero_negligible_values(kernel_x2, keep=keep))
    if scale == 4:
        kernel = center_kernel(compose_x4_kernel(kernel, size=2 * kernel.shape[0] - 1))
    kernel = kernel / kernel.sum()
    return kernel.astype(np.float32)


# ---------------------------------------------------------------------------
# Image preparation and gradient-weighted crop sampling
# ---------------------------------------------------------------------------


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
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] in (1, 3, 4):
        image = image[..., :3]
    elif image.ndim != 2:
        raise ValueError(f'{name}: expected an (H, W) or (H, W, C) image with C in '
                         f'{{1, 3, 4}}, got shape {image.shape}')
    height, width = image.shape[:2]
    if height < min_size or width < min_size:
        raise ValueError(f'{name}: size {height}x{width} is too small; KernelGAN needs at '
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


def sample_crop_corners(prob_map: np.ndarray, num: int, rng: np.random.Generator,
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


# ---------------------------------------------------------------------------
# Losses, per image: kernels (B, k, k) -> (B,)
# ---------------------------------------------------------------------------


def sum_to_one_loss(kernels: torch.Tensor) -> torch.Tensor:
    """``|1 - sum(k)|`` per kernel.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
    """
    return (1 - kernels.sum(dim=(1, 2))).abs()


def boundaries_loss(kernels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``|k| * mask``: mass far from the centre costs.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
        mask (torch.Tensor): ``(k, k)``, see :func:`boundary_penalty_mask`.
    """
    return (kernels * mask).abs().mean(dim=(1, 2))


def centralized_loss(kernels: torch.Tensor) -> torch.Tensor:
    """Squared distance of the centre of mass from the array centre, per axis mean.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
    """
    size = kernels.shape[-1]
    idx = torch.arange(size, dtype=kernels.dtype, device=kernels.device)
    total = kernels.sum(dim=(1, 2))
    row = (kernels.sum(dim=2) * idx).sum(dim=1) / total
    col = (kernels.sum(dim=1) * idx).sum(dim=1) / total
    centre = (size - 1) / 2
    return ((row - centre)**2 + (col - centre)**2) / 2


def sparsity_loss(kernels: torch.Tensor, power: float = 0.2) -> torch.Tensor:
    """Mean of ``|k| ** power``: a power below 1 favours few non-zero taps.

    Args:
        kernels (torch.Tensor): ``(B, k, k)``.
        power (float): Default: 0.2.
    """
    # The epsilon keeps the gradient finite at exact zeros (|x|^0.2 has slope inf there).
    return (kernels.abs() + 1e-12).pow(power).mean(dim=(1, 2))


def bicubic_loss(g_input: torch.Tensor, g_output: torch.Tensor,
                 bicubic: torch.Tensor) -> torch.Tensor:
    """MSE between the generator's output and a bicubic x2 downscale of its input.

    Args:
        g_input (torch.Tensor): ``(B, ..., H, W)`` generator input.
        g_output (torch.Tensor): ``(B, ..., h, w)`` generator output.
        bicubic (torch.Tensor): ``(k, k)`` kernel of the same size as the
            generator's, so that both outputs lie on the same grid.
    """
    weight = bicubic.flip(0, 1)[None, None]  # conv2d correlates; flip to convolve
    reference = F.conv2d(g_input.reshape(-1, 1, *g_input.shape[-2:]), weight, stride=2)
    reference = reference.reshape(g_output.shape)
    return ((g_output - reference)**2).flatten(1).mean(dim=1)


def lsgan_loss(prediction: torch.Tensor, target_is_real: bool) -> torch.Tensor:
    """Least-squares GAN loss per image.

    Args:
        prediction (torch.Tensor): ``(B, ...)`` discriminator map.
        target_is_real (bool): Compare with 1 (real) or 0 (fake).
    """
    target = 1.0 if target_is_real else 0.0
    return ((prediction - target)**2).flatten(1).mean(dim=1)


# ---------------------------------------------------------------------------
# Networks holding one set of weights per image
# ---------------------------------------------------------------------------


def _xavier_normal(shape: Sequence[int], gain: float, generator: torch.Generator) -> torch.Tensor:
    """Xavier-normal weights of one conv layer, drawn from ``generator``."""
    out_ch, in_ch, kh, kw = shape
    std = gain * math.sqrt(2.0 / ((in_ch + out_ch) * kh * kw))
    return torch.randn(shape, generator=generator) * std


class KernelGenerator(nn.Module):
    """Deep linear generator, one per image: blur with its kernel, subsample by 2.

    The layers (``kernel_sizes``, ``channels`` wide, no bias, no activation)
    are never run on images: their product kernel is computed from the weights
    (a unit impulse pushed backwards through the layers, i.e. transposed
    convolutions, which is cheap and differentiable) and applied as one
    stride-2 convolution. :meth:`forward_layer_by_layer` runs the layers the
    long way, for reference.

    Args:
        num_images (int): How many independent generators to hold.
        channels (int): Width of the hidden layers. Default: 64.
        kernel_sizes (Sequence[int]): Layer kernel sizes. Default: (7, 5, 3, 1, 1, 1).
        generators (list[torch.Generator], optional): One per image, for the
            initial weights. Default: None (global RNG).
        init_gain (float): Xavier gain of every layer. The published 0.1
            gives a ~1e-7 product kernel: a deep linear net that small sits
            near its all-zero saddle, and took 50 to over 600 steps to grow a
            kernel (1 run in 4 over 250; one never, its gradients having
            fallen below Adam's eps). With 0.3 every one of 33 measured runs
            grew it within 75 steps, and the estimates were as close to the
            true kernels. Default: 0.3.
    """

    def __init__(self,
                 num_images: int,
                 channels: int = 64,
                 kernel_sizes: Sequence[int] = GENERATOR_KERNEL_SIZES,
                 generators: Optional[List[torch.Generator]] = None,
                 init_gain: float = 0.3):
        super().__init__()
        self.num_images = num_images
        self.kernel_size = sum(kernel_sizes) - len(kernel_sizes) + 1
        widths = [1] + [channels] * (len(kernel_sizes) - 1) + [1]
        if generators is None:
            generators = [torch.default_generator] * num_images
        self.weights = nn.ParameterList()
        for layer, size in enumerate(kernel_sizes):
            shape = (widths[layer + 1], widths[layer], size, size)
            # Stacked per image along the output channels: image b owns rows [b*out, (b+1)*out).
            per_image = [_xavier_normal(shape, init_gain, g) for g in generators]
            self.weights.append(nn.Parameter(torch.cat(per_image, dim=0)))

    def correlation_kernel(self) -> torch.Tensor:
        """``(B, k, k)`` kernel ``w`` with ``F.conv2d(x, w) == layers(x)``."""
        batch = self.num_images
        footprint = self.weights[-1].new_ones(batch, 1, 1, 1)
        # The adjoint of the layer chain maps an output impulse to its input
        # footprint; starting from the 1x1 end keeps every map tiny. Each
        # adjoint (a transposed convolution) is a per-image matrix product
        # followed by an overlap-add (fold): one batched matmul for all
        # images, where grouped transposed convolutions run image by image.
        for weight in reversed(self.weights):
            out_ch, in_ch, size = weight.shape[0] // batch, weight.shape[1], weight.shape[-1]
            height, width = footprint.shape[-2:]
            # (x^T W)^T rather than W^T x: the weight's gradient then comes out
            # in the weight's own layout, with no transposed copy.
            columns = torch.bmm(
                footprint.reshape(batch, out_ch, height * width).transpose(1, 2),
                weight.view(batch, out_ch, in_ch * size * size)).transpose(1, 2)
            footprint = F.fold(columns, (height + size - 1, width + size - 1), size)
        return footprint[:, 0]

    def kernel(self) -> torch.Tensor:
        """``(B, k, k)`` true convolution kernel of each generator."""
        return self.correlation_kernel().flip(-2, -1)

    def forward(self, images: torch.Tensor, kernel: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Downscale ``(B, C, H, W)`` crops to ``(B, C, (H-k)//2+1, (W-k)//2+1)``.

        Args:
            images (torch.Tensor): Generator ``b`` downscales ``images[b]``.
            kernel (torch.Tensor, optional): Precomputed :meth:`correlation_kernel`.
        """
        if kernel is None:
            kernel = self.correlation_kernel()
        # Channels as a batch: one kernel for all colour channels of an image.
        x = images.transpose(0, 1)
        out = F.conv2d(x, kernel[:, None], stride=2, groups=self.num_images)
        return out.transpose(0, 1)

    def forward_layer_by_layer(self, images: torch.Tensor) -> torch.Tensor:
        """Reference: every layer at full resolution, then keep every 2nd pixel."""
        x = images.transpose(0, 1)
        for weight in self.weights:
            x = F.conv2d(x, weight, groups=self.num_images)
        return x[..., ::2, ::2].transpose(0, 1)


class GroupedSpectralNormConv2d(nn.Module):
    """``num_groups`` independent convolutions, each spectrally normalised.

    Like ``torch.nn.utils.spectral_norm``: one power iteration per training
    forward, ``u`` and ``v`` kept as buffers, no gradient through them. Not a
    drop-in ``Conv2d``: :meth:`forward` takes unfolded input (``F.unfold``
    columns, or the feature maps as they are for 1x1 kernels) and computes
    all groups in one batched matmul.

    Args:
        num_groups (int): Number of independent convolutions (images).
        in_channels (int): Input channels of each.
        out_channels (int): Output channels of each.
        kernel_size (int): Square kernel size.
        generators (list[torch.Generator]): One per group, for initialisation.
        init_gain (float): Xavier gain. Default: 0.1.
    """

    def __init__(self, num_groups: int, in_channels: int, out_channels: int, kernel_size: int,
                 generators: List[torch.Generator], init_gain: float = 0.1):
        super().__init__()
        self.num_groups = num_groups
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = nn.Parameter(
            torch.cat([_xavier_normal(shape, init_gain, g) for g in generators]))
        self.bias = nn.Parameter(torch.zeros(num_groups * out_channels))
        fan_in = in_channels * kernel_size * kernel_size
        self.register_buffer('u', F.normalize(
            torch.stack([torch.randn(out_channels, generator=g) for g in generators]), dim=1))
        self.register_buffer('v', F.normalize(
            torch.stack([torch.randn(fan_in, generator=g) for g in generators]), dim=1))

    def normalized_weight(self) -> torch.Tensor:
        """The weight divided, per group, by its estimated largest singular value."""
        matrices = self.weight.view(self.num_groups, self.u.shape[1], -1)
        if self.training:
            with torch.no_grad():
                v = F.normalize(torch.einsum('goi,go->gi', matrices, self.u), dim=1)
                u = F.normalize(torch.einsum('goi,gi->go', matrices, v), dim=1)
                self.u.copy_(u)
                self.v.copy_(v)
        # Clones: a later forward updates the buffers in place while this
        # graph still needs them for backward.
        sigma = torch.einsum('go,goi,gi->g', self.u.clone(), matrices, self.v.clone())
        return self.weight / sigma.repeat_interleave(self.u.shape[1])[:, None, None, None]

    def forward(self, columns: torch.Tensor) -> torch.Tensor:
        """The convolutions as one batched matmul on unfolded input.

        Args:
            columns (torch.Tensor): ``(G, in_channels * k * k, L)``, e.g. from
                ``F.unfold`` (for 1x1 convolutions, the feature maps as they are).

        Returns:
            torch.Tensor: ``(G, out_channels, L)``.
        """
        weight = self.normalized_weight().view(self.num_groups, -1, columns.shape[1])
        return torch.baddbmm(self.bias.view(self.num_groups, -1, 1), weight, columns)


class PatchDiscriminator(nn.Module):
    """Fully convolutional patch discriminator, one per image.

    A 7x7 spectral-norm conv (receptive field of one output pixel), then 1x1
    spectral-norm convs with BatchNorm and ReLU, then a 1x1 conv and a
    sigmoid: ``num_layers`` convs in all. BatchNorm statistics are per image
    (each image owns its channels) and always from the current batch.

    Args:
        num_images (int): How many independent discriminators to hold.
        in_channels (int): Image channels. Default: 3.
        channels (int): Hidden width. Default: 64.
        num_layers (int): Convolutions in all. Default: 7.
        first_kernel_size (int): Kernel of the first conv. Default: 7.
        generators (list[torch.Generator], optional): One per image. Default: None.
    """

    def __init__(self,
                 num_images: int,
                 in_channels: int = IMAGE_CHANNELS,
                 channels: int = 64,
                 num_layers: int = 7,
                 first_kernel_size: int = 7,
                 generators: Optional[List[torch.Generator]] = None):
        super().__init__()
        if generators is None:
            generators = [torch.default_generator] * num_images
        self.num_images = num_images
        self.first = GroupedSpectralNormConv2d(num_images, in_channels, channels, first_kernel_size,
                                               generators)
        self.hidden = nn.ModuleList(
            GroupedSpectralNormConv2d(num_images, channels, channels, 1, generators)
            for _ in range(num_layers - 2))
        self.bn_weights = nn.ParameterList(
            nn.Parameter(
                torch.cat([1 + 0.02 * torch.randn(channels, generator=g) for g in generators]))
            for _ in range(num_layers - 2))
        self.bn_biases = nn.ParameterList(
            nn.Parameter(torch.zeros(num_images * channels)) for _ in range(num_layers - 2))
        self.last = GroupedSpectralNormConv2d(num_images, channels, 1, 1, generators)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, H - 6, W - 6)`` probabilities of being real."""
        batch, channels, height, width = images.shape
        size = self.first.weight.shape[-1]
        out_h, out_w = height - size + 1, width - size + 1
        # Every layer is a per-image matrix product over channels: the first on
        # the unfolded 7x7 patches, the others (1x1) on the feature maps. One
        # batched matmul per layer beats grouped convolutions, which PyTorch's
        # CPU backend runs (and differentiates) group by group.
        x = F.unfold(images, size)  # (B, C*7*7, L), ordered like the weight's (C, kh, kw)
        x = self.first(x)
        for conv, weight, bias in zip(self.hidden, self.bn_weights, self.bn_biases):
            # BatchNorm of a batch of one crop normalises each channel over its
            # pixels; group_norm with one group per channel computes exactly
            # that (same biased variance, same eps), about 2x faster on CPU.
            x = conv(x).view(1, -1, x.shape[-1])
            x = F.relu(F.group_norm(x, x.shape[1], weight, bias, eps=1e-5), inplace=True)
            x = x.view(batch, -1, x.shape[-1])
        return torch.sigmoid(self.last(x)).view(batch, out_h, out_w)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


@dataclass
class KernelGANSchedule:
    """The published learning-rate and constraint schedule.

    The bicubic prior (weight ``lambda_bicubic``) holds the kernel near bicubic
    until the generator's output is within ``bicubic_threshold`` MSE of a
    bicubic downscale for three steps in a row; from then on, every
    ``lambda_update_every`` steps, its weight is divided by ``bicubic_decay``,
    and once it falls below ``constraints_on_below`` the centralized and sparse
    losses are switched on. Both learning rates are divided by ``lr_decay``
    every ``lr_decay_every`` steps.

    One change: a step only counts as "similar to bicubic" once the kernel
    sums to within ``started_tolerance`` of 1. A generator that has not grown
    a kernel yet has a near-zero output, which is already within the
    published MSE threshold of a bicubic downscale of most images; such
    generators lost the bicubic prior at step 200, and from step 400 the
    sparsity loss held their kernel at zero for good (measured with the
    published initialisation, see :class:`KernelGenerator`).
    """
    lr: float = 2e-4
    beta1: float = 0.5
    lr_decay_every: int = 750
    lr_decay: float = 10.
    lambda_sum_to_one: float = 0.5
    lambda_bicubic: float = 5.
    lambda_boundaries: float = 0.5
    lambda_centralized: float = 1.
    lambda_sparse: float = 5.
    bicubic_threshold: float = 0.4
    bicubic_steps_below: int = 3
    lambda_update_every: int = 200
    bicubic_decay: float = 100.
    lambda_bicubic_min: float = 5e-6
    constraints_on_below: float = 5e-3
    started_tolerance: float = 0.1


@dataclass
class KernelGANResult:
    """What one image's run leaves behind.

    Attributes:
        kernel (np.ndarray): Post-processed pool kernel (float32).
        raw_kernel_x2 (np.ndarray): The generator's x2 convolution kernel
            before post-processing (float32).
        losses (dict): Losses of the last step.
    """
    kernel: np.ndarray
    raw_kernel_x2: np.ndarray
    losses: Dict[str, float] = field(default_factory=dict)


def image_generators(seed: int, index: int, device: torch.device):
    """Per-image sources of randomness derived from ``(seed, index)``.

    Returns:
        tuple: ``(numpy Generator for the generator's crops, numpy Generator
        for the discriminator's crops, torch CPU Generator for the weights,
        torch Generator on ``device`` for the noise)``. Separate streams make
        a short run the exact prefix of a longer one.
    """
    seeds = np.random.SeedSequence([seed, index]).generate_state(4)
    g_crops = np.random.default_rng(int(seeds[0]))
    d_crops = np.random.default_rng(int(seeds[1]))
    weights = torch.Generator().manual_seed(int(seeds[2]))
    noise = torch.Generator(device=device).manual_seed(int(seeds[3]))
    return g_crops, d_crops, weights, noise


class KernelGAN:
    """Trains one generator/discriminator pair per image, all images at once.

    Args:
        images (list[np.ndarray]): Images as accepted by :func:`prepare_image`.
        indices (list[int], optional): Global index of each image, for its seeds.
            Default: ``range(len(images))``.
        iters (int): Training steps. Default: 3000.
        crop (int): Generator crop; the discriminator's real crops are
            ``crop // 2``. Default: 64.
        seed (int): Default: 0.
        device (str | torch.device): Default: 'cpu'.
        schedule (KernelGANSchedule, optional): Default: the published one.
    """

    def __init__(self,
                 images: Sequence[np.ndarray],
                 indices: Optional[Sequence[int]] = None,
                 iters: int = 3000,
                 crop: int = 64,
                 seed: int = 0,
                 device='cpu',
                 schedule: Optional[KernelGANSchedule] = None):
        if crop < KERNEL_SIZE_X2 + 14 or crop % 2:
            raise ValueError(f'crop must be even and at least {KERNEL_SIZE_X2 + 14}, got {crop}')
        self.device = torch.device(device)
        self.iters = iters
        self.crop = crop
        self.schedule = schedule or KernelGANSchedule()
        indices = list(range(len(images))) if indices is None else list(indices)
        num_images = len(images)
        prepared = [prepare_image(im, crop, name=f'image {i}') for im, i in zip(images, indices)]
        g_rngs, d_rngs, weight_gens, self.noise_gens = zip(
            *(image_generators(seed, i, self.device) for i in indices))

        self.images = [torch.from_numpy(im).to(self.device) for im in prepared]
        # Crop corners for every step, drawn up front from gradient-weighted maps.
        self.g_corners, self.d_corners = [], []
        for im, g_rng, d_rng in zip(prepared, g_rngs, d_rngs):
            g_prob, d_prob = crop_probability_map(im, crop), crop_probability_map(im, crop // 2)
            self.g_corners.append(sample_crop_corners(g_prob, iters, g_rng, even=True))
            self.d_corners.append(sample_crop_corners(d_prob, iters, d_rng))

        weight_gens = list(weight_gens)
        self.generator = KernelGenerator(num_images, generators=weight_gens).to(self.device)
        self.discriminator = PatchDiscriminator(num_images, generators=weight_gens).to(self.device)
        s = self.schedule
        betas = (s.beta1, 0.999)
        # One fused kernel per step instead of a dozen elementwise passes per tensor.
        fused = self.device.type in ('cpu', 'cuda') or None
        self.opt_g = torch.optim.Adam(
            self.generator.parameters(), lr=s.lr, betas=betas, fused=fused)
        self.opt_d = torch.optim.Adam(
            self.discriminator.parameters(), lr=s.lr, betas=betas, fused=fused)

        size = self.generator.kernel_size
        self.bicubic = torch.from_numpy(bicubic_kernel(size)).to(self.device)
        self.boundary_mask = torch.from_numpy(boundary_penalty_mask(size)).to(self.device)
        # Per-image constraint weights and schedule state, kept on the device
        # so that the schedule never forces a host sync.
        ones = torch.ones(num_images, device=self.device)
        self.lambda_bicubic = ones * s.lambda_bicubic
        self.lambda_centralized = ones * 0
        self.lambda_sparse = ones * 0
        self.steps_below = torch.zeros(num_images, dtype=torch.long, device=self.device)
        self.similar_to_bicubic = torch.zeros(num_images, dtype=torch.bool, device=self.device)
        self.constraints_on = torch.zeros(num_images, dtype=torch.bool, device=self.device)
        self.last_losses: Dict[str, torch.Tensor] = {}

    def _crops(self, corners: List[np.ndarray], size: int, step: int) -> torch.Tensor:
        """``(B, C, size, size)``: each image's crop of step ``step``."""
        return torch.stack([
            im[:, top:top + size, left:left + size]
            for im, (top, left) in zip(self.images, (c[step] for c in corners))
        ])

    def _noise(self, like: torch.Tensor) -> torch.Tensor:
        """Per-image noise of 1/255 std (on the [-1, 1] scale), from each image's generator."""
        return torch.stack([
            torch.randn(like.shape[1:], generator=g, device=like.device, dtype=like.dtype)
            for g in self.noise_gens
        ]) / 255

    def crops(self, step: int):
        """The generator's crops and the discriminator's real crops for ``step``."""
        return (self._crops(self.g_corners, self.crop, step),
                self._crops(self.d_corners, self.crop // 2, step))

    def generator_losses(self, g_input: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Per-image generator losses, ``'total'`` included (each ``(B,)``)."""
        s = self.schedule
        corr_kernel = self.generator.correlation_kernel()
        g_output = self.generator(g_input, corr_kernel)
        kernels = corr_kernel.flip(-2, -1)
        losses = dict(
            adversarial=lsgan_loss(self.discriminator(g_output), True),
            bicubic=bicubic_loss(g_input, g_output, self.bicubic),
            sum_to_one=sum_to_one_loss(kernels),
            boundaries=boundaries_loss(kernels, self.boundary_mask),
            centralized=centralized_loss(kernels),
            sparse=sparsity_loss(kernels))
        losses['total'] = (
            losses['adversarial'] + self.lambda_bicubic * losses['bicubic'] +
            s.lambda_sum_to_one * losses['sum_to_one'] +
            s.lambda_boundaries * losses['boundaries'] +
            self.lambda_centralized * losses['centralized'] + self.lambda_sparse * losses['sparse'])
        return losses

    def discriminator_loss(self, g_input: torch.Tensor, d_real: torch.Tensor) -> torch.Tensor:
        """Per-image LSGAN loss of the discriminator, ``(B,)``."""
        with torch.no_grad():
            fake = self.generator(g_input)
        fake_loss = lsgan_loss(self.discriminator(fake + self._noise(fake)), False)
        real_loss = lsgan_loss(self.discriminator(d_real + self._noise(d_real)), True)
        return 0.5 * (fake_loss + real_loss)

    def train_step(self, step: int) -> None:
        """One generator update, one discriminator update, one schedule update."""
        g_input, d_real = self.crops(step)

        # Generator: fool D, within the kernel constraints. Parameters are
        # disjoint per image, so the sum trains each image as if alone.
        self.opt_g.zero_grad(set_to_none=True)
        # D's weight gradients would be thrown away: skip computing them.
        self.discriminator.requires_grad_(False)
        try:
            g_losses = self.generator_losses(g_input)
            g_losses['total'].sum().backward()
        finally:
            self.discriminator.requires_grad_(True)
        self.opt_g.step()

        # Discriminator: real crops vs the updated generator's output.
        self.opt_d.zero_grad(set_to_none=True)
        d_loss = self.discriminator_loss(g_input, d_real)
        d_loss.sum().backward()
        self.opt_d.step()

        self._update_schedule(step, g_losses['bicubic'].detach(),
                              g_losses['sum_to_one'].detach())
        self.last_losses = dict(g_losses, d=d_loss)
        self.last_losses['g_total'] = self.last_losses.pop('total')

    def _update_schedule(self, step: int, bicubic: torch.Tensor, sum_error: torch.Tensor) -> None:
        """The published learner, per image, after step ``step`` (0-based).

        Args:
            step (int): The step just taken.
            bicubic (torch.Tensor): ``(B,)`` bicubic loss of that step.
            sum_error (torch.Tensor): ``(B,)`` ``|1 - sum(kernel)|`` of that step.
        """
        s = self.schedule
        if step == 0:
            return
        if step % s.lr_decay_every == 0:
            for opt in (self.opt_g, self.opt_d):
                for group in opt.param_groups:
                    group['lr'] /= s.lr_decay
        # Images already similar to bicubic decay their prior on schedule ...
        if step % s.lambda_update_every == 0:
            decaying = self.similar_to_bicubic & (self.lambda_bicubic > s.lambda_bicubic_min)
            decayed = torch.clamp(self.lambda_bicubic / s.bicubic_decay, min=s.lambda_bicubic_min)
            self.lambda_bicubic = torch.where(decaying, decayed, self.lambda_bicubic)
            switch_on = (decaying & ~self.constraints_on &
                         (self.lambda_bicubic < s.constraints_on_below))
            self.lambda_centralized = torch.where(switch_on, s.lambda_centralized,
                                                  self.lambda_centralized)
            self.lambda_sparse = torch.where(switch_on, s.lambda_sparse, self.lambda_sparse)
            self.constraints_on |= switch_on
        # ... the others count steps in a row within the bicubic threshold.
        below = (bicubic < s.bicubic_threshold) & (sum_error < s.started_tolerance)
        self.steps_below = torch.where(below, self.steps_below + 1, 0)
        self.similar_to_bicubic |= self.steps_below >= s.bicubic_steps_below

    def raw_kernels(self) -> np.ndarray:
        """``(B, k, k)`` current x2 convolution kernels, before post-processing."""
        with torch.no_grad():
            return self.generator.kernel().cpu().numpy()

    def run(self, progress: bool = False, desc: str = 'KernelGAN') -> None:
        """Train for ``iters`` steps, optionally with a tqdm bar."""
        steps = range(self.iters)
        if progress:
            from tqdm import tqdm
            steps = tqdm(steps, desc=desc, leave=False, dynamic_ncols=True)
        for step in steps:
            self.train_step(step)

    def results(self, scale: int = 2) -> List[KernelGANResult]:
        """Post-processed kernels and last losses, one per image."""
        raw = self.raw_kernels()
        losses = {k: v.detach().cpu().numpy() for k, v in self.last_losses.items()}
        return [
            KernelGANResult(
                kernel=postprocess_kernel(k, scale=scale),
                raw_kernel_x2=k.astype(np.float32),
                losses={name: float(values[i]) for name, values in losses.items()})
            for i, k in enumerate(raw)
        ]


def run_kernelgan(images: Sequence[np.ndarray],
                  scale: int = 2,
                  iters: int = 3000,
                  device='cpu',
                  seed: int = 0,
                  batch_size: int = 1,
                  crop: int = 64,
                  progress: bool = False,
                  schedule: Optional[KernelGANSchedule] = None,
                  first_index: int = 0) -> List[KernelGANResult]:
    """Estimate one kernel per image, ``batch_size`` images at a time.

    Args:
        images (list[np.ndarray]): ``(H, W)`` or ``(H, W, C)`` images, at least
            ``crop`` pixels a side; see :func:`prepare_image`.
        scale (int): 2 or 4. Default: 2.
        iters (int): Training steps per image. Default: 3000.
        device (str | torch.device): Default: 'cpu'.
        seed (int): Image ``i`` is seeded by ``(seed, i)`` whatever the batch
            size. Default: 0.
        batch_size (int): Images trained together. Default: 1.
        crop (int): Generator crop size. Default: 64.
        progress (bool): Show a tqdm bar per batch. Default: False.
        schedule (KernelGANSchedule, optional): Default: the published one.
        first_index (int): Index of ``images[0]`` in a longer list, for its
            seeds, when a caller feeds a long list piece by piece. Default: 0.

    Returns:
        list[KernelGANResult]: One per image, in order.
    """
    if scale not in (2, 4):
        raise ValueError(f'scale must be 2 or 4, got {scale}')
    if batch_size < 1 or iters < 1:
        raise ValueError(f'batch_size and iters must be positive, got {batch_size} and {iters}')
    # Validate everything before spending minutes on the first batch.
    for i, image in enumerate(images):
        prepare_image(image, crop, name=f'image {first_index + i}')
    results = []
    with _deterministic_cudnn():
        for start in range(0, len(images), batch_size):
            chunk = list(images[start:start + batch_size])
            first = first_index + start
            gan = KernelGAN(chunk, indices=range(first, first + len(chunk)), iters=iters, crop=crop,
                            seed=seed, device=device, schedule=schedule)
            gan.run(progress=progress, desc=f'images {first + 1}-{first + len(chunk)}')
            results.extend(gan.results(scale))
    return results


def estimate_kernels(images: Sequence[np.ndarray],
                     scale: int = 2,
                     iters: int = 3000,
                     device='cpu',
                     seed: int = 0,
                     batch_size: int = 1,
                     crop: int = 64,
                     progress: bool = False) -> List[np.ndarray]:
    """Estimate one blur kernel per image with KernelGAN.

    Args:
        images (list[np.ndarray]): ``(H, W)`` or ``(H, W, C)`` images (uint8,
            uint16 or float in [0, 1]), at least ``crop`` pixels a side.
        scale (int): 2 or 4. Default: 2.
        iters (int): Training steps per image. Default: 3000.
        device (str | torch.device): Default: 'cpu'.
        seed (int): Default: 0.
        batch_size (int): Images trained together on the device. Default: 1.
        crop (int): Generator crop size. Default: 64.
        progress (bool): Show a tqdm bar. Default: False.

    Returns:
        list[np.ndarray]: float32, square, odd-sized (13 for x2, 25 for x4),
        centred convolution kernels summing to 1, one per image.
    """
    results = run_kernelgan(images, scale=scale, iters=iters, device=device, seed=seed,
                            batch_size=batch_size, crop=crop, progress=progress)
    return [r.kernel for r in results]


class _deterministic_cudnn:
    """Ask cuDNN for deterministic algorithms during a run, then restore."""

    def __enter__(self):
        self.saved = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False

    def __exit__(self, *exc):
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = self.saved
