# Copyright (c) mmssg contributors. All rights reserved.
"""mmengine's checkpoints, once mmssg is imported: read as data, written in one step."""
import os
import os.path as osp
import zipfile

import pytest
import torch
from mmengine.runner import CheckpointLoader, save_checkpoint

from mmssg.testing.tiny_run import make_tiny_run, train


class Payload:
    """A pickle that runs a command when it is loaded, as a malicious .pth file would."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_mmengine_reads_checkpoints_as_data(tmp_path):
    marker = tmp_path / 'ran'
    payload = tmp_path / 'payload.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': Payload(marker)}, payload)
    with pytest.raises(ValueError, match=rf'{payload} needs posix.system to load.*--trust'):
        CheckpointLoader.load_checkpoint(str(payload))  # load_from, --resume, init_cfg
    assert not marker.exists()
    fine = tmp_path / 'fine.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': dict(iter=3)}, fine)
    assert CheckpointLoader.load_checkpoint(str(fine))['meta'] == dict(iter=3)


def test_mmengine_writes_checkpoints_in_one_step(tmp_path):
    path = tmp_path / 'sub' / 'iter_1.pth'
    save_checkpoint({'state_dict': {'w': torch.arange(3)}}, str(path))
    assert os.listdir(tmp_path / 'sub') == ['iter_1.pth']  # no temporary file left
    assert torch.equal(torch.load(path, weights_only=True)['state_dict']['w'], torch.arange(3))


KILLED_CONFIG = '''
_base_ = [{tiny!r}]
custom_imports = dict(
    imports=['mmssg', 'mmssg.testing.hooks', 'mmssg.testing.save_hooks'],
    allow_failed_imports=False)
custom_hooks = [dict(type='StrictCheckpointHook'), dict(type='KillDuringSaveHook')]
'''


@pytest.mark.heavy
def test_a_run_killed_during_a_save_leaves_no_torn_checkpoint(tmp_path):
    """A real SIGKILL half-way through writing iter_2.pth: the run leaves no file of that
    name (nor a `last_checkpoint` pointing at one), only a hidden temporary file."""
    config, env = make_tiny_run(tmp_path)
    killed = tmp_path / 'killed.py'
    killed.write_text(KILLED_CONFIG.format(tiny=config))
    work_dir = tmp_path / 'work'
    train(
        str(killed),
        str(work_dir),
        env,
        '--cfg-options',
        'default_hooks.checkpoint.interval=2',
        expect=-9)
    names = os.listdir(work_dir)
    assert 'iter_2.pth' not in names and 'last_checkpoint' not in names, names
    torn = [n for n in names if '.pth' in n]
    assert all(n.startswith('.iter_2.pth.') and n.endswith('.part') for n in torn), torn
    for name in torn:  # what the kill left is a hidden temporary file, half a checkpoint
        assert not zipfile.is_zipfile(osp.join(work_dir, name))
