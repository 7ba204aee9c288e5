# Copyright (c) mmssg contributors. All rights reserved.
"""tools/dist_train.sh and tools/dist_test.sh: what they hand to torchrun, and usage errors.

A stand-in ``$PYTHON`` prints the arguments it gets, one a line; the scripts run unchanged (the
real 2-process runs: test_dist_train_and_test.py, test_dist_test_sh.py).
"""
import os
import os.path as osp
import stat
import subprocess

import pytest

from mmssg.testing import REPO_ROOT


@pytest.fixture
def launched(tmp_path):
    """``launched(script, *args)``: the exit status, the arguments $PYTHON got and stderr."""
    python = tmp_path / 'python'
    python.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PYTHON=str(python))

    def run(script, *args):
        proc = subprocess.run(['bash', osp.join(REPO_ROOT, 'tools', script), *args],
                              env=env,
                              capture_output=True,
                              text=True)
        return proc.returncode, proc.stdout.splitlines(), proc.stderr

    return run


def test_dist_train_passes_config_and_options_whole(launched):
    status, argv, _ = launched('dist_train.sh', 'my cfg.py', '4', '--work-dir', 'runs/a b',
                               '--cfg-options', 'x=1')
    assert status == 0 and '--nproc_per_node=4' in argv
    assert argv[-7:] == [
        'my cfg.py', '--launcher', 'pytorch', '--work-dir', 'runs/a b', '--cfg-options', 'x=1'
    ]
    assert argv[-8] == osp.join(REPO_ROOT, 'tools', 'train.py')


def test_dist_test_checkpoint_is_optional_and_options_pass_through(launched):
    status, argv, _ = launched('dist_test.sh', 'cfg.py', 'ckpt.pth', '2', '--out', 'a b.json')
    assert status == 0 and '--nproc_per_node=2' in argv
    assert argv[-6:] == ['cfg.py', 'ckpt.pth', '--launcher', 'pytorch', '--out', 'a b.json']
    status, argv, _ = launched('dist_test.sh', 'cfg.py', '2', '--out', 'a b.json')
    assert status == 0 and '--nproc_per_node=2' in argv
    assert argv[-5:] == ['cfg.py', '--launcher', 'pytorch', '--out', 'a b.json']
    status, argv, _ = launched('dist_test.sh', 'cfg.py', '3')
    assert status == 0 and '--nproc_per_node=3' in argv
    assert argv[-3:] == ['cfg.py', '--launcher', 'pytorch']


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', []),
    ('dist_train.sh', ['cfg.py']),
    ('dist_train.sh', ['cfg.py', '--amp']),
    ('dist_train.sh', ['cfg.py', '0']),
    ('dist_test.sh', ['cfg.py']),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth']),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth', '-1']),
])
def test_a_missing_process_count_is_a_usage_error(launched, script, args):
    status, argv, stderr = launched(script, *args)
    assert status == 2 and argv == []
    assert 'usage: bash' in stderr and 'NUM_PROCESSES' in stderr
