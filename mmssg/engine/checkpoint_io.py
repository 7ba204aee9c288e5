# Copyright (c) mmssg contributors. All rights reserved.
"""How mmengine reads and writes checkpoints once mmssg is imported: as data, and in one step.

- **Reading.** mmengine's ``CheckpointLoader`` unpickles local files and URLs with
  ``torch.load``'s full unpickler, which runs whatever code a file names. Its local and HTTP(S)
  schemes are replaced by :func:`load_from_local` and :func:`load_from_http`, which read through
  :func:`mmssg.utils.checkpoint.load_checkpoint_file` (weights only, unless the user trusts
  the file). ``load_from``, ``--resume`` and every ``init_cfg=dict(type='Pretrained')`` of a
  run go through them.
- **Writing.** mmengine writes a checkpoint with its local file backend, which opens the
  final file and writes into it: a run killed during a save leaves a torn ``iter_N.pth``
  under a valid name. :class:`AtomicLocalBackend` replaces the local backend: every file it
  writes goes to a temporary file next to the target, renamed onto it when complete
  (:func:`mmssg.utils.atomic_output`).

Both replacements are registered when this module is imported (``import mmssg`` does).
"""
import os
import os.path as osp

import torch
from mmengine.dist import get_dist_info
from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner import CheckpointLoader

from mmssg.utils import atomic_output
from mmssg.utils.checkpoint import load_checkpoint_file


def load_from_local(filename: str, map_location=None):
    """mmengine's loader of local checkpoint files, reading them as data."""
    return load_checkpoint_file(osp.expanduser(filename), map_location)


def load_from_http(url: str, map_location=None, model_dir=None):
    """mmengine's loader of checkpoint URLs: download once into the torch hub cache (rank 0
    first when distributed, as mmengine does), then read the file as data."""
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(model_dir, osp.basename(url.split('?')[0]))
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.isfile(path):
        os.makedirs(model_dir, exist_ok=True)
        torch.hub.download_url_to_file(url, path, progress=False)
    if world_size > 1:  # the other ranks wait for rank 0's download
        torch.distributed.barrier()
    return load_checkpoint_file(path, map_location)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, writing every file in one step (temporary file, then
    rename), so that a killed process leaves the old file or the new one, never part of it."""

    def put(self, obj: bytes, filepath) -> None:
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
        with atomic_output(str(filepath), 'wb') as f:
            f.write(obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
CheckpointLoader.register_scheme(
    prefixes=('http://', 'https://'), loader=load_from_http, force=True)
register_backend('local', AtomicLocalBackend, force=True, prefixes='')
