# Copyright (c) mmssg contributors. All rights reserved.
"""The kernel pool's estimators, one batch of images at a time: KernelGAN, the spectral fit
per image, or one spectral fit to the pooled spectra of all images.

Each returns, per image, its kernel and the fields of its summary record; ``options`` is a
:class:`~.kernel_writer.KernelPoolOptions`.
"""
import functools
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from mmssg.utils import parallel_map, read_image, skipped_input
from ..jpeg_detection import POOL_BLOCKINESS_THRESHOLD, file_jpeg_quality, jpeg_evidence
from ..kernel_uncertainty import interval_record, pooled_kernel_interval, warn_line
from ..kernelgan import prepare_image, run_kernelgan
from ..power_spectra import image_power_spectrum
from ..spectral_kernels import spectral_pool_kernel
from .shards import WorkItem

#: Images trained at once when no batch is given. The CUDA value is a first guess from the
#: networks' size (tiny: a GPU holds hundreds of images' networks);
#: benchmarks/speed/kernelgan_throughput.py finds where images per second stop growing, to be
#: confirmed on a GPU.
DEFAULT_BATCH = dict(cpu=16, cuda=128)
#: Raw kernel sums further than this from 1 mean the generator grew no kernel.
SUSPECT_SUM_TOLERANCE = 0.2

Estimate = Tuple[np.ndarray, Dict]


def process_device(device: str, environ=None) -> str:
    """``device``, with ``'cuda'`` under a launcher taken as this process's GPU."""
    environ = os.environ if environ is None else environ
    if str(device).startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError(f'--device {device} asked for, but CUDA is not available')
    if device == 'cuda' and 'LOCAL_RANK' in environ:
        return f"cuda:{int(environ['LOCAL_RANK']) % torch.cuda.device_count()}"
    return device


def check_image(src_dir: str, method: str, crop: int, rel: str) -> Optional[Dict]:
    """``None`` when the image can be used, else its :func:`skipped_input` entry."""
    try:
        image = read_image(osp.join(src_dir, rel))
        if method == 'kernelgan':
            prepare_image(image, min_size=crop, name=rel)
        else:
            image_power_spectrum(image, name=rel)
    except (OSError, ValueError) as error:
        return skipped_input(rel, error)
    return None


def read_batch(src_dir: str, batch: Sequence[WorkItem], method: str) -> List:
    """The images of a batch (none for a pooled fit: its kernel is fitted already)."""
    if method == 'spectral-pooled':
        return [None] * len(batch)
    return [read_image(osp.join(src_dir, item.file)) for item in batch]


def wide_interval(records) -> bool:
    """Whether a pooled kernel's interval is wide (:mod:`~mmssg.degradation.kernel_uncertainty`):
    the summary's flag (every image of a pooled fit shares its record)."""
    return any(r.get('wide_interval') for r in records)


def suspects(records) -> List[str]:
    """The images whose kernel is suspect, sorted.

    KernelGAN: the generator's own kernel should sum to ~1; far from it, the generator never
    grew a kernel and the saved one is noise. Spectral: the fitted blur was wider than a
    kernel holds (a spectrum of mostly noise).
    """
    return sorted(
        r['file'] for r in records
        if abs(r.get('raw_kernel_sum', 1) - 1) > SUSPECT_SUM_TOLERANCE or r.get('clamped'))


def kernelgan_batch(options, batch: Sequence[WorkItem], images) -> List[Estimate]:
    """KernelGAN on one batch: its kernels and the per-image record fields."""
    results = run_kernelgan(
        images,
        scale=options.scale,
        iters=options.iterations,
        device=options.device,
        seed=options.seed,
        batch_size=len(images),
        crop=options.crop,
        progress=options.progress,
        indices=[item.seed_index for item in batch])
    return [(r.kernel,
             dict(
                 device=str(options.device),
                 final_losses=r.losses,
                 raw_kernel_sum=float(r.raw_kernel_x2.sum()))) for r in results]


def spectral_record(result, pooled_images: int = 1) -> Dict:
    """The record fields of a :class:`~mmssg.degradation.spectral_kernels.SpectralKernel`."""
    return dict(
        covariance=np.round(result.covariance, 6).tolist(),
        exponent=result.fit.exponent,
        noise_power=result.fit.noise_power,
        clamped=result.clamped,
        pooled_images=pooled_images)


def jpeg_file_quality(path: str) -> Optional[int]:
    """A JPEG file's quality from its tables; None for another format, or a file the
    tables cannot be read from (the image itself was read: fit it as uncompressed)."""
    try:
        from_file = file_jpeg_quality(path)
    except OSError:
        return None
    return from_file[0] if from_file else None


def spectral_batch(scale: int, src_dir: str, batch: Sequence[WorkItem], images) -> List[Estimate]:
    """The spectral fit of each image of a batch, alone; a JPEG file's fit is told the
    quality of its tables (:func:`~mmssg.degradation.jpeg_detection.file_jpeg_quality`), as
    the pooled fit is, and its record says so (``fitted_for_quality``)."""
    estimates = []
    for item, image in zip(batch, images):
        quality = jpeg_file_quality(osp.join(src_dir, item.file))
        result = spectral_pool_kernel(image_power_spectrum(image, name=item.file), scale, quality)
        estimates.append((result.kernel, dict(spectral_record(result), fitted_for_quality=quality)))
    return estimates


def check_pool_size(options, usable: Sequence[WorkItem], skipped: Sequence[Dict]) -> None:
    """Refuse a pooled fit over fewer usable images than ``min_pooled_images``."""
    if len(usable) < options.min_pooled_images:
        unusable = f' ({len(skipped)} more could not be used)' if skipped else ''
        raise ValueError(
            f'--method spectral-pooled: {options.src_dir!r} has {len(usable)} usable image(s)'
            f'{unusable}, fewer than --min-pooled-images {options.min_pooled_images}: pooled '
            'over so few, the kernel depends on which images they are '
            '(benchmarks/RESULTS.md#kernel_estimation-pooled-subsets). Add images of the same '
            'camera, use --method spectral, or lower --min-pooled-images')


def spectrum_of(src_dir: str, rel: str):
    """An image's periodogram and its evidence of JPEG compression (read once for both)."""
    path = osp.join(src_dir, rel)
    image = read_image(path)
    return image_power_spectrum(image, name=rel), jpeg_evidence(image, path, rel)


def jpeg_record(evidence) -> Dict:
    """The summary's account of the pooled images' JPEG compression
    (:mod:`~mmssg.degradation.jpeg_detection`): how many look compressed one by one, the
    qualities of the JPEG files (with their counts), the median blockiness of the pixels and
    whether the pool as a whole is compressed (JPEG files, or a median blockiness over
    :data:`~mmssg.degradation.jpeg_detection.POOL_BLOCKINESS_THRESHOLD`)."""
    qualities = [e.quality for e in evidence if e.quality is not None]
    median = float(np.median([e.blockiness for e in evidence]))
    return dict(
        compressed=bool(len(qualities) > len(evidence) / 2 or median > POOL_BLOCKINESS_THRESHOLD),
        compressed_images=sum(e.compressed for e in evidence),
        jpeg_files=len(qualities),
        qualities={str(q): qualities.count(q)
                   for q in sorted(set(qualities))},
        median_blockiness=round(median, 4))


def pool_jpeg_quality(evidence) -> Optional[int]:
    """The quality the pooled fit allows for: the median quality of the JPEG files, when
    most of the images are JPEG files; None otherwise (decoded JPEG saved again is flagged in
    the summary, but its quality is not known)."""
    qualities = [e.quality for e in evidence if e.quality is not None]
    if len(qualities) <= len(evidence) / 2:
        return None
    return int(np.median(qualities))


def pooled_estimate(options, usable: Sequence[WorkItem]) -> Estimate:
    """``spectral-pooled``: one fit to the periodograms of all usable images, each read once,
    with the interval on its sigmas (a warning on stderr when it is wide) and the images'
    JPEG compression."""
    read = parallel_map(
        functools.partial(spectrum_of, options.src_dir), [item.file for item in usable],
        options.workers, 'spectra', options.progress)
    spectra, evidence = [r[0] for r in read], [r[1] for r in read]
    quality = pool_jpeg_quality(evidence)
    result, interval = pooled_kernel_interval(spectra, options.scale, quality)
    for line in warn_line(interval, options.src_dir):
        print(line, file=sys.stderr)
    record = dict(
        spectral_record(result, len(spectra)),
        **interval_record(interval),
        jpeg=dict(jpeg_record(evidence), fitted_for_quality=quality))
    return result.kernel, record


def estimate_batch(options, settings: Dict, number: int, batch: Sequence[WorkItem], images,
                   pooled: Optional[Estimate]) -> Tuple[Dict, Dict]:
    """Estimate one batch; its kernels and their summary records, by kernel file.

    Args:
        options (KernelPoolOptions): The run's options.
        settings (dict): The run's settings, recorded with each kernel.
        number (int): The batch's number in the shard.
        batch (Sequence[WorkItem]): Its images.
        images (list): Their pixels (:func:`read_batch`).
        pooled (tuple, optional): The pooled fit's kernel and record fields
            (:func:`pooled_estimate`), for ``spectral-pooled``.
    """
    if options.method == 'kernelgan':
        estimates = kernelgan_batch(options, batch, images)
    elif options.method == 'spectral':
        estimates = spectral_batch(options.scale, options.src_dir, batch, images)
    else:
        estimates = [pooled] * len(batch)
    index, count = options.shard
    kernels, records = {}, {}
    for item, (kernel, extra) in zip(batch, estimates):
        kernels[item.pool_file] = kernel
        records[item.pool_file] = dict(
            file=item.file,
            pool_file=item.pool_file,
            seed_index=item.seed_index,
            settings=settings,
            batch=dict(shard=f'{index}/{count}', number=number, images=len(batch)),
            **extra)
    return kernels, records
