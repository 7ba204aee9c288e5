# Copyright (c) mmssg contributors. All rights reserved.
"""The torch.compile switches of the SSG-RWSR editor take effect and change no number."""
import torch
from mmagic.registry import MODELS
from mmengine.optim import build_optim_wrapper

from mmssg.testing import adapted_batch, guided_batch, tiny_model_cfg


class RecordingBackend:
    """A ``torch.compile`` backend that runs the captured graphs eagerly and keeps them."""

    def __init__(self):
        self.graphs = []

    def __call__(self, graph_module, example_inputs):
        self.graphs.append(graph_module)
        return graph_module.forward

    def count(self, op_name):
        return sum(
            op_name in str(node.target) for graph in self.graphs for node in graph.graph.nodes)


def build(**overrides):
    cfg = tiny_model_cfg()
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    optim = build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
            segmentor=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))))
    return model, optim


def train_turn(model, optim, turn):
    batch = guided_batch() if turn == 'guided' else adapted_batch()
    return model.train_step(dict(batch, turn=turn), optim)


def test_compile_segmentor_compiles_the_backbone_in_place_and_changes_no_number():
    torch._dynamo.reset()
    backend = RecordingBackend()
    model, optim = build(compile_segmentor=dict(backend=backend))
    keys = set(model.state_dict())
    eager, eager_optim = build()

    logs = train_turn(model, optim, 'guided')
    expected = train_turn(eager, eager_optim, 'guided')

    # the whole HRNet backbone went through dynamo: each of its convolutions is in a graph
    convs = sum(isinstance(m, torch.nn.Conv2d) for m in model.segmentor.backbone.modules())
    assert backend.count('conv2d') >= convs > 0
    assert set(model.state_dict()) == keys  # compiled in place: checkpoints keep their keys
    for key, value in expected.items():
        torch.testing.assert_close(logs[key], value)
    for (name, got), want in zip(model.segmentor.state_dict().items(),
                                 eager.segmentor.state_dict().values()):
        torch.testing.assert_close(got, want, msg=name)


def test_compile_generator_runs_the_generator_through_dynamo():
    torch._dynamo.reset()
    backend = RecordingBackend()
    model, optim = build(compile_generator=dict(backend=backend))
    eager, eager_optim = build()

    logs = train_turn(model, optim, 'adapted')
    expected = train_turn(eager, eager_optim, 'adapted')

    convs = sum(isinstance(m, torch.nn.Conv2d) for m in model.generator.modules())
    assert backend.count('conv2d') >= convs > 0
    for key, value in expected.items():
        torch.testing.assert_close(logs[key], value)
