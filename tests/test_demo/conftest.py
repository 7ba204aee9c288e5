# Copyright (c) mmssg contributors. All rights reserved.
"""One small demo dataset shared by the tests that read generated files."""
import pytest

from mmssg.demo import make_demo_dataset
from mmssg.testing.demo_files import COUNTS, LR_SIZE, SEED


@pytest.fixture(scope='session')
def dataset(tmp_path_factory):
    """``(root, summary)`` of a demo dataset made with seed 3 at LR 64x32."""
    root = tmp_path_factory.mktemp('demo') / 'data'
    summary = make_demo_dataset(
        str(root), seed=SEED, lr_size=LR_SIZE, log=lambda msg: None, **COUNTS)
    return root, summary
