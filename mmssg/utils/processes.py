# Copyright (c) mmssg contributors. All rights reserved.
"""Starting a command as its own process with a set number of threads, its output in a log.

Small convolution networks keep several threads of one process poorly busy; independent runs
side by side, one thread each, keep every core busy instead, and one thread per process fixes
each run's arithmetic whatever the number of cores (:mod:`mmssg.utils.stages` runs the demo's
training and test stages so).
"""
import os
import subprocess
from typing import Dict, Sequence

# every thread pool a torch/numpy/OpenCV process may start
THREAD_VARIABLES = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
                    'NUMEXPR_NUM_THREADS')


def thread_env(threads: int) -> Dict[str, str]:
    """The environment variables that give a process ``threads`` threads."""
    return {name: str(threads) for name in THREAD_VARIABLES}


def start_process(command: Sequence[str], log: str, threads: int = 1) -> subprocess.Popen:
    """Start ``command`` with ``threads`` threads, its output (stdout and stderr) to ``log``.

    Args:
        command (Sequence[str]): The command line.
        log (str): The file that receives its output (its folder is created).
        threads (int): Threads the process may use. Default: 1.
    """
    os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
    env = dict(os.environ, **thread_env(threads))
    with open(log, 'w') as out:
        return subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT, env=env)


def log_tail(path: str, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ('' when it cannot be read)."""
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''
