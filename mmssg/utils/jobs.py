# Copyright (c) mmssg contributors. All rights reserved.
"""Run commands as parallel processes with set thread counts, each after its dependencies.

Small convolution networks keep several threads of one process poorly busy; independent
runs side by side, one thread each, keep every core busy instead. One thread per process
also fixes each run's arithmetic whatever the number of cores. A job may take several
threads instead (``benchmarks/parallel_runs.py`` compares the two ways).
"""
import os
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

# every thread pool a torch/numpy/OpenCV process may start
THREAD_VARIABLES = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
                    'NUMEXPR_NUM_THREADS')


def thread_env(threads: int) -> Dict[str, str]:
    """The environment variables that give a process ``threads`` threads."""
    return {name: str(threads) for name in THREAD_VARIABLES}


@dataclass
class Job:
    """One command of :func:`run_jobs`.

    Args:
        name (str): A unique name, used in ``after`` of other jobs and in messages.
        command (list[str]): The command line.
        log (str): File that receives the command's output.
        after (list[str]): Names of the jobs that must have succeeded first.
        then (callable, optional): Called in this process when the command has succeeded,
            before any job that waits for this one starts.
        threads (int): Threads the process may use; it takes as many of
            :func:`run_jobs`'s slots (all of them when it asks for more). Defaults to 1.
    """
    name: str
    command: List[str]
    log: str
    after: List[str] = field(default_factory=list)
    then: Optional[Callable[[], None]] = None
    threads: int = 1


def check_jobs(jobs: Sequence[Job]) -> None:
    """Raise ValueError on a repeated name, an unknown dependency or a cycle."""
    names = [job.name for job in jobs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f'job names must be unique; repeated: {repeated}')
    for job in jobs:
        if job.threads < 1:
            raise ValueError(f'job {job.name!r} asks for {job.threads} threads; at least 1')
        unknown = [n for n in job.after if n not in names]
        if unknown:
            raise ValueError(f'job {job.name!r} waits for unknown jobs {unknown}')
    done, pending = set(), list(jobs)
    while pending:
        ready = [job for job in pending if set(job.after) <= done]
        if not ready:
            raise ValueError(f'jobs wait for each other in a cycle: {[j.name for j in pending]}')
        done.update(job.name for job in ready)
        pending = [job for job in pending if job not in ready]


def log_tail(path: str, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ('' when it cannot be read)."""
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def start_process(command: Sequence[str], log: str, threads: int = 1) -> subprocess.Popen:
    """Start ``command`` with ``threads`` threads, its output (stdout and stderr) to ``log``."""
    os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
    env = dict(os.environ, **thread_env(threads))
    with open(log, 'w') as out:
        return subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT, env=env)


def _stop_all(running: Dict[str, subprocess.Popen]) -> None:
    for proc in running.values():
        proc.terminate()
    for proc in running.values():
        proc.wait()


def run_jobs(jobs: Sequence[Job], slots: int, poll_s: float = 0.5) -> Dict[str, float]:
    """Run ``jobs`` with at most ``slots`` threads busy at once.

    Jobs are started in the order given, each when every job in its ``after`` has succeeded
    and its threads (at most ``slots``) are free; a job still waiting for threads lets a
    later one that needs fewer start first. When one fails, the others are stopped and
    RuntimeError names it, its exit status and its log's last lines.

    Args:
        jobs (Sequence[Job]): The commands (see :class:`Job`).
        slots (int): How many threads may run at the same time (at least 1), usually the
            number of cores.
        poll_s (float): Seconds between checks of the running processes.

    Returns:
        dict: Each job's wall-clock seconds.
    """
    if slots < 1:
        raise ValueError(f'slots must be at least 1, got {slots}')
    check_jobs(jobs)
    pending, running, started, seconds, busy = list(jobs), {}, {}, {}, {}
    while pending or running:
        for job in [j for j in pending if set(j.after) <= set(seconds)]:
            threads = min(job.threads, slots)
            if sum(busy.values()) + threads <= slots:
                running[job.name] = start_process(job.command, job.log, threads)
                started[job.name] = time.time()
                busy[job.name] = threads
                pending.remove(job)
        time.sleep(poll_s)
        for name, proc in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name], busy[name]
            job = next(j for j in jobs if j.name == name)
            if proc.returncode:
                _stop_all(running)
                raise RuntimeError(f'{name} ended with exit status {proc.returncode}: '
                                   f'{" ".join(job.command)}\nlast lines of {job.log}:\n'
                                   f'{log_tail(job.log)}')
            if job.then is not None:
                try:
                    job.then()
                except BaseException:
                    _stop_all(running)
                    raise
            seconds[name] = time.time() - started[name]
    return seconds
