# Copyright (c) mmssg contributors. All rights reserved.
"""Finding the images of a folder, the same way in every tool."""
import os.path as osp
from typing import List

from mmengine.utils import scandir

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


def list_images(folder: str) -> List[str]:
    """Image files under ``folder``, searched recursively, as sorted relative paths.

    Recursive because Cityscapes-like datasets keep one sub-folder per city.
    Suffixes (:data:`IMG_EXTENSIONS`) match case-insensitively; hidden files
    are skipped and symlinked sub-folders followed, as mmengine's ``scandir``
    does.

    Args:
        folder (str): The folder to search.

    Returns:
        list[str]: Paths relative to ``folder``; empty when it holds no image.

    Raises:
        FileNotFoundError: ``folder`` does not exist or is not a folder.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder not found (or not a folder): {folder}')
    return sorted(scandir(folder, suffix=IMG_EXTENSIONS, recursive=True, case_sensitive=False))
