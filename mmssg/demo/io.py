# Copyright (c) mmssg contributors. All rights reserved.
"""The demo dataset on disk: its layout, writing it, and reusing or replacing it.

One folder holds three things:

* ``cityscapes/``: the *real LR* domain in the Cityscapes layout: ``leftImg8bit/`` (the LR
  images the hidden camera took), ``gtFine/`` (train-id labels on the LR grid) and
  ``leftImg8bit_hr/`` (the clean HR renders, for evaluation only).
* ``clean_hr/``: the *clean HR* domain (DF2K stand-in): renders from other seeds and the
  colour photographs that ship with scikit-image.
* ``camera_model.json`` (the hidden camera, for reporting only) and ``summary.json``, written
  last: its ``complete`` flag and ``request`` tell whether the folder can be reused.
"""
import dataclasses
import functools
import json
import os
import shutil

import numpy as np

from mmssg.utils import write_image_atomic, write_text_atomic
from ..utils.parallel import parallel_map
from .camera import CameraModel, apply_camera, camera_label_downsample
from .labels import CITYSCAPES_CLASSES, IGNORE_INDEX
from .render import CAMERA_STREAM, generate_scene, scene_rng
from .textures import PHOTO_NAMES, load_photographs

GENERATOR_NAME = 'mmssg.demo'
# the generator's former name, so datasets written before the move are still recognised
GENERATOR_NAMES = (GENERATOR_NAME, 'mmssg.datasets.demo_data')
FORMAT_VERSION = 1
DEFAULT_LR_SIZE = (128, 64)  # (width, height)
SPLIT_CITIES = {'train': ('demotown', 'synthburg'), 'val': ('pixelheim', )}
CITYSCAPES_FRAME = 19  # Cityscapes annotates the 20th frame of each snippet
GENERATED_ENTRIES = ('cityscapes', 'clean_hr', 'camera_model.json', 'summary.json')


class DemoDatasetError(FileExistsError):
    """The output folder cannot hold (or be replaced by) a demo dataset."""


def cityscapes_stem(city, index):
    """``<city>_<seq:06d>_<frame:06d>`` for the ``index``-th image of a city.

    Args:
        city (str): City name.
        index (int): Sequence number.
    """
    return f'{city}_{index:06d}_{CITYSCAPES_FRAME:06d}'


def split_entries(split, count):
    """``(city, stem)`` of every image of a split; images alternate between its cities.

    Args:
        split (str): ``'train'`` or ``'val'``.
        count (int): Number of images.
    """
    cities = SPLIT_CITIES[split]
    return [(cities[i % len(cities)], cityscapes_stem(cities[i % len(cities)], i // len(cities)))
            for i in range(count)]


def cityscapes_paths(split, city, stem):
    """Relative paths of an image's real LR file, label file and clean HR file.

    Args:
        split (str): ``'train'`` or ``'val'``.
        city (str): City name.
        stem (str): :func:`cityscapes_stem`.

    Returns:
        dict: ``lr``, ``label`` and ``hr`` paths relative to the dataset root.
    """
    image_name = f'{stem}_leftImg8bit.png'
    return dict(
        lr=os.path.join('cityscapes', 'leftImg8bit', split, city, image_name),
        label=os.path.join('cityscapes', 'gtFine', split, city, f'{stem}_gtFine_labelTrainIds.png'),
        hr=os.path.join('cityscapes', 'leftImg8bit_hr', split, city, image_name))


def expected_files(num_train, num_val, num_clean):
    """Every file a complete demo dataset holds, relative to its root.

    Args:
        num_train (int): Training images.
        num_val (int): Validation images.
        num_clean (int): Clean HR renders.
    """
    files = ['camera_model.json', 'summary.json']
    for split, count in (('train', num_train), ('val', num_val)):
        for city, stem in split_entries(split, count):
            files.extend(cityscapes_paths(split, city, stem).values())
    files += [os.path.join('clean_hr', f'render_{i:04d}.png') for i in range(num_clean)]
    files += [os.path.join('clean_hr', f'photo_{name}.png') for name in PHOTO_NAMES]
    return files


def _write_png(path, image):
    """Write an RGB or single-channel uint8 image as PNG, making its folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = image[..., ::-1] if image.ndim == 3 else image
    write_image_atomic(path, np.ascontiguousarray(data))


def _write_json(path, content):
    """Write ``content`` as indented JSON with sorted keys."""
    write_text_atomic(path, json.dumps(content, indent=2, sort_keys=True) + '\n')


def read_summary(out_dir):
    """The ``summary.json`` of a demo dataset, or None when there is none (or not ours).

    Args:
        out_dir (str): Dataset root.
    """
    path = os.path.join(out_dir, 'summary.json')
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get('generator') not in GENERATOR_NAMES:
        return None
    return summary


def check_output_dir(out_dir):
    """Classify the output folder, refusing what is not ours.

    Args:
        out_dir (str): Dataset root.

    Returns:
        str: ``'new'`` (absent or empty) or ``'demo'`` (holds a previous demo dataset,
        complete or not).

    Raises:
        DemoDatasetError: ``out_dir`` is a file, or a non-empty folder without a demo
        dataset's ``summary.json``.
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise DemoDatasetError(f'{out_dir} exists and is not a directory')
    if not os.path.isdir(out_dir) or not os.listdir(out_dir):
        return 'new'
    if read_summary(out_dir) is None:
        raise DemoDatasetError(
            f'{out_dir} is not empty and holds no demo dataset (no summary.json written by '
            f'{GENERATOR_NAME}); choose an empty or new directory')
    return 'demo'


def remove_generated(out_dir):
    """Delete what a demo dataset consists of (``GENERATED_ENTRIES``), nothing else.

    Args:
        out_dir (str): Dataset root.
    """
    for name in GENERATED_ENTRIES:
        path = os.path.join(out_dir, name)
        if os.path.islink(path) or os.path.isfile(path):
            os.remove(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)


def _request(seed, num_train, num_val, num_clean, lr_size, camera):
    """The parameters that define a dataset (compared on reuse)."""
    scale = camera.scale
    return dict(
        seed=int(seed),
        num_train=int(num_train),
        num_val=int(num_val),
        num_clean=int(num_clean),
        lr_size=[int(lr_size[0]), int(lr_size[1])],
        hr_size=[int(lr_size[0]) * scale, int(lr_size[1]) * scale],
        scale=scale,
        camera=dataclasses.asdict(camera))


def _is_complete(out_dir, summary, request):
    """Whether ``summary`` describes a finished dataset made with ``request``."""
    if not summary.get('complete') or summary.get('request') != request:
        return False
    return all(
        os.path.isfile(os.path.join(out_dir, rel))
        for rel in expected_files(request['num_train'], request['num_val'], request['num_clean']))


def _class_frequencies(counts):
    """Pixel fractions per class name (and ``ignore``) from a 256-bin histogram."""
    total = max(int(counts.sum()), 1)
    freqs = {name: round(int(counts[i]) / total, 6) for i, name in enumerate(CITYSCAPES_CLASSES)}
    freqs['ignore'] = round(int(counts[IGNORE_INDEX]) / total, 6)
    return freqs


def _no_progress(iterable, total, desc):
    """The ``progress`` callback that shows nothing."""
    return iterable


def _reusable_summary(out_dir, request, fresh, log):
    """Check the output folder; return the summary of a dataset to reuse as it is, or None
    after clearing what must be regenerated.

    Raises:
        DemoDatasetError: See :func:`make_demo_dataset`.
    """
    if check_output_dir(out_dir) != 'demo':
        return None
    summary = read_summary(out_dir)
    if not fresh:
        if _is_complete(out_dir, summary, request):
            log(f'Reusing the demo dataset in {out_dir} (seed {request["seed"]}); '
                f'pass --fresh to regenerate it')
            return summary
        if summary.get('complete'):
            differences = sorted(
                k for k in request if summary.get('request', {}).get(k) != request[k])
            if differences:
                raise DemoDatasetError(
                    f'{out_dir} holds a demo dataset made with other {", ".join(differences)}'
                    f'; pass --fresh to replace it')
        log(f'The demo dataset in {out_dir} is incomplete; regenerating it')
    remove_generated(out_dir)
    return None


def _map(fn, items, desc, progress, workers):
    """``[fn(item) for item in items]``, in ``workers`` processes when more than one.

    Every image draws from its own seeded streams, so the files do not depend on ``workers``.
    """
    items = list(items)
    if workers > 1:
        return parallel_map(fn, items, workers, desc, progress=progress is not _no_progress)
    return [fn(item) for item in progress(items, len(items), desc)]


def _write_scene(out_dir, split, request, camera, entry):
    """Render one scene, photograph it and write its three files; returns label counts."""
    index, (city, stem) = entry
    seed, hr_size = request['seed'], tuple(request['hr_size'])
    hr, hr_labels = generate_scene(seed, split, index, hr_size)
    lr = apply_camera(hr, camera, scene_rng(seed, split, index, CAMERA_STREAM))
    labels = camera_label_downsample(hr_labels, camera.scale)
    paths = cityscapes_paths(split, city, stem)
    _write_png(os.path.join(out_dir, paths['lr']), lr)
    _write_png(os.path.join(out_dir, paths['label']), labels)
    _write_png(os.path.join(out_dir, paths['hr']), hr)
    return np.bincount(labels.ravel(), minlength=256)


def _write_cityscapes_split(out_dir, split, count, request, camera, progress, workers=1):
    """Render, photograph and write the images of one split.

    Returns:
        tuple: ``(histogram, images_with_class)``: the 256-bin pixel histogram of the LR
        labels and, per class name, how many images hold it.
    """
    write = functools.partial(_write_scene, out_dir, split, request, camera)
    counts = _map(write, enumerate(split_entries(split, count)), f'cityscapes/{split}', progress,
                  workers)
    counts = np.array(counts, dtype=np.int64).reshape(-1, 256)
    histogram, present = counts.sum(axis=0), (counts > 0).sum(axis=0)
    return histogram, {name: int(present[i]) for i, name in enumerate(CITYSCAPES_CLASSES)}


def _write_render(out_dir, request, index):
    hr, _ = generate_scene(request['seed'], 'clean', index, tuple(request['hr_size']))
    _write_png(os.path.join(out_dir, 'clean_hr', f'render_{index:04d}.png'), hr)


def _write_clean_hr(out_dir, request, progress, workers=1):
    """Write the clean HR renders and photographs; returns the photographs by name."""
    _map(
        functools.partial(_write_render, out_dir, request), range(request['num_clean']),
        'clean_hr/render', progress, workers)
    photos = load_photographs()
    for name in progress(PHOTO_NAMES, len(PHOTO_NAMES), 'clean_hr/photo'):
        _write_png(os.path.join(out_dir, 'clean_hr', f'photo_{name}.png'), photos[name])
    return photos


def _contents(request, split_statistics, photos):
    """What ``summary.json`` says about a finished dataset besides its request."""
    return dict(
        complete=True,
        seed=request['seed'],
        scale=request['scale'],
        lr_size=list(request['lr_size']),
        hr_size=list(request['hr_size']),
        counts=dict(
            train=request['num_train'],
            val=request['num_val'],
            clean_renders=request['num_clean'],
            clean_photos=len(PHOTO_NAMES)),
        cities={
            split: list(cities)
            for split, cities in SPLIT_CITIES.items()
        },
        classes=list(CITYSCAPES_CLASSES),
        ignore_index=IGNORE_INDEX,
        class_pixel_frequency={
            split: _class_frequencies(histogram)
            for split, (histogram, _) in split_statistics.items()
        },
        images_with_class={
            split: present
            for split, (_, present) in split_statistics.items()
        },
        photo_sizes={
            name: [int(p.shape[1]), int(p.shape[0])]
            for name, p in photos.items()
        })


def _write_dataset(out_dir, request, split_counts, camera, progress, workers):
    """Write every file of a dataset under ``out_dir``; returns its complete summary."""
    os.makedirs(out_dir, exist_ok=True)
    summary = dict(
        generator=GENERATOR_NAME, format_version=FORMAT_VERSION, complete=False, request=request)
    _write_json(os.path.join(out_dir, 'summary.json'), summary)  # marks the folder as ours
    split_statistics = {
        split: _write_cityscapes_split(out_dir, split, count, request, camera, progress, workers)
        for split, count in zip(('train', 'val'), split_counts)
    }
    photos = _write_clean_hr(out_dir, request, progress, workers)
    _write_json(os.path.join(out_dir, 'camera_model.json'), camera.to_dict())
    summary.update(_contents(request, split_statistics, photos))
    _write_json(os.path.join(out_dir, 'summary.json'), summary)
    return summary


def make_demo_dataset(out_dir,
                      seed=0,
                      num_train=32,
                      num_val=8,
                      num_clean=24,
                      lr_size=DEFAULT_LR_SIZE,
                      fresh=False,
                      camera=None,
                      progress=None,
                      log=print,
                      workers=1):
    """Generate (or reuse) the demo dataset under ``out_dir``.

    A complete dataset made with the same arguments is reused as it is (nothing is
    rewritten). One made with other arguments is refused unless ``fresh``; an unfinished one
    is regenerated. ``fresh`` deletes only the dataset's own entries
    (``GENERATED_ENTRIES``) first. Nothing is written outside ``out_dir``.

    Args:
        out_dir (str): Dataset root (created if missing).
        seed (int): Seed of every random choice. Default: 0.
        num_train (int): Real LR training images. Default: 32.
        num_val (int): Real LR validation images. Default: 8.
        num_clean (int): Clean HR renders (besides the photographs). Default: 24.
        lr_size (tuple): ``(width, height)`` of the LR images. Default: (128, 64).
        fresh (bool): Regenerate even when a dataset exists. Default: False.
        camera (CameraModel | None): Hidden camera; None for the default one.
        progress (callable | None): ``progress(iterable, total, desc)`` wrapping each loop
            (e.g. tqdm). Default: no display.
        log (callable): Receives one-line status messages. Default: print.
        workers (int): Processes that render the scenes; the files are the same for any
            number. Default: 1.

    Returns:
        dict: The summary (also in ``summary.json``), with ``reused`` telling whether an
        existing dataset was kept.

    Raises:
        DemoDatasetError: ``out_dir`` is a file, a folder that is not a demo dataset, or a
            demo dataset made with other arguments (without ``fresh``).
    """
    camera = camera or CameraModel()
    progress = progress or _no_progress
    width, height = int(lr_size[0]), int(lr_size[1])
    if width < 8 or height < 8 or min(num_train, num_val, num_clean) < 0:
        raise ValueError(f'bad sizes: lr_size={lr_size}, counts=({num_train}, {num_val}, '
                         f'{num_clean})')
    request = _request(seed, num_train, num_val, num_clean, lr_size, camera)
    reusable = _reusable_summary(out_dir, request, fresh, log)
    if reusable is not None:
        return dict(reusable, reused=True)
    summary = _write_dataset(out_dir, request, (num_train, num_val), camera, progress, workers)
    hr_width, hr_height = request['hr_size']
    log(f'Wrote the demo dataset to {out_dir}: {num_train} train + {num_val} val real LR '
        f'images {width}x{height} (HR {hr_width}x{hr_height}), {num_clean} clean renders '
        f'and {len(PHOTO_NAMES)} photographs')
    return dict(summary, reused=False)
