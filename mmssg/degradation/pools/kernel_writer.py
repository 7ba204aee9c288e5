# Copyright (c) mmssg contributors. All rights reserved.
"""Writing a blur-kernel pool from a folder of real LR images (section 3.2).

``method`` chooses the estimator (:mod:`.kernel_estimates`): ``kernelgan`` (the default, the
paper's: KernelGAN per image, :mod:`mmssg.degradation.kernelgan`), ``spectral`` (a Gaussian
blur fitted to each image's power spectrum, :mod:`mmssg.degradation.spectral_kernels`;
deterministic, seconds per folder) or ``spectral-pooled`` (one such fit to the pooled spectrum
of all images, for a folder from one camera: every kernel is the same).
``benchmarks/accuracy/kernel_estimation.py`` measures them against known blurs.

Writes one ``<name>.npy`` per image (float32, square, odd size, centred, summing to 1; a true
convolution kernel at HR resolution for ``scale``), ``<name>`` being the image's path relative
to the source folder without its extension, folders joined by ``__``
(:func:`mmssg.utils.output_names`, as the noise pool names its files), and a ``summary.json``:
the common fields of :mod:`mmssg.utils.summary` (source folder, images found and read, skipped
files with reasons, parameters), ``settings`` (what determines a kernel,
:func:`~.settings.kernel_settings`; pooled: plus ``pooled_over``, the image list),
``image_size`` and ``left_out`` (the size selection, :mod:`.sources`), ``kernel_size``,
``seconds``, ``suspect`` (images whose generator grew no kernel, or whose spectral fit was
clamped), ``wide_interval`` (``spectral-pooled``: the kernel's interval is wide, see below) and
``images`` (per kernel in the folder: ``file``, ``pool_file``, ``seed_index``, ``settings``,
``batch``, and for KernelGAN ``device``, ``final_losses``, ``raw_kernel_sum``, for the spectral
methods ``covariance`` (HR px^2, ``(x, y)``), ``exponent``, ``noise_power``, ``clamped`` and
``pooled_images``; for ``spectral`` also ``fitted_for_quality`` (a JPEG file's quality,
which its fit was told; None for other files); for ``spectral-pooled`` also
``sigma_interval`` (a jackknife interval over the images on each principal sigma,
:mod:`~mmssg.degradation.kernel_uncertainty`; a wide one is also printed as a warning),
``wide_interval`` and ``jpeg`` (how many pooled images look JPEG-compressed, the qualities of
the JPEG files, :mod:`~mmssg.degradation.jpeg_detection`)).

Resuming. Each kernel is written in one step (a temporary file renamed), so a killed run never
leaves half a kernel. A rerun skips every image whose kernel exists and was made with the same
``settings``; a kernel made with other settings (or a ``.npy`` no summary accounts for) stops
the run with an error naming the summary and the differing values, unless ``redo`` asks to
recompute it (a pool made with another method is one of these; :mod:`.records`). Images are
estimated in fixed batches of the image list (``batch`` consecutive usable images of the
shard), whatever is already done, so a resumed run writes exactly the kernels an uninterrupted
run would have (batched sums make a KernelGAN kernel depend a little on its batch; a spectral
one does not). The next batch is read while one is estimated. ``spectral-pooled`` fits all
usable images at once and cannot be sharded; it refuses a folder with fewer usable images than
``min_pooled_images`` (default :data:`~mmssg.degradation.spectral_kernels.MIN_POOLED_IMAGES`):
with fewer, which images are pooled moves the kernel beyond the benchmark's tolerances.

Sharding (:mod:`.shards`, :mod:`.kernel_summary`). ``shard=(I, N)`` (or ``torchrun``'s
``RANK`` / ``WORLD_SIZE``) makes this process estimate images ``I, I+N, I+2N, ...`` of the
sorted list, so that N processes on N GPUs or machines fill one pool folder. Under
``torchrun``, device ``'cuda'`` means GPU ``LOCAL_RANK`` (modulo the GPUs visible), so several
processes can also share one GPU. An image's seeds follow its position in the sorted list of
the images used (``seed_index``), whatever the shard, subset or batch. ``max_images=K``
estimates a seeded random subset of K images (drawn before sharding, with ``seed``).

Images are read by :func:`mmssg.utils.read_image`; 16-bit images are used at full precision
(KernelGAN works on ``[-1, 1]`` whatever the depth).
"""
import dataclasses
import functools
import os
import os.path as osp
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

from tqdm import tqdm

from mmssg.utils import SUMMARY_NAME, finish, parallel_map, save_npy_atomic
from ..spectral_kernels import MIN_POOLED_IMAGES
from .kernel_estimates import (DEFAULT_BATCH, check_image, check_pool_size, estimate_batch,
                               pooled_estimate, process_device, read_batch, suspects)
from .kernel_summary import ShardProgress, merge_shards
from .records import sort_out
from .settings import KERNELGAN_CROP, KERNELGAN_ITERATIONS, KERNELGAN_SEED, kernel_settings
from .shards import WorkItem, select_work, shard_from_environment
from .sources import check_no_foreign_files, left_out_text, pool_sources, selection_fields

#: The options that are also settings of a kernel (:func:`~.settings.kernel_settings`).
MADE_WITH = ('iterations', 'crop', 'seed')


@dataclasses.dataclass
class KernelPoolOptions:
    """How to write a kernel pool: what ``tools/data/estimate_kernels.py`` takes.

    Args:
        src_dir (str): Folder of real LR images, searched recursively.
        out_dir (str): The pool folder.
        scale (int): SR scale the kernels are for, 2 or 4.
        method (str): ``'kernelgan'``, ``'spectral'`` or ``'spectral-pooled'``.
            Default: 'kernelgan'.
        iterations (int): KernelGAN's training steps per image. Default: 3000.
        crop (int): KernelGAN's generator crop (even). Default: 64.
        seed (int): Seeds every image (with its index) and the ``max_images`` draw. Default: 0.
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``. Default: 'cpu'.
        batch (int, optional): Images estimated at once on the device. Default:
            :data:`~.kernel_estimates.DEFAULT_BATCH` for the device.
        min_pooled_images (int): ``spectral-pooled`` refuses fewer usable images.
            Default: :data:`~mmssg.degradation.spectral_kernels.MIN_POOLED_IMAGES`.
        shard (tuple[int, int], optional): ``(I, N)``. Default: ``torchrun``'s
            ``RANK`` / ``WORLD_SIZE``, else ``(0, 1)``.
        max_images (int, optional): Estimate a seeded subset of this many images.
        redo (bool): Recompute kernels made with other settings instead of stopping.
        workers (int): Processes checking the images before training. Default: 1.
        progress (bool): Show progress bars. Default: True.
        image_size (tuple[int, int], optional): ``(width, height)``: use the images of this
            size only (what a dataset's ``image_size`` keeps). Default: None (every image).
    """
    src_dir: str
    out_dir: str
    scale: int
    method: str = 'kernelgan'
    iterations: int = KERNELGAN_ITERATIONS
    crop: int = KERNELGAN_CROP
    seed: int = KERNELGAN_SEED
    device: str = 'cpu'
    batch: Optional[int] = None
    min_pooled_images: int = MIN_POOLED_IMAGES
    shard: Optional[Tuple[int, int]] = None
    max_images: Optional[int] = None
    redo: bool = False
    workers: int = 1
    progress: bool = True
    image_size: Optional[Tuple[int, int]] = None

    @classmethod
    def from_spec(cls, spec, **run) -> 'KernelPoolOptions':
        """The options that write a config's kernel pool (:func:`~.config.pool_spec`): its
        folders, image size and settings (scale, method, KernelGAN's iterations, crop and
        seed), and ``run`` for the rest (device, batch, ...) or instead of a setting."""
        made_with = {key: spec.settings[key] for key in MADE_WITH if key in spec.settings}
        return cls(
            spec.src_dir,
            spec.out_dir,
            spec.settings['scale'],
            spec.settings['method'],
            image_size=spec.image_size,
            **dict(made_with, **run))


def resolve_options(options: KernelPoolOptions) -> KernelPoolOptions:
    """A copy with the device, batch and shard of this process filled in, checked.

    Raises:
        ValueError: A count below 1, or a sharded ``spectral-pooled`` run.
        RuntimeError: CUDA asked for and not available.
    """
    shard = options.shard if options.shard is not None else shard_from_environment()
    device = process_device(options.device)
    batch = options.batch
    if batch is None:
        batch = DEFAULT_BATCH['cuda' if device.startswith('cuda') else 'cpu']
    options = dataclasses.replace(options, shard=tuple(shard), device=device, batch=batch)
    for name in ('batch', 'max_images', 'min_pooled_images'):
        if getattr(options, name) is not None and getattr(options, name) < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be at least 1, got '
                             f'{getattr(options, name)}')
    if options.method == 'spectral-pooled' and shard[1] > 1:
        raise ValueError(f'--method spectral-pooled fits all images at once and cannot be '
                         f'sharded (shard {shard[0]}/{shard[1]} asked for); run one process')
    return options


def plan_batches(work: Sequence[WorkItem], done: Dict, unusable: set,
                 batch: int) -> Tuple[List[WorkItem], List]:
    """Fixed batches of the usable images (done or not).

    Returns:
        tuple[list, list]: The usable items, and ``(number, items)`` for every
        batch with something to do.
    """
    usable = [it for it in work if it.file not in unusable]
    batches = [usable[i:i + batch] for i in range(0, len(usable), batch)]
    return usable, [(number, b) for number, b in enumerate(batches)
                    if any(it.pool_file not in done for it in b)]


def check_and_plan(options: KernelPoolOptions, work: Sequence[WorkItem], done: Dict,
                   todo: Sequence[WorkItem]):
    """Check the images to estimate, then plan the batches of the usable ones.

    The check comes first, so that a bad file is reported before hours of training, but only
    one batch is kept in memory at a time.

    Returns:
        tuple[list, list, list]: The usable items, the skipped entries and the batches.
    """
    checks = parallel_map(
        functools.partial(check_image, options.src_dir, options.method, options.crop),
        [item.file for item in todo], options.workers, 'checking images', options.progress)
    skipped = [c for c in checks if c is not None]
    pooled = options.method == 'spectral-pooled'
    usable, batches = plan_batches(work, done, {s['file']
                                                for s in skipped},
                                   max(1, len(work)) if pooled else options.batch)
    if work and not usable:
        raise ValueError(f'none of the {len(work)} images in {options.src_dir!r} could be used: ' +
                         '; '.join(f'{s["file"]}: {s["reason"]}' for s in skipped[:5]))
    return usable, skipped, batches


def new_kernels(out_dir: str, progress: ShardProgress, batch: Sequence[WorkItem]) -> List[str]:
    """The kernel files of a batch to (re)write: not recorded, or recorded but missing."""
    return [
        it.pool_file for it in batch
        if it.pool_file not in progress.records or not osp.isfile(osp.join(out_dir, it.pool_file))
    ]


def run_batches(options: KernelPoolOptions,
                progress: ShardProgress,
                batches: List,
                total: int,
                pooled=None) -> int:
    """Estimate the batches (reading the next one meanwhile); returns the kernels written."""
    written, (index, count) = 0, options.shard
    bar = tqdm(
        total=total,
        initial=progress.done_before,
        unit='img',
        dynamic_ncols=True,
        desc='kernels' if count == 1 else f'kernels, shard {index}/{count}',
        disable=not options.progress)
    read = functools.partial(read_batch, options.src_dir, method=options.method)
    with bar, ThreadPoolExecutor(1) as reader:
        pending = reader.submit(read, batches[0][1]) if batches else None
        for k, (number, batch) in enumerate(batches):
            images = pending.result()
            if k + 1 < len(batches):
                pending = reader.submit(read, batches[k + 1][1])
            kernels, records = estimate_batch(options, progress.settings, number, batch, images,
                                              pooled)
            new = new_kernels(options.out_dir, progress, batch)
            # Stale kernels (other settings, redo) go before the new records
            # are saved, so that no record ever describes an old file.
            for name in new:
                if osp.exists(osp.join(options.out_dir, name)):
                    os.remove(osp.join(options.out_dir, name))
            progress.records.update({name: records[name] for name in new})
            progress.save(complete=False)
            for name in new:
                save_npy_atomic(osp.join(options.out_dir, name), kernels[name])
            written += len(new)
            bar.update(len(new))
    return written


def warn_suspects(method: str, records) -> None:
    """Name the images of this run whose kernels are suspect, on stderr."""
    new_suspects = suspects(records)
    if new_suspects:
        why = ('the generator did not grow a kernel (raw kernel sum far from 1; more --iters '
               'or another --seed may help)' if method == 'kernelgan' else
               'the spectrum fixed no blur (mostly noise), the kernel is the widest allowed')
        print(
            f'warning: {len(new_suspects)} image(s) are suspect, {why}: '
            f'{", ".join(new_suspects)}',
            file=sys.stderr)


def warn_per_image_x4(options: KernelPoolOptions, written: int) -> None:
    """At x4 one image rarely holds its kernel: say so on stderr when ``spectral`` wrote any."""
    if options.method == 'spectral' and options.scale == 4 and written:
        print(
            "warning: --method spectral at x4: one image's kernel is not reliable (on the "
            'development photographs it loses to an isotropic guess of the true size on '
            'average: benchmarks/RESULTS.md#kernel_estimation); for images of one camera, use '
            '--method spectral-pooled',
            file=sys.stderr)


def write_kernel_pool(options: KernelPoolOptions) -> int:
    """Estimate this process's kernels of a pool, and its summary when every shard is done.

    Prints skipped images, suspect kernels and the per-image x4 warning on stderr, and a last
    line saying what was written (:func:`mmssg.utils.finish`).

    Returns:
        int: The exit status: 0, or :data:`~mmssg.utils.EXIT_SKIPPED` when unreadable or too
        small images were skipped (listed in the summary).
    """
    sources = pool_sources(options.src_dir, options.out_dir, '.npy', options.image_size)
    check_no_foreign_files(options.src_dir, options.out_dir, sources, ('.npy', ), 'kernel')
    options = resolve_options(options)
    work, digest = select_work(sources.jobs, options.max_images, options.seed, options.shard)
    settings = kernel_settings(options.method, options.scale, options.iterations, options.crop,
                               options.seed)
    if options.method == 'spectral-pooled':
        settings['pooled_over'] = digest
    done, todo = sort_out(work, options.out_dir, settings, options.redo)
    usable, skipped, batches = check_and_plan(options, work, done, todo)
    pooled = None
    if options.method == 'spectral-pooled' and batches:
        check_pool_size(options, usable, skipped)
        pooled = pooled_estimate(options, usable)
    os.makedirs(options.out_dir, exist_ok=True)
    selection = selection_fields(sources)
    progress = ShardProgress(
        options, settings,
        dict(found=len(work), usable=usable, skipped=skipped, digest=digest, selection=selection),
        done)
    written = run_batches(options, progress, batches, len(usable), pooled)
    progress.save(complete=True)
    merged = merge_shards(options, settings, digest, selection)
    warn_suspects(options.method, (r for name, r in progress.records.items() if name not in done))
    warn_per_image_x4(options, written)
    (index, count), size = options.shard, settings['kernel_size']
    where = (f'{merged} written'
             if merged else f'{SUMMARY_NAME} follows when all {count} shards are done')
    done_line = (f'wrote {written} kernels ({size}x{size}, x{options.scale}) to '
                 f'{options.out_dir}, {len(done)} already there (shard {index}/{count}); '
                 f'{where}{left_out_text(sources)}')
    return finish(done_line, skipped,
                  osp.join(options.out_dir, progress.name if not merged else SUMMARY_NAME))
