# Copyright (c) mmssg contributors. All rights reserved.
"""Run many commands of the tools under ``tools/`` as processes at once, for the tests of
their exit statuses.

Starting ``python tools/<tool>.py`` costs about 7 s of CPU before the tool parses its
command line (importing MMagic, MMSegmentation and torch), so a dozen such processes take a
minute of a 2-core machine. :func:`run_tools` runs most commands in processes forked from one
*fork server* instead: a Python interpreter (``python -m mmssg.testing.tool_processes``) that
imports :mod:`mmssg` (and with it MMagic, MMSegmentation and torch) once, then forks one
child per command. Each child is a process of its own with the command's working directory,
environment, ``sys.argv``, ``sys.path[0]`` (the script's folder) and standard streams, and
runs the entry point's file as ``__main__`` with :func:`runpy.run_path` as the last statement
of the interpreter's program, so its ``SystemExit`` or uncaught exception ends the process
exactly as they end ``python tools/<tool>.py``: the interpreter turns them into the exit code
and prints the traceback. Only the imports the package itself makes are shared; the tool's
own module (``mmssg.cli.<tool>``) is imported by the child. The commands given as
``fresh`` run as ``python tools/<tool>.py`` in new interpreters, at the same time as the
fork server; tests compare the two ways on one command.
"""
import gc
import json
import os
import os.path as osp
import runpy
import signal
import subprocess
import sys
import tempfile
from typing import Dict, NamedTuple, Sequence

from .configs import REPO_ROOT


class ToolResult(NamedTuple):
    """How a tool's process ended and what it wrote on its standard streams."""
    returncode: int
    stdout: str
    stderr: str


def command(script: str, *args, env: Dict[str, str] = None) -> dict:
    """A command for :func:`run_tools`: ``script`` (relative to the repository root, such as
    ``'tools/train.py'``), its arguments and the variables added to the environment."""
    return dict(script=script, args=[str(a) for a in args], env=dict(env or {}))


def _files(folder: str, name: str) -> tuple:
    return osp.join(folder, f'{name}.out'), osp.join(folder, f'{name}.err')


def _read(path: str) -> str:
    with open(path, errors='replace') as f:
        return f.read()


def _start(args, env, stdout, stderr, stdin=subprocess.DEVNULL) -> subprocess.Popen:
    """A process in a session of its own (so that it can be stopped with what it started)."""
    return subprocess.Popen(
        args,
        cwd=REPO_ROOT,
        env=env,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        text=True,
        start_new_session=True)


def run_tools(forked: Dict[str, dict],
              fresh: Dict[str, dict] = None,
              env: Dict[str, str] = None,
              timeout: float = 300) -> Dict[str, ToolResult]:
    """Run ``forked`` commands in children of one fork server and ``fresh`` ones as new
    interpreters, all at once, from the repository root.

    Args:
        forked (dict): ``{name: command(...)}`` run by the fork server.
        fresh (dict, optional): ``{name: command(...)}`` run as ``python tools/...py``.
        env (dict, optional): The environment of every process (``os.environ`` by default),
            to which each command adds its own variables.
        timeout (float): Seconds for all of them together.

    Returns:
        dict: ``{name: ToolResult}`` for every command.
    """
    base = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix='tool_processes_') as folder:
        cases = []
        for name, cmd in forked.items():
            out, err = _files(folder, name)
            cases.append(
                dict(cmd, env=dict(base, **cmd['env']), cwd=REPO_ROOT, stdout=out, stderr=err))
        with open(osp.join(folder, 'fork_server.err'), 'w') as server_err:
            server = _start([sys.executable, '-m', __name__], base, subprocess.PIPE, server_err,
                            subprocess.PIPE)
            report, codes = _wait_for_all(server, json.dumps(cases), fresh or {}, base, folder,
                                          timeout)
        if server.returncode != 0:
            raise RuntimeError(f'the fork server failed ({server.returncode}):\n' +
                               _read(server_err.name)[-3000:])
        codes.update(zip(forked, json.loads(report)))
        return {
            name: ToolResult(code, *map(_read, _files(folder, name)))
            for name, code in codes.items()
        }


def _wait_for_all(server, cases, fresh, base, folder, timeout) -> tuple:
    """Start the ``fresh`` commands, hand the fork server its ``cases`` and wait for all.

    Returns:
        tuple[str, dict]: The fork server's report (the exit codes of its children as a JSON
        list) and the fresh commands' exit codes by name.
    """
    processes, opened = {}, []
    try:
        for name, cmd in fresh.items():
            opened += [open(path, 'w') for path in _files(folder, name)]
            processes[name] = _start([sys.executable, cmd['script'], *cmd['args']],
                                     dict(base, **cmd['env']), *opened[-2:])
        report, _ = server.communicate(cases, timeout=timeout)
        for process in processes.values():
            process.wait(timeout=timeout)
    finally:
        for process in [server, *processes.values()]:
            if process.poll() is None:  # timed out: stop it and what it started
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for f in opened:
            f.close()
    return report, {name: process.returncode for name, process in processes.items()}


def serve(cases: Sequence[dict]):
    """The fork server: fork one child per case and wait for all of them.

    Returns (in a child only): the case the child is to run. The server itself prints the
    children's exit codes as a JSON list, in the order of ``cases``, and exits.
    """
    import mmssg  # noqa: F401  (the imports every tool makes, done once for all)

    # a child's exit then leaves the objects made so far alone: without this, its garbage
    # collection touches (and so copies) the server's whole memory, which made each child's
    # exit cost about 2 s of CPU instead of 0.5 s here
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    children = {}
    for index, case in enumerate(cases):
        pid = os.fork()
        if pid == 0:
            return case
        children[pid] = index
    codes = [None] * len(cases)
    while children:
        pid, status = os.wait()
        codes[children.pop(pid)] = os.waitstatus_to_exitcode(status)
    print(json.dumps(codes))
    sys.exit(0)


def become(case: dict) -> None:
    """Turn a forked child into the process ``python SCRIPT ARGS`` would be."""
    os.chdir(case['cwd'])
    os.environ.clear()
    os.environ.update(case['env'])
    write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, case['stdout'], write),
                            (2, case['stderr'], write)):
        new = os.open(path, flags, 0o644)
        os.dup2(new, fd)
        os.close(new)
    sys.argv = [case['script'], *case['args']]
    sys.path[0] = osp.dirname(osp.abspath(case['script']))


if __name__ == '__main__':
    _case = serve(json.load(sys.stdin))
    become(_case)
    # the last statement: what the script leaves uncaught ends this process as it would end
    # `python SCRIPT`
    runpy.run_path(_case['script'], run_name='__main__')
