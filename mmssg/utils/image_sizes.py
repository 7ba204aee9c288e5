# Copyright (c) mmssg contributors. All rights reserved.
"""Selecting a folder's images by size, as a dataset's ``image_size`` does, from the file
headers alone."""
from collections import Counter
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image


def as_image_size(value, what: str) -> Optional[Tuple[int, int]]:
    """An ``image_size`` setting as a ``(width, height)`` tuple, or None (every image).

    Args:
        value (Sequence[int] | None): The setting.
        what (str): Who holds it, for the error (a dataset, a config key).

    Raises:
        ValueError: ``value`` is not two positive integers; the message names ``what``.
    """
    if value is None:
        return None
    if (not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) and v > 0 for v in value)):
        raise ValueError(f'{what}: image_size must be (width, height), got {value!r}')
    return int(value[0]), int(value[1])


def image_size_of(path: str) -> Optional[Tuple[int, int]]:
    """``(width, height)`` of an image file from its header (PIL opens lazily), None when
    the header cannot be read."""
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError):
        return None


class SizeSelection(NamedTuple):
    """The images of one size, and how many of each other size were left out."""
    kept: List[str]
    left_out: Dict[Tuple[int, int], int]


def select_image_size(paths: Sequence[str], image_size: Optional[Sequence[int]],
                      folder: str) -> SizeSelection:
    """Keep the images of one size: what a dataset's ``image_size`` selects.

    The one selection of the datasets (IDD trains on its 1280x720 frames only) and of the
    degradation pools made from their images. Sizes are read from the file headers, without
    decoding. A file whose header cannot be read is kept, so that whoever reads it next says
    why it cannot be used.

    Args:
        paths (Sequence[str]): Image files, readable as given.
        image_size (Sequence[int] | None): ``(width, height)`` to keep; None keeps every image.
        folder (str): Where the images are, for the error.

    Returns:
        SizeSelection: ``kept`` (the paths of that size, in their order) and ``left_out``
        (``{(width, height): count}`` of the others, most frequent first).

    Raises:
        ValueError: No image has that size; the message names ``folder`` and the sizes found.
    """
    if image_size is None:
        return SizeSelection(list(paths), {})
    wanted = as_image_size(image_size, folder)
    sizes = [image_size_of(path) for path in paths]
    kept = [path for path, size in zip(paths, sizes) if size in (wanted, None)]
    left_out = Counter(size for size in sizes if size not in (wanted, None))
    if paths and not kept:
        found = ', '.join(f'{w}x{h} ({n})' for (w, h), n in left_out.most_common())
        raise ValueError(f'no {wanted[0]}x{wanted[1]} image under {folder} (image_size); '
                         f'sizes found: {found}')
    return SizeSelection(kept, dict(left_out.most_common()))
