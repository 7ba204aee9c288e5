# Copyright (c) mmssg contributors. All rights reserved.
"""JointTrainLoop: turn pattern, per-turn logging, resume at the right turn and batch."""
import copy
import os.path as osp

import pytest
import torch
from mmagic.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmssg.engine import consumed_batches
from mmssg.testing import adapted_batch, guided_batch, tiny_model_cfg


class ListDataset(Dataset):
    """Items of a collated toy batch, each tagged with its index."""

    def __init__(self, batch):
        self.items = [
            dict(inputs=i, data_samples=s) for i, s in zip(batch['inputs'], batch['data_samples'])
        ]
        for idx, item in enumerate(self.items):
            item['data_samples'].set_metainfo(dict(sample_idx=idx))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return copy.deepcopy(self.items[idx])


@HOOKS.register_module(force=True)
class TurnRecorderHook(Hook):
    """Records, per iteration, the turn, the samples it drew and the loss names logged."""

    def __init__(self):
        self.records = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        samples = tuple(s.metainfo['sample_idx'] for s in data_batch['data_samples'])
        self.records.append((batch_idx, data_batch['turn'], samples, tuple(sorted(outputs))))


def loader(batch, batch_size=2):
    return dict(
        dataset=ListDataset(batch),
        batch_size=batch_size,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        collate_fn=dict(type='pseudo_collate'))


def make_runner(work_dir, max_iters, turns=('guided', 'adapted'), resume=False, **loop):
    optim = dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)),
        segmentor=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
    return Runner(
        model=tiny_model_cfg(),
        work_dir=work_dir,
        train_dataloader=loader(guided_batch(n=5, size=(16, 16))),
        train_cfg=dict(
            type='JointTrainLoop',
            max_iters=max_iters,
            turns=list(turns),
            dataloaders=dict(adapted=loader(adapted_batch(n=3, size=(16, 16)))),
            val_interval=1000,
            **loop),
        optim_wrapper=optim,
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='TurnRecorderHook')],
        randomness=dict(seed=0),
        default_scope='mmagic',
        resume=resume,
        experiment_name=osp.basename(work_dir) + str(max_iters) + str(resume))


def records(runner):
    return [h for h in runner.hooks if isinstance(h, TurnRecorderHook)][0].records


def test_consumed_batches_counts_each_turn():
    assert consumed_batches(('guided', 'adapted'), 7) == dict(guided=4, adapted=3)
    assert consumed_batches(('guided', 'adapted', 'adapted'), 7) == dict(guided=3, adapted=4)
    assert consumed_batches(('adapted', ), 5) == dict(adapted=5)


def test_strict_alternation_with_per_turn_loss_names(tmp_path):
    runner = make_runner(str(tmp_path / 'run'), max_iters=4)
    runner.train()
    recs = records(runner)
    assert [r[1] for r in recs] == ['guided', 'adapted', 'guided', 'adapted']
    guided_keys, adapted_keys = recs[0][3], recs[1][3]
    assert all(k.startswith('guided_') for k in guided_keys)
    assert all(k.startswith('adapted_') for k in adapted_keys)
    history = runner.message_hub.log_scalars
    assert 'train/guided_decode.loss_ce' in history and 'train/adapted_loss_lpips' in history


def test_uneven_pattern_and_epochs_of_each_loader(tmp_path):
    runner = make_runner(str(tmp_path / 'run'), max_iters=9, turns=('guided', 'adapted', 'adapted'))
    runner.train()
    recs = records(runner)
    assert [r[1] for r in recs] == ['guided', 'adapted', 'adapted'] * 3
    adapted = [r[2] for r in recs if r[1] == 'adapted']
    # 3 adapted samples, batch 2: batches of 2 and 1 per epoch, each epoch a permutation
    assert [len(s) for s in adapted] == [2, 1, 2, 1, 2, 1]
    for epoch in range(3):
        assert sorted(adapted[2 * epoch] + adapted[2 * epoch + 1]) == [0, 1, 2]


def test_resume_continues_the_pattern_and_each_loaders_position(tmp_path):
    full = make_runner(str(tmp_path / 'full'), max_iters=7, turns=('guided', 'adapted', 'adapted'))
    full.train()
    expected = records(full)

    first = make_runner(str(tmp_path / 'cut'), max_iters=3, turns=('guided', 'adapted', 'adapted'))
    first.train()
    assert osp.exists(tmp_path / 'cut' / 'iter_3.pth')
    resumed = make_runner(
        str(tmp_path / 'cut'), max_iters=7, turns=('guided', 'adapted', 'adapted'), resume=True)
    resumed.train()
    got = records(resumed)
    assert [r[0] for r in got] == [3, 4, 5, 6]
    assert [r[:3] for r in got] == [r[:3] for r in expected[3:]]
    for a, b in zip(full.model.generator.parameters(), resumed.model.generator.parameters()):
        torch.testing.assert_close(a, b)


def test_every_turn_needs_a_loader(tmp_path):
    runner = make_runner(str(tmp_path / 'run'), max_iters=2, turns=('guided', 'synthetic'))
    with pytest.raises(ValueError, match="'synthetic'"):
        runner.train()
