# Copyright (c) mmssg contributors. All rights reserved.
"""tools/test.py results files and SR images, straight into make_tables.py: no download."""
import json
import math
import os
import socket

import cv2
import numpy as np
import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from skimage import data as skdata

from mmssg.testing import config_path

CITY, NAME = 'bonn', 'bonn_000000_000019_leftImg8bit'
RANDOM = ['DISTS', 'LPIPS', 'MetaIQA', 'NIMA']  # their published weights are downloads
TINY_CONFIG = '''
_base_ = [{base!r}]
model = dict(
    generator=dict(mid_channels=8, num_blocks=1, growth_channels=4, init_cfg=None),
    segmentor=None, perceptual_loss=None, test_cfg=dict(segment=False, tile=None))
test_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesSRDataset', data_root={root!r},
        data_prefix=dict(img_path='leftImg8bit/val', gt_path='leftImg8bit_hr/val'),
        pipeline=[dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
                  dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
                  dict(type='PackInputs', keys='img')]))
test_evaluator = dict(_delete_=True, type='Evaluator', metrics=[
    dict(type='PSNR', crop_border=4), dict(type='SSIM', crop_border=4),
    dict(type='LPIPS', pretrained_backbone=False, crop_border=4),
    dict(type='DISTS', pretrained=False, crop_border=4),
    dict(type='NIMA', pretrained=False), dict(type='MetaIQA', pretrained=False)])
'''


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))

    def refuse(*args, **kwargs):
        raise AssertionError('tried to reach the network')

    monkeypatch.setattr(socket.socket, 'connect', refuse)


@pytest.fixture
def tiny_eval(tmp_path, offline):
    """One LR/HR pair in the synthetic set's layout, a tiny model config and its checkpoint."""
    hr = np.ascontiguousarray(skdata.astronaut()[40:168, 120:312])  # RGB 128x192
    lr = cv2.resize(hr, (48, 32), interpolation=cv2.INTER_AREA)
    for sub, img in (('leftImg8bit', lr), ('leftImg8bit_hr', hr)):
        os.makedirs(tmp_path / 'data' / sub / 'val' / CITY)
        cv2.imwrite(str(tmp_path / 'data' / sub / 'val' / CITY / f'{NAME}.png'), img[..., ::-1])
    config = tmp_path / 'tiny.py'
    config.write_text(
        TINY_CONFIG.format(
            base=config_path('ssg_rwsr_x4_cityscapes.py'), root=str(tmp_path / 'data')))
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    checkpoint = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return tmp_path, str(config), str(checkpoint), lr


def test_results_files_describe_the_run_and_feed_the_tables(tiny_eval, capsys):
    root, config, checkpoint, lr = tiny_eval
    from mmssg.cli.test import main as test
    bicubic, model = str(root / 'bicubic.json'), str(root / 'model.json')
    # bicubic needs no checkpoint: the config names every weight (none here)
    test([
        config, '--work-dir',
        str(root / 'w1'), '--out', bicubic, '--method-name', 'Bicubic', '--save-sr',
        str(root / 'sr_bicubic'), '--cfg-options', 'model.generator.type=BicubicUpsampler'
    ])
    test([config, checkpoint, '--work-dir', str(root / 'w2'), '--out', model])
    first, second = (json.load(open(path)) for path in (bicubic, model))
    assert first['method'] == 'Bicubic' and second['method'] == 'tiny'
    assert first['checkpoint'] is None and second['checkpoint'] == checkpoint
    assert first['generator_init'] == 'none' and second['generator_init'] is None
    assert first['dataset'] == second['dataset'] == dict(
        type='CityscapesSRDataset',
        data_root=str(root / 'data'),
        data_prefix=dict(img_path='leftImg8bit/val', gt_path='leftImg8bit_hr/val'))
    assert first['num_images'] == 1 and first['random_weights_metrics'] == RANDOM
    for results in (first, second):
        assert set(results['metrics']) == {'PSNR', 'SSIM', 'LPIPS', 'DISTS', 'NIMA', 'MetaIQA'}
        assert all(math.isfinite(v) for v in results['metrics'].values())
    assert first['metrics']['PSNR'] > 20 > second['metrics']['PSNR']  # random 1-RRDB net

    # the saved SR image is MATLAB-bicubic of the LR input, at the input's relative path
    saved = cv2.imread(str(root / 'sr_bicubic' / CITY / f'{NAME}.png'))[..., ::-1]
    upsampler = MODELS.build(dict(type='BicubicUpsampler'))
    expected = upsampler(torch.from_numpy(lr).permute(2, 0, 1)[None].float())[0]
    expected = expected.clamp(0, 255).round().permute(1, 2, 0).numpy()
    assert saved.shape == (128, 192, 3) and np.abs(saved - expected).max() <= 1

    from mmssg.cli.make_tables import main as make_tables
    capsys.readouterr()
    make_tables(['--table', '3', bicubic, model])
    lines = capsys.readouterr().out.splitlines()
    assert '| Method | PSNR ↑ | SSIM ↑ | LPIPS* ↓ | DISTS* ↓ |' in lines
    assert any(line.startswith('| Bicubic | **') for line in lines)
    make_tables(['--table', '4', '--result', f'Ours (DA)={bicubic}', '--result', f'Ours={model}'])
    assert '| Method | NIMA* ↑ | Meta-IQA* ↑ |' in capsys.readouterr().out


def test_outputs_never_replace_what_the_run_reads(tiny_eval):
    from mmssg.cli.test import main as test
    root, config, checkpoint, _ = tiny_eval
    images = root / 'data' / 'leftImg8bit' / 'val'
    before = {p: p.read_bytes() for p in (root / 'data').rglob('*.png')}
    kept = {p: open(p, 'rb').read() for p in (config, checkpoint)}
    (root / 'link.pth').symlink_to(checkpoint)
    for out, given in ((checkpoint, checkpoint), (config, config), (str(root / 'link.pth'),
                                                                    checkpoint)):
        with pytest.raises(ValueError, match=f'^--out {out} is the input {given} '):
            test([config, checkpoint, '--work-dir', str(root / 'w'), '--out', out])
    for save_sr in (images, images / CITY, root / 'data'):
        with pytest.raises(ValueError, match=f"^--save-sr {save_sr} is, holds or lies inside"):
            test([config, checkpoint, '--work-dir', str(root / 'w'), '--save-sr', str(save_sr)])
    assert {p: open(p, 'rb').read() for p in (config, checkpoint)} == kept
    assert {p: p.read_bytes() for p in (root / 'data').rglob('*.png')} == before
