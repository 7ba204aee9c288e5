# Copyright (c) mmssg contributors. All rights reserved.
"""SSGDataPreprocessor's non-blocking copies: every CPU tensor of a batch goes through pinned
memory, data samples included, and the batch it produces is unchanged.

This machine has no GPU: a torch function mode stands in for one, recording each copy to a
CUDA device with its ``non_blocking`` flag and each pinning, while the preprocessor's own code
runs as it does on a GPU machine."""
import pytest
import torch
from mmagic.registry import MODELS
from torch.overrides import TorchFunctionMode

import mmssg.models.data_preprocessors.ssg_data_preprocessor as module
from mmssg.testing import adapted_batch, guided_batch


def test_pin_memory_reaches_the_tensors_inside_data_samples(monkeypatch):
    pinned = []

    def fake_pin(tensor):  # pinning needs CUDA; record and copy instead
        pinned.append(tensor)
        return tensor.clone()

    monkeypatch.setattr(torch.Tensor, 'pin_memory', fake_pin)
    sample = adapted_batch(n=1)['data_samples'][0]
    sample.set_data(dict(gt_seg_map=torch.zeros(1, 4, 4, dtype=torch.uint8)))
    result = module.pin_memory(sample)

    assert {id(t) for t in pinned} == {id(sample.gt_img), id(sample.gt_seg_map)}
    assert result.metainfo == sample.metainfo
    assert torch.equal(result.gt_img, sample.gt_img) and result.gt_img is not sample.gt_img
    assert torch.equal(result.gt_seg_map, sample.gt_seg_map)


class HostToGpuCopies(TorchFunctionMode):
    """Stands in for a GPU where there is none: a copy to a CUDA device is recorded (the
    tensor, its ``non_blocking`` flag) and gives a CPU copy; ``pin_memory`` gives a copy
    that ``is_pinned`` then reports as pinned. Everything else runs as usual."""

    def __init__(self):
        super().__init__()
        self.copies, self.pinned = [], []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.pin_memory:
            self.pinned.append(args[0].clone())
            return self.pinned[-1]
        if func is torch.Tensor.is_pinned:
            return any(args[0] is tensor for tensor in self.pinned)
        if func is torch.Tensor.to:
            options = [*args[1:], *kwargs.values()]
            device = next((a for a in options if isinstance(a, (str, torch.device))), None)
            if device is not None and torch.device(device).type == 'cuda':
                non_blocking = kwargs.get('non_blocking',
                                          next((a for a in args[1:] if isinstance(a, bool)), False))
                self.copies.append((args[0], non_blocking))
                dtype = next((a for a in options if isinstance(a, torch.dtype)), None)
                return args[0].clone() if dtype is None else args[0].to(dtype)
        return func(*args, **kwargs)


def copy_kinds(gpu):
    return [(flag, any(tensor is p for p in gpu.pinned)) for tensor, flag in gpu.copies]


def preprocess_on_gpu(non_blocking, batch):
    """The preprocessor moved to a (stand-in) GPU, run on ``batch``: its output and the
    host-to-GPU copies it made."""
    cfg = dict(
        type='SSGDataPreprocessor',
        mean=[0.] * 3,
        std=[255.] * 3,
        output_channel_order='RGB',
        non_blocking=non_blocking)
    preprocessor = MODELS.build(cfg)
    with HostToGpuCopies() as gpu:
        preprocessor.to('cuda')
        assert preprocessor.device.type == 'cuda'
        gpu.copies.clear()  # its mean and std buffers
        output = preprocessor(batch, True)
    return output, gpu


@pytest.mark.parametrize('make_batch', [adapted_batch, guided_batch])
def test_non_blocking_preprocessor_gives_the_same_batch(make_batch):
    """With ``non_blocking=True`` every tensor of a batch (images, HR targets, labels inside
    the data samples) reaches the GPU from pinned memory in a copy that does not block; the
    blocking preprocessor pins nothing and blocks; both give the batch a CPU run gives."""
    blocking, sync = preprocess_on_gpu(False, make_batch())
    non_blocking, overlapped = preprocess_on_gpu(True, make_batch())
    expected = MODELS.build(
        dict(type='SSGDataPreprocessor', mean=[0.] * 3, std=[255.] * 3,
             output_channel_order='RGB'))(make_batch(), True)

    batch = make_batch()
    count = len(batch['inputs']) + sum(len(s.values()) for s in batch['data_samples'])
    # (non_blocking, copied from pinned memory) of each copy to the GPU
    assert copy_kinds(overlapped) == [(True, True)] * count
    assert copy_kinds(sync) == [(False, False)] * count
    assert len(overlapped.pinned) == count and not sync.pinned
    for got in (blocking, non_blocking):
        torch.testing.assert_close(got['inputs'], expected['inputs'], rtol=0, atol=0)
        for key in expected['data_samples'].keys():
            torch.testing.assert_close(
                got['data_samples'].get(key), expected['data_samples'].get(key), rtol=0, atol=0)


def test_non_blocking_is_ignored_on_the_cpu():
    """On the CPU nothing is pinned (pinning needs CUDA)."""
    preprocessor = MODELS.build(
        dict(
            type='SSGDataPreprocessor',
            mean=[0.] * 3,
            std=[255.] * 3,
            output_channel_order='RGB',
            non_blocking=True))
    with HostToGpuCopies() as gpu:
        preprocessor(guided_batch(), True)
    assert not gpu.pinned and not gpu.copies
