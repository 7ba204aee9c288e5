# Copyright (c) mmssg contributors. All rights reserved.
"""Build a blur-kernel pool from a folder of real LR images.

``--method`` chooses the estimator: ``kernelgan`` (the default, the paper's: KernelGAN per
image, :mod:`mmssg.degradation.kernelgan`), ``spectral`` (a Gaussian blur fitted to each
image's power spectrum, :mod:`mmssg.degradation.spectral_kernels`; deterministic, seconds
per folder) or ``spectral-pooled`` (one such fit to the pooled spectrum of all images, for a
folder from one camera: every kernel is the same). ``benchmarks/kernel_estimation.py``
measures them against known blurs (figures in ``benchmarks/RESULTS.md``).

Writes one ``<name>.npy`` per image (float32, square, odd size, centred,
summing to 1; a true convolution kernel at HR resolution for ``--scale``),
``<name>`` being the image's path relative to SRC_DIR without its extension,
folders joined by ``__`` (:func:`mmssg.utils.output_names`, as the noise-pool
tool names its files), and a ``summary.json``: the common fields of
:mod:`mmssg.utils.summary` (source folder, images found and read, skipped
files with reasons, parameters), ``settings`` (what determines a kernel:
method, scale, kernel size, and for KernelGAN iterations, crop, seed, schedule, for the
spectral methods the fit's settings (model version, periodogram tiles, priors), pooled: the
image list),
``kernel_size``, ``seconds``, ``suspect`` (images whose generator grew no
kernel, or whose spectral fit was clamped) and ``images`` (per kernel in the
folder: ``file``, ``pool_file``, ``seed_index``, ``settings``, ``batch``, and
for KernelGAN ``device``, ``final_losses``, ``raw_kernel_sum``, for the
spectral methods ``covariance`` (HR px^2, ``(x, y)``), ``exponent``,
``noise_power``, ``clamped`` and ``pooled_images``).

Resuming. Each kernel is written in one step (a temporary file renamed), so a
killed run never leaves half a kernel. A rerun skips every image whose kernel
exists and was made with the same ``settings``; a kernel made with other
settings (or a ``.npy`` no summary accounts for) stops the run with an error
naming the summary and the differing values, unless ``--redo`` asks to
recompute it (a pool made with another ``--method`` is one of these). Images are
trained in fixed batches of the image list (``--batch``
consecutive usable images of the shard), whatever is already done, so a
resumed run writes exactly the kernels an uninterrupted run would have
(batched sums make a KernelGAN kernel depend a little on its batch; a spectral one does not).
``spectral-pooled`` fits all usable images at once and cannot be sharded; it refuses a
folder with fewer usable images than ``--min-pooled-images`` (default
:data:`~mmssg.degradation.spectral_kernels.MIN_POOLED_IMAGES`): with fewer, which images are
pooled moves the kernel beyond the benchmark's tolerances.

Sharding. ``--shard I/N`` (or ``torchrun``'s ``RANK`` / ``WORLD_SIZE``) makes
this process estimate images ``I, I+N, I+2N, ...`` of the sorted list, so that
N processes on N GPUs or machines fill one pool folder. Each records its
progress in ``summary.shard-I-of-N.json``; whichever finishes last writes
``summary.json`` for the whole pool (the shard summaries stay, N > 1). Under
``torchrun``, ``--device cuda`` means GPU ``LOCAL_RANK`` (modulo the GPUs
visible), so several processes can also share one GPU. An image's seeds
follow its position in the sorted list of SRC_DIR (``seed_index``), whatever
the shard, subset or batch. ``--max-images K`` estimates a seeded random
subset of K images (drawn before sharding, with ``--seed``).

Images are read by :func:`mmssg.utils.read_image`; 16-bit images are used at
full precision (KernelGAN works on ``[-1, 1]`` whatever the depth).

Examples::

    python tools/data/estimate_kernels.py data/real_lr data/kernel_pool_x4 --scale 4 \
        --device cuda
    python tools/data/estimate_kernels.py data/real_lr data/kernel_pool_x4 --scale 4 \
        --method spectral-pooled
    torchrun --nproc_per_node 8 tools/data/estimate_kernels.py data/real_lr \
        data/kernel_pool_x4 --scale 4 --device cuda

Exit status 3 when unreadable or too small images were skipped (listed in
the summary).
"""
import argparse
import functools
import hashlib
import json
import os
import os.path as osp
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import NamedTuple

import numpy as np
import torch
from tqdm import tqdm

from mmssg.degradation.kernelgan import (KERNEL_SIZE_X2, KERNEL_SIZE_X4, KernelGANSchedule,
                                         prepare_image, run_kernelgan)
from mmssg.degradation.power_spectra import image_power_spectrum, pool_power_spectra
from mmssg.degradation.spectral_kernels import MIN_POOLED_IMAGES, fit_settings, spectral_pool_kernel
from mmssg.utils import (SUMMARY_NAME, differing_settings, finish, parallel_map, parse_shard,
                         read_image, recorded_outputs, run_tool, save_npy_atomic, seeded_subset,
                         shard_from_environment, shard_summary_name, skipped_input, source_images,
                         take_shard, write_summary)

#: Images trained at once when ``--batch`` is not given. The CUDA value is a
#: first guess from the networks' size (tiny: a GPU holds hundreds of images'
#: networks); benchmarks/kernelgan_throughput.py finds where images per second
#: stop growing, to be confirmed on a GPU.
DEFAULT_BATCH = dict(cpu=16, cuda=128)
#: The estimators ``--method`` chooses from (the first is the paper's and the default).
METHODS = ('kernelgan', 'spectral', 'spectral-pooled')
#: Raw kernel sums further than this from 1 mean the generator grew no kernel.
SUSPECT_SUM_TOLERANCE = 0.2


class WorkItem(NamedTuple):
    """One image to estimate: its seed index, path relative to SRC_DIR, kernel file."""
    seed_index: int
    file: str
    pool_file: str


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Estimate one blur kernel per image (SSG-RWSR section 3.2).')
    parser.add_argument('src_dir', help='folder of real LR images (searched recursively)')
    parser.add_argument('out_dir', help='where to write <name>.npy and summary.json')
    parser.add_argument(
        '--scale',
        type=int,
        choices=(2, 4),
        required=True,
        help="SR scale the kernels are for (KernelGAN's x4 kernel composes "
        'its x2 kernel)')
    parser.add_argument(
        '--method',
        choices=METHODS,
        default='kernelgan',
        help="'kernelgan' (the paper's), 'spectral' (a Gaussian fitted to each "
        "image's spectrum) or 'spectral-pooled' (one fit to all images: one "
        "camera); see benchmarks/RESULTS.md for how they compare")
    parser.add_argument(
        '--iters', type=int, default=3000, help='KernelGAN training steps per image')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seeds every image (with its index) and the --max-images draw')
    parser.add_argument(
        '--batch',
        type=int,
        default=None,
        help='images estimated at once on the device (batched networks). An '
        "image's seeds do not depend on it, its kernel does a little (sums "
        f"run in another order). Default: {DEFAULT_BATCH['cpu']} on CPU, "
        f"{DEFAULT_BATCH['cuda']} on CUDA")
    parser.add_argument('--crop', type=int, default=64, help='generator crop size (even)')
    parser.add_argument(
        '--min-pooled-images',
        type=int,
        default=MIN_POOLED_IMAGES,
        metavar='K',
        help='spectral-pooled: refuse a folder with fewer usable images (default: '
        f'{MIN_POOLED_IMAGES}; fewer images make the kernel depend on which ones, '
        'benchmarks/RESULTS.md)')
    parser.add_argument(
        '--shard',
        default=None,
        metavar='I/N',
        help='estimate only images I, I+N, ... of the sorted list (default: '
        "torchrun's RANK/WORLD_SIZE, else all)")
    parser.add_argument(
        '--max-images',
        type=int,
        default=None,
        metavar='K',
        help='estimate a random subset of K images, drawn with --seed')
    parser.add_argument(
        '--redo',
        action='store_true',
        help='recompute kernels made with other settings instead of stopping')
    parser.add_argument(
        '--workers',
        type=int,
        default=min(8,
                    os.cpu_count() or 1),
        help='processes checking the images before training (default: '
        'min(8, CPU cores))')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bars')
    return parser.parse_args(argv)


def process_device(device, environ=None):
    """``device``, with ``'cuda'`` under a launcher taken as this process's GPU."""
    environ = os.environ if environ is None else environ
    if str(device).startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError(f'--device {device} asked for, but CUDA is not available')
    if device == 'cuda' and 'LOCAL_RANK' in environ:
        return f"cuda:{int(environ['LOCAL_RANK']) % torch.cuda.device_count()}"
    return device


def kernel_settings(args, digest=None):
    """Everything that determines an image's kernel (besides the image and its seed index).

    ``digest`` names the run's image list, which a pooled kernel depends on.
    """
    if args.method == 'kernelgan':
        return dict(
            method='kernelgan',
            scale=args.scale,
            kernel_size=KERNEL_SIZE_X4 if args.scale == 4 else KERNEL_SIZE_X2,
            iterations=args.iters,
            crop=args.crop,
            seed=args.seed,
            schedule=asdict(KernelGANSchedule()))
    settings = dict(method=args.method, **fit_settings(args.scale))
    if args.method == 'spectral-pooled':
        settings['pooled_over'] = digest
    return settings


def select_work(jobs, max_images, seed, shard):
    """This process's images: the seeded subset (if any) of all, then the shard's part."""
    items = [WorkItem(i, rel, name) for i, (rel, name) in enumerate(jobs)]
    if max_images is not None:
        items = seeded_subset(items, max_images, seed)
    digest = hashlib.sha256(json.dumps([it.file for it in items]).encode()).hexdigest()[:16]
    return take_shard(items, *shard), digest


def _describe(differences):
    """``{'key': (recorded, asked)}`` as ``key=recorded (this run: asked), ...``.

    Another method differs in every other setting too: it alone is named then.
    """
    if 'method' in differences:
        differences = dict(method=differences['method'])
    return ', '.join(f'{key}={old!r} (this run: {new!r})'
                     for key, (old, new) in differences.items())


def sort_out(work, out_dir, settings, redo):
    """Split the work into images already done and images to estimate.

    Returns:
        tuple[dict, list]: Records of the done images (by kernel file) and
        the items to estimate.

    Raises:
        ValueError: Without ``redo``, a kernel exists that was made with other
            settings or that no summary records; the message names the summary
            (or the file) and the differing values.
    """
    records = recorded_outputs(out_dir)
    done, todo, clashes = {}, [], []
    for item in work:
        if not osp.isfile(osp.join(out_dir, item.pool_file)):
            todo.append(item)
            continue
        known = records.get(item.pool_file)
        if known is None:
            clashes.append(f'{osp.join(out_dir, item.pool_file)} exists, but no summary in '
                           f'{out_dir} records it (not written by this tool)')
        elif 'settings' not in known.record:
            clashes.append(f'{known.summary_path} records {item.pool_file} without its settings '
                           '(written by an older version of this tool)')
        elif differing_settings(known.record['settings'], settings):
            clashes.append(f'{known.summary_path} records {item.pool_file} made with ' +
                           _describe(differing_settings(known.record['settings'], settings)))
        else:
            done[item.pool_file] = known.record
            continue
        todo.append(item)
    if clashes and not redo:
        raise ValueError(f'{len(clashes)} kernel(s) in {out_dir} were not made with the settings '
                         f'of this run; pass --redo to recompute them, or choose another output '
                         f'folder. {clashes[0]}' +
                         (f' (and {len(clashes) - 1} more)' if len(clashes) > 1 else ''))
    return done, todo


def check_image(src_dir, method, crop, rel):
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


def plan_batches(work, done, unusable, batch):
    """Fixed batches of the usable images (done or not).

    Returns:
        tuple[list, list]: The usable items, and ``(number, items)`` for every
        batch with something to do.
    """
    usable = [it for it in work if it.file not in unusable]
    batches = [usable[i:i + batch] for i in range(0, len(usable), batch)]
    return usable, [(number, b) for number, b in enumerate(batches)
                    if any(it.pool_file not in done for it in b)]


def read_batch(src_dir, batch, method):
    if method == 'spectral-pooled':  # the kernel is fitted already (pooled_estimate)
        return [None] * len(batch)
    return [read_image(osp.join(src_dir, item.file)) for item in batch]


class ShardProgress:
    """This process's summary, ``summary.shard-I-of-N.json``, rewritten after every batch.

    Args:
        args (argparse.Namespace): The tool's arguments.
        shard (tuple[int, int]): ``(I, N)``.
        settings (dict): :func:`kernel_settings`.
        work (dict): ``found``, ``usable``, ``skipped`` and ``digest`` (names
            the run's whole image list, the same in every shard).
        done (dict): Records of the images done before, by kernel file.
    """

    def __init__(self, args, shard, settings, work, done):
        self.args, self.shard, self.settings, self.work = args, shard, settings, work
        self.records = dict(done)
        self.done_before = len(done)
        self.start = time.time()

    @property
    def name(self):
        return shard_summary_name(*self.shard)

    def save(self, complete):
        args = self.args
        write_summary(
            args.out_dir,
            args.src_dir,
            self.work['found'],
            len(self.work['usable']),
            self.work['skipped'],
            run_parameters(args, self.shard),
            name=self.name,
            settings=self.settings,
            work=self.work['digest'],
            shard=dict(index=self.shard[0], count=self.shard[1]),
            complete=complete,
            done_before=self.done_before,
            kernel_size=self.settings['kernel_size'],
            seconds=round(time.time() - self.start, 1),
            suspect=suspects(self.records.values()),
            images=[self.records[name] for name in sorted(self.records)])


def run_parameters(args, shard=None):
    parameters = dict(
        method=args.method,
        scale=args.scale,
        iterations=args.iters,
        seed=args.seed,
        batch=args.batch,
        crop=args.crop,
        device=str(args.device),
        max_images=args.max_images,
        redo=args.redo)
    if shard is not None:
        parameters['shard'] = f'{shard[0]}/{shard[1]}'
    return parameters


def suspects(records):
    # KernelGAN: the generator's own kernel should sum to ~1; far from it, the
    # generator never grew a kernel and the saved one is noise. Spectral: the
    # fitted blur was wider than a kernel holds (a spectrum of mostly noise).
    return sorted(
        r['file'] for r in records
        if abs(r.get('raw_kernel_sum', 1) - 1) > SUSPECT_SUM_TOLERANCE or r.get('clamped'))


def kernelgan_batch(args, batch, images):
    """KernelGAN on one batch: its kernels and the per-image record fields."""
    results = run_kernelgan(
        images,
        scale=args.scale,
        iters=args.iters,
        device=args.device,
        seed=args.seed,
        batch_size=len(images),
        crop=args.crop,
        progress=not args.no_progress,
        indices=[item.seed_index for item in batch])
    return [(r.kernel,
             dict(
                 device=str(args.device),
                 final_losses=r.losses,
                 raw_kernel_sum=float(r.raw_kernel_x2.sum()))) for r in results]


def spectral_record(result, pooled_images=1):
    """The record fields of a :class:`SpectralKernel`."""
    return dict(
        covariance=np.round(result.covariance, 6).tolist(),
        exponent=result.fit.exponent,
        noise_power=result.fit.noise_power,
        clamped=result.clamped,
        pooled_images=pooled_images)


def check_pool_size(args, usable, skipped):
    """Refuse a pooled fit over fewer usable images than ``--min-pooled-images``."""
    if len(usable) < args.min_pooled_images:
        unusable = f' ({len(skipped)} more could not be used)' if skipped else ''
        raise ValueError(
            f'--method spectral-pooled: {args.src_dir!r} has {len(usable)} usable image(s)'
            f'{unusable}, fewer than --min-pooled-images {args.min_pooled_images}: pooled over '
            'so few, the kernel depends on which images they are (benchmarks/RESULTS.md). Add '
            'images of the same camera, use --method spectral, or lower --min-pooled-images')


def pooled_estimate(args, usable):
    """``spectral-pooled``: one fit to the periodograms of all usable images, each read once."""
    spectra = parallel_map(
        functools.partial(spectrum_of, args.src_dir), [item.file for item in usable], args.workers,
        'spectra', not args.no_progress)
    result = spectral_pool_kernel(pool_power_spectra(spectra), args.scale)
    return result.kernel, spectral_record(result, len(spectra))


def spectrum_of(src_dir, rel):
    return image_power_spectrum(read_image(osp.join(src_dir, rel)), name=rel)


def estimate_batch(args, settings, shard, number, batch, images):
    """Estimate one batch; its kernels and their summary records, by kernel file."""
    if args.method == 'kernelgan':
        estimates = kernelgan_batch(args, batch, images)
    elif args.method == 'spectral':
        estimates = []
        for item, image in zip(batch, images):
            spectrum = image_power_spectrum(image, name=item.file)
            result = spectral_pool_kernel(spectrum, args.scale)
            estimates.append((result.kernel, spectral_record(result)))
    else:
        estimates = [args.pooled] * len(batch)
    kernels, records = {}, {}
    for item, (kernel, extra) in zip(batch, estimates):
        kernels[item.pool_file] = kernel
        records[item.pool_file] = dict(
            file=item.file,
            pool_file=item.pool_file,
            seed_index=item.seed_index,
            settings=settings,
            batch=dict(shard=f'{shard[0]}/{shard[1]}', number=number, images=len(batch)),
            **extra)
    return kernels, records


def run_batches(args, progress, batches, total):
    """Estimate the batches (reading the next one meanwhile); returns the kernels written."""
    written = 0
    bar = tqdm(
        total=total,
        initial=progress.done_before,
        unit='img',
        dynamic_ncols=True,
        desc='kernels'
        if progress.shard[1] == 1 else f'kernels, shard {progress.shard[0]}/{progress.shard[1]}',
        disable=args.no_progress)
    with bar, ThreadPoolExecutor(1) as reader:
        pending = reader.submit(read_batch, args.src_dir, batches[0][1],
                                args.method) if batches else None
        for k, (number, batch) in enumerate(batches):
            images = pending.result()
            if k + 1 < len(batches):
                pending = reader.submit(read_batch, args.src_dir, batches[k + 1][1], args.method)
            kernels, records = estimate_batch(args, progress.settings, progress.shard, number,
                                              batch, images)
            new = [
                it.pool_file for it in batch if it.pool_file not in progress.records
                or not osp.isfile(osp.join(args.out_dir, it.pool_file))
            ]
            # Stale kernels (other settings, --redo) go before the new records
            # are saved, so that no record ever describes an old file.
            for name in new:
                if osp.exists(osp.join(args.out_dir, name)):
                    os.remove(osp.join(args.out_dir, name))
            progress.records.update({name: records[name] for name in new})
            progress.save(complete=False)
            for name in new:
                save_npy_atomic(osp.join(args.out_dir, name), kernels[name])
            written += len(new)
            bar.update(len(new))
    return written


def merge_shards(args, count, settings, digest):
    """Write ``summary.json`` if every shard of this run is complete; its path, else None."""
    shards = []
    for index in range(count):
        path = osp.join(args.out_dir, shard_summary_name(index, count))
        if not osp.isfile(path):
            return None
        with open(path) as f:
            summary = json.load(f)
        if not summary.get('complete') or summary.get('work') != digest:
            return None  # still running, or left by a run over another image list
        diff = differing_settings(summary.get('settings'), settings)
        if diff:
            raise ValueError(f'{path} was made with {_describe(diff)}; all shards of a pool need '
                             'the same settings (rerun that shard with them, or with --redo)')
        shards.append(summary)
    records = recorded_outputs(args.out_dir)
    images = [
        rec.record for name, rec in sorted(records.items())
        if osp.isfile(osp.join(args.out_dir, name))
    ]
    write_summary(
        args.out_dir,
        args.src_dir,
        sum(s['images_found'] for s in shards),
        sum(s['images_read'] for s in shards),
        sum((s['skipped'] for s in shards), []),
        run_parameters(args),
        shards=count,
        settings=settings,
        work=digest,
        kernel_size=settings['kernel_size'],
        seconds=max(s['seconds'] for s in shards),
        suspect=suspects(images),
        images=images)
    if count == 1:  # one process: its progress file is the summary now
        os.remove(osp.join(args.out_dir, shard_summary_name(0, 1)))
    return osp.join(args.out_dir, SUMMARY_NAME)


def main(argv=None):
    args = parse_args(argv)
    jobs = source_images(args.src_dir, args.out_dir, '.npy')
    shard = parse_shard(args.shard) if args.shard is not None else shard_from_environment()
    args.device = process_device(args.device)
    if args.batch is None:
        args.batch = DEFAULT_BATCH['cuda' if args.device.startswith('cuda') else 'cpu']
    for name in ('batch', 'max_images', 'min_pooled_images'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be at least 1, got '
                             f'{getattr(args, name)}')
    if args.method == 'spectral-pooled' and shard[1] > 1:
        raise ValueError(f'--method spectral-pooled fits all images at once and cannot be '
                         f'sharded (shard {shard[0]}/{shard[1]} asked for); run one process')
    work, digest = select_work(jobs, args.max_images, args.seed, shard)
    settings = kernel_settings(args, digest)
    done, todo = sort_out(work, args.out_dir, settings, args.redo)
    # Check the images to estimate first (so a bad file is reported before
    # hours of training), but keep only one batch in memory at a time.
    checks = parallel_map(
        functools.partial(check_image, args.src_dir, args.method, args.crop),
        [item.file for item in todo], args.workers, 'checking images', not args.no_progress)
    skipped = [c for c in checks if c is not None]
    unusable = {s['file'] for s in skipped}
    pooled = args.method == 'spectral-pooled'
    usable, batches = plan_batches(work, done, unusable,
                                   max(1, len(work)) if pooled else args.batch)
    if work and not usable:
        raise ValueError(f'none of the {len(work)} images in {args.src_dir!r} could be used: ' +
                         '; '.join(f'{s["file"]}: {s["reason"]}' for s in skipped[:5]))
    if pooled and batches:
        check_pool_size(args, usable, skipped)
        args.pooled = pooled_estimate(args, usable)
    os.makedirs(args.out_dir, exist_ok=True)
    progress = ShardProgress(args, shard, settings,
                             dict(found=len(work), usable=usable, skipped=skipped, digest=digest),
                             done)
    written = run_batches(args, progress, batches, len(usable))
    progress.save(complete=True)
    merged = merge_shards(args, shard[1], settings, digest)
    new_suspects = suspects(r for name, r in progress.records.items() if name not in done)
    if new_suspects:
        why = ('the generator did not grow a kernel (raw kernel sum far from 1; more --iters '
               'or another --seed may help)' if args.method == 'kernelgan' else
               'the spectrum fixed no blur (mostly noise), the kernel is the widest allowed')
        print(
            f'warning: {len(new_suspects)} image(s) are suspect, {why}: '
            f'{", ".join(new_suspects)}',
            file=sys.stderr)
    size = settings['kernel_size']
    where = (f'{merged} written'
             if merged else f'{SUMMARY_NAME} follows when all {shard[1]} shards are done')
    done_line = (f'wrote {written} kernels ({size}x{size}, x{args.scale}) to {args.out_dir}, '
                 f'{len(done)} already there (shard {shard[0]}/{shard[1]}); {where}')
    return finish(done_line, skipped,
                  osp.join(args.out_dir, progress.name if not merged else SUMMARY_NAME))


if __name__ == '__main__':
    run_tool(main)
