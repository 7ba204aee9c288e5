# Copyright (c) mmssg contributors. All rights reserved.
"""DeferredLogVarsHook: the losses mmengine logs are the model's, one iteration late."""
import torch
from mmengine.hooks import RuntimeInfoHook
from mmengine.logging import MessageHub

from mmssg.engine import DeferredLogVarsHook


class FakeRunner:

    def __init__(self):
        self.message_hub = MessageHub.get_instance('test_deferred_log_vars')


def run_iterations(turn_outputs):
    """Feed ``train_step`` outputs through DeferredLogVarsHook then mmengine's RuntimeInfoHook
    (their order by priority in a runner); returns the message hub and what each hook saw."""
    runner, hook, runtime_info = FakeRunner(), DeferredLogVarsHook(), RuntimeInfoHook()
    hook.before_train(runner)
    seen = []
    for i, outputs in enumerate(turn_outputs):
        outputs = dict(outputs)
        hook.after_train_iter(runner, i, outputs=outputs)
        seen.append(dict(outputs))
        runtime_info.after_train_iter(runner, i, outputs=outputs)
    hook.after_train(runner)
    return runner.message_hub, seen


def test_every_turn_is_logged_under_its_own_names_one_iteration_late():
    turns = [{
        'guided_loss': torch.tensor(0.5),
        'guided_decode.acc_seg': torch.tensor([40.])
    }, {
        'adapted_loss': torch.tensor(0.25, dtype=torch.bfloat16)
    }, {
        'guided_loss': torch.tensor(0.125),
        'guided_decode.acc_seg': torch.tensor([60.])
    }, {
        'adapted_loss': torch.tensor(0.375)
    }]
    hub, seen = run_iterations(turns)

    assert seen[0] == {}  # nothing is ready after the first turn
    for previous, now in zip(turns, seen[1:]):
        assert now == {k: float(v) for k, v in previous.items()}
        assert all(type(v) is float for v in now.values())  # nothing left for .item()
    # the message hub holds every turn's values, the last one stored when training ended
    assert hub.get_scalar('train/guided_loss').data[0].tolist() == [0.5, 0.125]
    assert hub.get_scalar('train/guided_decode.acc_seg').data[0].tolist() == [40., 60.]
    assert hub.get_scalar('train/adapted_loss').data[0].tolist() == [0.25, 0.375]


def test_outputs_that_are_not_one_element_tensors_are_left_to_mmengine():
    hook, image = DeferredLogVarsHook(), torch.zeros(2, 2)
    outputs = {'loss': torch.tensor(1.), 'count': 3, 'map': image}
    hook.after_train_iter(FakeRunner(), 0, outputs=outputs)
    assert outputs == {'count': 3, 'map': image}
