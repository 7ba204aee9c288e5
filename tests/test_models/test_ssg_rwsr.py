# Copyright (c) mmssg contributors. All rights reserved.
"""The SSG-RWSR editor: what each training turn updates, gradients, losses, prediction."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmagic.registry import MODELS
from mmengine.optim import OptimWrapper, build_optim_wrapper

from mmssg.models.editors.ssg_rwsr import SSGRWSR
from mmssg.testing import adapted_batch, guided_batch, tiny_model_cfg


def build_model(**overrides):
    cfg = tiny_model_cfg()
    cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def build_optim(model, lr=1e-4, wrapper='OptimWrapper'):
    return build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type=wrapper, optimizer=dict(type='Adam', lr=lr)),
            segmentor=dict(type=wrapper, optimizer=dict(type='Adam', lr=lr))))


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, after):
    return {k for k in before if not torch.equal(before[k], after[k])}


def test_guided_turn_updates_generator_and_segmentor():
    model = build_model()
    optim = build_optim(model)
    gen, seg = snapshot(model.generator), snapshot(model.segmentor)
    log = model.train_step(dict(guided_batch(), turn='guided'), optim)

    gen_params = {n for n, _ in model.generator.named_parameters()}
    seg_params = {n for n, _ in model.segmentor.named_parameters()}
    assert changed(gen, snapshot(model.generator)) >= gen_params
    seg_changed = changed(seg, snapshot(model.segmentor))
    assert seg_changed >= seg_params
    assert any(k.endswith('running_mean') for k in seg_changed)  # BN saw the SR batch
    assert set(log) == {'guided_decode.loss_ce', 'guided_decode.acc_seg', 'guided_loss'}
    assert torch.isclose(log['guided_loss'], 0.01 * log['guided_decode.loss_ce'])


def test_adapted_turn_updates_generator_only():
    model = build_model()
    optim = build_optim(model)
    model.train_step(dict(guided_batch(), turn='guided'), optim)  # segmentor optimizer has state
    seg = snapshot(model.segmentor)
    seg_state = copy.deepcopy(optim['segmentor'].optimizer.state_dict())
    gen = snapshot(model.generator)

    log = model.train_step(dict(adapted_batch(), turn='adapted'), optim)

    assert changed(seg, snapshot(model.segmentor)) == set()  # parameters and BN buffers
    after_state = optim['segmentor'].optimizer.state_dict()
    for key, state in seg_state['state'].items():
        for name, value in state.items():
            assert torch.equal(
                torch.as_tensor(value), torch.as_tensor(after_state['state'][key][name]))
    gen_params = {n for n, _ in model.generator.named_parameters()}
    assert changed(gen, snapshot(model.generator)) >= gen_params
    assert set(log) == {'adapted_loss_pix', 'adapted_loss_lpips', 'adapted_loss'}
    assert torch.isclose(log['adapted_loss'], log['adapted_loss_pix'] + log['adapted_loss_lpips'])


def test_lpips_adds_no_trainable_parameters_to_the_generator_optimizer():
    model = build_model()
    optim = build_optim(model)
    optimised = {
        id(p)
        for group in optim['generator'].optimizer.param_groups
        for p in group['params']
    }
    assert optimised == {id(p) for p in model.generator.parameters()}
    assert not any(p.requires_grad for p in model.perceptual_loss.parameters())


class RecordingOptimWrapper(OptimWrapper):
    """Scales losses like an AMP wrapper (by ``scale``) and records unscaled grads at step."""

    class _Scaler:

        def __init__(self, value):
            self.value = value

        def is_enabled(self):
            return True

        def scale(self, loss):
            return loss * self.value

    def __init__(self, optimizer, scale=1.0, **kwargs):
        super().__init__(optimizer, **kwargs)
        self.loss_scaler = self._Scaler(scale)
        self.grads = None

    def backward(self, loss, **kwargs):
        super().backward(self.loss_scaler.scale(loss), **kwargs)

    def step(self, **kwargs):
        self.grads = [
            p.grad.detach() / self.loss_scaler.value for group in self.optimizer.param_groups
            for p in group['params']
        ]


@pytest.mark.parametrize('scales', [(1.0, 1.0), (1024.0, 8.0)])
def test_guided_gradients_equal_one_backward_through_both_networks(scales):
    model = build_model()
    reference = copy.deepcopy(model)
    batch = guided_batch()
    gen_scale, seg_scale = scales
    from mmengine.optim import OptimWrapperDict
    optim = OptimWrapperDict(
        generator=RecordingOptimWrapper(
            torch.optim.SGD(model.generator.parameters(), lr=0.1), scale=gen_scale),
        segmentor=RecordingOptimWrapper(
            torch.optim.SGD(model.segmentor.parameters(), lr=0.1), scale=seg_scale))
    model.train_step(dict(batch, turn='guided'), optim)

    # reference: one graph through both networks, one backward, no wrappers (the colour
    # conversion is checked against MMSegmentation's own preprocessing separately; with
    # tiny BN batches the loss is too sensitive to rounding to compare two formulas here)
    data = reference.data_preprocessor(copy.deepcopy(batch), True)
    sr = reference.generator(data['inputs'])
    losses = reference.segmentor(
        reference.to_segmentor_input(sr),
        reference.segmentor_data_samples(data['data_samples']),
        mode='loss')
    (0.01 * losses['decode.loss_ce']).backward()

    first = model.generator.conv_first.weight
    gen_grads = optim['generator'].grads
    assert gen_grads[0].shape == first.shape and gen_grads[0].abs().sum() > 0
    for got, p in zip(gen_grads, reference.generator.parameters()):
        torch.testing.assert_close(got, p.grad, rtol=1e-4, atol=1e-9)
    for got, p in zip(optim['segmentor'].grads, reference.segmentor.parameters()):
        torch.testing.assert_close(got, p.grad, rtol=1e-4, atol=1e-9)


def test_ce_gradient_reaches_every_pixel_of_the_sr_output():
    model = build_model()
    sr = torch.full((1, 3, 8, 8), 0.5)
    sr[0, :, 0, 0] = 1.7  # out of range values must not lose their gradient
    sr[0, :, 1, 1] = -0.3
    sr.requires_grad_(True)
    model.to_segmentor_input(sr).sum().backward()
    assert (sr.grad != 0).all()


def test_segmentor_input_matches_mmseg_preprocessing_of_the_same_image():
    model = build_model()
    rgb = torch.rand(1, 3, 8, 8)
    # what MMSegmentation does with the same picture loaded from disk as BGR uint8 values
    bgr = (rgb * 255).flip(1)
    expected = model.segmentor.data_preprocessor(dict(inputs=[bgr[0]]), False)['inputs']
    torch.testing.assert_close(model.to_segmentor_input(rgb), expected, rtol=1e-5, atol=1e-5)


def test_bgr_generator_is_reordered_for_an_rgb_segmentor():
    rgb_model = build_model()
    bgr_model = build_model(sr_channel_order='BGR')
    rgb = torch.rand(1, 3, 4, 4)
    torch.testing.assert_close(
        bgr_model.to_segmentor_input(rgb.flip(1)), rgb_model.to_segmentor_input(rgb))
    with pytest.raises(ValueError, match='sr_channel_order'):
        build_model(sr_channel_order='rgb ')


def repeat_turns(model, optim, batch, turn, n):
    return [
        float(model.train_step(dict(batch, turn=turn), optim)[key])
        for key in (['guided_decode.loss_ce'] if turn == 'guided' else ['adapted_loss_pix'])
        for _ in range(n)
    ]


def test_repeated_guided_turns_on_a_fixed_batch_lower_the_cross_entropy():
    model = build_model()
    optim = build_optim(model, lr=1e-3)
    losses = repeat_turns(model, optim, guided_batch(n=2, size=(16, 16)), 'guided', 12)
    assert losses[-1] < 0.8 * losses[0], losses


def test_repeated_adapted_turns_on_a_fixed_pair_lower_the_l1():
    model = build_model()
    optim = build_optim(model, lr=3e-3)
    losses = repeat_turns(model, optim, adapted_batch(n=2, size=(8, 8)), 'adapted', 12)
    assert losses[-1] < 0.8 * losses[0], losses


def test_labels_at_hr_resolution_are_matched_by_resizing_logits():
    """Labels 4x the LR size (the SR size, 4x the logits) are scored as MMSegmentation's
    decode heads score them: the logits resized bilinearly to the labels (align_corners
    False), then the cross-entropy with ignore index 255 averaged over every label pixel
    (mmseg's default ``avg_non_ignore=False``), times the guided loss weight 0.01.

    The logits come from the turn's own path (preprocessor, generator, the SR image mapped to
    the segmentor's input); only the scoring is computed here. The tiny HRNet's coarsest
    branch is 1x1 on these crops, so its batch norm magnifies a rounding difference of the
    input (2e-7) into a 1e-3 difference of the loss: the input must be the same tensor.
    """
    model = build_model()
    optim = build_optim(model)
    batch = guided_batch(size=(8, 8), label_scale=4)
    with torch.no_grad():  # the networks as the turn finds them (both in training mode)
        inputs = model.data_preprocessor(guided_batch(size=(8, 8), label_scale=4), True)
        sr = model.generator(inputs['inputs'])
        logits = model.segmentor(model.to_segmentor_input(sr), mode='tensor')
    labels = torch.stack([s.gt_seg_map[0] for s in batch['data_samples']]).long()
    assert logits.shape[-2:] == (8, 8) and labels.shape[-2:] == (32, 32)
    assert (labels == 255).any()
    resized = F.interpolate(logits, size=(32, 32), mode='bilinear', align_corners=False)
    expected = F.cross_entropy(resized, labels, ignore_index=255, reduction='none').mean()

    log = model.train_step(dict(batch, turn='guided'), optim)
    torch.testing.assert_close(log['guided_decode.loss_ce'], expected)
    torch.testing.assert_close(log['guided_loss'], 0.01 * expected)


def test_turn_is_inferred_from_the_batch_and_bad_turns_are_refused():
    model = build_model()
    optim = build_optim(model)
    assert 'guided_loss' in model.train_step(guided_batch(), optim)
    assert 'adapted_loss' in model.train_step(adapted_batch(), optim)
    with pytest.raises(ValueError, match="'odd'"):
        model.train_step(dict(guided_batch(), turn='odd'), optim)
    with pytest.raises(KeyError, match='gt_seg_map'):
        model.train_step(dict(adapted_batch(), turn='guided'), optim)


def test_predict_needs_no_labels_and_does_not_run_the_segmentor():
    model = build_model().eval()
    calls = []
    model.segmentor.register_forward_hook(lambda *args: calls.append(1))
    batch = adapted_batch(n=2, size=(8, 12))
    for sample in batch['data_samples']:
        del sample.gt_img
    outputs = model.val_step(batch)
    assert calls == []
    assert len(outputs) == 2
    assert outputs[0].output.pred_img.shape == (3, 32, 48)
    assert 'pred_seg_map' not in outputs[0].output


def test_predict_with_segment_option_labels_the_sr_output_on_the_label_grid():
    model = build_model(test_cfg=dict(segment=True)).eval()
    outputs = model.val_step(guided_batch(n=1, size=(8, 12)))
    pred = outputs[0].output.pred_seg_map
    assert pred.shape == (1, 8, 12)
    assert pred.max() < 19


def test_generator_only_model_trains_adapted_turns_and_refuses_guided_ones():
    model = MODELS.build(tiny_model_cfg(with_segmentor=False))
    optim = build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))))
    assert 'adapted_loss' in model.train_step(adapted_batch(), optim)
    with pytest.raises(RuntimeError, match='segmentor'):
        model.train_guided(torch.zeros(1, 3, 8, 8), None, optim)


def test_channels_last_model_trains_both_turns():
    model = build_model(channels_last=True)
    assert model.generator.conv_first.weight.is_contiguous(memory_format=torch.channels_last)
    optim = build_optim(model)
    gen = snapshot(model.generator)
    model.train_step(dict(guided_batch(), turn='guided'), optim)
    model.train_step(dict(adapted_batch(), turn='adapted'), optim)
    assert changed(gen, snapshot(model.generator))


class CPUAutocastOptimWrapper(OptimWrapper):
    """Runs its network under CPU bf16 autocast, as AmpOptimWrapper does on GPUs."""

    from contextlib import contextmanager

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield


def test_turns_under_bf16_autocast_keep_losses_in_fp32_and_finite():
    model = build_model()
    optim = build_optim(model, wrapper=CPUAutocastOptimWrapper)
    guided = model.train_step(dict(guided_batch(), turn='guided'), optim)
    adapted = model.train_step(dict(adapted_batch(), turn='adapted'), optim)
    for value in list(guided.values()) + list(adapted.values()):
        assert torch.isfinite(value)
    assert adapted['adapted_loss_lpips'].dtype == torch.float32
    assert guided['guided_decode.loss_ce'].dtype == torch.float32


def test_paper_defaults():
    import inspect
    defaults = {k: v.default for k, v in inspect.signature(SSGRWSR).parameters.items()}
    assert defaults['pixel_loss']['loss_weight'] == 0.01
    assert defaults['perceptual_loss']['loss_weight'] == 0.1
    assert defaults['guided_loss_weight'] == 0.01
