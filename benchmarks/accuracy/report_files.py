# Copyright (c) mmssg contributors. All rights reserved.
"""Where the kernel benchmarks put what they measured: the Markdown report, headed by the
command that made it (``benchmarks/results/*.md``), and the rows as JSON."""
import json
import sys
from typing import Optional, Sequence


def command_line(program: str, argv: Optional[Sequence[str]] = None) -> str:
    """``program`` and its arguments as given (``sys.argv`` when ``argv`` is None)."""
    return ' '.join([program, *(sys.argv[1:] if argv is None else argv)])


def write_report(path: Optional[str], report: str, command: str) -> None:
    """Write ``report`` to ``path`` after a ``command:`` line (nothing when ``path`` is None)."""
    if path:
        with open(path, 'w') as f:
            f.write(f'command: {command}\n\n{report}')


def write_rows(path: Optional[str], payload: dict) -> None:
    """Write ``payload`` to ``path`` as indented JSON (nothing when ``path`` is None)."""
    if path:
        with open(path, 'w') as f:
            json.dump(payload, f, indent=1)


def publish(program: str, argv: Optional[Sequence[str]], args, report: str, payload: dict) -> None:
    """Print ``report`` and write it to ``args.out`` (headed by ``program`` and ``argv``) and
    ``payload`` to ``args.json``, where they are given."""
    print(report)
    write_report(args.out, report, command_line(program, argv))
    write_rows(args.json, payload)
