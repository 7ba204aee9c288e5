# Copyright (c) mmssg contributors. All rights reserved.
"""SSGDataPreprocessor's non-blocking copies: every CPU tensor of a batch goes through pinned
memory, data samples included, and the batch it produces is unchanged."""
import torch
from mmagic.registry import MODELS

import mmssg.models.data_preprocessors.ssg_data_preprocessor as module
from mmssg.testing import adapted_batch


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


def test_non_blocking_preprocessor_gives_the_same_batch():
    cfg = dict(
        type='SSGDataPreprocessor', mean=[0.] * 3, std=[255.] * 3, output_channel_order='RGB')
    blocking = MODELS.build(cfg)
    non_blocking = MODELS.build(dict(cfg, non_blocking=True))
    assert non_blocking._non_blocking and not blocking._non_blocking
    expected = blocking(adapted_batch(), True)
    got = non_blocking(adapted_batch(), True)
    torch.testing.assert_close(got['inputs'], expected['inputs'])
    torch.testing.assert_close(got['data_samples'].gt_img, expected['data_samples'].gt_img)
