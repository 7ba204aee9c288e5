# Copyright (c) mmssg contributors. All rights reserved.
"""The repository's configs and small model configs for fast tests."""
import copy
import os

import numpy as np
import torch.nn.functional as F
from mmengine.config import Config

from mmssg.utils.config import CONFIG_ROOT

# the checkout this package is installed from (editable install), whose configs/ the tests read
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BN = dict(type='BN', requires_grad=True)
#: the generators :func:`generator_swapped_config` can put into a config
GENERATORS = ('paper', 'demo', 'bicubic')


def config_path(*parts):
    """A path under the package's configs folder."""
    return os.path.join(CONFIG_ROOT, *parts)


def base_model_cfg():
    """The paper's model config with pretrained loading turned off and BN instead of SyncBN."""
    cfg = Config.fromfile(config_path('_base_', 'models', 'ssg_rwsr_x4.py'))
    model = copy.deepcopy(cfg.model)
    model.generator.init_cfg = None
    model.segmentor.init_cfg = None
    model.segmentor.backbone.norm_cfg = BN
    model.segmentor.decode_head.norm_cfg = BN
    model.perceptual_loss.pretrained_backbone = False
    return model


def tiny_model_cfg(num_blocks=2, mid_channels=8, with_segmentor=True):
    """The same model in miniature: a 2-RRDB generator and a 4-branch HRNet of 4-32 channels."""
    model = base_model_cfg()
    model.generator.update(num_blocks=num_blocks, mid_channels=mid_channels, growth_channels=4)
    if not with_segmentor:
        model.segmentor = None
        return model
    extra = model.segmentor.backbone.extra
    extra.stage1.update(num_blocks=(1, ), num_channels=(8, ))
    extra.stage2.update(num_blocks=(1, 1), num_channels=(4, 8))
    extra.stage3.update(num_modules=1, num_blocks=(1, 1, 1), num_channels=(4, 8, 16))
    extra.stage4.update(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=(4, 8, 16, 32))
    model.segmentor.decode_head.update(in_channels=[4, 8, 16, 32], channels=60)
    return model


def generator_swapped_config(config, generator='paper'):
    """A config with its generator swapped, for timing inference with random weights.

    Args:
        config (str): A config path, relative to the repository root or absolute.
        generator (str): ``'paper'`` keeps the config's generator, ``'demo'`` swaps in the
            demo's small RRDBNet, ``'bicubic'`` a network-free x4 bicubic upsampler (to time
            everything around the model). Defaults to ``'paper'``.

    Returns:
        Config: The whole config.
    """
    if generator not in GENERATORS:
        raise ValueError(f'generator {generator!r}: choose one of {GENERATORS}')
    cfg = Config.fromfile(os.path.join(REPO_ROOT, config))
    if generator == 'bicubic':
        cfg.model.generator = dict(type='BicubicUpsampler', upscale_factor=4)
    elif generator == 'demo':
        cfg.model.generator = Config.fromfile(config_path('_base_', 'models',
                                                          'demo_networks.py')).demo_generator
    return cfg


def power_law_image(size, seed, exponent=2.0):
    """``size x size`` random-phase content with power ``|f|^-exponent`` (natural images are
    close to ``exponent`` 2), float64 around 128 with a standard deviation of 40."""
    rng = np.random.default_rng(seed)
    freq = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing='ij'))
    freq[0, 0] = 1
    image = np.fft.ifft2(np.fft.fft2(rng.standard_normal(
        (size, size))) * freq**(-exponent / 2)).real
    return 128 + 40 * image / image.std()


def twice_bilinear_x2(x):
    """Bilinear x2 twice, by PyTorch: what an RRDBNet started by UpsamplerStart outputs."""
    for _ in range(2):
        x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
    return x


def tiny_generator_config(path, tile, overlap):
    """Write the paper's config with a one-block tiny generator, no segmentor or perceptual
    loss, and tiles of ``tile`` with ``overlap`` (an inference test's config) to ``path``.

    Returns:
        Config: The config written.
    """
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py'))
    cfg.model.generator = tiny_model_cfg(num_blocks=1).generator
    cfg.model.segmentor = None
    cfg.model.perceptual_loss = None
    cfg.model.test_cfg = dict(segment=False, tile=tile, tile_overlap=overlap)
    cfg.dump(str(path))
    return cfg
