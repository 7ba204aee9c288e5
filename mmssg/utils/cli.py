# Copyright (c) mmssg contributors. All rights reserved.
"""The one calling convention of every script under ``tools/``.

Each tool exposes ``main(argv=None) -> int``: it parses ``argv`` (``sys.argv``
when None), does its work, writes its results to files (images, a
``summary.json``, a metrics file given by ``--out``) and returns its exit
status. Errors raise exceptions whose message names the file, key or value at
fault. Run from the shell, :func:`run_tool` turns a user error into one line on
stderr and a non-zero status; called from Python (the demo, the tests), the
exception reaches the caller.

Exit statuses, the same for every tool:

- :data:`EXIT_OK` (0): everything was done.
- :data:`EXIT_ERROR` (1): an error stopped the tool; nothing it reported as
  written is incomplete.
- :data:`EXIT_USAGE` (2): bad command line (argparse's own status).
- :data:`EXIT_SKIPPED` (3): the tool finished, but skipped some inputs
  (unreadable or unusable files); they are listed in its summary and its last
  line of output says how many.

Set ``MMSSG_TRACEBACK=1`` to see the full traceback of a user error.
"""
import argparse
import os
import sys
from typing import Callable, Optional, Sequence

from mmengine.config import DictAction

from .checkpoint import trust_checkpoints

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 3

# Errors a user can fix (a missing file, a bad value): one line, no traceback.
USER_ERRORS = (OSError, ValueError, KeyError, RuntimeError)


def exit_status(skipped: int) -> int:
    """:data:`EXIT_SKIPPED` when ``skipped`` inputs were left out, else :data:`EXIT_OK`."""
    return EXIT_SKIPPED if skipped else EXIT_OK


def run_tool(main: Callable[[Optional[Sequence[str]]], int], prog: Optional[str] = None) -> None:
    """Run a tool's ``main`` from the shell and exit with its status.

    Args:
        main (Callable): The tool's ``main(argv=None) -> int``.
        prog (str, optional): Name used in error lines; the script name by
            default.
    """
    prog = prog or sys.argv[0].rsplit('/', 1)[-1]
    try:
        status = main(None)
    except USER_ERRORS as error:
        if os.environ.get('MMSSG_TRACEBACK'):
            raise
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f'{prog}: error: {message}', file=sys.stderr)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK if status is None else int(status))


class KeyValueAction(DictAction):
    """mmengine's ``DictAction`` (``key=value`` pairs, values parsed as it parses them), with a
    usage error naming an item that is no ``key=value`` pair."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            key, equals, _ = item.partition('=')
            if not (key and equals):
                parser.error(f'{option_string} {item!r}: expected KEY=VALUE')
        super().__call__(parser, namespace, values, option_string)


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every tool that builds mmengine's Runner takes, as OpenMMLab's tools do:
    ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=KeyValueAction,
        help='override settings of the config, as key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse ``argv``; a launcher that passes ``--local-rank`` sets ``LOCAL_RANK`` too."""
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def check_config_or_paths(parser: argparse.ArgumentParser, args: argparse.Namespace,
                          from_config: dict, paths: str) -> bool:
    """For tools that take either positional paths or ``--config``: refuse both at once, and
    with ``--config`` any option the config decides.

    Args:
        parser (ArgumentParser): Reports the usage error (exit status 2).
        args (Namespace): The parsed arguments, with ``config`` and ``src_dir``.
        from_config (dict): ``{option's dest: the config key that sets it}``.
        paths (str): The positional arguments as the usage names them, e.g. ``'SRC_DIR OUT_DIR'``.

    Returns:
        bool: Whether ``--config`` was given.
    """
    if args.config is None:
        return False
    if args.src_dir is not None:
        parser.error(f'give {paths} or --config CONFIG, not both')
    given = [name for name in from_config if getattr(args, name) is not None]
    if given:
        option = given[0].replace('_', '-')
        parser.error(f'--{option} comes from the config with --config '
                     f'({from_config[given[0]]}); change it there')
    return True


def add_trust_argument(parser: argparse.ArgumentParser) -> None:
    """``--trust-checkpoint``: read checkpoints with the full unpickler
    (:mod:`mmssg.utils.checkpoint`); :func:`apply_trust` acts on it."""
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load checkpoints that need more than weights to unpickle (unpickling can run code '
        'from the file: only for files you trust)')


def apply_trust(args: argparse.Namespace) -> argparse.Namespace:
    """Trust checkpoints from now on when ``args.trust_checkpoint`` says so; returns ``args``."""
    if args.trust_checkpoint:
        trust_checkpoints()
    return args
