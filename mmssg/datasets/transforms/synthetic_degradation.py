# Copyright (c) mmssg contributors. All rights reserved.
"""The paper's synthetic degradation protocol (section 5.1)."""
from mmagic.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from mmssg.degradation.functional import (add_noise, align_kernel, blur_downsample,
                                          downsample_labels, gaussian_noise,
                                          isotropic_gaussian_kernel, quantize)
from .domain_adapted_degradation import check_hr_image


@TRANSFORMS.register_module()
class SyntheticDegradation(BaseTransform):
    """Blur, down-sample, add Gaussian noise; down-sample the labels too.

    ``LR = round(clip((HR * g) downsampled by s + n))`` with ``g`` an
    ``kernel_size x kernel_size`` Gaussian of std ``sigma`` and ``n`` i.i.d.
    Gaussian noise of std ``noise_sigma`` (0-255 scale), drawn from numpy's
    global state. Paper: 11x11, sigma 1.5, x4, noise sigma 8.

    Alignment is that of :class:`DomainAdaptedDegradation`: the kernel is
    moved onto the sampling grid once, so LR pixel ``i`` is the blur centred
    on HR coordinate ``s*i + (s-1)/2`` (for ``s = 4`` the 11x11 Gaussian
    becomes a 15x15 array; see
    :func:`~mmssg.degradation.functional.align_kernel`). Labels under
    ``seg_key`` (if present) are down-sampled by nearest neighbour at HR pixel
    ``s*i + s//2``, the pixel nearest the same block centre
    (:func:`~mmssg.degradation.functional.downsample_labels`).

    Required keys: ``gt_key`` (``(H, W, 3)``, sizes divisible by ``scale``).
    Optional keys: ``seg_key`` (``(H, W)`` labels), ``{gt_key}_channel_order``.

    Added/modified keys: ``lq_key`` (float32 LR), ``{lq_key}_channel_order``,
    ``{lq_key}_shape``, ``ori_{lq_key}_shape``, ``seg_key`` (LR labels).

    Args:
        scale (int): Down-sampling factor. Default: 4.
        kernel_size (int): Side of the Gaussian kernel. Default: 11.
        sigma (float): Std of the Gaussian kernel. Default: 1.5.
        noise_sigma (float): Std of the noise, 0-255 scale. Default: 8.
        gt_key (str): Key of the HR image. Default: ``'gt'``.
        lq_key (str): Key to store the LR image in. Default: ``'img'``.
        seg_key (str | None): Key of the label map to down-sample, None to
            leave labels alone. Default: ``'gt_seg_map'``.
        quantize (bool): Round after clipping (8-bit images). Default: True.
    """

    def __init__(self,
                 scale=4,
                 kernel_size=11,
                 sigma=1.5,
                 noise_sigma=8,
                 gt_key='gt',
                 lq_key='img',
                 seg_key='gt_seg_map',
                 quantize=True):
        if int(scale) != scale or scale < 1:
            raise ValueError(f'scale must be a positive integer, got {scale}')
        if noise_sigma < 0:
            raise ValueError(f'noise_sigma must be >= 0, got {noise_sigma}')
        self.scale = int(scale)
        self.kernel_size = kernel_size
        self.sigma = sigma
        self.noise_sigma = noise_sigma
        self.gt_key = gt_key
        self.lq_key = lq_key
        self.seg_key = seg_key
        self.quantize = quantize
        self.kernel = isotropic_gaussian_kernel(kernel_size, sigma)
        self.aligned_kernel = align_kernel(self.kernel, self.scale)

    def transform(self, results):
        """Add the degraded LR image (and LR labels) to ``results``.

        Args:
            results (dict): Holds the HR image under ``gt_key``.

        Returns:
            dict: ``results`` with the LR image and its meta keys added.
        """
        if self.gt_key not in results:
            raise KeyError(f'SyntheticDegradation: results has no {self.gt_key!r} key '
                           f'(keys: {sorted(results)})')
        hr = results[self.gt_key]
        check_hr_image(hr, self.gt_key, self.scale)
        lr = blur_downsample(hr, self.aligned_kernel, self.scale)
        lr = quantize(
            add_noise(lr, gaussian_noise(lr.shape, self.noise_sigma)), round_values=self.quantize)
        results[self.lq_key] = lr
        results[f'{self.lq_key}_channel_order'] = results.get(f'{self.gt_key}_channel_order', 'rgb')
        results[f'{self.lq_key}_shape'] = lr.shape
        results[f'ori_{self.lq_key}_shape'] = lr.shape
        if self.seg_key is not None and self.seg_key in results:
            seg = results[self.seg_key]
            if seg.shape[:2] != hr.shape[:2]:
                raise ValueError(f'results[{self.seg_key!r}] has size {seg.shape[:2]}, but '
                                 f'results[{self.gt_key!r}] has size {hr.shape[:2]}')
            results[self.seg_key] = downsample_labels(seg, self.scale)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(scale={self.scale}, kernel_size={self.kernel_size}, '
                f'sigma={self.sigma}, noise_sigma={self.noise_sigma}, gt_key={self.gt_key!r}, '
                f'lq_key={self.lq_key!r}, seg_key={self.seg_key!r}, quantize={self.quantize})')
