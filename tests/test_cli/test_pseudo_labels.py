# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/pseudo_labels.py: label maps of real LR frames from a segmentor, 255 exactly where
it is unsure, of the frames' size; bad inputs named, nothing overwritten."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmagic.datasets.transforms import MATLABLikeResize

from mmssg.apis.pseudo_labels import init_segmentor
from mmssg.cli import pseudo_labels
from mmssg.datasets.transforms import MatchLabelSize
from mmssg.testing.photos import load_photos
from mmssg.testing.segmentors import write_tiny_segmentor
from mmssg.utils import EXIT_OK, EXIT_SKIPPED

#: frames of two sequences, of two sizes (height, width)
FRAMES = {'a/a_000000.png': (40, 56), 'a/a_000001.png': (40, 56), 'b/b_000000.png': (36, 44)}


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """Frames (photographs shrunk, BGR PNG), the tiny segmentor and a wider one."""
    root = tmp_path_factory.mktemp('pseudo_labels')
    for (rel, (h, w)), photo in zip(FRAMES.items(), load_photos()):
        os.makedirs(root / 'frames' / osp.dirname(rel), exist_ok=True)
        frame = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)[..., ::-1]
        assert cv2.imwrite(str(root / 'frames' / rel), frame)
    config, checkpoint = write_tiny_segmentor(root)
    _, wider = write_tiny_segmentor(root, wider=True)
    return dict(
        root=root, frames=root / 'frames', config=config, checkpoint=checkpoint, wider=wider)


def command(files, out, *extra):
    return [
        str(files['frames']),
        str(out), '--segmentor', files['config'], '--checkpoint', files['checkpoint'],
        '--no-progress', *map(str, extra)
    ]


def reference_probabilities(model, frame, scale=4):
    """The class probabilities on the LR grid, computed apart from the tool: MMagic's MATLAB-like
    bicubic, the data preprocessor's normalisation written out, the network's own forward,
    MMSegmentation's bilinear resize of the logits, a numpy block mean."""
    sr = MATLABLikeResize(
        keys=['img'], scale=scale).transform(dict(img=frame.astype(np.float64)))['img']
    pre = model.data_preprocessor
    assert pre.channel_conversion  # BGR frames, an RGB network
    x = torch.from_numpy(np.ascontiguousarray(sr[..., ::-1])).permute(2, 0, 1).float()
    x = (x - pre.mean) / pre.std
    with torch.no_grad():
        logits = model.decode_head(model.extract_feat(x[None]))
    logits = F.interpolate(logits, size=sr.shape[:2], mode='bilinear', align_corners=False)
    probs = logits.softmax(1)[0].numpy()
    c, h, w = probs.shape
    return probs.reshape(c, h // scale, scale, w // scale, scale).mean(axis=(2, 4))


def test_pixels_below_the_threshold_and_only_they_are_ignored(files, tmp_path):
    model = init_segmentor(files['config'], files['checkpoint'], test_cfg=dict(mode='whole'))
    refs = {
        rel: reference_probabilities(model, cv2.imread(str(files['frames'] / rel)))
        for rel in FRAMES
    }
    top = np.concatenate([ref.max(0).ravel() for ref in refs.values()])
    threshold = float(np.median(top))
    out = tmp_path / 'labels'
    assert pseudo_labels.main(command(files, out, '--window', 0, '--threshold',
                                      threshold)) == EXIT_OK
    counts, clear_total = np.zeros(256, np.int64), 0
    for rel, ref in refs.items():
        labels = cv2.imread(str(out / rel), cv2.IMREAD_UNCHANGED)
        frame = cv2.imread(str(files['frames'] / rel))
        assert labels.dtype == np.uint8 and labels.shape == frame.shape[:2] == FRAMES[rel]
        # the guided turns' MatchLabelSize takes it as it is
        assert MatchLabelSize()(dict(img=frame, gt_seg_map=labels))['gt_seg_map'] is labels
        ordered = np.sort(ref, axis=0)
        expected = np.where(ref.max(0) < threshold, 255, ref.argmax(0))
        # pixels a float rounding could tip: at the threshold, or two classes tied
        clear = (abs(ordered[-1] - threshold) > 1e-5) & (ordered[-1] - ordered[-2] > 1e-5)
        np.testing.assert_array_equal(labels[clear], expected[clear])
        counts += np.bincount(labels.ravel(), minlength=256)
        clear_total += clear.sum()
    assert clear_total >= 0.99 * top.size
    assert 0.4 < counts[255] / top.size < 0.6  # the median: about half ignored
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['images_found'] == summary['images_read'] == 3 and summary['skipped'] == []
    assert summary['segmentor'] == dict(
        config=files['config'],
        checkpoint=files['checkpoint'],
        classes=summary['segmentor']['classes'])
    assert summary['segmentor']['classes'][:2] == ['road', 'sidewalk']
    assert summary['threshold'] == threshold and summary['scale'] == 4
    assert summary['ignored_share'] == counts[255] / top.size
    shares = {c['name']: c['share'] for c in summary['class_share']}
    assert len(shares) == 19 and shares['road'] == counts[0] / top.size
    assert sum(shares.values()) + summary['ignored_share'] == pytest.approx(1)


def test_windows_smaller_than_the_frame_label_it_too(files, tmp_path):
    """The default: MMSegmentation's slide windows (here 64 SR pixels on 144-224 px frames)."""
    out = tmp_path / 'labels'
    assert pseudo_labels.main(command(files, out, '--window', 64)) == EXIT_OK
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['test_cfg'] == dict(mode='slide', crop_size=[64, 64], stride=[40, 40])
    assert summary['threshold'] == 0.9
    for rel, size in FRAMES.items():
        assert cv2.imread(str(out / rel), cv2.IMREAD_UNCHANGED).shape == size


def test_unreadable_frames_are_named_and_skipped_with_exit_3(files, tmp_path, capsys):
    frames = tmp_path / 'frames'
    (frames / 'c').mkdir(parents=True)
    (frames / 'c' / 'c_000000.png').write_bytes(b'\x89PNG\r\n\x1a\n not really a png')
    cv2.imwrite(
        str(frames / 'c' / 'c_000001.png'), cv2.imread(str(files['frames'] / 'b/b_000000.png')))
    out = tmp_path / 'labels'
    args = command(dict(files, frames=frames), out)
    assert pseudo_labels.main(args) == EXIT_SKIPPED
    assert cv2.imread(str(out / 'c' / 'c_000001.png'), cv2.IMREAD_UNCHANGED).shape == (36, 44)
    assert not (out / 'c' / 'c_000000.png').exists()
    summary = json.loads((out / 'summary.json').read_text())
    assert [s['file'] for s in summary['skipped']] == ['c/c_000000.png']
    assert summary['images_found'] == 2 and summary['images_read'] == 1
    captured = capsys.readouterr()
    assert 'skipped c/c_000000.png' in captured.err and '1 input(s) skipped' in captured.out


def test_a_folder_without_images_is_refused_by_name(files, tmp_path):
    notes = tmp_path / 'notes'
    notes.mkdir()
    (notes / 'readme.txt').write_text('not a frame')
    out = tmp_path / 'labels'
    with pytest.raises(FileNotFoundError, match=f'no images under the frames folder {notes}'):
        pseudo_labels.main(command(dict(files, frames=notes), out))
    assert not out.exists()


@pytest.mark.parametrize('scale', [0, -4])
def test_a_scale_below_1_is_refused_by_value(files, tmp_path, scale):
    out = tmp_path / 'labels'
    with pytest.raises(ValueError, match=f'^scale {scale}: expected an integer >= 1$'):
        pseudo_labels.main(command(files, out, '--scale', scale))
    assert not out.exists()


def test_a_checkpoint_of_another_architecture_is_refused_by_name(files, tmp_path):
    out = tmp_path / 'labels'
    args = command(files, out)
    args[args.index('--checkpoint') + 1] = files['wider']
    with pytest.raises(
            ValueError,
            match=rf'{files["wider"]}: the segmentor weights do not fit .*'
            'different shapes: decode_head'):
        pseudo_labels.main(args)
    assert not out.exists()


def test_nothing_given_is_overwritten(files, tmp_path):
    with pytest.raises(
            ValueError, match=f'OUT {files["frames"] / "x"} is inside .* {files["frames"]}'):
        pseudo_labels.main(command(files, files['frames'] / 'x'))
    assert not (files['frames'] / 'x').exists()
    out = tmp_path / 'labels'
    (out / 'a').mkdir(parents=True)
    (out / 'a' / 'a_000001.png').write_bytes(b'my own labels')
    with pytest.raises(FileExistsError, match=rf'{out} already holds 1 .* --overwrite'):
        pseudo_labels.main(command(files, out))
    assert (out / 'a' / 'a_000001.png').read_bytes() == b'my own labels'
    assert sorted(os.listdir(out)) == ['a']
    assert pseudo_labels.main(command(files, out, '--overwrite')) == EXIT_OK
    assert cv2.imread(str(out / 'a' / 'a_000001.png'), cv2.IMREAD_UNCHANGED).shape == (40, 56)


def test_the_config_decides_what_it_names(files, capsys):
    with pytest.raises(SystemExit) as error:
        pseudo_labels.main(['--config', 'any.py', '--threshold', '0.5'])
    assert error.value.code == 2
    assert '--threshold comes from the config with --config (pseudo_labels.threshold)' in \
        capsys.readouterr().err
