# Copyright (c) mmssg contributors. All rights reserved.
"""Every config's opening comment names the start weights its ``init_cfg`` really loads.

The comment ends with a block the test reads::

    # Start weights (init_cfg; tests/test_config_headers.py checks this block):
    #   generator: <words> (<prefix>*), <checkpoint file name>   (continued on lines of 5 spaces)
    #   segmentor: none (<why>)                                  (built, no checkpoint)
    #   segmentor: not built                                     (model.segmentor=None)
"""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmssg.testing import REPO_ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))
BLOCK_TITLE = '# Start weights'
ENTRY = re.compile(r'#   (generator|segmentor): (.*)')
CONTINUATION = re.compile(r'#     (.*)')


def opening_comment(path):
    """The config's leading ``#`` lines."""
    lines = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.startswith('#'):
                break
            lines.append(line.rstrip('\n'))
    return lines


def start_weights_block(path):
    """``{network: text}`` of the opening comment's start-weights block (lines joined)."""
    comment = opening_comment(path)
    starts = [i for i, line in enumerate(comment) if line.startswith(BLOCK_TITLE)]
    assert len(starts) == 1, f'{path}: the opening comment needs one "{BLOCK_TITLE}" block'
    entries, current = {}, None
    for line in comment[starts[0] + 1:]:
        entry, more = ENTRY.fullmatch(line), CONTINUATION.fullmatch(line)
        if entry:
            current = entry[1]
            assert current not in entries, f'{path}: {current} named twice'
            entries[current] = entry[2]
        elif more and current:
            entries[current] += ' ' + more[1]
        else:
            break
    return entries


def networks(model):
    """``{name: network config or None}``: a joint model's generator and segmentor, or a
    segmentor trained alone (``EncoderDecoder``)."""
    if 'backbone' in model:
        return {'segmentor': model}
    return {name: model[name] for name in ('generator', 'segmentor') if name in model}


def checkpoint_of(network):
    """``(file name, prefix)`` of the checkpoint a network's config loads, or None."""
    init_cfg = network.get('init_cfg') or {}
    if init_cfg.get('type') == 'Pretrained':
        return osp.basename(init_cfg['checkpoint']), init_cfg.get('prefix')
    if network.get('pretrained'):
        return osp.basename(network['pretrained']), None
    return None


def header_mismatches(path):
    """What the block of ``path`` gets wrong about its resolved config."""
    named = start_weights_block(path)
    built = networks(Config.fromfile(path).model)
    wrong = [f'names {sorted(set(named) - set(built))}, not in the model'] \
        if set(named) - set(built) else []
    for name, network in built.items():
        text = named.get(name)
        if text is None:
            wrong.append(f'{name}: not named')
        elif network is None:
            wrong += [] if text.startswith('not built') else [f'{name}: not built, says {text!r}']
        elif checkpoint_of(network) is None:
            wrong += [] if text.startswith('none') else [f'{name}: loads nothing, says {text!r}']
        else:
            file, prefix = checkpoint_of(network)
            if not re.search(rf'(^|[\s/]){re.escape(file)}($|[\s,;:)])', text):
                wrong.append(f'{name}: loads {file}, says {text!r}')
            if prefix and f'({prefix}*)' not in text:
                wrong.append(f'{name}: loads the keys {prefix}*, says {text!r}')
    return wrong


def test_every_config_is_checked():
    names = {osp.relpath(p, osp.join(REPO_ROOT, 'configs')) for p in CONFIGS}
    assert {
        'ssg_rwsr_x4_cityscapes.py', 'baselines/bicubic_x4_cityscapes.py',
        'demo/pretrain_segmentor.py'
    } <= names
    assert len(names) >= 28


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_opening_comment_names_the_start_weights_init_cfg_loads(path):
    assert header_mismatches(path) == []


def test_the_check_sees_a_wrong_checkpoint_prefix_and_network(tmp_path):
    """A header copied from another config fails: here the ESRGAN-PSNR header above a config
    that starts from RealESRNet's EMA weights and builds no segmentor."""
    paper = osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py')
    header = '\n'.join(opening_comment(paper))
    config = tmp_path / 'wrong.py'
    config.write_text(header + f'\n_base_ = [{paper!r}]\n'
                      'model = dict(segmentor=None, '
                      'generator=dict(init_cfg=_base_.realesrnet_x4_init))\n')
    wrong = header_mismatches(str(config))
    assert len(wrong) == 3, wrong
    assert 'loads realesrnet_c64b23g32' in wrong[0] and 'generator_ema.*' in wrong[1]
    assert wrong[2].startswith('segmentor: not built')
