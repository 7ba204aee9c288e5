# Copyright (c) mmssg contributors. All rights reserved.
"""Writing output files so that a killed process never leaves half of one.

Every writer here writes to a hidden temporary file next to the target,
``.<name>.<pid>.part`` (a digest for the name when that is too long), and renames it
onto the target in one step (``os.replace``, atomic on POSIX file systems). A process
killed at any moment leaves either the old file, the new one, or a stray ``.part`` file
that no loader reads (its name is hidden and does not end in ``.npy``, ``.npz`` or
``.json``); it never leaves a truncated target. The process id in the temporary name keeps
two processes that write the same target (two shards merging one summary) from writing
into one temporary file.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
from contextlib import contextmanager
from typing import Dict, Iterable, Optional

import cv2
import numpy as np

#: The longest file name most file systems take (ext4, XFS, NTFS in characters).
NAME_MAX = 255


def temporary_name(name: str) -> str:
    """The hidden name a file called ``name`` is written under before it is renamed: the
    name itself where that fits :data:`NAME_MAX` bytes, else a digest of it."""
    suffix = f'.{os.getpid()}.part'
    temporary = f'.{name}{suffix}'
    if len(temporary.encode()) <= NAME_MAX:
        return temporary
    return f'.{hashlib.sha1(name.encode()).hexdigest()}{suffix}'


@contextmanager
def atomic_output(path: str, mode: str = 'wb'):
    """Open a temporary file for ``path``; rename it onto ``path`` when the block ends.

    If the block raises, the temporary file is removed and ``path`` is left
    as it was.

    Args:
        path (str): The file to write; its folder must exist.
        mode (str): ``'wb'`` or ``'w'``. Default: ``'wb'``.

    Yields:
        file: The open temporary file.
    """
    folder, name = osp.split(osp.abspath(path))
    temporary = osp.join(folder, temporary_name(name))
    try:
        with open(temporary, mode) as f:
            yield f
        try:
            os.replace(temporary, path)
        except OSError as error:  # e.g. a folder where the file should go
            raise OSError(f'could not write {path}: {error.strerror}') from error
    except BaseException:
        if osp.exists(temporary):
            os.remove(temporary)
        raise


def write_json_atomic(path: str, content) -> None:
    """Write ``content`` as indented JSON to ``path`` in one step."""
    with atomic_output(path, 'w') as f:
        json.dump(content, f, indent=2)


def save_npy_atomic(path: str, array: np.ndarray) -> None:
    """``np.save(path, array)`` in one step (``path`` is used as given, no suffix added)."""
    with atomic_output(path) as f:
        np.save(f, np.asarray(array), allow_pickle=False)


def save_npz_atomic(path: str, **arrays) -> None:
    """``np.savez(path, **arrays)`` (uncompressed, so members can be read in place) in one step."""
    with atomic_output(path) as f:
        np.savez(f, **arrays)


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` in one step."""
    with atomic_output(path, 'w') as f:
        f.write(text)


def write_image_atomic(path: str, image: np.ndarray, params=()) -> None:
    """``cv2.imwrite(path, image, params)`` in one step: encoded in memory with OpenCV's encoder
    for the file's extension (the same bytes ``imwrite`` writes), then written and renamed.

    Raises:
        OSError: OpenCV cannot encode the image in that format; the message names ``path``.
    """
    ok, encoded = cv2.imencode(osp.splitext(path)[1] or '.png', image, list(params))
    if not ok:
        raise OSError(f'could not encode {path} ({image.dtype}, shape {image.shape})')
    with atomic_output(path) as f:
        f.write(encoded.tobytes())


def copy_file_atomic(src: str, dst: str) -> None:
    """Copy ``src`` to ``dst`` in one step."""
    with open(src, 'rb') as source, atomic_output(dst) as f:
        shutil.copyfileobj(source, f)


def check_outputs(outputs: Dict[str, Optional[str]], inputs: Iterable[str]) -> None:
    """Refuse output files that would write over an input or over one another.

    Paths are compared resolved (links followed), so a link to an input counts as the input.

    Args:
        outputs (dict[str, str | None]): ``{option: path}`` of the files a tool writes;
            None (an output not asked for) is left out.
        inputs (Iterable[str]): The files it reads.

    Raises:
        ValueError: An output is an input, or two outputs are one file; the message names
            the option, its path and what it would overwrite.
    """
    real_inputs = {osp.realpath(path): path for path in inputs}
    taken = {}
    for option, path in outputs.items():
        if path is None:
            continue
        real = osp.realpath(path)
        if real in real_inputs:
            raise ValueError(f'{option} {path} is the input {real_inputs[real]} (resolved: '
                             f'{real}); refusing to overwrite it: choose another path')
        if real in taken:
            raise ValueError(f'{option} {path} is also {taken[real]} (resolved: {real}); one '
                             'would overwrite the other: choose two paths')
        taken[real] = option


def load_json(path: str):
    """The content of the JSON file ``path``; a file that is not JSON is a ValueError naming
    it (``json`` alone names only the line and column)."""
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path} is not valid JSON ({error})') from None
