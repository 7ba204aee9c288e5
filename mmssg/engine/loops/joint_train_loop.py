# Copyright (c) mmssg contributors. All rights reserved.
"""Iteration-based training that alternates turns fed by different dataloaders."""
import bisect
import copy
import itertools
import logging
from typing import Dict, Optional, Sequence, Union

from mmagic.registry import LOOPS
from mmengine.dataset import InfiniteSampler
from mmengine.logging import print_log
from mmengine.runner.base_loop import BaseLoop
from mmengine.runner.utils import calc_dynamic_intervals
from torch.utils.data import DataLoader


def with_sample_seeds(loader_cfg: dict) -> dict:
    """A dataloader config whose samples each get a seed from where they are drawn.

    The dataset goes into ``SampleSeededDataset`` and the sampler into
    ``SampleSeedSampler`` (both registered by ``mmssg.datasets``): random
    augmentations then depend on ``(seed, rank, epoch, position)`` only, so a
    resumed run repeats the uninterrupted one whatever the number of workers.

    Args:
        loader_cfg (dict): A dataloader config as the runner builds it.

    Returns:
        dict: A new config; ``loader_cfg`` is left unchanged.
    """
    cfg = copy.deepcopy(loader_cfg)
    if cfg.get('sampler', {}).get('type') in ('SampleSeedSampler', 'mmagic.SampleSeedSampler'):
        return cfg
    cfg['dataset'] = dict(type='mmagic.SampleSeededDataset', dataset=cfg['dataset'])
    cfg['sampler'] = dict(
        type='mmagic.SampleSeedSampler',
        sampler=cfg.get('sampler') or dict(type='DefaultSampler', shuffle=True))
    return cfg


def consumed_batches(turns: Sequence[str], num_iters: int) -> Dict[str, int]:
    """Count the batches each turn has drawn after ``num_iters`` iterations.

    Args:
        turns (Sequence[str]): The repeating pattern of turns.
        num_iters (int): Iterations run so far.

    Returns:
        dict: Turn name -> number of batches drawn from its dataloader.
    """
    cycles, rest = divmod(num_iters, len(turns))
    return {
        turn: cycles * list(turns).count(turn) + list(turns[:rest]).count(turn)
        for turn in dict.fromkeys(turns)
    }


class _OffsetSampler:
    """Wrap a sampler so that its next pass starts ``skip`` indices in.

    Used to resume mid-epoch: the skipped indices are never loaded. It
    forwards ``set_epoch`` and ``len`` to the wrapped sampler.
    """

    def __init__(self, sampler) -> None:
        self.sampler = sampler
        self.skip = 0

    def __iter__(self):
        skip, self.skip = self.skip, 0
        return itertools.islice(iter(self.sampler), skip, None)

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)


class TurnDataIterator:
    """Endless iterator over one dataloader that knows its epoch and can resume.

    Each pass over the loader is one epoch; before each pass the sampler gets
    ``set_epoch(epoch)`` so that shuffling follows mmengine's
    ``DefaultSampler`` convention. Starting after ``consumed`` batches puts
    the iterator in the right epoch at the right batch without loading the
    batches it skips (for loaders whose batch sampler exposes ``sampler``).

    Args:
        dataloader (DataLoader): The loader.
        consumed (int): Batches already drawn in earlier runs.
    """

    def __init__(self, dataloader: DataLoader, consumed: int = 0) -> None:
        self.dataloader = dataloader
        batch_sampler = getattr(dataloader, 'batch_sampler', None)
        sampler = getattr(batch_sampler, 'sampler', None)
        self._offset_sampler = None
        if sampler is not None:
            if not isinstance(sampler, _OffsetSampler):
                sampler = _OffsetSampler(sampler)
                batch_sampler.sampler = sampler
            self._offset_sampler = sampler
        innermost = sampler
        while hasattr(innermost, 'sampler'):  # through _OffsetSampler, SampleSeedSampler
            innermost = innermost.sampler
        self._infinite = isinstance(innermost, InfiniteSampler)
        if self._infinite:  # one endless pass: the position is all that matters
            self.epoch, offset = 0, consumed
        else:
            self.epoch, offset = divmod(consumed, len(dataloader))
        self._iterator = None
        self._start(offset)

    def _start(self, offset: int) -> None:
        if hasattr(self.dataloader.sampler, 'set_epoch'):
            self.dataloader.sampler.set_epoch(self.epoch)
        elif self._offset_sampler is not None:
            self._offset_sampler.set_epoch(self.epoch)
        if offset and self._offset_sampler is not None:
            self._offset_sampler.skip = offset * self.dataloader.batch_size
            offset = 0
        self._iterator = iter(self.dataloader)
        if offset:
            print_log(
                f'Skipping {offset} batches by loading them: the batch sampler of '
                f'{type(self.dataloader.dataset).__name__} cannot start mid-epoch',
                logger='current',
                level=logging.WARNING)
            for _ in range(offset):
                next(self._iterator)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._iterator)
        except StopIteration:
            self.epoch += 1
            self._start(0)
            return next(self._iterator)


# Not a subclass of mmengine's IterBasedTrainLoop: its __init__ starts an iterator over its one
# dataloader (starting workers and drawing their base seed from the global torch generator) and
# its run() and run_iter() draw from that iterator; here every turn has its own loader and
# resumable iterator, so all that would remain inherited are the four properties below.
@LOOPS.register_module()
class JointTrainLoop(BaseLoop):
    """Iteration-based loop that alternates training turns, each with its own data.

    SSG-RWSR alternates guided turns (real LR images + labels) and adapted
    turns (domain-adapted LR/HR pairs). Each iteration runs one turn, drawn in
    order from the repeating pattern ``turns``; the batch goes to
    ``model.train_step`` with ``data['turn']`` set to the turn's name.
    ``max_iters`` counts every turn.

    The runner's ``train_dataloader`` feeds the turn named
    ``train_dataloader_turn``; ``dataloaders`` gives the loaders of the other
    turns. Resuming needs no extra state: from the restored iteration and the
    pattern the loop knows the next turn and how many batches each loader has
    given, and restarts each loader at that epoch and position (so keep the
    pattern, batch sizes and ``randomness.seed`` unchanged when resuming).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The runner's train dataloader.
        max_iters (int): Total iterations (turns).
        turns (Sequence[str]): Repeating pattern of turn names. Defaults to
            ``('guided', 'adapted')``, the paper's strict alternation; e.g.
            ``('guided', 'adapted', 'adapted')`` gives 1 guided : 2 adapted.
        dataloaders (dict, optional): Turn name -> dataloader (or config) for
            every turn other than ``train_dataloader_turn``.
        train_dataloader_turn (str): The turn fed by ``dataloader``. Defaults
            to ``'guided'``.
        val_begin (int): Iteration from which validation runs. Defaults to 1.
        val_interval (int): Validation interval in iterations. Defaults to
            1000.
        dynamic_intervals (list, optional): ``(milestone, interval)`` pairs as
            in mmengine's ``IterBasedTrainLoop``.
        seed_samples (bool): Give every sample a seed from ``(seed, rank, epoch,
            position)`` (:func:`with_sample_seeds`), so that a resumed run
            repeats the uninterrupted one bit for bit on the same machine.
            Applies to loaders given as configs. Defaults to True.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 turns: Sequence[str] = ('guided', 'adapted'),
                 dataloaders: Optional[Dict[str, Union[DataLoader, Dict]]] = None,
                 train_dataloader_turn: str = 'guided',
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals=None,
                 seed_samples: bool = True) -> None:
        self.seed_samples = seed_samples
        super().__init__(runner, self._seeded(dataloader))
        if int(max_iters) != max_iters or max_iters < 0:
            raise ValueError(f'max_iters must be a non-negative integer, got {max_iters!r}')
        self.turns = tuple(turns)
        if not self.turns or not all(isinstance(t, str) for t in self.turns):
            raise ValueError(f'turns must be a non-empty sequence of names, got {turns!r}')
        self._max_iters = int(max_iters)
        self._max_epochs = 1
        self._epoch = 0
        self._iter = 0
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False
        self.current_turn = None

        self.dataloaders = {train_dataloader_turn: self.dataloader}
        for turn, loader in (dataloaders or {}).items():
            if turn == train_dataloader_turn:
                raise ValueError(f'Turn {turn!r} is fed by train_dataloader; remove it from '
                                 'train_cfg.dataloaders or change train_dataloader_turn')
            if isinstance(loader, dict):
                loader = self._seeded(loader)
                diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
                loader = runner.build_dataloader(
                    loader, seed=runner.seed, diff_rank_seed=diff_rank_seed)
            self.dataloaders[turn] = loader
        missing = [t for t in dict.fromkeys(self.turns) if t not in self.dataloaders]
        if missing:
            raise ValueError(f'train_cfg.turns uses {missing} but no dataloader feeds them: '
                             f'train_dataloader feeds {train_dataloader_turn!r} and '
                             f'train_cfg.dataloaders has {sorted(dataloaders or {})}')
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.runner.visualizer.dataset_meta = self.dataloader.dataset.metainfo
        self.dynamic_milestones, self.dynamic_intervals = calc_dynamic_intervals(
            self.val_interval, dynamic_intervals)
        self._iterators = None

    def _seeded(self, loader):
        if self.seed_samples and isinstance(loader, dict):
            return with_sample_seeds(loader)
        return loader

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_iters

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    def turn_at(self, iteration: int) -> str:
        """The turn that runs at ``iteration`` (0-based)."""
        return self.turns[iteration % len(self.turns)]

    def run(self):
        """Launch training."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        consumed = consumed_batches(self.turns, self._iter)
        if self._iter > 0:
            print_log(
                f'Resuming at iteration {self._iter} with turn '
                f'{self.turn_at(self._iter)!r}; batches already drawn: {consumed}',
                logger='current')
        used = dict.fromkeys(self.turns)
        self._iterators = {t: TurnDataIterator(self.dataloaders[t], consumed[t]) for t in used}
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            turn = self.turn_at(self._iter)
            self.run_iter(turn, next(self._iterators[turn]))
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_iter(self, turn: str, data_batch: dict) -> None:
        """Run one turn on one batch.

        Args:
            turn (str): The turn's name, passed to the model as ``data['turn']``.
            data_batch (dict): The collated batch.
        """
        self.current_turn = turn
        data_batch = dict(data_batch, turn=turn)
        self.runner.call_hook('before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        outputs = self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper)
        self.runner.call_hook(
            'after_train_iter', batch_idx=self._iter, data_batch=data_batch, outputs=outputs)
        self._iter += 1

    def _decide_current_val_interval(self) -> None:
        step = bisect.bisect(self.dynamic_milestones, self._iter + 1)
        self.val_interval = self.dynamic_intervals[step - 1]
