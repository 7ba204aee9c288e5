# Copyright (c) mmssg contributors. All rights reserved.
"""The own-camera walkthrough (docs/own_camera.md) end to end at a tiny size: the demo's drive
video -> frames -> pseudo-labels -> pools -> training -> a super-resolved video, each step the
tool the README names, on configs/ssg_rwsr_x4_own_camera.py with tiny networks."""
import json

import cv2
import pytest
from skimage import data as skdata

from mmssg.cli import (collect_noise_patches, estimate_kernels, extract_frames, inference,
                       make_demo_data, pseudo_labels, train)
from mmssg.testing import config_path, tiny_model_cfg
from mmssg.testing.segmentors import write_tiny_segmentor
from mmssg.utils.video import probe_video

pytestmark = pytest.mark.heavy

FRAMES, LR_SIZE = 16, (96, 64)  # the kernel pool needs 8 frames of 64x64 or more
# the paper's config with tiny networks, patches, batches and schedule; its paths are the
# own-camera config's, under $MMSSG_CAMERA_ROOT
TINY_OWN_CAMERA = '''
_base_ = [{own!r}]
noise_windows = dict(patch_size=16, sub_size=8, stride=8)
pseudo_labels = dict(segmentor={seg_config!r}, checkpoint={seg_checkpoint!r}, threshold=0.5)
model = dict(
    generator=dict(mid_channels=8, num_blocks=1, growth_channels=4,
                   init_cfg=dict(_delete_=True, type='UpsamplerStart')),
    segmentor=dict(_delete_=True, **{segmentor!r}),
    perceptual_loss=dict(pretrained_backbone=False))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[
        dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='MatchLabelSize'),
        dict(type='mmseg.RandomCrop', crop_size=(16, 16)),
        dict(type='PackInputs', keys='img', data_keys='gt_seg_map'),
    ]))
train_cfg = dict(max_iters=2, dataloaders=dict(adapted=dict(
    batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(pipeline=[
        dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
        dict(type='Crop', keys=['gt'], crop_size=(64, 64), random_crop=True),
        dict(type='DomainAdaptedDegradation', kernel_pool={root!r} + '/pools/kernels_x4',
             noise_pool={root!r} + '/pools/noise_p128', scale=4),
        dict(type='PackInputs', keys='img'),
    ]))))
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
'''


def write_clean_hr(folder):
    """Three sharp photographs, the clean HR set."""
    folder.mkdir(parents=True)
    for name in ('astronaut', 'coffee', 'chelsea'):
        image = getattr(skdata, name)()[:256, :256, ::-1]
        cv2.imwrite(str(folder / f'{name}.png'), image)


def tiny_config(tmp_path, root):
    seg_config, seg_checkpoint = write_tiny_segmentor(tmp_path)
    config = tmp_path / 'my_camera.py'
    config.write_text(
        TINY_OWN_CAMERA.format(
            own=config_path('ssg_rwsr_x4_own_camera.py'),
            seg_config=seg_config,
            seg_checkpoint=seg_checkpoint,
            segmentor=dict(
                tiny_model_cfg().segmentor.to_dict(),
                init_cfg=dict(type='Pretrained', checkpoint=seg_checkpoint)),
            root=str(root)))
    return str(config)


def test_footage_to_a_super_resolved_video(tmp_path, monkeypatch):
    root = tmp_path / 'camera'
    monkeypatch.setenv('MMSSG_CAMERA_ROOT', str(root))
    video = tmp_path / 'drive.mp4'
    assert make_demo_data.main(
        ['--video',
         str(video), '--video-frames',
         str(FRAMES), '--lr-size', *map(str, LR_SIZE)]) == 0
    assert extract_frames.main([str(video), str(root / 'frames')]) == 0
    kept = sorted((root / 'frames' / 'drive').glob('*.png'))
    assert 8 <= len(kept) < FRAMES  # the stop's repeated frames left out
    write_clean_hr(root / 'clean_hr')
    config = tiny_config(tmp_path, root)
    assert train.main([config, '--check']) == 1  # the labels and pools are still missing
    assert pseudo_labels.main(['--config', config, '--no-progress', '--device', 'cpu']) == 0
    labels = sorted((root / 'labels' / 'drive').glob('*.png'))
    assert [p.name for p in labels] == [p.name for p in kept]
    assert cv2.imread(str(labels[0]), cv2.IMREAD_UNCHANGED).shape == LR_SIZE[::-1]
    assert collect_noise_patches.main(['--config', config, '--workers', '1', '--no-progress']) == 0
    assert estimate_kernels.main(['--config', config, '--no-progress']) == 0
    assert len(list((root / 'pools' / 'kernels_x4').glob('*.npy'))) == len(kept)
    work = tmp_path / 'work'
    assert train.main([config, '--check']) == 0
    assert train.main([config, '--work-dir', str(work)]) == 0
    out = tmp_path / 'drive_x4.mp4'
    assert inference.main(
        [config, str(work / 'iter_2.pth'),
         str(video), str(out), '--device', 'cpu']) == 0
    source, result = probe_video(str(video)), probe_video(str(out))
    assert (result.frames, result.fps) == (source.frames, source.fps) == (FRAMES, source.fps)
    assert (result.width, result.height) == (4 * LR_SIZE[0], 4 * LR_SIZE[1])
    summary = json.loads((root / 'labels' / 'summary.json').read_text())
    assert summary['images_read'] == len(kept)
