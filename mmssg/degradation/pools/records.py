# Copyright (c) mmssg contributors. All rights reserved.
"""What a pool folder's summaries record, read back: to check kernels, and to resume.

A kernel pool's summaries (``summary.json``, and ``summary.shard-I-of-N.json`` from sharded
or unfinished runs, :mod:`.shards`) record per kernel file the settings it was made with
(``images[i]['settings']``, :mod:`.settings`). The reader checks each kernel's scale and size
against them; the writer resumes from them (:func:`sort_out`): a kernel made with the same
settings is kept, any other one stops the run unless it is to be redone.
"""
import json
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Sequence, Tuple

from .settings import describe_differences, differing_settings
from .shards import WorkItem, is_summary_name


def read_summaries(out_dir: str) -> List[Tuple[str, Dict]]:
    """Every summary of a folder (``summary.json`` and shard summaries), oldest first.

    Args:
        out_dir (str): The folder; a missing folder has no summaries.

    Returns:
        list[tuple[str, dict]]: ``(path, summary)`` pairs ordered by
        modification time (then name), so that a later record of the same
        output overrides an earlier one.

    Raises:
        ValueError: A summary is not a JSON object; the message names it.
    """
    if not osp.isdir(out_dir):
        return []
    paths = [osp.join(out_dir, n) for n in os.listdir(out_dir) if is_summary_name(n)]
    return [(path, read_summary(path))
            for path in sorted(paths, key=lambda p: (osp.getmtime(p), p))]


def read_summary(path: str) -> Dict:
    """One summary file.

    Raises:
        ValueError: It is not readable JSON, or not a JSON object; the message names it.
    """
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, ValueError) as error:
        raise ValueError(f'{path}: not a readable summary ({error}); remove it or choose '
                         'another output folder') from None
    if not isinstance(summary, dict):
        raise ValueError(f'{path}: not a summary (a JSON object expected)')
    return summary


class OutputRecord(NamedTuple):
    """What a summary says about one output file."""
    summary_path: str
    record: Dict


def recorded_outputs(out_dir: str) -> Dict[str, OutputRecord]:
    """The latest record of each output file named in a folder's summaries.

    Args:
        out_dir (str): The folder.

    Returns:
        dict[str, OutputRecord]: Keyed by output file name (``pool_file``).
    """
    records = {}
    for path, summary in read_summaries(out_dir):
        for item in summary.get('images', []):
            if isinstance(item, dict) and item.get('pool_file'):
                records[item['pool_file']] = OutputRecord(path, item)
    return records


def _clash(out_dir: str, item: WorkItem, known: OutputRecord, settings: Dict):
    """Why an existing kernel cannot be kept, or None when it was made with ``settings``."""
    if known is None:
        return (f'{osp.join(out_dir, item.pool_file)} exists, but no summary in '
                f'{out_dir} records it (not written by this tool)')
    if 'settings' not in known.record:
        return (f'{known.summary_path} records {item.pool_file} without its settings '
                '(written by an older version of this tool)')
    differences = differing_settings(known.record['settings'], settings)
    if differences:
        return (f'{known.summary_path} records {item.pool_file} made with ' +
                describe_differences(differences))
    return None


def sort_out(work: Sequence[WorkItem], out_dir: str, settings: Dict,
             redo: bool) -> Tuple[Dict[str, Dict], List[WorkItem]]:
    """Split the work into images already done and images to estimate.

    Args:
        work (Sequence[WorkItem]): This process's images.
        out_dir (str): The pool folder.
        settings (dict): This run's settings (:func:`~.settings.kernel_settings`).
        redo (bool): Recompute kernels made with other settings instead of stopping.

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
        clash = _clash(out_dir, item, records.get(item.pool_file), settings)
        if clash is None:
            done[item.pool_file] = records[item.pool_file].record
            continue
        clashes.append(clash)
        todo.append(item)
    if clashes and not redo:
        raise ValueError(f'{len(clashes)} kernel(s) in {out_dir} were not made with the settings '
                         f'of this run; pass --redo to recompute them, or choose another output '
                         f'folder. {clashes[0]}' +
                         (f' (and {len(clashes) - 1} more)' if len(clashes) > 1 else ''))
    return done, todo
