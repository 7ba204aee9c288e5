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

Quality, measured by ``benchmarks/accuracy/kernel_estimation.py`` against known anisotropic
Gaussian blurs (``benchmarks/RESULTS.md#kernel_estimation``, ``docs/findings.md``): the x2
kernel's sigmas hardly go below a floor of about a pixel nor follow the truth, and since the
x4 kernel is the x2 kernel composed with itself (covariance x5), x4 kernels come out far too
wide. For a folder of images from one camera, :mod:`mmssg.degradation.spectral_kernels`
(``tools/data/estimate_kernels.py --method spectral-pooled``) does much better. Check a
pool (e.g. the spread of its kernel shapes) before training on it.

Modules: :mod:`.kernels` (bicubic prior, post-processing, x4 composition),
:mod:`.crops` (image preparation, crop sampling), :mod:`.losses`,
:mod:`.networks` (generator, discriminator), :mod:`.trainer` (:class:`KernelGAN`,
:func:`run_kernelgan`, :func:`estimate_kernels`).
"""
from .crops import IMAGE_CHANNELS, crop_probability_map, prepare_image, sample_crop_corners
from .kernels import (GENERATOR_KERNEL_SIZES, KERNEL_SIZE_X2, KERNEL_SIZE_X4, bicubic_kernel,
                      boundary_penalty_mask, center_kernel, compose_x4_kernel, postprocess_kernel,
                      zero_negligible_values)
from .losses import (bicubic_loss, boundaries_loss, centralized_loss, gan_loss, sparsity_loss,
                     sum_to_one_loss)
from .networks import GroupedSpectralNormConv2d, KernelGenerator, PatchDiscriminator
from .trainer import (KernelGAN, KernelGANResult, KernelGANSchedule, estimate_kernels,
                      image_generators, run_kernelgan)

__all__ = [
    'IMAGE_CHANNELS', 'crop_probability_map', 'prepare_image', 'sample_crop_corners',
    'GENERATOR_KERNEL_SIZES', 'KERNEL_SIZE_X2', 'KERNEL_SIZE_X4', 'bicubic_kernel',
    'boundary_penalty_mask', 'center_kernel', 'compose_x4_kernel', 'postprocess_kernel',
    'zero_negligible_values', 'bicubic_loss', 'boundaries_loss', 'centralized_loss', 'gan_loss',
    'sparsity_loss', 'sum_to_one_loss', 'GroupedSpectralNormConv2d', 'KernelGenerator',
    'PatchDiscriminator', 'KernelGAN', 'KernelGANResult', 'KernelGANSchedule', 'estimate_kernels',
    'image_generators', 'run_kernelgan'
]
