# Copyright (c) mmssg contributors. All rights reserved.
"""Shared set-up: the plugin imported, the mmagic scope active, threads capped."""
import os

import pytest
import torch
from mmengine.registry import init_default_scope

import mmssg  # noqa: F401  (registers the plugin)

# The suite runs in pytest-xdist workers (the Makefile's PYTEST_WORKERS): each gets its share
# of the cores, since torch processes that ask for more threads than there are cores slow
# each other several-fold.
_WORKERS = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
torch.set_num_threads(max(1, min(2, (os.cpu_count() or 1) // _WORKERS)))
init_default_scope('mmagic')  # for module-scoped fixtures too


def pytest_collection_modifyitems(items):
    """Heavy files first (stable): xdist hands files out in this order, as long as it does not
    re-sort them by test count (the Makefile passes ``--no-loadscope-reorder``)."""
    items.sort(key=lambda item: item.get_closest_marker('heavy') is None)


@pytest.fixture(autouse=True)
def mmagic_scope():
    """Every test runs in the scope an mmssg config declares."""
    init_default_scope('mmagic')
    yield


@pytest.fixture
def one_torch_thread():
    """For tests of tiny torch ops (KernelGAN): a second thread only adds sync cost."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)
