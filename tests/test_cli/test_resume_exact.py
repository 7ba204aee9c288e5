# Copyright (c) mmssg contributors. All rights reserved.
"""A run killed with SIGKILL and resumed ends exactly where the uninterrupted run ends.

Random crops, flips and degradations come from per-sample seeds (JointTrainLoop's
SampleSeededDataset), so neither the interruption nor the number of dataloader workers
changes a single bit of the result on the same machine.
"""
import signal

import pytest
import torch

from mmssg.testing.tiny_run import make_tiny_run, train

pytestmark = pytest.mark.heavy

RUN = ['--cfg-options', 'train_cfg.max_iters=8', 'default_hooks.checkpoint.interval=4']


def workers(n):
    persistent = 'True' if n else 'False'
    return [
        f'train_dataloader.num_workers={n}', f'train_dataloader.persistent_workers={persistent}',
        f'train_cfg.dataloaders.adapted.num_workers={n}',
        f'train_cfg.dataloaders.adapted.persistent_workers={persistent}'
    ]


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    config, env = make_tiny_run(root)
    killing = root / 'killed_at_6.py'
    killing.write_text(f"_base_ = ['{config}']\n"
                       "custom_hooks = [dict(type='StrictCheckpointHook'),\n"
                       "                dict(type='KillAtIterationHook', iteration=6)]\n")
    return root, config, str(killing), env


def final_state(work_dir):
    checkpoint = torch.load(f'{work_dir}/iter_8.pth', map_location='cpu')
    return checkpoint['state_dict'], checkpoint['optimizer']


def assert_identical(a, b):
    (state_a, optim_a), (state_b, optim_b) = a, b
    assert state_a.keys() == state_b.keys()
    different = [k for k in state_a if not torch.equal(state_a[k], state_b[k])]
    assert not different, f'{len(different)} tensors differ, e.g. {different[:3]}'
    for name in ('generator', 'segmentor'):
        for slot_a, slot_b in zip(optim_a[name]['state'].values(), optim_b[name]['state'].values()):
            assert all(torch.equal(slot_a[k], slot_b[k]) for k in slot_a)


def test_a_killed_and_resumed_run_repeats_the_uninterrupted_one_bit_for_bit(tiny_run):
    """Uninterrupted with 2 workers; killed at iteration 6 with none, resumed from 4 with 2."""
    root, config, killing, env = tiny_run
    train(config, str(root / 'uninterrupted'), env, *RUN, *workers(2))
    work_dir = str(root / 'killed')
    train(killing, work_dir, env, *RUN, *workers(0), expect=-signal.SIGKILL)
    log = train(config, work_dir, env, '--resume', *RUN, *workers(2))
    assert 'Resuming at iteration 4' in log
    assert_identical(final_state(work_dir), final_state(root / 'uninterrupted'))
