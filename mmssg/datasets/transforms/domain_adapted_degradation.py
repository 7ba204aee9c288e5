# Copyright (c) mmssg contributors. All rights reserved.
"""Domain-adapted degradation of a clean HR crop (section 3.2, Eq. 5-6)."""
import numpy as np
from mmagic.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from mmssg.degradation.functional import (add_noise, align_kernel, blur_downsample, crop_noise,
                                          quantize)
from mmssg.degradation.pools import load_kernel_pool, load_noise_pool


def check_hr_image(img, key, scale):
    """Raise a clear error unless ``img`` is an ``(H, W, 3)`` crop divisible by ``scale``."""
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
        shape = getattr(img, 'shape', type(img).__name__)
        raise ValueError(f'results[{key!r}] must be an (H, W, 3) image, got {shape}')
    if img.shape[0] % scale or img.shape[1] % scale:
        raise ValueError(f'results[{key!r}] has size {img.shape[1]}x{img.shape[0]}, '
                         f'which is not divisible by the scale {scale}')


@TRANSFORMS.register_module()
class DomainAdaptedDegradation(BaseTransform):
    """Degrade a clean HR crop with a real kernel and a real noise patch.

    ``LR = quantize((HR * k_i) downsampled by s + crop(n_j))`` (Eq. 5-6) with
    ``k_i`` drawn from a kernel pool (KernelGAN estimates on real LR images)
    and ``n_j`` from a noise pool (:mod:`mmssg.degradation.pools`),
    uniformly over kernels and over noise patches, and a uniformly placed
    LR-sized crop of the patch. Randomness comes from numpy's global state,
    as in mmcv transforms, so mmengine's per-worker/per-rank seeding applies.

    Alignment: pool kernels are centred; each is moved once, at construction,
    onto the sampling grid (:func:`~mmssg.degradation.functional.align_kernel`)
    so that LR pixel ``i`` is the blur centred on HR coordinate
    ``s*i + (s-1)/2``, the centre of its block. LR and HR stay pixel-aligned
    (HR 512 -> LR 128).

    When pools are loaded: kernels are tiny, so they are read, validated and
    aligned in ``__init__`` (a bad pool fails when the pipeline is built,
    and so does a pool whose summary records another scale or kernel size).
    The noise pool's files are checked in ``__init__`` too, and opened again
    lazily, on the first call in each process: a reader keeps only a file's
    layout (and a compact file's index and means) and reads the bytes of the
    one patch a sample draws, through the OS page cache that every
    dataloader worker shares (:mod:`mmssg.degradation.pools.noise_files`). Readers
    are dropped when the transform is pickled, so a worker is sent names, not
    the pool's index.

    Required keys: ``gt_key`` (HR ``(H, W, 3)`` uint8 or float, 0-255, ``H``
    and ``W`` divisible by ``scale``); optional ``{gt_key}_channel_order``
    (``'rgb'`` default, or ``'bgr'``: the RGB noise patch is flipped).

    Added keys: ``lq_key`` (float32 LR), ``{lq_key}_channel_order``,
    ``{lq_key}_shape``, ``ori_{lq_key}_shape`` and ``degradation`` (a dict:
    ``kernel_index``, ``kernel_file``, ``noise_index`` (over the whole pool),
    ``noise_file``, ``noise_patch`` (index in that file), ``noise_crop``
    ``(top, left)``).

    Args:
        kernel_pool (str): Folder of ``*.npy`` kernels (2-D, square, odd,
            sum 1, centred, at HR resolution for this scale).
        noise_pool (str): Folder of noise files, compact ``*.npz`` or
            ``(N, P, P, 3)`` float32 ``*.npy`` (RGB, zero-mean); see
            :mod:`mmssg.degradation.pools`. A patch is the same from either.
        scale (int): Down-sampling factor. Default: 4.
        gt_key (str): Key of the HR image. Default: ``'gt'``.
        lq_key (str): Key to store the LR image in. Default: ``'img'``.
        quantize (bool): Clip to [0, 255] and round (real LR images are 8-bit);
            if False, only clip. Default: True.
    """

    def __init__(self, kernel_pool, noise_pool, scale=4, gt_key='gt', lq_key='img', quantize=True):
        if int(scale) != scale or scale < 1:
            raise ValueError(f'scale must be a positive integer, got {scale}')
        self.kernel_pool = kernel_pool
        self.noise_pool = noise_pool
        self.scale = int(scale)
        self.gt_key = gt_key
        self.lq_key = lq_key
        self.quantize = quantize
        kernels = load_kernel_pool(kernel_pool, scale=self.scale)
        self.kernel_names = kernels.names
        self.kernels = [align_kernel(k, self.scale) for k in kernels.kernels]
        noise = load_noise_pool(noise_pool)
        self.noise_names = noise.names
        self.noise_counts = noise.counts
        self.noise_patch_size = noise.patch_size
        self._noise_offsets = np.concatenate([[0], np.cumsum(noise.counts)])
        self._noise_arrays = None  # opened on first use in each process

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_noise_arrays'] = None
        return state

    def _noise_arrays_in_this_process(self):
        if self._noise_arrays is None:
            noise = load_noise_pool(self.noise_pool)
            if noise.names != self.noise_names or not np.array_equal(noise.counts,
                                                                     self.noise_counts):
                raise RuntimeError(
                    f'noise pool {self.noise_pool} changed since the transform was built')
            self._noise_arrays = noise.arrays
        return self._noise_arrays

    def transform(self, results):
        """Add the degraded LR image to ``results``.

        Args:
            results (dict): Holds the HR crop under ``gt_key``.

        Returns:
            dict: ``results`` with the LR image and its meta keys added.
        """
        if self.gt_key not in results:
            raise KeyError(f'DomainAdaptedDegradation: results has no {self.gt_key!r} key '
                           f'(keys: {sorted(results)})')
        hr = results[self.gt_key]
        check_hr_image(hr, self.gt_key, self.scale)
        order = results.get(f'{self.gt_key}_channel_order', 'rgb')
        if order not in ('rgb', 'bgr'):
            raise ValueError(
                f"results['{self.gt_key}_channel_order'] must be 'rgb' or 'bgr', got {order!r}")
        h, w = hr.shape[0] // self.scale, hr.shape[1] // self.scale
        size = self.noise_patch_size
        if size < h or size < w:
            raise ValueError(
                f'noise patches of {self.noise_pool} are {size}x{size}, smaller than the LR crop '
                f'{w}x{h} (results[{self.gt_key!r}] {hr.shape[1]}x{hr.shape[0]} '
                f'/ scale {self.scale})')
        arrays = self._noise_arrays_in_this_process()

        kernel_index = int(np.random.randint(len(self.kernels)))
        noise_index = int(np.random.randint(self._noise_offsets[-1]))
        top = int(np.random.randint(size - h + 1))
        left = int(np.random.randint(size - w + 1))
        file_index = int(np.searchsorted(self._noise_offsets, noise_index, side='right') - 1)
        patch_index = noise_index - int(self._noise_offsets[file_index])

        noise = crop_noise(arrays[file_index][patch_index], h, w, top, left)
        if order == 'bgr':
            noise = noise[..., ::-1]
        lr = blur_downsample(hr, self.kernels[kernel_index], self.scale)
        lr = quantize(add_noise(lr, noise), round_values=self.quantize)

        results[self.lq_key] = lr
        results[f'{self.lq_key}_channel_order'] = order
        results[f'{self.lq_key}_shape'] = lr.shape
        results[f'ori_{self.lq_key}_shape'] = lr.shape
        results['degradation'] = dict(
            kernel_index=kernel_index,
            kernel_file=self.kernel_names[kernel_index],
            noise_index=noise_index,
            noise_file=self.noise_names[file_index],
            noise_patch=patch_index,
            noise_crop=(top, left))
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(kernel_pool={self.kernel_pool!r}, '
                f'noise_pool={self.noise_pool!r}, scale={self.scale}, gt_key={self.gt_key!r}, '
                f'lq_key={self.lq_key!r}, quantize={self.quantize}) '
                f'[{len(self.kernels)} kernels, {int(self._noise_offsets[-1])} noise patches]')
