# Copyright (c) mmssg contributors. All rights reserved.
"""tools/inference.py on real files: what each kind of image keeps, and the defaults.

Every input is a file written with OpenCV or PIL; every result is read back from disk and
compared with an independent computation (the generator called directly, ``cv2.resize``).
"""
import sys

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmagic.registry import MODELS, TRANSFORMS
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from PIL import Image

from mmssg.apis import init_model, super_resolve
from mmssg.cli import inference as inference_tool
from mmssg.cli import inference_outputs
from mmssg.models.editors.ssg_rwsr import SSGRWSR
from mmssg.testing import tiny_generator_config
from mmssg.utils import EXIT_ERROR, EXIT_SKIPPED, read_image, run_tool
from mmssg.utils.images import ImageData, decode_image

#: The config's tiling: a 20x28 frame is cut in 3 x 4 = 12 tiles.
TILE, OVERLAP = 8, 4


def near_nearest_upsampling(generator):
    """Weights that make the tiny RRDBNet nearest-neighbour x4 upsampling of its input plus a
    random RRDB's contribution (about 20 grey levels, reaching 20 LR pixels): a result that
    follows the input, as a trained network's does, with a receptive field wider than 4."""
    for p in generator.parameters():
        p.data.normal_(0, 0.2)
    for p in generator.conv_body.parameters():
        p.data.normal_(0, 0.04)
    for conv, channels in ((generator.conv_first, 3), (generator.conv_up1, 8),
                           (generator.conv_up2, 8), (generator.conv_hr, 8), (generator.conv_last,
                                                                             3)):
        conv.weight.data.zero_()
        conv.bias.data.zero_()
        for c in range(channels):
            conv.weight.data[c, c, 1, 1] = 1


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A config (paper config, tiny generator, tiles of 8 with overlap 4) and a checkpoint."""
    root = tmp_path_factory.mktemp('tiny')
    config = str(root / 'tiny.py')
    cfg = tiny_generator_config(config, TILE, OVERLAP)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    near_nearest_upsampling(model.generator)
    checkpoint = str(root / 'iter_1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return config, checkpoint, init_model(config, checkpoint)


def run(tiny, *args):
    config, checkpoint, _ = tiny
    return inference_tool.main([config, checkpoint, *map(str, args), '--workers', '0'])


def generator_rgb(model, rgb, peak=255):
    """The generator applied directly (whole frame) to an RGB array: float RGB, 0-``peak``."""
    x = torch.from_numpy(rgb.astype(np.float32) / peak).permute(2, 0, 1)[None]
    with torch.no_grad():
        y = model.generator(x)[0].clamp(0, 1) * peak
    return y.permute(1, 2, 0).numpy()


def photo(height=20, width=28, seed=0):
    """A smooth colour image with texture (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    base = np.stack([xx * 8, yy * 10, (xx + yy) * 5], axis=2) % 256
    return np.clip(base + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8)


def read_back(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def test_a_grey_png_gives_a_grey_result_of_the_network_on_the_repeated_grey(tiny, tmp_path):
    grey = photo()[..., 1]
    cv2.imwrite(str(tmp_path / 'grey.png'), grey)
    assert run(tiny, tmp_path / 'grey.png', tmp_path / 'sr', '--tile', '0') == 0
    sr = read_back(tmp_path / 'sr' / 'grey.png')
    assert sr.shape == (80, 112) and sr.dtype == np.uint8  # one channel, as the input
    expected = cv2.cvtColor(generator_rgb(tiny[2], np.dstack([grey] * 3)), cv2.COLOR_RGB2GRAY)
    assert np.abs(sr - expected).max() <= 1


def test_an_rgba_png_keeps_its_alpha_upscaled_bilinearly(tiny, tmp_path):
    rgb = photo()
    alpha = np.tile(np.linspace(0, 255, 28).astype(np.uint8), (20, 1))
    alpha[5:9, 3:7] = 0  # a hole with sharp edges
    cv2.imwrite(str(tmp_path / 'rgba.png'), np.dstack([rgb[..., ::-1], alpha]))
    cv2.imwrite(str(tmp_path / 'rgb.png'), rgb[..., ::-1])
    assert run(tiny, tmp_path / 'rgba.png', tmp_path / 'sr') == 0
    assert run(tiny, tmp_path / 'rgb.png', tmp_path / 'sr') == 0
    sr, sr_rgb = read_back(tmp_path / 'sr' / 'rgba.png'), read_back(tmp_path / 'sr' / 'rgb.png')
    assert sr.shape == (80, 112, 4) and sr.dtype == np.uint8
    np.testing.assert_array_equal(sr[..., 3],
                                  cv2.resize(alpha, (112, 80), interpolation=cv2.INTER_LINEAR))
    np.testing.assert_array_equal(sr[..., :3], sr_rgb)  # the colour is what RGB alone gives


def test_a_16_bit_png_gives_16_bits_at_full_precision(tiny, tmp_path):
    rng = np.random.default_rng(1)
    deep = (photo().astype(np.uint16) * 257 + rng.integers(0, 257, (20, 28, 3))).astype(np.uint16)
    cv2.imwrite(str(tmp_path / 'deep.png'), deep[..., ::-1])
    cv2.imwrite(str(tmp_path / 'eight.png'), np.rint(deep / 257).astype(np.uint8)[..., ::-1])
    for name in ('deep.png', 'eight.png'):
        assert run(tiny, tmp_path / name, tmp_path / 'sr', '--tile', '0') == 0
    sr, sr8 = read_back(tmp_path / 'sr' / 'deep.png'), read_back(tmp_path / 'sr' / 'eight.png')
    assert sr.shape == (80, 112, 3) and sr.dtype == np.uint16
    # the network saw the 16-bit samples, not 8 bits of them
    expected = generator_rgb(tiny[2], deep, peak=65535)[..., ::-1]
    assert np.abs(sr.astype(float) - expected).max() <= 1
    assert (sr % 257 != 0).mean() > 0.9
    # and agrees with the 8-bit path within that path's rounding (and the input's)
    assert np.abs(sr / 257 - sr8).max() <= 2
    assert np.abs(sr / 257 - sr8).mean() < 0.5


def test_16_bit_grey_with_alpha_and_outscale_keeps_everything(tiny, tmp_path):
    grey = photo()[..., 0].astype(np.uint16) * 257
    alpha = np.tile(np.linspace(0, 65535, 20).astype(np.uint16)[:, None], (1, 28))
    cv2.imwrite(str(tmp_path / 'la.png'), np.dstack([grey, grey, grey, alpha]))
    assert run(tiny, tmp_path / 'la.png', tmp_path / 'sr', '--outscale', '2.5') == 0
    sr = read_back(tmp_path / 'sr' / 'la.png')
    assert sr.shape == (50, 70, 4) and sr.dtype == np.uint16
    np.testing.assert_array_equal(sr[..., 3],
                                  cv2.resize(alpha, (70, 50), interpolation=cv2.INTER_LINEAR))


def test_a_grey_png_with_alpha_gives_a_grey_result_with_its_alpha(tiny, tmp_path, capsys):
    lr = tmp_path / 'lr'
    lr.mkdir()
    grey = photo()[..., 1]
    alpha = np.tile(np.linspace(0, 255, 28).astype(np.uint8), (20, 1))
    Image.fromarray(np.dstack([grey, alpha]), 'LA').save(lr / 'grey_alpha.png')
    Image.fromarray(grey).save(lr / 'grey.png')
    assert run(tiny, lr, tmp_path / 'sr') == 0
    sr, sr_grey = (read_back(tmp_path / 'sr' / name) for name in ('grey_alpha.png', 'grey.png'))
    # stored as it was read (colour with alpha), its colour the grey result three times
    assert sr.shape == (80, 112, 4) and sr_grey.shape == (80, 112)
    for channel in range(3):
        np.testing.assert_array_equal(sr[..., channel], sr_grey)
    np.testing.assert_array_equal(sr[..., 3],
                                  cv2.resize(alpha, (112, 80), interpolation=cv2.INTER_LINEAR))
    assert (f'converted: {lr / "grey_alpha.png"}: a grey image with alpha, read as 8-bit colour '
            'with alpha') in capsys.readouterr().out


def test_a_file_of_several_frames_is_skipped_with_the_reason(tiny, tmp_path, capsys):
    lr = tmp_path / 'lr'
    lr.mkdir()
    pages = [Image.fromarray(photo(seed=seed)) for seed in (0, 1)]
    pages[0].save(lr / 'pages.tif', save_all=True, append_images=pages[1:])
    pages[0].save(lr / 'one.tif')
    assert run(tiny, lr, tmp_path / 'sr') == EXIT_SKIPPED
    assert sorted(p.name for p in (tmp_path / 'sr').iterdir()) == ['one.tif']
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-2] == (f'skipped (unreadable: holds 2 frames (TIFF); expected a single image: '
                       f'save each frame as its own file): {lr / "pages.tif"}')
    assert out[-1].endswith('skipped 1 unreadable file(s)')


def test_outscale_resizes_the_result_with_lanczos(tiny, tmp_path):
    rgb = photo()
    cv2.imwrite(str(tmp_path / 'a.png'), rgb[..., ::-1])
    assert run(tiny, tmp_path / 'a.png', tmp_path / 'sr', '--outscale', '2', '--tile', '0') == 0
    sr = read_back(tmp_path / 'sr' / 'a.png')
    assert sr.shape == (40, 56, 3)
    x4 = generator_rgb(tiny[2], rgb)
    expected = np.clip(cv2.resize(x4, (56, 40), interpolation=cv2.INTER_LANCZOS4), 0, 255)
    assert np.abs(sr[..., ::-1] - expected).max() <= 1
    # not any filter: an area average of the same x4 result differs
    assert np.abs(sr[..., ::-1] - cv2.resize(x4, (56, 40), interpolation=cv2.INTER_AREA)).max() > 2


def write_exif_jpeg(path, rgb, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, exif=exif.tobytes(), quality=95)


def test_an_exif_rotated_jpeg_gives_the_same_pixels_on_every_reading_path(tiny, tmp_path):
    path = str(tmp_path / 'rotated.jpg')
    write_exif_jpeg(path, photo(), orientation=6)  # stored 20x28, shown 28x20
    pixels = read_image(path)  # the pool tools and synthesize_lr
    assert pixels.shape == (28, 20, 3)
    pipelines = {
        "MMagic's LoadImageFromFile (training and test pipelines)":
        TRANSFORMS.build(dict(type='LoadImageFromFile', key='img',
                              channel_order='rgb'))(dict(img_path=path))['img'],
        "mmcv's LoadImageFromFile (the segmentor's pipelines)":
        MMCVLoadImageFromFile()(dict(img_path=path))['img'][..., ::-1],
        'mmcv.imread':
        mmcv.imread(path, channel_order='rgb'),
        'cv2.imread':
        cv2.imread(path)[..., ::-1],
        'decode_image (inference)':
        decode_image(path).pixels,
    }
    for name, other in pipelines.items():
        np.testing.assert_array_equal(np.squeeze(other), pixels, err_msg=name)
    assert run(tiny, path, tmp_path / 'sr', '--ext', 'png') == 0
    sr = read_back(tmp_path / 'sr' / 'rotated.png')
    assert sr.shape == (112, 80, 3)
    np.testing.assert_array_equal(
        sr,
        super_resolve(tiny[2], pixels, TILE, OVERLAP, channel_order='rgb')[..., ::-1])


def test_ext_jpg_refuses_alpha_and_16_bits_naming_the_file_and_the_option(tiny, tmp_path, capsys):
    lr = tmp_path / 'lr'
    lr.mkdir()
    rgb = photo()
    cv2.imwrite(str(lr / 'a_rgb.png'), rgb)
    cv2.imwrite(str(lr / 'b_rgba.png'), np.dstack([rgb, rgb[..., 0]]))
    cv2.imwrite(str(lr / 'c_deep.png'), rgb.astype(np.uint16) * 257)
    assert run(tiny, lr, tmp_path / 'sr', '--ext', 'jpg') == EXIT_SKIPPED
    assert sorted(p.name for p in (tmp_path / 'sr').iterdir()) == ['a_rgb.jpg']
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-3:] == [
        f'skipped (--ext jpg: a JPEG cannot hold an alpha channel; use --ext png or auto): '
        f'{lr / "b_rgba.png"}',
        f'skipped (--ext jpg: a JPEG cannot hold 16-bit samples; use --ext png or auto): '
        f'{lr / "c_deep.png"}',
        f'wrote 1 image(s) to {tmp_path / "sr"}; skipped 0 unreadable file(s) and 2 whose '
        'result the output format cannot hold',
    ]
    # a single result file named .jpg is refused the same way, and nothing is written
    assert run(tiny, lr / 'b_rgba.png', tmp_path / 'one.jpg') == EXIT_SKIPPED
    assert not (tmp_path / 'one.jpg').exists()
    assert 'a JPEG cannot hold an alpha channel, as OUTPUT' in capsys.readouterr().out


def test_ext_auto_keeps_each_input_format_and_jpeg_stays_jpeg(tiny, tmp_path):
    lr = tmp_path / 'lr'
    lr.mkdir()
    rgb = photo()
    cv2.imwrite(str(lr / 'a.jpg'), rgb)
    cv2.imwrite(str(lr / 'b.bmp'), rgb[..., 0])
    cv2.imwrite(str(lr / 'c.tif'), rgb.astype(np.uint16) * 257)
    assert run(tiny, lr, tmp_path / 'sr') == 0
    found = {p.name: read_back(p) for p in (tmp_path / 'sr').iterdir()}
    assert sorted(found) == ['a.jpg', 'b.bmp', 'c.tif']
    assert found['a.jpg'].shape == (80, 112, 3) and found['b.bmp'].shape == (80, 112)
    assert found['c.tif'].dtype == np.uint16
    # two inputs that would share a result are refused before anything runs
    cv2.imwrite(str(lr / 'a.png'), rgb)
    with pytest.raises(ValueError, match=r'share a result.*a\.png <- .*a\.jpg, .*a\.png'):
        run(tiny, lr, tmp_path / 'sr_png', '--ext', 'png')
    assert not (tmp_path / 'sr_png').exists()


def test_ext_auto_falls_back_to_png_where_the_input_format_cannot_hold_the_result(tmp_path):
    # No OpenCV-readable file of a format the tool writes decodes to what that format cannot
    # hold (a BMP gives no alpha), so the decision is shown on decoded pixels.
    args = inference_tool.parse_args(['c', 'k', 'in', 'out'])
    rgba = ImageData(np.zeros((4, 4, 4), np.uint8), '', '')
    png = str(tmp_path / 'a.png')
    taken = {str(tmp_path / 'a.bmp'), str(tmp_path / 'a.webp')}
    assert inference_outputs.result_path(
        str(tmp_path / 'a.bmp'), rgba, args,
        taken) == (png, f'a BMP cannot hold an alpha channel, so its result is a PNG: {png}')
    assert png in taken  # a second fallback to the same name is refused, not overwritten
    grey = ImageData(np.zeros((4, 4), np.uint8), '', '')
    assert inference_outputs.result_path(
        str(tmp_path / 'a.webp'), grey, args,
        taken) == (None, f'a WebP cannot hold a grey image, and {png} is taken; use --suffix')
    args.ext = 'png'
    assert inference_outputs.result_path(png, rgba, args, set()) == (png, '')


def test_palette_images_are_converted_with_a_message_and_lost_transparency_is_refused(
        tiny, tmp_path, capsys):
    lr = tmp_path / 'lr'
    lr.mkdir()
    rgb = photo()
    Image.fromarray(rgb).convert('P').save(lr / 'a_palette.png')
    Image.fromarray(rgb).convert('P').save(lr / 'b_palette_transparent.png', transparency=0)
    Image.fromarray(rgb[..., 0]).save(lr / 'c_grey_transparent.png', transparency=0)
    assert run(tiny, lr, tmp_path / 'sr') == EXIT_SKIPPED
    assert read_back(tmp_path / 'sr' / 'a_palette.png').shape == (80, 112, 3)
    assert read_back(tmp_path / 'sr' / 'b_palette_transparent.png').shape == (80, 112, 4)
    assert not (tmp_path / 'sr' / 'c_grey_transparent.png').exists()
    out = capsys.readouterr().out
    assert f'converted: {lr / "a_palette.png"}: a palette image, read as 8-bit colour\n' in out
    assert (f'converted: {lr / "b_palette_transparent.png"}: a palette image, read as 8-bit '
            'colour with alpha\n') in out
    assert (f'skipped (its transparency (PNG L), which OpenCV does not read; save it as an '
            f'RGBA PNG): {lr / "c_grey_transparent.png"}') in out


def test_tiles_default_to_the_config_and_tile_0_runs_whole_frames(tiny, tmp_path, capsys):
    rgb = photo()
    cv2.imwrite(str(tmp_path / 'frame.png'), rgb[..., ::-1])
    model = tiny[2]
    outputs = {}
    for name, extra in (('default', []), ('whole', ['--tile',
                                                    '0']), ('wide', ['--tile-overlap', '24'])):
        assert run(tiny, tmp_path / 'frame.png', tmp_path / f'{name}.png', *extra) == 0
        outputs[name] = read_back(tmp_path / f'{name}.png')[..., ::-1]
        captured = capsys.readouterr()
        if name == 'default':  # 12 tiles: a bar over them
            assert '0/12' in captured.err and 'tile/s' in captured.err
            assert (f'in tiles of {TILE} LR pixels, {OVERLAP} of overlap (tile and tile_overlap '
                    "from the config's model.test_cfg)") in captured.out
    np.testing.assert_array_equal(outputs['default'], super_resolve(model, rgb, TILE, OVERLAP))
    np.testing.assert_array_equal(outputs['whole'], super_resolve(model, rgb))
    assert np.abs(outputs['default'].astype(int) - outputs['whole']).max() >= 2  # 4 is too little
    assert np.abs(outputs['wide'].astype(int) - outputs['whole']).max() <= 1


def test_cuda_out_of_memory_is_one_line_naming_tile(tiny, tmp_path, monkeypatch, capsys):
    cv2.imwrite(str(tmp_path / 'frame.png'), photo())

    def out_of_memory(self, inputs, *args, **kwargs):
        raise torch.cuda.OutOfMemoryError('CUDA out of memory. Tried to allocate 20.00 GiB\n'
                                          '(GPU 0; 79.10 GiB total capacity)')

    monkeypatch.setattr(SSGRWSR, 'generate', out_of_memory)
    config, checkpoint, _ = tiny
    for extra, fix in (([], f'in tiles of {TILE} LR pixels (--tile {TILE}); pass a smaller '
                        '--tile, e.g. --tile 8'),
                       (['--tile',
                         '0'], 'as a whole frame; pass a smaller --tile, e.g. --tile 14')):
        argv = [
            'inference.py', config, checkpoint,
            str(tmp_path / 'frame.png'),
            str(tmp_path / 'sr')
        ] + extra
        monkeypatch.setattr(sys, 'argv', argv)
        with pytest.raises(SystemExit) as exit_info:
            run_tool(inference_tool.main, prog='inference.py')
        assert exit_info.value.code == EXIT_ERROR
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1] == (f'inference.py: error: CUDA out of memory super-resolving '
                           f'{tmp_path / "frame.png"} (28x20 LR pixels) {fix}')
    assert not (tmp_path / 'sr').exists()


def test_device_defaults_to_cuda_when_pytorch_sees_a_gpu(monkeypatch):
    argv = ['config.py', 'ckpt.pth', 'in', 'out']
    for available, device in ((True, 'cuda'), (False, 'cpu')):
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: available)
        assert inference_tool.parse_args(argv).device == device
    assert inference_tool.parse_args(argv + ['--device', 'cpu']).device == 'cpu'
    for bad in (['--tile', '-1'], ['--outscale', '0'], ['--ext', 'gif']):
        with pytest.raises(SystemExit):
            inference_tool.parse_args(argv + bad)
