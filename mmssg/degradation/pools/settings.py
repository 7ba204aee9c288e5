# Copyright (c) mmssg contributors. All rights reserved.
"""What a pool is made with: one settings schema per pool, and comparing settings.

A pool's ``summary.json`` records ``settings``, everything that determines its files besides
the images: :func:`kernel_settings` for a kernel pool (each kernel's record holds them too, so
that a rerun resumes only kernels made the same way), :func:`noise_settings` for a noise pool.
The writers record what these functions return, and :func:`~.config.pool_status` compares a
pool's record with them, so there is one schema per pool.

A spectral-pooled kernel also depends on the list of images it was pooled over; its writer
adds ``pooled_over`` (a digest of that list) to the settings. Keys derived from the image list
are :data:`IMAGE_LIST_KEYS`: a settings schema never holds them.
"""
from dataclasses import asdict
from typing import Dict, Optional, Tuple

from ..kernelgan import KERNEL_SIZE_X2, KERNEL_SIZE_X4, KernelGANSchedule
from ..noise_patches import NoiseCriteria
from ..spectral_kernels import fit_settings

#: The kernel estimators (the first is the paper's and the default).
METHODS = ('kernelgan', 'spectral', 'spectral-pooled')
#: The scales a kernel pool is made for (KernelGAN's x4 kernel composes its x2 kernel).
SCALES = (2, 4)
#: KernelGAN's training steps per image (the published schedule).
KERNELGAN_ITERATIONS = 3000
#: KernelGAN's generator crop (the published one).
KERNELGAN_CROP = 64
#: Seeds every image's KernelGAN (with its index) and a ``max_images`` draw.
KERNELGAN_SEED = 0
#: Settings derived from the image list, not from a pool's options.
IMAGE_LIST_KEYS = ('pooled_over', )


def kernel_settings(method: str,
                    scale: int,
                    iterations: int = KERNELGAN_ITERATIONS,
                    crop: int = KERNELGAN_CROP,
                    seed: int = KERNELGAN_SEED) -> Dict:
    """Everything that determines a kernel besides its image (and its seed index).

    Args:
        method (str): One of :data:`METHODS`.
        scale (int): One of :data:`SCALES`.
        iterations (int): KernelGAN's steps per image. Default: 3000.
        crop (int): KernelGAN's generator crop. Default: 64.
        seed (int): KernelGAN's seed. Default: 0.

    Returns:
        dict: JSON-ready settings: ``method``, ``scale``, ``kernel_size`` and, for KernelGAN,
        ``iterations``, ``crop``, ``seed`` and its ``schedule``, for the spectral fits the
        fit's settings (:func:`~mmssg.degradation.spectral_kernels.fit_settings`). The
        spectral methods ignore ``iterations``, ``crop`` and ``seed``.

    Raises:
        ValueError: Another method or scale; the message lists the valid ones.
    """
    if method not in METHODS:
        raise ValueError(f'kernel method {method!r}: expected one of {", ".join(METHODS)}')
    if scale not in SCALES:
        raise ValueError(f'kernel pool scale {scale!r}: expected one of {SCALES}')
    if method == 'kernelgan':
        return dict(
            method=method,
            scale=scale,
            kernel_size=KERNEL_SIZE_X4 if scale == 4 else KERNEL_SIZE_X2,
            iterations=iterations,
            crop=crop,
            seed=seed,
            schedule=asdict(KernelGANSchedule()))
    return dict(method=method, **fit_settings(scale))


def noise_settings(criteria: NoiseCriteria) -> Dict:
    """Everything that determines a noise pool besides its images: the window test's
    sizes, strides and tolerances (Eq. 2-4), as ``NoiseCriteria(**settings)`` takes them."""
    return criteria.as_dict()


def _flatten(settings: Dict, prefix: str = '') -> Dict:
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


def differing_settings(recorded: Optional[Dict], wanted: Dict) -> Dict[str, Tuple]:
    """The settings that differ, as ``{'key': (recorded, wanted)}``; nested keys dotted.

    A key present on one side only counts as differing (``None`` on the other).
    """
    recorded, wanted = _flatten(recorded or {}), _flatten(wanted)
    return {
        key: (recorded.get(key), wanted.get(key))
        for key in sorted(set(recorded) | set(wanted)) if recorded.get(key) != wanted.get(key)
    }


def describe_differences(differences: Dict[str, Tuple], against: str = 'this run') -> str:
    """``{'key': (recorded, asked)}`` as ``key=recorded (this run: asked), ...``.

    Another method differs in every other setting too: it alone is named then.

    Args:
        differences (dict): What :func:`differing_settings` returns.
        against (str): Who asks for the other values. Default: 'this run'.
    """
    if 'method' in differences:
        differences = dict(method=differences['method'])
    return ', '.join(f'{key}={old!r} ({against}: {new!r})'
                     for key, (old, new) in differences.items())
