# Copyright (c) mmssg contributors. All rights reserved.
"""tools/slurm_train.sh and tools/slurm_test.sh: what they hand to srun.

Slurm is not installed here, so an ``srun`` on PATH writes the arguments it was given, one per
line; the scripts themselves run unchanged.
"""
import os
import os.path as osp
import subprocess

import pytest

from mmssg.testing import REPO_ROOT

FAKE_SRUN = '#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$SRUN_ARGS_FILE"\n'


def srun_args(tmp_path, script, *args):
    """The arguments ``tools/<script>`` passes to srun, and its exit status."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755)
    out = tmp_path / 'srun_args.txt'
    env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}', SRUN_ARGS_FILE=str(out))
    result = subprocess.run(['bash', osp.join(REPO_ROOT, 'tools', script), *args],
                            env=env,
                            capture_output=True,
                            text=True)
    return (out.read_text().splitlines() if out.exists() else None), result


def python_args(argv):
    """What follows ``python -u`` in srun's arguments."""
    return argv[argv.index('python') + 2:]


def test_slurm_test_with_and_without_a_checkpoint(tmp_path):
    argv, _ = srun_args(tmp_path, 'slurm_test.sh', 'gpu', 'job', 'cfg.py', 'w.pth', '--out',
                        'r.json')
    assert python_args(argv)[1:] == ['cfg.py', 'w.pth', '--launcher=slurm', '--out', 'r.json']
    # as tools/dist_test.sh: a config that names its weights needs no checkpoint
    argv, _ = srun_args(tmp_path, 'slurm_test.sh', 'gpu', 'job', 'cfg.py', '--out', 'a b.json')
    assert python_args(argv)[1:] == ['cfg.py', '--launcher=slurm', '--out', 'a b.json']
    assert python_args(argv)[0].endswith('tools/test.py')


def test_slurm_train_with_and_without_a_work_dir(tmp_path):
    argv, _ = srun_args(tmp_path, 'slurm_train.sh', 'gpu', 'job', 'cfg.py', 'work', '--amp')
    assert python_args(argv)[1:] == ['cfg.py', '--work-dir=work', '--launcher=slurm', '--amp']
    # an option where WORK_DIR may stand is an option, not a folder named "--amp"
    argv, _ = srun_args(tmp_path, 'slurm_train.sh', 'gpu', 'job', 'cfg.py', '--amp')
    assert python_args(argv)[1:] == ['cfg.py', '--launcher=slurm', '--amp']
    assert 'gpu' in argv and '--job-name=job' in argv


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh'])
def test_too_few_arguments_is_a_usage_error(tmp_path, script):
    argv, result = srun_args(tmp_path, script, 'gpu', 'job')
    assert argv is None and result.returncode == 2 and 'usage:' in result.stderr
