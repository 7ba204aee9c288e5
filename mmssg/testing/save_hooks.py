# Copyright (c) mmssg contributors. All rights reserved.
"""A hook that kills its own process half-way through writing a checkpoint (for the tests'
real training runs: ``custom_imports = ['mmssg.testing.save_hooks']``)."""
import builtins
import os
import os.path as osp
import signal

from mmagic.registry import HOOKS
from mmengine.hooks import Hook


class _FileThatDies:
    """A binary file whose first write stops half-way: the process is SIGKILLed there."""

    def __init__(self, file):
        self._file = file

    def write(self, data):
        self._file.write(bytes(data)[:len(data) // 2])
        self._file.flush()
        os.fsync(self._file.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return self._file.__exit__(*exc_info)


@HOOKS.register_module(force=True)
class KillDuringSaveHook(Hook):
    """SIGKILLs the process in the middle of writing the next checkpoint file to disk.

    Any file opened for binary writing whose name holds ``.pth`` (the checkpoint, or a
    temporary file for it) gets half of the bytes written to it, then the process dies, as
    a run killed by the user or the cluster during a save would.
    """

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        real_open = builtins.open

        def open_that_dies(file, mode='r', *args, **kwargs):
            opened = real_open(file, mode, *args, **kwargs)
            if 'w' in mode and 'b' in mode and '.pth' in osp.basename(str(file)):
                return _FileThatDies(opened)
            return opened

        builtins.open = open_that_dies
