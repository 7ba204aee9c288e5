# Copyright (c) mmssg contributors. All rights reserved.
"""LPIPS and mIoU-on-SR metrics against independent computations."""
import lpips
import numpy as np
import pytest
import torch
from mmagic.registry import METRICS


def test_sr_mean_iou_matches_a_confusion_matrix_computation():
    rng = np.random.default_rng(0)
    metric = METRICS.build(dict(type='SRMeanIoU', num_classes=5))
    confusion = np.zeros((5, 5))
    samples = []
    for _ in range(3):
        label = rng.integers(0, 5, (1, 12, 16))
        label[0, :2] = 255
        pred = np.where(rng.random((1, 12, 16)) < 0.6, label, rng.integers(0, 4, (1, 12, 16)))
        pred[pred == 255] = 0
        samples.append(
            dict(
                gt_seg_map=torch.from_numpy(label),
                output=dict(pred_seg_map=torch.from_numpy(pred))))
        valid = label != 255
        np.add.at(confusion, (label[valid], pred[valid]), 1)
    metric.process(None, samples)
    result = metric.compute_metrics(metric.results)
    iou = np.diag(confusion) / (confusion.sum(0) + confusion.sum(1) - np.diag(confusion))
    assert result['mIoU'] == pytest.approx(round(np.nanmean(iou) * 100, 2))
    assert result['aAcc'] == pytest.approx(
        round(np.diag(confusion).sum() / confusion.sum() * 100, 2))


def test_sr_mean_iou_explains_missing_predictions():
    metric = METRICS.build(dict(type='SRMeanIoU', num_classes=5))
    with pytest.raises(KeyError, match='segment=True'):
        metric.process(None, [dict(gt_seg_map=torch.zeros(1, 4, 4), output=dict())])
    metric.dataset_meta = None
    with pytest.raises(ValueError, match='num_classes'):
        METRICS.build(dict(type='SRMeanIoU')).process(
            None,
            [dict(gt_seg_map=torch.zeros(1, 4, 4), output=dict(pred_seg_map=torch.zeros(1, 4, 4)))])


def test_lpips_metric_equals_the_lpips_package_on_rgb_images():
    torch.manual_seed(0)
    metric = METRICS.build(dict(type='LPIPS', pretrained_backbone=False, crop_border=2))
    reference = lpips.LPIPS(net='alex', pnet_rand=True, verbose=False).eval()
    reference.load_state_dict(metric.net.state_dict())
    gt_bgr = torch.randint(0, 256, (3, 36, 36)).float()
    pred_bgr = (gt_bgr + torch.randn(3, 36, 36) * 20).clamp(0, 255)
    value = metric.process_image(gt_bgr, pred_bgr, None)
    as_rgb = lambda x: x[:, 2:-2, 2:-2].flip(0)[None] / 127.5 - 1  # noqa: E731
    with torch.no_grad():
        expected = float(reference(as_rgb(pred_bgr), as_rgb(gt_bgr)))
    assert value == pytest.approx(expected, rel=1e-5)
    assert metric.process_image(gt_bgr, gt_bgr, None) == pytest.approx(0, abs=1e-6)


def test_safe_niqe_scores_like_mmagic_and_survives_flat_images():
    from mmagic.evaluation.metrics.niqe import niqe
    rng = np.random.default_rng(0)
    textured = torch.from_numpy(rng.integers(0, 256, (3, 200, 200)).astype(np.float32))
    flat = torch.full((3, 200, 200), 128.0)
    metric = METRICS.build(dict(type='SafeNIQE', input_order='CHW', convert_to='Y'))
    metric.process(None, [dict(output=dict(pred_img=img)) for img in (textured, flat)])
    result = metric.compute_metrics(metric.results)
    expected = niqe(textured.numpy(), crop_border=0, input_order='CHW', convert_to='y')
    assert result['NIQE'] == pytest.approx(float(expected))
    assert result['NIQE_unscored'] == 1


def test_colour_shift_is_the_mean_signed_error_of_each_rgb_channel():
    from mmssg.evaluation import ColourShift
    metric = ColourShift(crop_border=1)
    gt = torch.full((3, 6, 6), 100.)
    for bgr_shift in ((4., -2., 0.), (0., -4., 6.)):
        pred = gt + torch.tensor(bgr_shift).view(3, 1, 1)
        pred[:, 0] = 255  # the border row is cropped away
        metric.process(None, [dict(gt_img=gt, output=dict(pred_img=pred))])
    metrics = metric.compute_metrics(metric.results)
    assert metrics == {
        'ColourShift/R': 3.0,
        'ColourShift/G': -3.0,
        'ColourShift/B': 2.0,
        'ColourShift': 3.0
    }
