# Copyright (c) mmssg contributors. All rights reserved.
"""Splitting a pool's work over processes, and drawing a seeded subset of it.

A long job over a dataset (KernelGAN over every Cityscapes frame) runs as
``N`` independent processes, on one machine or many, that write into one
output folder. Process ``I`` of ``N`` takes the items at positions
``I, I + N, I + 2N, ...`` of the full, sorted list: deterministic, balanced
within one item, and independent of what is already done. The split comes
from ``--shard I/N`` or, under ``torchrun``, from its ``RANK`` and
``WORLD_SIZE``.

Each process records its progress in its own summary file,
``summary.shard-I-of-N.json`` (``N = 1`` without sharding), so that no two
processes write the same file; the folder's ``summary.json`` is written once
every shard is complete.
"""
import hashlib
import json
import os
import re
from typing import List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from mmssg.utils import SUMMARY_NAME

_SHARD_SUMMARY = re.compile(r'^summary\.shard-(\d+)-of-(\d+)\.json$')


def shard_summary_name(index: int, count: int) -> str:
    """File name of shard ``index`` of ``count``'s progress summary."""
    return f'summary.shard-{index}-of-{count}.json'


def is_summary_name(name: str) -> bool:
    """Whether ``name`` is ``summary.json`` or a shard's summary."""
    return name == SUMMARY_NAME or _SHARD_SUMMARY.match(name) is not None


def parse_shard(spec: str) -> Tuple[int, int]:
    """``'I/N'`` -> ``(I, N)``, with ``0 <= I < N``.

    Raises:
        ValueError: ``spec`` is not two integers ``I/N`` with ``N >= 1`` and
            ``0 <= I < N``; the message quotes it.
    """
    match = re.fullmatch(r'\s*(-?\d+)\s*/\s*(-?\d+)\s*', str(spec))
    if match is None:
        raise ValueError(f'shard {spec!r}: expected I/N, two integers with 0 <= I < N '
                         '(e.g. 0/4 for the first of four processes)')
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ValueError(f'shard {spec!r}: the number of shards N must be at least 1, got {count}')
    if not 0 <= index < count:
        raise ValueError(f'shard {spec!r}: the index I must be in 0..{count - 1} for N = {count}, '
                         f'got {index}')
    return index, count


def shard_from_environment(environ: Optional[Mapping[str, str]] = None) -> Tuple[int, int]:
    """``(RANK, WORLD_SIZE)`` as ``torchrun`` sets them, ``(0, 1)`` outside a launcher."""
    environ = os.environ if environ is None else environ
    if 'WORLD_SIZE' not in environ:
        return 0, 1
    spec = f"{environ.get('RANK', '0')}/{environ['WORLD_SIZE']}"
    try:
        return parse_shard(spec)
    except ValueError as error:
        raise ValueError(f'RANK and WORLD_SIZE from the launcher: {error}') from None


def take_shard(items: Sequence, index: int, count: int) -> list:
    """The items at positions ``index, index + count, ...``."""
    return list(items[index::count])


def seeded_subset(items: Sequence, size: int, seed: int) -> list:
    """``size`` items drawn without replacement with ``seed``, kept in their order.

    The same ``(items, size, seed)`` always gives the same subset, and the
    draw does not depend on sharding (shard the subset, not the other way).

    Raises:
        ValueError: ``size`` is below 1.
    """
    if size < 1:
        raise ValueError(f'the subset size must be at least 1, got {size}')
    if size >= len(items):
        return list(items)
    chosen = np.random.default_rng(seed).choice(len(items), size=size, replace=False)
    return [items[i] for i in sorted(chosen.tolist())]


class WorkItem(NamedTuple):
    """One image to estimate: its seed index, path relative to the source folder, pool file."""
    seed_index: int
    file: str
    pool_file: str


def select_work(jobs: Sequence[Tuple[str, str]], max_images: Optional[int], seed: int,
                shard: Tuple[int, int]) -> Tuple[List[WorkItem], str]:
    """This process's images: the seeded subset (if any) of all, then the shard's part.

    Args:
        jobs (Sequence[tuple[str, str]]): ``(image, pool file)`` of every image, sorted; an
            image's position is its seed index.
        max_images (int, optional): Draw this many images (with ``seed``) before sharding.
        seed (int): Seeds the draw.
        shard (tuple[int, int]): ``(I, N)``.

    Returns:
        tuple[list[WorkItem], str]: The shard's items, and a digest naming the whole run's
        image list (the same in every shard).
    """
    items = [WorkItem(i, rel, name) for i, (rel, name) in enumerate(jobs)]
    if max_images is not None:
        items = seeded_subset(items, max_images, seed)
    digest = hashlib.sha256(json.dumps([it.file for it in items]).encode()).hexdigest()[:16]
    return take_shard(items, *shard), digest
