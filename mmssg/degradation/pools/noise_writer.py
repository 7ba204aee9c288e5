# Copyright (c) mmssg contributors. All rights reserved.
"""Writing a noise-patch pool from a folder of real LR images (section 3.2, Eq. 2-4).

For every image that holds at least one noise patch (:mod:`mmssg.degradation.noise_patches`),
writes ``<name>.npz``, a compact noise file (:mod:`.noise_files`): the source pixels the
patches cover (uint8, or uint16 for 16-bit images) in shared blocks, plus each patch's
per-channel means. Loaded (:func:`~.readers.load_noise_pool`), patch ``i`` is ``(P, P, 3)``
float32, RGB, zero-mean per channel, 0-255 scale, bit-identical to the float32 ``.npy``
patches the noise tool wrote before (which still load), in about a quarter of their size for
isolated windows and far less where windows overlap (flat regions). ``<name>`` is the image's
path relative to the source folder without its extension, folders joined by ``__``
(:func:`mmssg.utils.output_names`; the kernel pool names its files the same way). Each file
is written in one step (a temporary file renamed). Then ``summary.json``: the common fields of
:mod:`mmssg.utils.summary` (source folder, images found and read, skipped files with reasons,
parameters), ``settings`` (:func:`~.settings.noise_settings`), ``image_size`` and
``left_out`` (the size selection, :mod:`.sources`), ``images_with_patches``,
``patches_kept``, ``pool_bytes`` (the files' size) and ``float32_bytes`` (what float32
patches would take), ``images`` (per image: ``file``, ``pool_file``, ``patches``) and
``patch_std`` (distribution of the patches' std).

Images are read by :func:`mmssg.utils.read_image`. 16-bit images are scaled to the 0-255
scale at full precision (float, ``x * 255 / 65535``), so that ``phi`` and the stored noise
mean the same as for 8-bit images.
"""
import functools
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from mmssg.utils import (SUMMARY_NAME, finish, parallel_map, read_image, save_npz_atomic,
                         skipped_input, write_summary)
from ..noise_patches import NoiseCriteria, find_noise_windows
from .noise_files import pack_noise_patches, to_0_255
from .settings import noise_settings
from .sources import (PoolSources, check_no_foreign_files, left_out_text, pool_sources,
                      selection_fields)


def remove_stale_file(path: str) -> None:
    """Remove an image's noise file from an earlier run when this run writes none for it
    (the image gives no patch now, or cannot be read): the pool would load it."""
    if osp.isfile(path):
        os.remove(path)


def collect_one(src_dir: str, out_dir: str, criteria: NoiseCriteria, job: Tuple[str, str]) -> Dict:
    """Worker: read one image, save its noise patches as ``out_dir/<pool_file>``.

    Args:
        src_dir (str): The source folder.
        out_dir (str): The pool folder.
        criteria (NoiseCriteria): The window test's settings.
        job (tuple[str, str]): The image's path relative to ``src_dir`` and
            its pool file name.

    Returns:
        dict: ``patches``, ``stds`` (per patch) and ``bytes`` (of the file
        written), or ``error`` when the image could not be read.
    """
    rel, pool_file = job
    path = osp.join(out_dir, pool_file)
    try:
        pixels = read_image(osp.join(src_dir, rel))
    except (OSError, ValueError) as error:
        remove_stale_file(path)
        return dict(error=skipped_input(rel, error))
    img, value_scale = to_0_255(pixels)
    windows = find_noise_windows(img, criteria)
    size = 0
    if not len(windows.corners):
        remove_stale_file(path)
    if len(windows.corners):
        save_npz_atomic(
            path,
            **pack_noise_patches(pixels, windows.corners, criteria.patch_size, windows.means,
                                 value_scale))
        size = osp.getsize(path)
    # A zero-mean patch's RMS over pixels and channels, from the window statistics.
    stds = np.sqrt(windows.variances.mean(axis=1))
    return dict(patches=int(len(stds)), stds=stds.tolist(), bytes=size)


def std_distribution(stds: Sequence[float], bins: int = 20) -> Dict:
    """Mean, range, percentiles and histogram of the patches' std."""
    stds = np.asarray(stds, np.float64)
    if stds.size == 0:
        return dict(count=0)
    counts, edges = np.histogram(stds, bins=bins)
    pct = (1, 5, 25, 50, 75, 95, 99)
    return dict(
        count=int(stds.size),
        mean=float(stds.mean()),
        min=float(stds.min()),
        max=float(stds.max()),
        percentiles={
            str(p): float(v)
            for p, v in zip(pct, np.percentile(stds, pct))
        },
        histogram=dict(bin_edges=edges.tolist(), counts=counts.tolist()))


def check_no_float32_pool(out_dir: str, jobs: Sequence[Tuple[str, str]]) -> None:
    """Refuse a folder holding float32 ``.npy`` files of these images (an older pool)."""
    older = [
        osp.splitext(name)[0] + '.npy' for _, name in jobs
        if osp.isfile(osp.join(out_dir,
                               osp.splitext(name)[0] + '.npy'))
    ]
    if older:
        raise ValueError(f'{out_dir} holds float32 noise files of an older pool '
                         f'({", ".join(older[:3])}{", ..." if len(older) > 3 else ""}); '
                         'remove them or choose another output folder')


def write_noise_summary(src_dir: str, out_dir: str, criteria: NoiseCriteria, sources: PoolSources,
                        results: Sequence[Dict]) -> Dict:
    """Write the pool's ``summary.json`` from the workers' results; returns it."""
    skipped = [r['error'] for r in results if 'error' in r]
    read = [(job, r) for job, r in zip(sources.jobs, results) if 'error' not in r]
    stds = [s for _, r in read for s in r['stds']]
    return write_summary(
        out_dir,
        src_dir,
        len(sources.jobs),
        len(read),
        skipped,
        dict(
            criteria.as_dict(),
            color='all three channels must pass',
            layout='compact .npz (mmssg.degradation.pools.noise_files): source pixels in '
            'shared blocks + per-patch means; loads as (N, P, P, 3) float32 RGB, 0-255 scale',
            sixteen_bit='scaled by 255/65535'),
        settings=noise_settings(criteria),
        **selection_fields(sources),
        images_with_patches=sum(1 for _, r in read if r['patches']),
        patches_kept=len(stds),
        pool_bytes=sum(r['bytes'] for _, r in read),
        float32_bytes=len(stds) * criteria.patch_size**2 * 3 * 4,
        images=[
            dict(file=rel, pool_file=name if r['patches'] else None, patches=r['patches'])
            for (rel, name), r in read
        ],
        patch_std=std_distribution(stds))


def write_noise_pool(src_dir: str,
                     out_dir: str,
                     criteria: NoiseCriteria,
                     workers: int = 1,
                     progress: bool = True,
                     image_size: Optional[Sequence[int]] = None) -> int:
    """Collect the noise patches of every image of a folder into a pool, and its summary.

    Prints skipped images on stderr and a last line saying what was kept
    (:func:`mmssg.utils.finish`).

    Args:
        src_dir (str): Folder of real LR images, searched recursively.
        out_dir (str): The pool folder.
        criteria (NoiseCriteria): The window test's settings (Eq. 2-4).
        workers (int): Processes. Default: 1.
        progress (bool): Show a progress bar. Default: True.
        image_size (Sequence[int], optional): ``(width, height)``: use the images of this size
            only (what a dataset's ``image_size`` keeps). Default: None (every image).

    Returns:
        int: The exit status: 0, or :data:`~mmssg.utils.EXIT_SKIPPED` when unreadable images
        were skipped (listed in the summary).
    """
    sources = pool_sources(src_dir, out_dir, '.npz', image_size)
    check_no_float32_pool(out_dir, sources.jobs)
    check_no_foreign_files(src_dir, out_dir, sources, ('.npz', '.npy'), 'noise')
    os.makedirs(out_dir, exist_ok=True)
    worker = functools.partial(collect_one, src_dir, out_dir, criteria)
    results = parallel_map(worker, sources.jobs, workers, 'noise patches', progress)
    summary = write_noise_summary(src_dir, out_dir, criteria, sources, results)
    std = summary['patch_std']
    done = (f"{summary['patches_kept']} patches kept from {summary['images_with_patches']} of "
            f"{summary['images_read']} images in {out_dir} "
            f"({summary['pool_bytes'] / 2**20:.1f} MiB; "
            f"{summary['float32_bytes'] / 2**20:.1f} MiB as float32)" +
            (f", patch std mean {std['mean']:.2f} median {std['percentiles']['50']:.2f}"
             if std['count'] else '') + left_out_text(sources))
    return finish(done, summary['skipped'], osp.join(out_dir, SUMMARY_NAME))
