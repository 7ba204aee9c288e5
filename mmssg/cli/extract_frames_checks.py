# Copyright (c) mmssg contributors. All rights reserved.
"""Where :mod:`mmssg.cli.extract_frames` may write: the OUT folders it refuses, the links in
OUT that would lead a frame into SRC, and the previous run's frames ``--overwrite`` replaces.

Nothing in SRC is written or removed: paths are compared as resolved real paths
(:func:`mmssg.utils.is_inside`), so a link in OUT to SRC, to a folder inside it or to an
input (a folder's linked image included) counts as SRC.
"""
import json
import os
import os.path as osp

from mmssg.utils import SUMMARY_NAME, is_inside

#: Names the summary of this tool among others.
TOOL = 'extract_frames'


class SourceGuard:
    """Refuses output paths that resolve into SRC or onto an input.

    Args:
        src (str): SRC, a video file or a folder.
        inputs (Iterable[str]): The input files; their real paths are compared (a folder's
            linked image lies elsewhere).
    """

    def __init__(self, src, inputs):
        self.src = src
        self.inputs = {osp.realpath(path) for path in inputs}

    def hits(self, path):
        """Whether ``path``, links followed, is SRC, lies inside it or is an input."""
        return is_inside(path, self.src) or osp.realpath(path) in self.inputs

    def check(self, path, what='refusing to write'):
        """Raise ValueError, naming ``path``, its target and SRC, where :meth:`hits`."""
        if self.hits(path):
            raise ValueError(f'{what} {path}: it resolves to {osp.realpath(path)}, which is SRC '
                             f'{self.src}, lies inside it or is an input; nothing in SRC is '
                             'written: remove the link or choose another OUT')

    def check_links(self, out, sequences):
        """Refuse OUT's files and folders this run writes or replaces (``summary.json``, a
        sequence folder, the links in one) that resolve into SRC (:meth:`check`).

        Args:
            out (str): OUT.
            sequences (Iterable[str]): The sequence names, OUT's sub-folders.
        """
        self.check(osp.join(out, SUMMARY_NAME), 'OUT holds a link')
        for sequence in sequences:
            folder = osp.join(out, sequence)
            self.check(folder, 'OUT holds a link')
            if not osp.isdir(folder):
                continue
            for entry in os.scandir(folder):
                if entry.is_symlink():
                    self.check(entry.path, 'OUT holds a link')


def check_paths(src, out, overwrite):
    """Refuse an OUT that is, lies in or holds SRC, or holds a previous run without
    ``--overwrite``; returns the frames the previous run's summary lists (to replace)."""
    if is_inside(out, src):
        raise ValueError(f'OUT {out} is SRC {src} or inside it (resolved: {osp.realpath(out)}); '
                         'choose another folder: nothing in SRC is written')
    if is_inside(src, out):
        raise ValueError(f'SRC {src} lies inside OUT {out} (resolved: {osp.realpath(src)}); '
                         'choose another folder: nothing in SRC is written')
    if osp.exists(out) and not osp.isdir(out):
        raise FileExistsError(f'OUT {out} is a file, not a folder')
    held = sorted(os.listdir(out)) if osp.isdir(out) else []
    if held and not overwrite:
        raise FileExistsError(f'OUT {out} already holds {len(held)} entries (e.g. {held[0]}), '
                              'a previous run; pass --overwrite to replace its frames, or '
                              'choose an empty folder')
    return previous_frames(out)


def previous_frames(out):
    """The frames (relative to OUT) the summary of a previous run in OUT lists."""
    try:
        with open(osp.join(out, SUMMARY_NAME)) as f:
            summary = json.load(f)
    except (OSError, ValueError):
        return []
    return list(summary.get('frames', [])) if summary.get('tool') == TOOL else []


def remove_stale(out, previous, written, guard):
    """Remove the previous run's frames this run did not write again: files that resolve
    inside OUT, never into SRC (``guard``, a :class:`SourceGuard`)."""
    for name in sorted(set(previous) - set(written)):
        path = osp.join(out, name)
        if osp.isfile(path) and is_inside(path, out) and not guard.hits(path):
            os.remove(path)
