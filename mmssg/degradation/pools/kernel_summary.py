# Copyright (c) mmssg contributors. All rights reserved.
"""The kernel pool's summaries: each shard's progress, and the pool's ``summary.json``.

Each process records its progress in ``summary.shard-I-of-N.json``, rewritten after every
batch (:class:`ShardProgress`); whichever finishes last writes ``summary.json`` for the whole
pool (:func:`merge_shards`; the shard summaries stay, N > 1). ``options`` is a
:class:`~.kernel_writer.KernelPoolOptions`.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, Optional

from mmssg.utils import SUMMARY_NAME, write_summary
from .kernel_estimates import suspects, wide_interval
from .records import recorded_outputs
from .settings import describe_differences, differing_settings
from .shards import shard_summary_name


def run_parameters(options, shard=None) -> Dict:
    """The summary's ``parameters``: the options of the run (and its shard, ``'I/N'``)."""
    parameters = dict(
        method=options.method,
        scale=options.scale,
        iterations=options.iterations,
        seed=options.seed,
        batch=options.batch,
        crop=options.crop,
        device=str(options.device),
        max_images=options.max_images,
        redo=options.redo)
    if shard is not None:
        parameters['shard'] = f'{shard[0]}/{shard[1]}'
    return parameters


class ShardProgress:
    """This process's summary, ``summary.shard-I-of-N.json``, rewritten after every batch.

    Args:
        options (KernelPoolOptions): The run's options (``shard`` resolved).
        settings (dict): The run's settings (:func:`~.settings.kernel_settings`).
        work (dict): ``found``, ``usable``, ``skipped``, ``digest`` (names the run's whole
            image list, the same in every shard) and ``selection``
            (:func:`~.sources.selection_fields`).
        done (dict): Records of the images done before, by kernel file.
    """

    def __init__(self, options, settings: Dict, work: Dict, done: Dict):
        self.options, self.settings, self.work = options, settings, work
        self.shard = options.shard
        self.records = dict(done)
        self.done_before = len(done)
        self.start = time.time()

    @property
    def name(self) -> str:
        return shard_summary_name(*self.shard)

    def save(self, complete: bool) -> None:
        write_summary(
            self.options.out_dir,
            self.options.src_dir,
            self.work['found'],
            len(self.work['usable']),
            self.work['skipped'],
            run_parameters(self.options, self.shard),
            name=self.name,
            settings=self.settings,
            work=self.work['digest'],
            shard=dict(index=self.shard[0], count=self.shard[1]),
            complete=complete,
            done_before=self.done_before,
            **self.work['selection'],
            kernel_size=self.settings['kernel_size'],
            seconds=round(time.time() - self.start, 1),
            suspect=suspects(self.records.values()),
            wide_interval=wide_interval(self.records.values()),
            images=[self.records[name] for name in sorted(self.records)])


def complete_shards(out_dir: str, count: int, settings: Dict, digest: str) -> Optional[list]:
    """The summaries of the ``count`` shards of this run, or None while one is not complete.

    Raises:
        ValueError: A complete shard of this run was made with other settings.
    """
    shards = []
    for index in range(count):
        path = osp.join(out_dir, shard_summary_name(index, count))
        if not osp.isfile(path):
            return None
        with open(path) as f:
            summary = json.load(f)
        if not summary.get('complete') or summary.get('work') != digest:
            return None  # still running, or left by a run over another image list
        diff = differing_settings(summary.get('settings'), settings)
        if diff:
            raise ValueError(f'{path} was made with {describe_differences(diff)}; all shards of '
                             'a pool need the same settings (rerun that shard with them, or with '
                             '--redo)')
        shards.append(summary)
    return shards


def merge_shards(options, settings: Dict, digest: str, selection: Dict) -> Optional[str]:
    """Write ``summary.json`` if every shard of this run is complete; its path, else None."""
    out_dir, count = options.out_dir, options.shard[1]
    shards = complete_shards(out_dir, count, settings, digest)
    if shards is None:
        return None
    records = recorded_outputs(out_dir)
    images = [
        rec.record for name, rec in sorted(records.items()) if osp.isfile(osp.join(out_dir, name))
    ]
    write_summary(
        out_dir,
        options.src_dir,
        sum(s['images_found'] for s in shards),
        sum(s['images_read'] for s in shards),
        sum((s['skipped'] for s in shards), []),
        run_parameters(options),
        shards=count,
        settings=settings,
        work=digest,
        **selection,
        kernel_size=settings['kernel_size'],
        seconds=max(s['seconds'] for s in shards),
        suspect=suspects(images),
        wide_interval=wide_interval(images),
        images=images)
    if count == 1:  # one process: its progress file is the summary now
        os.remove(osp.join(out_dir, shard_summary_name(0, 1)))
    return osp.join(out_dir, SUMMARY_NAME)
