# Copyright (c) mmssg contributors. All rights reserved.
"""Training you can watch: validation pictures (LR | SR | segmentation of SR), TensorBoard,
the curves of tools/analysis/plot_logs.py, and tools/train.py --check before anything runs."""
import glob
import os

import cv2
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mmssg.cli import plot_logs, train
from mmssg.demo import CITYSCAPES_PALETTE
from mmssg.testing.tiny_run import make_tiny_run
from mmssg.utils import EXIT_SKIPPED

pytestmark = pytest.mark.heavy


@pytest.fixture(scope='module')
def watched(tmp_path_factory):
    """A tiny run of 2 turns with TensorBoard, validating at the end, every sample pictured."""
    root = tmp_path_factory.mktemp('watched')
    tiny, _ = make_tiny_run(root)
    config = root / 'watched.py'  # the runtime's picture hook, for every validation sample
    config.write_text(f'_base_ = [{tiny!r}]\ncustom_hooks = [dict(type="BasicVisualizationHook", '
                      'interval=dict(val=1), on_test=False)]\n')
    os.environ['MMSSG_DEMO_ROOT'] = str(root)
    work = root / 'work'
    try:
        assert train.main([
            str(config), '--work-dir',
            str(work), '--tensorboard', '--cfg-options', 'train_cfg.max_iters=2',
            'train_cfg.val_begin=2', 'train_cfg.val_interval=2',
            'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
        ]) == 0
    finally:
        os.environ.pop('MMSSG_DEMO_ROOT')
    return root, str(config), work, glob.glob(str(work / '*' / 'vis_data'))[0]


def test_validation_saves_lr_sr_and_the_segmentation_of_sr(watched):
    root, _, _, vis_data = watched
    lr_files = sorted(
        glob.glob(str(root / 'data' / 'cityscapes' / 'leftImg8bit' / 'val' / '*' / '*.png')))
    for lr_file in lr_files:
        name = os.path.splitext(os.path.basename(lr_file))[0]
        picture = cv2.imread(os.path.join(vis_data, 'vis_image', f'{name}_2.png'))[..., ::-1]
        lr = cv2.imread(lr_file)[..., ::-1]
        height, width = lr.shape[0] * 4, lr.shape[1] * 4
        assert picture.shape == (height, 3 * width, 3)
        # the LR input, each pixel shown 4x4 times: the source pixels
        assert np.array_equal(picture[:, :width], lr.repeat(4, 0).repeat(4, 1))
        # the segmentation of SR: only the palette's colours (and black for ignored pixels)
        colours = {tuple(c) for c in picture[:, 2 * width:].reshape(-1, 3)}
        assert colours <= {tuple(c) for c in CITYSCAPES_PALETTE} | {(0, 0, 0)}


def test_tensorboard_gets_the_turns_losses_metrics_and_pictures(watched):
    _, _, _, vis_data = watched
    events = EventAccumulator(vis_data)
    events.Reload()
    scalars = set(events.Tags()['scalars'])
    assert {'guided_loss', 'adapted_loss', 'PSNR', 'SR/mIoU'} <= scalars, scalars
    assert events.Tags()['images'], 'no validation picture in TensorBoard'


def test_plot_logs_draws_the_runs_losses_and_metrics(watched, tmp_path):
    _, _, work, vis_data = watched
    out = tmp_path / 'curves.png'
    assert plot_logs.main([str(work), '--out', str(out)]) == 0
    assert cv2.imread(str(out)) is not None
    training, validation = plot_logs.read_scalars(os.path.join(vis_data, 'scalars.json'))
    # turn 1 is guided, turn 2 adapted: each loss is in the log from its first turn on
    assert training['guided_loss'][0][0] == 1 and training['adapted_loss'][0][0] == 2
    assert [step for step, _ in validation['PSNR']] == [2]
    with pytest.raises(KeyError, match=r"--keys \['nonsense'\] not in the log"):
        plot_logs.main([str(work), '--keys', 'nonsense', '--out', str(out)])
    log = os.path.join(vis_data, 'scalars.json')
    kept = open(log, 'rb').read()
    with pytest.raises(ValueError, match=f'^--out {log} is the input {log} '):
        plot_logs.main([str(work), '--out', log])
    assert open(log, 'rb').read() == kept


def test_check_lists_everything_missing_at_once_and_builds_nothing(watched, tmp_path, capsys,
                                                                   monkeypatch):
    root, config, _, _ = watched
    monkeypatch.setenv('MMSSG_DEMO_ROOT', str(root))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'empty_cache'))
    assert train.main([config, '--check']) == 0
    out = capsys.readouterr().out
    assert 'train_dataloader.dataset.data_prefix.img_path' in out and 'images' in out
    broken = tmp_path / 'broken.py'
    broken.write_text(f'_base_ = [{config!r}]\n'
                      "train_dataloader = dict(dataset=dict(data_root='/nonexistent/cityscapes'))\n"
                      "model = dict(generator=dict(init_cfg=dict(_delete_=True, type='Pretrained', "
                      "checkpoint='https://example.org/zoo/rrdb.pth')))\n")
    (root / 'pools' / 'noise_p16' / 'img0.npy').rename(root / 'img0.npy')  # an empty pool
    try:
        assert train.main([str(broken), '--check']) == 1
        out = capsys.readouterr().out
        missing = out.split('missing:')[1]
        assert '/nonexistent/cityscapes/leftImg8bit/train' in missing
        assert '/nonexistent/cityscapes/gtFine/train' in missing
        assert 'noise pool' in missing and 'collect_noise_patches.py --config' in missing
        assert 'https://example.org/zoo/rrdb.pth' in out.split('Downloaded on first use')[1]
        work = tmp_path / 'never'
        with pytest.raises(FileNotFoundError, match=r'3 input\(s\) of this run are missing'):
            train.main([str(broken), '--work-dir', str(work)])
        assert not work.exists()  # nothing was built
    finally:
        (root / 'img0.npy').rename(root / 'pools' / 'noise_p16' / 'img0.npy')


def test_a_log_cut_mid_line_is_plotted_up_to_it_and_exits_3(watched, tmp_path, capsys):
    _, _, _, vis_data = watched
    lines = open(os.path.join(vis_data, 'scalars.json')).read().splitlines()
    cut = tmp_path / 'scalars.json'
    cut.write_text('\n'.join(lines + [lines[0][:10]]))  # killed while writing a line
    out = tmp_path / 'curves.png'
    assert plot_logs.main([str(cut), '--out', str(out)]) == EXIT_SKIPPED
    assert cv2.imread(str(out)) is not None
    assert f'skipped {cut}, line {len(lines) + 1}: not JSON' in capsys.readouterr().err
    assert plot_logs.read_scalars(str(cut), []) == plot_logs.read_scalars(
        os.path.join(vis_data, 'scalars.json'))
    with pytest.raises(ValueError, match=f'^{cut}, line {len(lines) + 1}: not JSON'):
        plot_logs.read_scalars(str(cut))
    cut.write_text('\n'.join(['[1, 2]'] + lines))
    with pytest.raises(ValueError, match=f'^{cut}, line 1: expected a JSON object, got list'):
        plot_logs.main([str(cut), '--out', str(out)])
