# Copyright (c) mmssg contributors. All rights reserved.
"""tools/inference.py (segmentor-free, tiled, safe with files) and generator export."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmssg.apis import export_generator_checkpoint, init_model, super_resolve
from mmssg.cli import inference as inference_tool
from mmssg.cli import inference_outputs
from mmssg.testing import config_path, tiny_model_cfg
from mmssg.utils import EXIT_SKIPPED

#: Why a file that is not an image is skipped.
UNDECODABLE = 'cannot decode the image (corrupt or not an image file)'


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A small config (paper config, tiny generator) and a checkpoint of its model."""
    root = tmp_path_factory.mktemp('model')
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py'))
    tiny = tiny_model_cfg(num_blocks=1)
    cfg.model.generator = tiny.generator
    cfg.model.segmentor = tiny.segmentor
    cfg.model.perceptual_loss.pretrained_backbone = False
    config = str(root / 'tiny.py')
    cfg.dump(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    for p in model.generator.parameters():
        p.data.normal_(0, 0.05)
    checkpoint = str(root / 'iter_1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return config, checkpoint, model


def test_init_model_never_builds_the_segmentor_unless_asked(trained):
    config, checkpoint, model = trained
    sr_model = init_model(config, checkpoint)
    assert sr_model.segmentor is None and sr_model.perceptual_loss is None
    for (name, got), want in zip(sr_model.generator.state_dict().items(),
                                 model.generator.state_dict().values()):
        assert torch.equal(got, want), name


def test_super_resolve_matches_the_generator_and_tiles_without_seams(trained):
    config, checkpoint, model = trained
    sr_model = init_model(config, checkpoint)
    image = np.random.default_rng(0).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    with torch.no_grad():
        expected = model.generator(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255)
    expected = (expected[0].permute(1, 2, 0) * 255).clamp(0, 255).round().numpy()
    whole = super_resolve(sr_model, image)
    assert whole.shape == (96, 160, 3) and whole.dtype == np.uint8
    assert np.abs(whole.astype(float) - expected).max() <= 1
    tiled = super_resolve(sr_model, image, tile=8, tile_overlap=20)
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1
    with pytest.raises(ValueError, match=r'got shape \(24, 40, 5\)'):
        super_resolve(sr_model, np.dstack([image, image[..., :2]]))
    with pytest.raises(ValueError, match='uint8 or uint16 samples, got float32'):
        super_resolve(sr_model, image.astype(np.float32))


def write_inputs(folder):
    rng = np.random.default_rng(1)
    os.makedirs(folder / 'sub')
    cv2.imwrite(str(folder / 'a.png'), rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    cv2.imwrite(str(folder / 'sub' / 'b.jpg'), rng.integers(0, 256, (10, 14, 3), dtype=np.uint8))
    (folder / 'broken.png').write_bytes(b'not a png at all')
    return {p: open(p, 'rb').read() for p in map(str, folder.rglob('*')) if osp.isfile(p)}


def test_folder_inference_skips_a_corrupt_file_and_leaves_inputs_alone(trained, tmp_path, capsys):
    config, checkpoint, _ = trained
    before = write_inputs(tmp_path / 'lr')
    status = inference_tool.main(
        [config, checkpoint,
         str(tmp_path / 'lr'),
         str(tmp_path / 'sr'), '--tile', '8'])
    assert status == EXIT_SKIPPED
    assert cv2.imread(str(tmp_path / 'sr' / 'a.png')).shape == (48, 64, 3)
    # --ext auto: each result in its input's format
    assert cv2.imread(str(tmp_path / 'sr' / 'sub' / 'b.jpg')).shape == (40, 56, 3)
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-2] == f'skipped (unreadable: {UNDECODABLE}): {tmp_path / "lr" / "broken.png"}'
    assert out[-1].endswith('skipped 1 unreadable file(s)')
    after = {
        p: open(p, 'rb').read()
        for p in map(str, (tmp_path / 'lr').rglob('*')) if osp.isfile(p)
    }
    assert after == before


def test_output_inside_the_input_folder_or_over_an_input_is_refused(trained, tmp_path):
    config, checkpoint, _ = trained
    write_inputs(tmp_path / 'lr')
    with pytest.raises(ValueError, match='input folder'):
        inference_tool.main(
            [config, checkpoint,
             str(tmp_path / 'lr'),
             str(tmp_path / 'lr' / 'out')])
    single = str(tmp_path / 'lr' / 'a.png')
    with pytest.raises(ValueError, match='overwrite'):
        inference_tool.main([config, checkpoint, single, single])
    # an output folder above the input folder whose results would land inside it
    (tmp_path / 'lr' / 'lr').mkdir()
    cv2.imwrite(str(tmp_path / 'lr' / 'lr' / 'c.png'), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(
            ValueError,
            match=f'^1 result.s. would land inside the input folder {tmp_path / "lr"}, '
            f'e.g. {tmp_path / "lr" / "c.png"}'):
        inference_tool.main([config, checkpoint, str(tmp_path / 'lr'), str(tmp_path)])
    assert sorted(p.name
                  for p in (tmp_path / 'lr').iterdir()) == ['a.png', 'broken.png', 'lr', 'sub']
    out = str(tmp_path / 'a_x4.png')
    inference_tool.main([config, checkpoint, single, out])
    assert cv2.imread(out).shape == (48, 64, 3)


def test_exported_generator_loads_into_plain_mmagic_rrdbnet(trained, tmp_path):
    config, checkpoint, model = trained
    out = str(tmp_path / 'generator_only.pth')
    export_generator_checkpoint(checkpoint, out)
    plain = MODELS.build(Config.fromfile(config).model.generator)  # MMagic's RRDBNet
    load_checkpoint(plain, out, strict=True)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(plain(x), model.generator(x))
    with pytest.raises(ValueError, match='overwrite'):
        export_generator_checkpoint(checkpoint, checkpoint)


def test_single_output_names_a_file_of_any_image_format(tmp_path):
    single = tmp_path / 'a.png'
    single.write_bytes(b'')
    paths = inference_outputs.output_paths
    for name in ('sr.ppm', 'sr.pgm', 'sr.JPG'):
        assert paths([str(single)], str(single), str(tmp_path / name), '') == [str(tmp_path / name)]
    # any other name is a folder, the result named after the input
    assert paths([str(single)], str(single), str(tmp_path / 'sr.d'),
                 '_x4') == [str(tmp_path / 'sr.d' / 'a_x4.png')]
    with pytest.raises(ValueError, match=r'OUTPUT .*sr\.png names a PNG file but --ext jpg'):
        paths([str(single)], str(single), str(tmp_path / 'sr.png'), '', 'jpg')


def test_links_to_the_inputs_are_refused_and_the_inputs_stay_untouched(trained, tmp_path):
    config, checkpoint, _ = trained
    before = write_inputs(tmp_path / 'lr')
    (tmp_path / 'link_to_lr').symlink_to(tmp_path / 'lr', target_is_directory=True)
    with pytest.raises(ValueError, match='is the input folder'):
        inference_tool.main(
            [config, checkpoint,
             str(tmp_path / 'lr'),
             str(tmp_path / 'link_to_lr')])
    (tmp_path / 'a_link.png').symlink_to(tmp_path / 'lr' / 'a.png')
    with pytest.raises(ValueError, match='refusing to overwrite input'):
        inference_tool.main(
            [config, checkpoint,
             str(tmp_path / 'lr' / 'a.png'),
             str(tmp_path / 'a_link.png')])
    (tmp_path / 'ckpt_link.pth').symlink_to(checkpoint)
    with pytest.raises(ValueError, match='refusing to overwrite the source checkpoint'):
        export_generator_checkpoint(checkpoint, str(tmp_path / 'ckpt_link.pth'))
    after = {
        p: open(p, 'rb').read()
        for p in map(str, (tmp_path / 'lr').rglob('*')) if osp.isfile(p)
    }
    assert after == before


def write_many_inputs(folder, count=7):
    rng = np.random.default_rng(2)
    for i in range(count):
        size = (int(rng.integers(8, 20)), int(rng.integers(8, 20)), 3)
        cv2.imwrite(str(folder / f'{i}.png'), rng.integers(0, 256, size, dtype=np.uint8))
    (folder / 'broken.png').write_bytes(b'\x89PNG truncated')


def read_outputs(folder):
    return {p.name: cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in folder.iterdir()}


def test_overlapped_reads_and_writes_give_the_same_files_as_one_thread(trained, tmp_path, capsys):
    config, checkpoint, _ = trained
    os.makedirs(tmp_path / 'lr')
    write_many_inputs(tmp_path / 'lr')
    outputs = {}
    for workers in ('0', '3'):
        out = tmp_path / f'sr{workers}'
        status = inference_tool.main(
            [config, checkpoint,
             str(tmp_path / 'lr'),
             str(out), '--workers', workers])
        assert status == EXIT_SKIPPED
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines[-2] == f'skipped (unreadable: {UNDECODABLE}): {tmp_path / "lr" / "broken.png"}'
        assert lines[-1].startswith('wrote 7 image(s)')
        assert lines[-1].endswith('skipped 1 unreadable file(s)')
        outputs[workers] = read_outputs(out)
    assert sorted(outputs['0']) == [f'{i}.png' for i in range(7)]
    assert outputs['0'].keys() == outputs['3'].keys()
    for name, image in outputs['0'].items():
        assert np.array_equal(image, outputs['3'][name]), name


def test_a_failed_write_in_a_worker_thread_stops_the_tool_with_its_path(trained, tmp_path):
    config, checkpoint, _ = trained
    os.makedirs(tmp_path / 'lr')
    write_many_inputs(tmp_path / 'lr', count=3)
    os.makedirs(tmp_path / 'sr' / '1.png')  # a folder where a result should go
    with pytest.raises(OSError, match='could not write .*1.png'):
        inference_tool.main(
            [config, checkpoint,
             str(tmp_path / 'lr'),
             str(tmp_path / 'sr'), '--workers', '2'])


def test_bf16_inference_stays_close_to_fp32(trained, tmp_path):
    config, checkpoint, _ = trained
    image = np.random.default_rng(3).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    sr_model = init_model(config, checkpoint)
    full = super_resolve(sr_model, image).astype(int)
    half = super_resolve(sr_model, image, dtype=torch.bfloat16).astype(int)
    assert half.shape == full.shape
    assert 0 < np.abs(half - full).max() <= 8  # bf16 did run, and rounds only slightly
    assert np.abs(half - full).mean() < 1
