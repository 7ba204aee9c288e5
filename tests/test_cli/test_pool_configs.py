# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/estimate_kernels.py and collect_noise_patches.py --config: the pools of a training
config, made from the frames its guided dataset trains on."""
import json
import os.path as osp

import numpy as np
import pytest
from mmagic.registry import DATASETS
from mmengine.config import Config

from mmssg.degradation.noise_patches import NoiseCriteria
from mmssg.degradation.pools import (kernel_settings, load_kernel_pool, load_noise_pool,
                                     noise_settings, pool_spec, pool_status)
from mmssg.testing.pool_folders import write_frames, write_pool_config
from mmssg.utils import EXIT_OK, output_names

QUIET = ['--no-progress', '--workers', '1']
IDD_SIZE, OTHER_SIZE = (128, 64), (160, 80)


@pytest.fixture(scope='module')
def tools():
    """The two tools' ``main``, run in-process."""
    from mmssg.cli import collect_noise_patches, estimate_kernels
    return estimate_kernels.main, collect_noise_patches.main


def _summary(folder):
    with open(osp.join(folder, 'summary.json')) as f:
        return json.load(f)


def _dataset_frames(config):
    """The frames the config's guided dataset reads, relative to its image folder."""
    dataset = Config.fromfile(config).train_dataloader.dataset
    built = DATASETS.build(dict(dataset, pipeline=[]))
    img_dir = osp.join(dataset.data_root, dataset.data_prefix.img_path)
    return sorted(osp.relpath(info['img_path'], img_dir) for info in built.load_data_list())


def test_a_cityscapes_config_makes_both_pools_of_every_frame(tools, tmp_path):
    estimate, collect = tools
    root, pools = str(tmp_path / 'cityscapes'), tmp_path / 'pools'
    frames = write_frames(root, [IDD_SIZE, OTHER_SIZE, IDD_SIZE], 'cityscapes')
    config = write_pool_config(str(tmp_path / 'pools.py'), root, str(pools))
    assert estimate(['--config', config, *QUIET]) == EXIT_OK
    assert collect(['--config', config, *QUIET]) == EXIT_OK
    kernels, noise = _summary(pools / 'kernels_x4'), _summary(pools / 'noise')
    src = osp.join(root, 'leftImg8bit', 'train')
    for summary in (kernels, noise):
        assert summary['src_dir'] == src and summary['images_found'] == 3
        assert summary['image_size'] is None and summary['left_out'] == {}
        assert sorted(r['file'] for r in summary['images']) == sorted(frames)
    assert sorted(frames) == _dataset_frames(config)  # what the guided turns read
    assert kernels['settings'] == kernel_settings('spectral', 4)
    assert noise['settings'] == noise_settings(NoiseCriteria(32, 16))
    assert load_kernel_pool(
        str(pools / 'kernels_x4'), scale=4).names == sorted(output_names(frames, '.npy'))
    assert load_noise_pool(str(pools / 'noise')).patch_size == 32
    cfg = Config.fromfile(config)
    assert pool_status(pool_spec(cfg, 'kernels')) is None
    assert pool_status(pool_spec(cfg, 'noise')) is None
    # the positional form on the same folder, with the config's settings, writes the same kernels
    assert estimate(
        [src, str(tmp_path / 'by_hand'), '--scale', '4', '--method', 'spectral', *QUIET]) == EXIT_OK
    for name in load_kernel_pool(str(pools / 'kernels_x4')).names:
        np.testing.assert_array_equal(
            np.load(tmp_path / 'by_hand' / name), np.load(pools / 'kernels_x4' / name))


def test_an_idd_config_reads_only_the_frames_of_its_image_size(tools, tmp_path, capsys):
    estimate, collect = tools
    root, pools = str(tmp_path / 'idd'), tmp_path / 'pools'
    sizes = [IDD_SIZE, OTHER_SIZE, OTHER_SIZE, IDD_SIZE, OTHER_SIZE]
    frames = write_frames(root, sizes, 'idd')
    kept = sorted(f for f, size in zip(frames, sizes) if size == IDD_SIZE)
    config = write_pool_config(str(tmp_path / 'idd.py'), root, str(pools), image_size=IDD_SIZE)
    assert kept == _dataset_frames(config)  # the selection of IDDDataset itself
    left_out = '3 image(s) of other sizes than 128x64 left out (160x80: 3)'
    assert estimate(['--config', config, *QUIET]) == EXIT_OK
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith('wrote 2 kernels (25x25, x4)') and left_out in last
    assert collect(['--config', config, *QUIET]) == EXIT_OK
    assert left_out in capsys.readouterr().out.strip().splitlines()[-1]
    for pool in ('kernels_x4', 'noise'):
        summary = _summary(pools / pool)
        assert summary['images_found'] == summary['images_read'] == 2
        assert summary['image_size'] == list(IDD_SIZE) and summary['left_out'] == {'160x80': 3}
        assert sorted(r['file'] for r in summary['images']) == kept
    assert load_kernel_pool(str(pools / 'kernels_x4')).names == output_names(kept, '.npy')
    assert load_noise_pool(str(pools / 'noise')).names == output_names(kept, '.npz')


def _without(text, piece):
    """The pool config's text with one piece taken out."""
    if piece == 'train_dataloader.dataset.data_prefix.img_path':
        return text.replace("'img_path': 'leftImg8bit/train', ", '')
    if piece == 'DomainAdaptedDegradation':
        return text.replace("'type': 'DomainAdaptedDegradation'", "'type': 'Flip'")
    return '\n'.join(line for line in text.splitlines() if not line.startswith(piece))


@pytest.mark.parametrize('tool, piece', [
    (0, 'train_dataloader.dataset.data_prefix.img_path'),
    (1, 'train_dataloader.dataset.data_prefix.img_path'),
    (0, 'DomainAdaptedDegradation'),
    (1, 'DomainAdaptedDegradation'),
    (0, 'kernel_method'),
    (1, 'noise_windows'),
])
def test_a_config_missing_a_piece_is_refused_naming_it_and_nothing_is_written(
        tools, tmp_path, tool, piece):
    root, pools = str(tmp_path / 'cityscapes'), tmp_path / 'pools'
    write_frames(root, [IDD_SIZE], 'cityscapes')
    config = write_pool_config(str(tmp_path / 'pools.py'), root, str(pools))
    with open(config) as f:
        text = _without(f.read(), piece)
    with open(config, 'w') as f:
        f.write(text)
    with pytest.raises(ValueError, match=rf'^{config}: .*{piece}'):
        tools[tool](['--config', config, *QUIET])
    assert not pools.exists()


def test_the_config_decides_what_it_holds_and_one_source_is_asked_for(tools, tmp_path, capsys):
    estimate, collect = tools
    config = write_pool_config(str(tmp_path / 'pools.py'), str(tmp_path), str(tmp_path / 'out'))
    cases = [
        (estimate, ['--config', config, '--scale', '4'], '--scale comes from the config'),
        (estimate, ['--config', config, '--method', 'kernelgan'], '(kernel_method)'),
        (collect, ['--config', config, '--sub-size', '8'], '--sub-size comes from the config'),
        (estimate, ['src', 'out', '--config', config], 'not both'),
        (collect, ['src'], 'give SRC_DIR OUT_DIR, or --config CONFIG'),
        (estimate, ['src', 'out'], '--scale is required with SRC_DIR OUT_DIR'),
    ]
    for main, argv, message in cases:
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2 and message in capsys.readouterr().err, argv
    assert not (tmp_path / 'out').exists()
