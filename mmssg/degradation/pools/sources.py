# Copyright (c) mmssg contributors. All rights reserved.
"""The images a pool is made from: a folder's images, of one size when a dataset selects one.

A pool made for a training config is made from the images that config trains on: the guided
dataset's folder, and of those the images its ``image_size`` keeps (IDD trains on its 1280x720
frames only; :func:`mmssg.utils.select_image_size`, the dataset's own selection). The others
are left out, counted by size in the summary (``left_out``) and in the last line.
"""
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmssg.utils import as_image_size, select_image_size, source_images


class PoolSources(NamedTuple):
    """The images of a pool and what the selection left out.

    Attributes:
        jobs (list[tuple[str, str]]): ``(path relative to the source folder, pool file name)``
            of each image used, sorted.
        image_size (tuple[int, int] | None): The ``(width, height)`` kept; None: every image.
        left_out (dict[str, int]): ``{'WxH': count}`` of the images of other sizes.
    """
    jobs: List[Tuple[str, str]]
    image_size: Optional[Tuple[int, int]]
    left_out: Dict[str, int]


def pool_sources(src_dir: str,
                 out_dir: str,
                 suffix: str,
                 image_size: Optional[Sequence[int]] = None) -> PoolSources:
    """The images under ``src_dir`` a pool is made from, each with its pool file name.

    Args:
        src_dir (str): The source folder, searched recursively.
        out_dir (str): The pool folder; must not be ``src_dir``.
        suffix (str): Suffix of the pool files (``'.npy'``, ``'.npz'``).
        image_size (Sequence[int], optional): ``(width, height)``: keep the images of this
            size only. Default: None (every image).

    Raises:
        FileNotFoundError: ``src_dir`` is missing or holds no image.
        ValueError: ``out_dir`` is ``src_dir``, two images share a pool file name, or no
            image has ``image_size`` (the message names the sizes found).
    """
    jobs = source_images(src_dir, out_dir, suffix)
    image_size = as_image_size(image_size, f'pool of {src_dir}')
    if image_size is None:
        return PoolSources(jobs, None, {})
    paths = {osp.join(src_dir, rel): (rel, name) for rel, name in jobs}
    selection = select_image_size(list(paths), image_size, src_dir)
    left_out = {f'{w}x{h}': count for (w, h), count in selection.left_out.items()}
    return PoolSources([paths[path] for path in selection.kept], image_size, left_out)


def check_no_foreign_files(src_dir: str, out_dir: str, sources: PoolSources,
                           suffixes: Tuple[str, ...], what: str) -> None:
    """Refuse a pool folder that holds pool files no image of this run gives.

    A pool is loaded as every file of its folder: the file of an image since removed from
    ``src_dir`` (or left out by ``image_size``) would be loaded with the new ones.

    Args:
        src_dir (str): The source folder (for the message).
        out_dir (str): The pool folder; need not exist.
        sources (PoolSources): The images of this run (:func:`pool_sources`).
        suffixes (tuple[str, ...]): The pool files' suffixes.
        what (str): ``'kernel'`` or ``'noise'`` (for the message).

    Raises:
        ValueError: Such files are there; the message names some of them.
    """
    if not osp.isdir(out_dir):
        return
    stems = {osp.splitext(name)[0] for _, name in sources.jobs}
    # hidden names too: the pool readers load every file with a pool suffix
    foreign = sorted(
        name for name in os.listdir(out_dir)
        if name.endswith(suffixes) and osp.splitext(name)[0] not in stems)
    if foreign:
        listed = ', '.join(foreign[:3]) + (', ...' if len(foreign) > 3 else '')
        raise ValueError(f'{out_dir} holds {len(foreign)} {what} file(s) that no image of '
                         f'{src_dir} gives ({listed}): left by a run over other images, they '
                         'would be loaded with this pool; remove them or choose another '
                         'output folder')


def selection_fields(sources: PoolSources) -> Dict:
    """The summary fields of the selection: ``image_size`` (``[w, h]`` or None) and
    ``left_out`` (``{'WxH': count}``)."""
    size = list(sources.image_size) if sources.image_size is not None else None
    return dict(image_size=size, left_out=dict(sources.left_out))


def left_out_text(sources: PoolSources) -> str:
    """``'; 3 image(s) of other sizes than 1280x720 left out (1920x1080: 3)'``, or ``''``."""
    if not sources.left_out:
        return ''
    width, height = sources.image_size
    sizes = ', '.join(f'{size}: {count}' for size, count in sources.left_out.items())
    return (f'; {sum(sources.left_out.values())} image(s) of other sizes than {width}x{height} '
            f'left out ({sizes})')
