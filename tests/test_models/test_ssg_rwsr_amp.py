# Copyright (c) mmssg contributors. All rights reserved.
"""Guided turns under dynamic loss scaling: mmengine's AmpOptimWrapper with a GradScaler that
grows or backs off in the very step whose SR-image gradient it scaled."""
import copy
import warnings

import pytest
import torch
from mmagic.registry import MODELS
from mmengine.optim import build_optim_wrapper
from mmengine.optim.optimizer import amp_optimizer_wrapper

from mmssg.models.utils import loss_scale, pixel_gradient_loss
from mmssg.testing import guided_batch, tiny_model_cfg


def build_model():
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg())


def amp_wrappers(model, monkeypatch, generator_scale, segmentor_scale):
    """Real AmpOptimWrappers (bf16 autocast, the only AMP dtype mmengine allows on CPU) whose
    GradScalers really scale on CPU and change the scale after every step.

    mmengine builds a CUDA GradScaler, which disables itself without CUDA, and refuses to build
    the wrapper at all without an accelerator; the check is lifted for the construction only
    and the scaler replaced by PyTorch's CPU GradScaler (growth interval 1: the scale doubles
    after every finite step and halves after a step with inf/NaN gradients).
    """
    with monkeypatch.context() as patch, warnings.catch_warnings():
        patch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: True)
        warnings.simplefilter('ignore')  # the CUDA GradScaler's "CUDA is not available"
        wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16')
        optim = build_optim_wrapper(
            model,
            dict(
                constructor='MultiOptimWrapperConstructor',
                generator=dict(wrapper, optimizer=dict(type='Adam', lr=1e-3)),
                segmentor=dict(wrapper, optimizer=dict(type='Adam', lr=1e-3))))
    for name, scale in (('generator', generator_scale), ('segmentor', segmentor_scale)):
        optim[name].loss_scaler = torch.amp.GradScaler('cpu', init_scale=scale, growth_interval=1)
    return optim


def record_step_gradients(optim_wrapper):
    """Gradients as the optimizer sees them (unscaled by the wrapper's GradScaler)."""
    seen = []
    params = [p for group in optim_wrapper.optimizer.param_groups for p in group['params']]
    optim_wrapper.optimizer.register_step_pre_hook(
        lambda *args: seen.append([p.grad.detach().clone() for p in params]))
    return seen


def reference_generator_grads(model, batch):
    """d(0.01 * CE)/d(generator params): one unscaled backward through both networks, under
    the same bf16 autocast, without the split at the SR image."""
    reference = copy.deepcopy(model)
    data = reference.data_preprocessor(copy.deepcopy(batch), True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        sr = reference.generator(data['inputs'])
        losses = reference.segmentor(
            reference.to_segmentor_input(sr),
            reference.segmentor_data_samples(data['data_samples']),
            mode='loss')
    (0.01 * losses['decode.loss_ce']).backward()
    return [p.grad for p in reference.generator.parameters()]


def assert_grads_close(got, expected):
    assert any(g.abs().sum() > 0 for g in expected)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, rtol=1e-3, atol=1e-7)


def test_sr_gradient_is_unscaled_with_the_scale_of_its_backward_while_the_scaler_grows(monkeypatch):
    model = build_model()
    optim = amp_wrappers(model, monkeypatch, generator_scale=2.**6, segmentor_scale=2.**10)
    seen = record_step_gradients(optim['generator'])
    for turn in range(2):
        batch = dict(guided_batch(seed=turn), turn='guided')
        expected = reference_generator_grads(model, batch)
        model.train_step(batch, optim)
        # the step was finite, so the segmentor's scale doubled after its backward
        assert optim['segmentor'].loss_scaler.get_scale() == 2.**(11 + turn)
        assert optim['generator'].loss_scaler.get_scale() == 2.**(7 + turn)
        assert len(seen) == turn + 1
        assert_grads_close(seen[-1], expected)


def test_sr_gradient_is_unscaled_with_the_scale_of_its_backward_when_the_scaler_backs_off(
        monkeypatch):
    model = build_model()
    optim = amp_wrappers(model, monkeypatch, generator_scale=2.**6, segmentor_scale=2.**10)
    seen = record_step_gradients(optim['generator'])
    batch = dict(guided_batch(), turn='guided')
    expected = reference_generator_grads(model, batch)
    # an overflow in one segmentor layer: its GradScaler skips the step and halves the scale,
    # while the gradient reaching the SR image is finite and must still train the generator
    head = model.segmentor.decode_head.conv_seg.weight
    head.register_hook(lambda grad: torch.full_like(grad, float('inf')))
    head_before = head.detach().clone()

    model.train_step(batch, optim)

    assert optim['segmentor'].loss_scaler.get_scale() == 2.**9
    assert torch.equal(head, head_before)  # the segmentor's step was skipped
    assert optim['generator'].loss_scaler.get_scale() == 2.**7
    assert len(seen) == 1
    assert_grads_close(seen[0], expected)


def test_overflow_at_the_sr_image_skips_both_steps_and_backs_off_both_scales(monkeypatch):
    model = build_model()
    optim = amp_wrappers(model, monkeypatch, generator_scale=2.**6, segmentor_scale=2.**10)
    seen = record_step_gradients(optim['generator'])
    generator_before = copy.deepcopy(model.generator.state_dict())
    model.segmentor.register_forward_pre_hook(  # every SR pixel's gradient overflows
        lambda module, args, kwargs: ((args[0] * 1e38, ) + args[1:], kwargs),
        with_kwargs=True)

    model.train_step(dict(guided_batch(), turn='guided'), optim)

    assert seen == []  # the generator's optimizer never stepped
    assert optim['segmentor'].loss_scaler.get_scale() == 2.**9
    assert optim['generator'].loss_scaler.get_scale() == 2.**5
    for key, value in model.generator.state_dict().items():
        assert torch.equal(value, generator_before[key]), key


@pytest.mark.parametrize('enabled', [True, False])
def test_loss_scale_reads_a_copy_that_the_scaler_update_does_not_change(enabled):
    wrapper = type('Wrapper', (), {})()
    wrapper.loss_scaler = torch.amp.GradScaler(
        'cpu', init_scale=8., growth_interval=1, enabled=enabled)
    scale = loss_scale(wrapper, torch.device('cpu'))
    if not enabled:
        assert scale == 1.0
        return
    param = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([param], lr=0.1)
    wrapper.loss_scaler.scale(param.sum()).backward()
    wrapper.loss_scaler.step(optimizer)
    wrapper.loss_scaler.update()
    assert wrapper.loss_scaler.get_scale() == 16.
    assert isinstance(scale, torch.Tensor) and scale.item() == 8.


def test_the_guided_gradient_survives_fp16_at_the_papers_magnitudes():
    """The SR-image gradient of a cross-entropy averaged over 12 x 512 x 512 pixels, weighted
    0.01, is about 1e-9 per pixel: below fp16's smallest subnormal once the segmentor's loss
    scale is removed. Through the guided turn's arithmetic it still reaches the generator,
    within fp16's rounding of the fp32 computation."""
    torch.manual_seed(0)
    weight = torch.randn(3, 3, dtype=torch.float16).requires_grad_(True)  # a tiny "generator"
    lr = torch.rand(2, 3, 8, 8, dtype=torch.float16)
    true_grad = torch.rand(2, 3, 8, 8, dtype=torch.float64) * 2e-9 + 1e-9
    segmentor_scale, generator_scale = 2.**16, 2.**16
    scaled_grad = (true_grad * segmentor_scale).to(torch.float16)  # what the segmentor leaves
    assert (true_grad.to(torch.float16) == 0).all()  # fp16 cannot hold it unscaled

    sr = torch.einsum('oc,nchw->nohw', weight, lr)
    loss = pixel_gradient_loss(sr, scaled_grad, torch.tensor(segmentor_scale))
    (loss * generator_scale).backward()  # the generator's AmpOptimWrapper scales its loss
    got = weight.grad.double() / generator_scale

    expected = torch.einsum('nohw,nchw->oc', true_grad, lr.double())
    assert (got != 0).all()
    assert torch.allclose(got, expected, rtol=2e-2, atol=0)
