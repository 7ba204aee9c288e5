# Copyright (c) mmssg contributors. All rights reserved.
"""DISTS, NIMA and Meta-IQA against independent computations; weights files; no downloads."""
import socket

import numpy as np
import pytest
import torch
import torchvision
from mmagic.registry import METRICS
from skimage import data as skdata


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty download cache and no network: any download attempt fails the test."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')

    def refuse(*args, **kwargs):
        raise AssertionError('a metric tried to reach the network')

    monkeypatch.setattr(socket.socket, 'connect', refuse)
    monkeypatch.setattr(socket, 'create_connection', refuse)


def photo_pair(size=(48, 64)):
    """An RGB photograph crop (0-255) and a noisy copy, as (H, W, 3) float arrays."""
    h, w = size
    rgb = skdata.astronaut()[100:100 + h, 180:180 + w].astype(np.float64)
    noisy = np.clip(rgb + np.random.default_rng(0).normal(0, 25, rgb.shape), 0, 255)
    return rgb, noisy


def as_mmagic(rgb):
    """How MMagic hands images to metrics: BGR, (C, H, W), 0-255."""
    return torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1].transpose(2, 0, 1))).float()


def as_network_input(rgb):
    return torch.from_numpy(rgb.transpose(2, 0, 1)).float()[None] / 255.


def nr_score(metric, rgb):
    metric.results.clear()
    metric.process(None, [dict(output=dict(pred_img=as_mmagic(rgb)))])
    return metric.compute_metrics(metric.results)[metric.metric]


def test_dists_is_the_structure_and_texture_formula_over_its_features():
    torch.manual_seed(0)
    metric = METRICS.build(dict(type='DISTS', pretrained=False, crop_border=2))
    assert metric.random_weights
    gt, pred = photo_pair()
    value = metric.process_image(as_mmagic(gt), as_mmagic(pred), None)
    with torch.no_grad():
        feats_x = [
            f[0].double().numpy()
            for f in metric.net.forward_once(as_network_input(pred[2:-2, 2:-2]))
        ]
        feats_y = [
            f[0].double().numpy()
            for f in metric.net.forward_once(as_network_input(gt[2:-2, 2:-2]))
        ]
    alpha = metric.net.alpha.detach().double().numpy().ravel()
    beta = metric.net.beta.detach().double().numpy().ravel()
    total, offset, c = alpha.sum() + beta.sum(), 0, 1e-6
    similarity = 0.0
    for fx, fy in zip(feats_x, feats_y):  # (C, h, w) each
        n = fx.shape[0]
        mx, my = fx.mean((1, 2)), fy.mean((1, 2))
        vx, vy = fx.var((1, 2)), fy.var((1, 2))
        cov = (fx * fy).mean((1, 2)) - mx * my
        texture = (2 * mx * my + c) / (mx**2 + my**2 + c)
        structure = (2 * cov + c) / (vx + vy + c)
        weights = slice(offset, offset + n)
        similarity += (alpha[weights] * texture + beta[weights] * structure).sum()
        offset += n
    assert value == pytest.approx(1 - similarity / total, abs=1e-5)
    assert 0 < value < 1
    assert metric.process_image(as_mmagic(gt), as_mmagic(gt), None) == pytest.approx(0, abs=1e-5)


def test_nima_is_the_mean_of_its_ten_bin_distribution():
    torch.manual_seed(0)
    metric = METRICS.build(dict(type='NIMA', pretrained=False))
    assert metric.random_weights
    dists = []  # the rating distribution the network predicts during the metric's own run
    metric.net.classifier.register_forward_hook(lambda module, args, out: dists.append(out))
    value = nr_score(metric, photo_pair((120, 160))[0])
    dist = dists[0][0].double().numpy()
    assert dist.shape == (10, ) and dist.sum() == pytest.approx(1, abs=1e-5)
    assert value == pytest.approx(float((dist * np.arange(1, 11)).sum()), rel=1e-5)


def test_meta_iqa_is_resnet18_features_through_its_regression_head():
    torch.manual_seed(0)
    metric = METRICS.build(dict(type='MetaIQA', pretrained=False))
    head = metric.net.head
    for bn in (head.bn1, head.bn2):  # non-trivial running statistics: eval mode must use them
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    rgb, _ = photo_pair((90, 120))
    value = nr_score(metric, rgb)
    x = torch.nn.functional.interpolate(
        as_network_input(rgb), size=(224, 224), mode='bilinear', align_corners=False)
    x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        h = metric.net.resnet_layer(x)[0].double().numpy()
    p = {k: v.double().numpy() for k, v in head.state_dict().items()}

    def bn_prelu(v, bn, prelu):
        v = (v - p[f'{bn}.running_mean']) / np.sqrt(p[f'{bn}.running_var'] + 1e-5)
        v = v * p[f'{bn}.weight'] + p[f'{bn}.bias']
        return np.where(v > 0, v, p[f'{prelu}.weight'] * v)

    h = bn_prelu(p['fc1.weight'] @ h + p['fc1.bias'], 'bn1', 'relu1')
    h = bn_prelu(p['fc2.weight'] @ h + p['fc2.bias'], 'bn2', 'relu2')
    expected = 1 / (1 + np.exp(-(p['fc3.weight'] @ h + p['fc3.bias'])))
    assert value == pytest.approx(float(expected[0]), rel=1e-5)
    assert 0 < value < 1
    # the channel conversion matters: the image's BGR copy read as RGB scores differently
    assert nr_score(metric, rgb[..., ::-1].copy()) != pytest.approx(value, rel=1e-6)


def test_published_weights_files_load_completely(tmp_path):
    torch.manual_seed(1)
    source = METRICS.build(dict(type='MetaIQA', pretrained=False))
    # the authors' checkpoints call the regression head "net"
    state = {k.replace('head.', 'net.'): v.clone() for k, v in source.net.state_dict().items()}
    torch.save(state, tmp_path / 'metaiqa.pth')
    loaded = METRICS.build(dict(type='MetaIQA', weights=str(tmp_path / 'metaiqa.pth')))
    assert not loaded.random_weights
    rgb, _ = photo_pair()
    assert nr_score(loaded, rgb) == pytest.approx(nr_score(source, rgb), rel=1e-6)
    del state['net.fc3.weight']
    torch.save(state, tmp_path / 'incomplete.pth')
    with pytest.raises(KeyError, match='lacks 1 weights .*fc3.weight'):
        METRICS.build(dict(type='MetaIQA', weights=str(tmp_path / 'incomplete.pth')))


def test_nima_loads_a_pyiqa_weights_file_strictly(tmp_path):
    torch.manual_seed(3)
    source = METRICS.build(dict(type='NIMA', pretrained=False))
    state = {k: v.clone() for k, v in source.net.state_dict().items()}
    torch.save({'params': state}, tmp_path / 'nima.pth')  # pyiqa's file layout
    loaded = METRICS.build(dict(type='NIMA', weights=str(tmp_path / 'nima.pth')))
    for key, value in loaded.net.state_dict().items():
        assert torch.equal(value, state[key]), key
    with pytest.raises(ValueError, match='variant must be one of'):
        METRICS.build(dict(type='NIMA', variant='nima-tid2013', pretrained=False))


def test_dists_reads_alpha_beta_and_torchvisions_vgg16(tmp_path):
    torch.manual_seed(2)
    vgg = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs['D'])
    # torchvision's file holds the classifier too, which DISTS leaves aside
    torch.save(
        {
            **{
                f'features.{k}': v
                for k, v in vgg.state_dict().items()
            }, 'classifier.6.bias': torch.zeros(1000)
        }, tmp_path / 'vgg16.pth')
    alpha, beta = torch.rand(1, 1475, 1, 1), torch.rand(1, 1475, 1, 1)
    torch.save({'alpha': alpha, 'beta': beta}, tmp_path / 'dists.pth')
    with pytest.raises(FileNotFoundError, match='vgg16-397923af.pth.*backbone_weights'):
        METRICS.build(dict(type='DISTS', weights=str(tmp_path / 'dists.pth')))
    metric = METRICS.build(
        dict(
            type='DISTS',
            weights=str(tmp_path / 'dists.pth'),
            backbone_weights=str(tmp_path / 'vgg16.pth')))
    assert torch.equal(metric.net.alpha, alpha) and torch.equal(metric.net.beta, beta)
    assert torch.equal(getattr(metric.net.stage5, '28').weight, vgg[28].weight)
    torch.save({'alpha': alpha}, tmp_path / 'no_beta.pth')
    with pytest.raises(KeyError, match='beta'):
        METRICS.build(
            dict(
                type='DISTS',
                weights=str(tmp_path / 'no_beta.pth'),
                backbone_weights=str(tmp_path / 'vgg16.pth')))


@pytest.mark.parametrize('metric,file_name', [('DISTS', 'DISTS_weights-f5e65c96.pth'),
                                              ('NIMA', 'NIMA_InceptionV2_ava-b0c77c00.pth'),
                                              ('MetaIQA', 'Metaiqa_livec.pth')])
def test_a_missing_weights_file_fails_at_build_time_saying_what_to_do(tmp_path, metric, file_name):
    with pytest.raises(FileNotFoundError) as error:  # nothing given, nothing in the cache
        METRICS.build(dict(type=metric))
    message = str(error.value)
    assert file_name in message and 'https://' in message and 'weights=PATH' in message
    assert str(tmp_path / 'torch_home' / 'hub' / 'pyiqa') in message
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'absent.pth')):
        METRICS.build(dict(type=metric, weights=str(tmp_path / 'absent.pth')))
    with pytest.raises(ValueError, match='pretrained=False'):
        METRICS.build(dict(type=metric, weights=str(tmp_path / 'absent.pth'), pretrained=False))


def test_dists_resize_short_side_scores_the_shrunk_images():
    from PIL import Image
    torch.manual_seed(0)
    plain = METRICS.build(dict(type='DISTS', pretrained=False, crop_border=2))
    shrinking = METRICS.build(
        dict(type='DISTS', pretrained=False, crop_border=2, resize_short_side=24))
    shrinking.net.load_state_dict(plain.net.state_dict())
    gt, pred = photo_pair()  # 48x64, 44x60 after the crop

    def pil_shrunk(rgb):  # PIL's antialiased bilinear, channel by channel, to 24x33
        channels = [
            np.asarray(
                Image.fromarray(rgb[2:-2, 2:-2, c].astype(np.float32)).resize(
                    (33, 24), Image.BILINEAR)) for c in range(3)
        ]
        return np.stack(channels, -1).astype(np.float64)

    with torch.no_grad():
        expected = float(
            plain.net(as_network_input(pil_shrunk(pred)), as_network_input(pil_shrunk(gt))))
    value = shrinking.process_image(as_mmagic(gt), as_mmagic(pred), None)
    assert value == pytest.approx(expected, abs=5e-4)  # 1.6e-4 apart when written
    assert value != pytest.approx(
        plain.process_image(as_mmagic(gt), as_mmagic(pred), None), abs=2e-3)
    # images already that small are scored as they are
    big_enough = METRICS.build(
        dict(type='DISTS', pretrained=False, crop_border=2, resize_short_side=44))
    big_enough.net.load_state_dict(plain.net.state_dict())
    assert big_enough.process_image(as_mmagic(gt), as_mmagic(pred), None) == \
        plain.process_image(as_mmagic(gt), as_mmagic(pred), None)


@pytest.mark.parametrize('size', [0, -256, 2.5, True, '256'])
def test_dists_refuses_a_resize_that_is_not_a_pixel_count(size):
    with pytest.raises(ValueError, match=f'resize_short_side.*{size!r}'):
        METRICS.build(dict(type='DISTS', pretrained=False, resize_short_side=size))
