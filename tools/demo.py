# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job. For now: build the paper's model from its config (random init,
BN on CPU) and super-resolve one bundled photograph with it."""
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from skimage import data

import mmssg  # noqa: F401
from mmagic.registry import MODELS


def main():
    init_default_scope('mmagic')
    cfg = Config.fromfile('configs/_base_/models/ssg_rwsr_x4.py').model
    cfg.generator.init_cfg = cfg.segmentor.init_cfg = None
    cfg.segmentor.backbone.norm_cfg = cfg.segmentor.decode_head.norm_cfg = dict(type='BN')
    cfg.perceptual_loss.pretrained_backbone = False
    model = MODELS.build(cfg).eval()
    lr = torch.from_numpy(np.ascontiguousarray(data.astronaut()[::8, ::8])).permute(2, 0, 1)
    t0 = time.time()
    with torch.no_grad():
        sr = model.generator(lr[None].float() / 255)
        logits = model.segmentor(model.to_segmentor_input(sr), mode='tensor')
    print(f'LR {tuple(lr.shape)} -> SR {tuple(sr.shape[1:])}, segmentor logits '
          f'{tuple(logits.shape[1:])} in {time.time() - t0:.1f} s')


if __name__ == '__main__':
    main()
