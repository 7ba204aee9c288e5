# Copyright (c) mmssg contributors. All rights reserved.
"""Every tool's work, one module per tool, each behind ``main(argv=None) -> int``.

``tools/<name>.py`` (and ``tools/data/``, ``tools/analysis/``) are the OpenMMLab-style entry
points: a few lines that hand the command line to one of these functions through
:func:`mmssg.utils.run_tool`. The demo, the tests and the benchmarks import the same
functions (``from mmssg.cli.train import main``), or run a module as its own process
(``python -m mmssg.cli.train CONFIG``). The calling convention and the exit statuses are
those of :mod:`mmssg.utils.cli`.

Nothing is imported here, so that ``import mmssg.cli.make_tables`` costs only what that
tool needs.
"""
