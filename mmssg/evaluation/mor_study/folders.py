# Copyright (c) mmssg contributors. All rights reserved.
"""The images of a ranking study: one folder per method, matched by relative path.

An image of the study is identified by its *key*: its path relative to the
method's folder, without the suffix and with ``/`` separators
(``frankfurt/frankfurt_000000_000294_leftImg8bit``), so that ``.png``
outputs match ``.jpg`` inputs. Every method folder must hold the same keys;
the folders are only read, never written.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from PIL import Image

from mmssg.utils import list_images

# Shown as they are; other formats (TIFF, PPM, PGM) are converted to PNG when served
BROWSER_TYPES = {
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.bmp': 'image/bmp',
    '.webp': 'image/webp'
}


@dataclass
class StudyImages:
    """The files a study shows.

    Args:
        methods (list[str]): Method names, in the order given.
        images (list[str]): Image keys, sorted.
        files (dict): ``{method: {key: path}}``.
        references (dict): ``{key: path}`` of the LR inputs; empty when the
            study shows none.
        skipped (list[str]): ``'path: reason'`` of each file left out.
    """
    methods: List[str]
    images: List[str]
    files: Dict[str, Dict[str, str]]
    references: Dict[str, str] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)


def image_key(relative_path: str) -> str:
    """The key of an image: its relative path without suffix, ``/``-separated."""
    return osp.splitext(relative_path)[0].replace(os.sep, '/')


def non_image_files(folder: str) -> List[str]:
    """Visible files under ``folder`` that :func:`list_images` does not list."""
    images = set(list_images(folder))
    others = []
    for root, dirs, names in os.walk(folder):  # the same walk as list_images
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        relative = (osp.relpath(osp.join(root, name), folder) for name in names)
        others += [
            osp.join(folder, rel) for rel in relative
            if not osp.basename(rel).startswith('.') and rel not in images
        ]
    return sorted(others)


def folder_images(folder: str) -> Dict[str, str]:
    """``{key: path}`` of the images under ``folder``.

    Raises:
        ValueError: Two files share a key (``a.png`` and ``a.jpg``).
    """
    found = {}
    for rel in list_images(folder):
        key = image_key(rel)
        if key in found:
            raise ValueError(f'{folder} holds two images named {key} ({osp.basename(found[key])} '
                             f'and {osp.basename(rel)}): keep one, the study matches by name')
        found[key] = osp.join(folder, rel)
    return found


def describe_missing(folder: str, missing: List[str], limit: int = 10) -> str:
    """One line saying which images ``folder`` lacks (the first ``limit`` named)."""
    more = f' and {len(missing) - limit} more' if len(missing) > limit else ''
    return f'  {folder} lacks {len(missing)}: {", ".join(missing[:limit])}{more}'


def describe_differences(keys: Dict[str, set]) -> str:
    """Which folders lack which images (of any other), one line per such folder."""
    everything = set().union(*keys.values())
    return '\n'.join(
        describe_missing(folder, sorted(everything - present)) for folder, present in keys.items()
        if everything - present)


def unreadable(path: str) -> Optional[str]:
    """Why ``path`` cannot be shown as an image, or None when it can."""
    try:
        with Image.open(path) as img:
            img.verify()  # reads the whole file: truncated or corrupt data fails here
    except Exception as error:  # PIL raises many types for bad files
        return f'not a readable image ({type(error).__name__}: {error})'
    return None


def collect_study_images(method_dirs: Dict[str, str],
                         reference_dir: Optional[str] = None) -> StudyImages:
    """Match the images of the method folders (and the LR reference folder).

    Args:
        method_dirs (dict): ``{method name: folder}``, at least two.
        reference_dir (str, optional): Folder of the LR inputs; it must hold
            every image of the methods (it may hold more).

    Returns:
        StudyImages: The matched files. Files that are not images and images
        that cannot be read are left out (with the rest of their key) and
        listed in ``skipped``.

    Raises:
        ValueError: Fewer than two methods, folders with different images, or
            a reference folder without some of them.
    """
    if len(method_dirs) < 2:
        raise ValueError(f'a ranking study needs at least two method folders, got '
                         f'{list(method_dirs.values())}')
    files = {name: folder_images(folder) for name, folder in method_dirs.items()}
    keys = {method_dirs[name]: set(found) for name, found in files.items()}
    if len(set(map(frozenset, keys.values()))) > 1:
        raise ValueError('the method folders hold different images (matched by relative path '
                         'without suffix):\n' + describe_differences(keys))
    images = sorted(next(iter(keys.values())))
    if not images:
        raise ValueError(f'no images in the method folders {list(method_dirs.values())}')
    references = {}
    if reference_dir is not None:
        references = folder_images(reference_dir)
        missing = sorted(set(images) - set(references))
        if missing:
            raise ValueError('the LR reference folder lacks images of the methods:\n' +
                             describe_missing(reference_dir, missing))
        references = {key: references[key] for key in images}
    skipped, bad_keys = _check_files(method_dirs, files, references)
    images = [key for key in images if key not in bad_keys]
    return StudyImages(
        list(method_dirs), images, {
            name: {
                key: found[key]
                for key in images
            }
            for name, found in files.items()
        }, {key: references[key]
            for key in images if key in references}, skipped)


def _check_files(method_dirs: Dict[str, str], files: Dict[str, Dict[str, str]],
                 references: Dict[str, str]) -> Tuple[List[str], set]:
    """Non-image files and unreadable images, and the keys the latter remove."""
    skipped = [
        f'{path}: not an image file' for folder in method_dirs.values()
        for path in non_image_files(folder)
    ]
    bad_keys = set()
    for found in [*files.values(), references]:
        for key, path in found.items():
            reason = unreadable(path)
            if reason:
                skipped.append(f'{path}: {reason}; image {key} left out of the study')
                bad_keys.add(key)
    return skipped, bad_keys
