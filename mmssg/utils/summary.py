# Copyright (c) mmssg contributors. All rights reserved.
"""The summary file of the data tools and the last lines they print.

Every data tool that turns a folder of images into outputs writes a JSON
summary next to them, with the same leading fields:

- ``src_dir``: the source folder (absolute);
- ``images_found``: images found there;
- ``images_read``: images read and used;
- ``skipped``: ``[{"file": <path relative to src_dir>, "reason": ...}]``, the
  unreadable or unusable inputs left out;
- ``parameters``: the settings of the run;

then the tool's own fields. The summary is written last, in one step (a
temporary file renamed), so that its presence means the outputs are complete.

A tool that can resume or split its work over processes (KernelGAN) also
records, per output, the settings it was made with (``images[i]['settings']``);
:func:`recorded_outputs` reads those records back from every summary of a
folder (``summary.json`` and the shards' ``summary.shard-I-of-N.json``, see
:mod:`mmssg.utils.shards`).
"""
import json
import os
import os.path as osp
import sys
from typing import Dict, List, NamedTuple, Sequence, Tuple

from .cli import exit_status
from .files import write_json_atomic
from .shards import is_summary_name


def skipped_input(file: str, error) -> Dict[str, str]:
    """One entry of a summary's ``skipped`` list.

    Args:
        file (str): The input, relative to the source folder.
        error (Exception | str): Why it was left out.
    """
    reason = f'{type(error).__name__}: {error}' if isinstance(error, Exception) else str(error)
    return dict(file=file, reason=reason)


def write_summary(out_dir: str,
                  src_dir: str,
                  images_found: int,
                  images_read: int,
                  skipped: Sequence[Dict[str, str]],
                  parameters: Dict,
                  name: str = 'summary.json',
                  **fields) -> Dict:
    """Write ``out_dir/name`` with the common fields first, then ``fields``.

    Args:
        out_dir (str): Output folder of the tool (created if needed).
        src_dir (str): The source folder.
        images_found (int): Inputs found.
        images_read (int): Inputs read and used.
        skipped (Sequence[dict]): :func:`skipped_input` entries.
        parameters (dict): The settings of the run (JSON-serialisable).
        name (str): File name. Default: 'summary.json'.
        **fields: The tool's own fields.

    Returns:
        dict: The summary as written.
    """
    summary = dict(
        src_dir=osp.abspath(src_dir),
        images_found=images_found,
        images_read=images_read,
        skipped=list(skipped),
        parameters=dict(parameters),
        **fields)
    os.makedirs(out_dir, exist_ok=True)
    write_json_atomic(osp.join(out_dir, name), summary)
    return summary


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
    summaries = []
    for path in sorted(paths, key=lambda p: (osp.getmtime(p), p)):
        try:
            with open(path) as f:
                summary = json.load(f)
        except (OSError, ValueError) as error:
            raise ValueError(f'{path}: not a readable summary ({error}); remove it or choose '
                             'another output folder') from None
        if not isinstance(summary, dict):
            raise ValueError(f'{path}: not a summary (a JSON object expected)')
        summaries.append((path, summary))
    return summaries


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


def _flatten(settings: Dict, prefix: str = '') -> Dict:
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


def differing_settings(recorded: Dict, wanted: Dict) -> Dict[str, Tuple]:
    """The settings that differ, as ``{'key': (recorded, wanted)}``; nested keys dotted.

    A key present on one side only counts as differing (``None`` on the other).
    """
    recorded, wanted = _flatten(recorded or {}), _flatten(wanted)
    return {
        key: (recorded.get(key), wanted.get(key))
        for key in sorted(set(recorded) | set(wanted)) if recorded.get(key) != wanted.get(key)
    }


def finish(done: str, skipped: List[Dict[str, str]], summary_path: str) -> int:
    """Print the skipped inputs and the tool's last line; return its exit status.

    Each skipped input goes to stderr; the last line (stdout) is ``done``
    followed by how many inputs were skipped.

    Args:
        done (str): What was written, e.g. ``'wrote 12 kernels to out/'``.
        skipped (list[dict]): :func:`skipped_input` entries.
        summary_path (str): Where they are listed.

    Returns:
        int: 0, or :data:`~mmssg.utils.cli.EXIT_SKIPPED` when inputs were skipped.
    """
    for item in skipped:
        print(f'skipped {item["file"]}: {item["reason"]}', file=sys.stderr)
    listed = f' (listed in {summary_path})' if skipped else ''
    print(f'{done}; {len(skipped)} input(s) skipped{listed}', flush=True)
    return exit_status(len(skipped))
