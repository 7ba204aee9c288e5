# Copyright (c) mmssg contributors. All rights reserved.
"""Finding the images of a folder, the same way in every tool."""
import os
import os.path as osp
from typing import List

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


def list_images(folder: str) -> List[str]:
    """Image files under ``folder``, searched recursively, as sorted relative paths.

    Recursive because Cityscapes-like datasets keep one sub-folder per city.
    Suffixes (:data:`IMG_EXTENSIONS`) match case-insensitively. Hidden files
    and folders (``.ipynb_checkpoints`` and the like) are skipped, and
    symlinked sub-folders are not entered, so that a link can neither list
    an image twice nor loop; ``folder`` itself may be a link.

    Args:
        folder (str): The folder to search.

    Returns:
        list[str]: Paths relative to ``folder``; empty when it holds no image.

    Raises:
        FileNotFoundError: ``folder`` does not exist or is not a folder.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder not found (or not a folder): {folder}')
    found = []
    for root, dirs, names in os.walk(folder):  # followlinks=False
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        found += [
            osp.relpath(osp.join(root, name), folder) for name in names
            if not name.startswith('.') and name.lower().endswith(IMG_EXTENSIONS)
        ]
    return sorted(found)


def is_inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it, comparing resolved real paths.

    Links are followed on both sides, so a link to a folder counts as that
    folder. Either path may not exist yet.
    """
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
