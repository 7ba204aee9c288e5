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

The degradation pools add what they were made with (``settings``), and the
kernel pool, which resumes and splits its work over processes, records them per
output too (:mod:`mmssg.degradation.pools`).
"""
import os
import os.path as osp
import sys
from typing import Dict, List, Sequence

from .cli import exit_status
from .files import write_json_atomic

#: The summary of a complete output folder.
SUMMARY_NAME = 'summary.json'


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
                  name: str = SUMMARY_NAME,
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
