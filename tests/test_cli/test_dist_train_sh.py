# Copyright (c) mmssg contributors. All rights reserved.
"""tools/dist_train.sh's arguments (the real 2-process run: test_dist_train_and_test.py)."""
import os
import os.path as osp
import stat
import subprocess

import pytest

from mmssg.testing import REPO_ROOT

DIST_TRAIN = osp.join(REPO_ROOT, 'tools', 'dist_train.sh')


@pytest.fixture
def echo_python(tmp_path):
    """A stand-in for $PYTHON that prints the arguments the script passes, one a line."""
    path = tmp_path / 'python'
    path.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return dict(os.environ, PYTHON=str(path))


def launched(args, env):
    proc = subprocess.run(['bash', DIST_TRAIN, *args], env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout.splitlines(), proc.stderr


def test_options_pass_through_whole(echo_python):
    status, argv, _ = launched(['my cfg.py', '4', '--work-dir', 'runs/a b', '--cfg-options', 'x=1'],
                               echo_python)
    assert status == 0 and '--nproc_per_node=4' in argv
    assert argv[-7:] == [
        'my cfg.py', '--launcher', 'pytorch', '--work-dir', 'runs/a b', '--cfg-options', 'x=1'
    ]
    assert argv[-8] == osp.join(osp.dirname(DIST_TRAIN), 'train.py')


@pytest.mark.parametrize('args', [['cfg.py'], ['cfg.py', '--amp'], ['cfg.py', '0'], []])
def test_a_missing_process_count_is_a_usage_error(echo_python, args):
    status, argv, stderr = launched(args, echo_python)
    assert status == 2 and argv == []
    assert 'usage: bash' in stderr and 'NUM_PROCESSES' in stderr
