# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/accuracy/tiled_vs_whole.py: tiled against whole-frame SR, in grey levels."""
import json

import cv2
import numpy as np
import torch

from benchmarks.accuracy import tiled_vs_whole
from mmssg.apis import init_model
from mmssg.testing import config_path, load_photos

CONFIG = config_path('ssg_rwsr_x4_demo.py')


def test_tiled_vs_whole_finds_the_overlap_at_which_tiles_agree(tmp_path):
    torch.manual_seed(0)
    checkpoint = tmp_path / 'random.pth'
    torch.save(dict(state_dict=init_model(CONFIG).state_dict()), checkpoint)
    images = tmp_path / 'lr'
    images.mkdir()
    for index, photo in enumerate(load_photos()[:2]):
        small = cv2.resize(photo, (40, 24), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(images / f'image{index}.png'), small[..., ::-1])
    out = tmp_path / 'result.json'
    assert tiled_vs_whole.main([
        CONFIG,
        str(checkpoint),
        str(images), '--tile', '16', '--overlaps', '0', '48', '--out',
        str(out)
    ]) == 0
    result = json.loads(out.read_text())
    assert (result['images'], result['lr_size'], result['tile']) == (2, [40, 24], 16)
    no_context, whole_frame = result['rows']
    # without context the seams differ; with more context than the image, every tile sees
    # the whole image and matches it exactly
    assert no_context['overlap'] == 0 and no_context['max_grey_levels'] > 0
    assert 0 < no_context['share_differing'] < 1
    assert whole_frame == dict(overlap=48, max_grey_levels=0, share_differing=0.0)
    assert np.isfinite(result['seconds'])
