# Copyright (c) mmssg contributors. All rights reserved.
"""Fixtures of the tools' tests."""
import pytest


@pytest.fixture(scope='module')
def estimate():
    """The tool's ``main``, run in-process (saves re-importing torch)."""
    from mmssg.cli.estimate_kernels import main
    return main
