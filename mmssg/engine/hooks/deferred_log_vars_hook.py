# Copyright (c) mmssg contributors. All rights reserved.
"""Log each training turn's losses one turn late, so that logging never waits for the GPU."""
from typing import Dict, Optional

import torch
from mmagic.registry import HOOKS
from mmengine.hooks import Hook


class PendingValues:
    """Scalar log values on their way to the host.

    On a GPU the values are stacked into one tensor and copied into pinned
    host memory without blocking; an event marks the end of the copy. On the
    CPU the copy is immediate.

    Args:
        values (dict): Name -> one-element tensor.
    """

    def __init__(self, values: Dict[str, torch.Tensor]) -> None:
        self.names = list(values)
        stacked = torch.stack([v.detach().reshape(()).float() for v in values.values()])
        self.event = None
        if stacked.is_cuda:
            self.host = torch.empty(stacked.shape, dtype=stacked.dtype, pin_memory=True)
            self.host.copy_(stacked, non_blocking=True)
            self.event = torch.cuda.Event()
            self.event.record()
        else:
            self.host = stacked.cpu()

    def get(self) -> Dict[str, float]:
        """The values as Python floats (waits for the copy only, not for later GPU work)."""
        if self.event is not None:
            self.event.synchronize()
        return dict(zip(self.names, self.host.tolist()))


@HOOKS.register_module()
class DeferredLogVarsHook(Hook):
    """Hand the losses of training iteration ``i`` to mmengine at iteration ``i + 1``.

    mmengine's ``RuntimeInfoHook`` stores every value ``train_step`` returns in
    the message hub with ``.item()``. On a GPU that waits until the turn has
    finished, so the host cannot prepare the next turn (fetch and copy its
    batch, queue its kernels) while the GPU works through the end of this one.
    This hook runs first: it starts a non-blocking copy of the turn's scalar
    tensors to the host and replaces them in ``outputs`` with the previous
    turn's values, whose copy finished while the GPU ran the turn after it.
    The names (``guided_*``, ``adapted_*``) and values logged are unchanged;
    each value reaches the message hub one iteration late, and the last
    turn's values are stored when training ends. Outputs that are not
    one-element tensors are left as they are.

    For a turn without any host synchronisation, also let the data
    preprocessor copy batches without blocking (``non_blocking=True`` in
    :class:`SSGDataPreprocessor`).
    """

    priority = 'HIGHEST'  # before RuntimeInfoHook reads the outputs

    def __init__(self) -> None:
        self._pending: Optional[PendingValues] = None

    def before_train(self, runner) -> None:
        self._pending = None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Swap this turn's scalar outputs for the previous turn's values."""
        if not outputs:
            return
        scalars = {
            k: v
            for k, v in outputs.items() if isinstance(v, torch.Tensor) and v.numel() == 1
        }
        previous, self._pending = self._pending, (PendingValues(scalars) if scalars else None)
        for name in scalars:
            del outputs[name]
        if previous is not None:
            outputs.update(previous.get())

    def after_train(self, runner) -> None:
        """Store the values of the last turn."""
        if self._pending is not None:
            for name, value in self._pending.get().items():
                runner.message_hub.update_scalar(f'train/{name}', value)
            self._pending = None
