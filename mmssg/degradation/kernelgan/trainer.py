# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN training: the schedule, the per-image trainer and the estimation entry points."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .crops import crop_probability_map, prepare_image, sample_crop_corners
from .kernels import KERNEL_SIZE_X2, bicubic_kernel, boundary_penalty_mask, postprocess_kernel
from .losses import (bicubic_loss, boundaries_loss, centralized_loss, gan_loss, sparsity_loss,
                     sum_to_one_loss)
from .networks import KernelGenerator, PatchDiscriminator


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
        g_rngs, d_rngs, weight_gens, self.noise_gens = zip(*(image_generators(seed, i, self.device)
                                                             for i in indices))

        self.images = [torch.from_numpy(im).to(self.device) for im in prepared]
        self._draw_crop_corners(prepared, g_rngs, d_rngs)
        self._build_networks(list(weight_gens))
        self._init_constraints(num_images)
        self.last_losses: Dict[str, torch.Tensor] = {}

    def _draw_crop_corners(self, prepared: List[np.ndarray], g_rngs, d_rngs) -> None:
        """Crop corners for every step, drawn up front from gradient-weighted maps."""
        self.g_corners, self.d_corners = [], []
        for im, g_rng, d_rng in zip(prepared, g_rngs, d_rngs):
            g_prob = crop_probability_map(im, self.crop)
            d_prob = crop_probability_map(im, self.crop // 2)
            self.g_corners.append(sample_crop_corners(g_prob, self.iters, g_rng, even=True))
            self.d_corners.append(sample_crop_corners(d_prob, self.iters, d_rng))

    def _build_networks(self, weight_gens: List[torch.Generator]) -> None:
        """Generator, discriminator (weights from each image's generator) and their Adams."""
        num_images = len(weight_gens)
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

    def _init_constraints(self, num_images: int) -> None:
        """The bicubic prior, the boundary mask and the per-image schedule state."""
        s = self.schedule
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
        return (self._crops(self.g_corners, self.crop,
                            step), self._crops(self.d_corners, self.crop // 2, step))

    def generator_losses(self, g_input: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Per-image generator losses, ``'total'`` included (each ``(B,)``)."""
        s = self.schedule
        corr_kernel = self.generator.correlation_kernel()
        g_output = self.generator(g_input, corr_kernel)
        kernels = corr_kernel.flip(-2, -1)
        losses = dict(
            adversarial=gan_loss(self.discriminator(g_output), True),
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
        """Per-image adversarial loss of the discriminator, ``(B,)``."""
        with torch.no_grad():
            fake = self.generator(g_input)
        fake_loss = gan_loss(self.discriminator(fake + self._noise(fake)), False)
        real_loss = gan_loss(self.discriminator(d_real + self._noise(d_real)), True)
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

        self._update_schedule(step, g_losses['bicubic'].detach(), g_losses['sum_to_one'].detach())
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
            switch_on = (
                decaying & ~self.constraints_on & (self.lambda_bicubic < s.constraints_on_below))
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
                losses={
                    name: float(values[i])
                    for name, values in losses.items()
                }) for i, k in enumerate(raw)
        ]


def _checked_indices(images, scale, iters, batch_size, crop, first_index, indices):
    """The seed index of every image, after checking every argument of :func:`run_kernelgan`.

    Everything is validated before minutes are spent on the first batch.
    """
    if scale not in (2, 4):
        raise ValueError(f'scale must be 2 or 4, got {scale}')
    if batch_size < 1 or iters < 1:
        raise ValueError(f'batch_size and iters must be positive, got {batch_size} and {iters}')
    if indices is None:
        indices = range(first_index, first_index + len(images))
    indices = [int(i) for i in indices]
    if len(indices) != len(images):
        raise ValueError(f'{len(indices)} indices given for {len(images)} images')
    for index, image in zip(indices, images):
        prepare_image(image, crop, name=f'image {index}')
    return indices


def run_kernelgan(images: Sequence[np.ndarray],
                  scale: int = 2,
                  iters: int = 3000,
                  device='cpu',
                  seed: int = 0,
                  batch_size: int = 1,
                  crop: int = 64,
                  progress: bool = False,
                  schedule: Optional[KernelGANSchedule] = None,
                  first_index: int = 0,
                  indices: Optional[Sequence[int]] = None) -> List[KernelGANResult]:
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
        indices (list[int], optional): Index of every image, for its seeds,
            when they are not consecutive (a shard or a subset of a longer
            list). Default: ``first_index, first_index + 1, ...``.

    Returns:
        list[KernelGANResult]: One per image, in order.
    """
    indices = _checked_indices(images, scale, iters, batch_size, crop, first_index, indices)
    results = []
    with _deterministic_cudnn():
        for start in range(0, len(images), batch_size):
            chunk = list(images[start:start + batch_size])
            chunk_indices = indices[start:start + len(chunk)]
            gan = KernelGAN(
                chunk,
                indices=chunk_indices,
                iters=iters,
                crop=crop,
                seed=seed,
                device=device,
                schedule=schedule)
            gan.run(progress=progress, desc=f'KernelGAN steps, {len(chunk)} images')
            results.extend(gan.results(scale))
    return results


def estimate_kernels(images: Sequence[np.ndarray], scale: int = 2, **kwargs) -> List[np.ndarray]:
    """Estimate one blur kernel per image with KernelGAN: the kernels of :func:`run_kernelgan`.

    Args:
        images (list[np.ndarray]): ``(H, W)`` or ``(H, W, C)`` images (uint8,
            uint16 or float in [0, 1]), at least ``crop`` pixels a side.
        scale (int): 2 or 4. Default: 2.
        **kwargs: ``iters``, ``device``, ``seed``, ``batch_size``, ``crop``,
            ``progress``, as :func:`run_kernelgan` takes them.

    Returns:
        list[np.ndarray]: float32, square, odd-sized (13 for x2, 25 for x4),
        centred convolution kernels summing to 1, one per image.
    """
    return [result.kernel for result in run_kernelgan(images, scale=scale, **kwargs)]


class _deterministic_cudnn:
    """Ask cuDNN for deterministic algorithms during a run, then restore."""

    def __enter__(self):
        self.saved = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False

    def __exit__(self, *exc):
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = self.saved
