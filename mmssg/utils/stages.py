# Copyright (c) mmssg contributors. All rights reserved.
"""A pipeline declared as stages, each redone only when what it is made from changed.

A :class:`Stage` names one command (a tool's ``main(argv)`` of :mod:`mmssg.cli`, or any function
of ``argv``), its arguments, the files and folders it reads (``inputs``) and writes
(``outputs``), and ``settings``: whatever else its outputs depend on (a fully resolved config,
the settings of a pool). A stage depends on the stages whose outputs it reads.

Staleness is decided by content, never by file times. When a stage's dependencies are done,
its key is the digest of its command, arguments, settings and the bytes of every input; after
a successful run, the key and the digest of its outputs go to ``<state_dir>/<name>.json``. A
later run reuses the stage when its key is unchanged and its outputs are still the bytes it
wrote; otherwise the stage's outputs are removed and it runs again (and so does every stage
whose inputs then change).

Stages marked ``process`` run as their own processes (``python -m <module of command>``), one
thread each, up to ``slots`` at once, each as soon as its dependencies are done (their output
goes to ``<log_dir>/<name>.log``); the others run in this process, one at a time, while no
process runs.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from .files import write_json_atomic
from .processes import log_tail, start_process

REUSED, RAN, WOULD_RUN = 'reused', 'ran', 'would run'


@dataclass
class Stage:
    """One step of :func:`run_stages`.

    Args:
        name (str): A unique name (its state file and log are named after it).
        command (Callable): ``command(argv)``, returning an exit status (0: success; None
            counts as 0). For a ``process`` stage, a function of a module that runs it as
            ``python -m <module> ARGV`` (every :mod:`mmssg.cli` tool).
        argv (list[str]): Its arguments.
        quiet_argv (list[str]): More arguments that do not change what it writes (a number of
            worker processes, no progress bars): passed after ``argv``, left out of its key.
        inputs (list[str]): Files and folders it reads.
        outputs (list[str]): Files and folders it writes.
        settings (dict): What else its outputs depend on (JSON-serialisable).
        process (bool): Run in its own one-thread process. Default: False.
        then (Callable, optional): Called in this process after a successful run, before the
            outputs are recorded (e.g. to copy a checkpoint to where later stages read it).
        check (Callable, optional): Asked before a stage is reused: returns why its outputs
            are not current (e.g. an incomplete pool), or None.
        title (str): One line for the log. Defaults to the name.
    """
    name: str
    command: Callable[[List[str]], Optional[int]]
    argv: List[str] = field(default_factory=list)
    quiet_argv: List[str] = field(default_factory=list)
    inputs: List[str] = field(default_factory=list)
    outputs: List[str] = field(default_factory=list)
    settings: Dict[str, Any] = field(default_factory=dict)
    process: bool = False
    then: Optional[Callable[[], None]] = None
    check: Optional[Callable[[], Optional[str]]] = None
    title: str = ''


def path_digest(path: str) -> str:
    """SHA-256 of a file's bytes, or of a folder's relative file paths and their bytes;
    ``'missing'`` for a path that does not exist."""
    if osp.isfile(path):
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        return digest.hexdigest()
    if not osp.isdir(path):
        return 'missing'
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            file = osp.join(root, name)
            digest.update(f'{osp.relpath(file, path)}\0{path_digest(file)}\0'.encode())
    return digest.hexdigest()


def stage_key(stage: Stage) -> str:
    """The digest of what a stage is made from: command, arguments, settings, inputs' bytes."""
    made_from = dict(
        command=f'{stage.command.__module__}.{stage.command.__qualname__}',
        argv=list(stage.argv),
        settings=stage.settings,
        inputs={path: path_digest(path)
                for path in stage.inputs})
    text = json.dumps(made_from, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _inside(path: str, folder: str) -> bool:
    path, folder = osp.abspath(path), osp.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def dependencies(stages: Sequence[Stage]) -> Dict[str, List[str]]:
    """``{stage: [stages whose outputs it reads]}``; checks names and the order.

    Raises:
        ValueError: A repeated name, two stages writing one path, or a stage that reads what
            only a later stage writes.
    """
    names = [stage.name for stage in stages]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f'stage names must be unique; repeated: {repeated}')
    writers, needs = {}, {}
    for stage in stages:
        needs[stage.name] = sorted({
            writer
            for path in stage.inputs
            for output, writer in writers.items() if _inside(path, output) or _inside(output, path)
        })
        for output in stage.outputs:
            clash = [w for o, w in writers.items() if _inside(output, o) or _inside(o, output)]
            if clash:
                raise ValueError(f'stages {clash[0]!r} and {stage.name!r} both write {output}')
            writers[output] = stage.name
    for stage in stages:
        later = [
            w for path in stage.inputs for o, w in writers.items()
            if w not in needs[stage.name] and w != stage.name and (
                _inside(path, o) or _inside(o, path))
        ]
        if later:
            raise ValueError(f'stage {stage.name!r} reads what the later stage {later[0]!r} '
                             'writes; declare the stages in the order they run')
    return needs


class StageRunner:
    """Runs a list of stages (see the module's docstring).

    Args:
        stages (Sequence[Stage]): In the order they may run.
        state_dir (str): Where each stage's key and output digest are kept.
        log_dir (str): Where the processes' output goes.
        slots (int): Processes at once (at least 1).
        report (Callable): Receives one line per event. Default: ``print`` (flushed).
    """

    def __init__(self, stages, state_dir, log_dir, slots, report=None):
        if slots < 1:
            raise ValueError(f'slots must be at least 1, got {slots}')
        self.stages, self.state_dir, self.log_dir, self.slots = list(
            stages), state_dir, log_dir, slots
        self.needs = dependencies(self.stages)
        self.report = report or (lambda line: print(line, flush=True))
        self.outcome: Dict[str, str] = {}
        self.seconds: Dict[str, float] = {}

    def state_file(self, stage: Stage) -> str:
        return osp.join(self.state_dir, f'{stage.name}.json')

    def is_current(self, stage: Stage, key: str) -> bool:
        """Whether the stage's recorded key is ``key`` and its outputs are what it wrote."""
        try:
            with open(self.state_file(stage)) as f:
                state = json.load(f)
        except (OSError, ValueError):
            return False
        outputs = {path: path_digest(path) for path in stage.outputs}
        if state.get('key') != key or state.get('outputs') != outputs:
            return False
        why = stage.check() if stage.check is not None else None
        if why:
            self.report(f'=== {stage.name}: not current: {why}')
        return not why

    def _record(self, stage: Stage, key: str) -> None:
        missing = [path for path in stage.outputs if not osp.exists(path)]
        if missing:
            raise RuntimeError(f'stage {stage.name} succeeded but did not write {missing}')
        state = dict(key=key, outputs={path: path_digest(path) for path in stage.outputs})
        write_json_atomic(self.state_file(stage), state)

    def _clear(self, stage: Stage) -> None:
        """Remove a stale stage's outputs and record, so that nothing old is mixed in."""
        for path in [self.state_file(stage), *stage.outputs]:
            if osp.isdir(path) and not osp.islink(path):
                shutil.rmtree(path)
            elif osp.lexists(path):
                os.remove(path)

    def _finish(self, stage: Stage, key: str, started: float) -> None:
        if stage.then is not None:
            stage.then()
        self._record(stage, key)
        self.seconds[stage.name] = time.time() - started
        self.outcome[stage.name] = RAN
        self.report(f'=== {stage.name}: done in {self.seconds[stage.name]:.0f} s')

    def _run_here(self, stage: Stage, key: str) -> None:
        self.report(f'=== {stage.name}: {stage.title or "running"}')
        started = time.time()
        status = stage.command([*stage.argv, *stage.quiet_argv])
        if status:
            raise RuntimeError(f'stage {stage.name} ended with exit status {status}')
        self._finish(stage, key, started)

    def _start(self, stage: Stage):
        module = stage.command.__module__
        log = osp.join(self.log_dir, f'{stage.name}.log')
        self.report(f'=== {stage.name}: {stage.title or "started"} (python -m {module}, log '
                    f'{log})')
        return start_process([sys.executable, '-m', module, *stage.argv, *stage.quiet_argv],
                             log,
                             threads=1)

    def _ready(self, pending: List[Stage]) -> List[Stage]:
        return [s for s in pending if all(n in self.outcome for n in self.needs[s.name])]

    def plan(self) -> Dict[str, str]:
        """What :meth:`run` would do, without running anything: each stage ``reused`` or
        ``would run`` (a stage after one that would run is taken to run too)."""
        for stage in self.stages:
            upstream_runs = any(self.outcome[n] == WOULD_RUN for n in self.needs[stage.name])
            current = not upstream_runs and self.is_current(stage, stage_key(stage))
            self.outcome[stage.name] = REUSED if current else WOULD_RUN
        return dict(self.outcome)

    def run(self, poll_s: float = 0.5) -> Dict[str, str]:
        """Run or reuse every stage; returns ``{stage: 'ran' | 'reused'}``.

        Raises:
            RuntimeError: A stage failed (the others still running are stopped first); the
                message names it, its status and, for a process, its log's last lines.
        """
        os.makedirs(self.state_dir, exist_ok=True)
        pending, running = list(self.stages), {}
        try:
            while pending or running:
                self._launch(pending, running)
                if running:
                    time.sleep(poll_s)
                    self._collect(running)
        except BaseException:
            for proc, *_ in running.values():
                proc.terminate()
                proc.wait()
            raise
        return dict(self.outcome)

    def _launch(self, pending: List[Stage], running: dict) -> None:
        for stage in self._ready(pending):
            if not stage.process and running:
                continue  # in-process stages wait until no process runs
            if stage.process and len(running) >= self.slots:
                continue
            key = stage_key(stage)
            pending.remove(stage)
            if self.is_current(stage, key):
                self.outcome[stage.name] = REUSED
                self.report(f'=== {stage.name}: reused (nothing it is made from changed)')
                continue
            self._clear(stage)
            if stage.process:
                running[stage.name] = (self._start(stage), stage, key, time.time())
            else:
                self._run_here(stage, key)

    def _collect(self, running: dict) -> None:
        for name, (proc, stage, key, started) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            if proc.returncode:
                log = osp.join(self.log_dir, f'{name}.log')
                raise RuntimeError(f'stage {name} ended with exit status {proc.returncode}: '
                                   f'python -m {stage.command.__module__} '
                                   f'{" ".join(stage.argv)}\nlast lines of {log}:\n'
                                   f'{log_tail(log)}')
            self._finish(stage, key, started)
