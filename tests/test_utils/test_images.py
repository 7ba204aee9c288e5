# Copyright (c) mmssg contributors. All rights reserved.
"""Listing, reading and naming a folder's images, shared by the data tools and inference."""
import os
import struct
import zlib

import cv2
import mmcv
import numpy as np
import pytest
from PIL import Image, ImageOps

from mmssg.utils import (as_image_size, image_size_of, list_images, output_names, read_image,
                         select_image_size)
from mmssg.utils.images import apply_orientation, decode_image


def _touch(root, *rels):
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'')


def test_list_images_recurses_sorts_and_matches_suffixes_case_insensitively(tmp_path):
    _touch(tmp_path, 'b.png', 'a/z.JPG', 'a/y.txt', 'a/deeper/x.pgm', 'c.npy')
    assert list_images(str(tmp_path)) == ['a/deeper/x.pgm', 'a/z.JPG', 'b.png']


def test_list_images_skips_hidden_entries_and_symlinked_folders(tmp_path):
    data = tmp_path / 'data'
    _touch(data, 'real/a.png', '.hidden.png', '.ipynb_checkpoints/a-checkpoint.png')
    os.symlink(data / 'real', data / 'alias')  # would list a.png twice
    os.symlink(data, data / 'real' / 'loop')  # would never end
    assert list_images(str(data)) == ['real/a.png']
    # The folder given may itself be a link (a common way to mount datasets).
    os.symlink(data, tmp_path / 'link')
    assert list_images(str(tmp_path / 'link')) == ['real/a.png']


def test_list_images_of_an_empty_folder_is_empty_and_a_missing_one_is_named(tmp_path):
    assert list_images(str(tmp_path)) == []
    with pytest.raises(FileNotFoundError, match='nowhere'):
        list_images(str(tmp_path / 'nowhere'))


RGB = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype(np.uint8)


@pytest.mark.parametrize(
    'name, mode, expected',
    [
        ('rgb.png', 'RGB', RGB),
        ('rgba.png', 'RGBA', RGB),  # alpha dropped, not composited
        ('grey.png', 'L', np.repeat(RGB[..., :1], 3, axis=2)),
        ('grey_alpha.png', 'LA', np.repeat(RGB[..., :1], 3, axis=2)),
        ('palette.png', 'P', None),
        ('rgb.bmp', 'RGB', RGB),
    ])
def test_read_image_gives_three_channel_uint8_in_either_order(tmp_path, name, mode, expected):
    if mode == 'RGBA':
        pil = Image.fromarray(np.concatenate([RGB, np.full((5, 7, 1), 9, np.uint8)], axis=2))
    elif mode in ('L', 'LA'):
        pil = Image.fromarray(RGB[..., 0]).convert(mode)
    else:
        pil = Image.fromarray(RGB).convert(mode)
    pil.save(tmp_path / name)
    if expected is None:  # a palette image: whatever colours PIL itself decodes
        expected = np.asarray(Image.open(tmp_path / name).convert('RGB'))
    rgb = read_image(str(tmp_path / name))
    assert rgb.shape == (5, 7, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    np.testing.assert_array_equal(rgb, expected)
    np.testing.assert_array_equal(read_image(str(tmp_path / name), 'bgr'), expected[..., ::-1])


def test_read_image_keeps_16_bit_samples_as_stored(tmp_path):
    deep = np.random.default_rng(1).integers(0, 65536, (4, 6, 3)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / 'deep.png'), deep[..., ::-1])  # cv2 writes BGR
    cv2.imwrite(str(tmp_path / 'deep_grey.png'), deep[..., 0])
    rgb = read_image(str(tmp_path / 'deep.png'))
    assert rgb.dtype == np.uint16
    np.testing.assert_array_equal(rgb, deep)
    np.testing.assert_array_equal(
        read_image(str(tmp_path / 'deep_grey.png')), np.repeat(deep[..., :1], 3, axis=2))


def test_read_image_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.png'):
        read_image(str(tmp_path / 'missing.png'))
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(ValueError, match='empty.png: empty file'):
        read_image(str(tmp_path / 'empty.png'))
    (tmp_path / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n cut short')
    with pytest.raises(ValueError, match='broken.png: cannot decode'):
        read_image(str(tmp_path / 'broken.png'))
    cv2.imwrite(str(tmp_path / 'float.tif'), np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match='float.tif: float32 samples.*8- or 16-bit'):
        read_image(str(tmp_path / 'float.tif'))
    with pytest.raises(ValueError, match="channel_order must be 'rgb' or 'bgr', got 'RGB'"):
        read_image(str(tmp_path / 'float.tif'), 'RGB')


def test_output_names_follow_the_relative_path_and_refuse_clashes():
    rels = ['a.png', os.path.join('city', 'b.jpg'), os.path.join('x', 'y', 'z.tif')]
    assert output_names(rels, '.npy') == ['a.npy', 'city__b.npy', 'x__y__z.npy']
    assert output_names([], '.npy') == []
    with pytest.raises(
            ValueError, match=r'1 output name.*city__b\.npy <- city/b\.jpg, city/b\.png'):
        output_names(rels + [os.path.join('city', 'b.png')], '.npy')
    with pytest.raises(ValueError, match=r'x__y\.npy <- x/y\.png, x__y\.png'):
        output_names([os.path.join('x', 'y.png'), 'x__y.png'], '.npy')


def test_select_image_size_keeps_one_size_counts_the_others_and_keeps_unreadable_files(tmp_path):
    sizes = {'a.png': (64, 36), 'b.png': (96, 54), 'c.jpg': (64, 36), 'd.png': (96, 54)}
    for name, (w, h) in sizes.items():
        cv2.imwrite(str(tmp_path / name), np.zeros((h, w, 3), np.uint8))
    (tmp_path / 'broken.png').write_bytes(b'not an image')
    paths = sorted(str(tmp_path / name) for name in [*sizes, 'broken.png'])
    assert image_size_of(paths[0]) == (64, 36) and image_size_of(str(
        tmp_path / 'broken.png')) is None
    selection = select_image_size(paths, [64, 36], str(tmp_path))
    # the unreadable file stays for its reader to say why it cannot be used
    assert [os.path.basename(p) for p in selection.kept] == ['a.png', 'broken.png', 'c.jpg']
    assert selection.left_out == {(96, 54): 2}
    assert select_image_size(paths, None, str(tmp_path)) == (paths, {})
    with pytest.raises(
            ValueError,
            match=rf'no 32x32 image under {tmp_path} \(image_size\); '
            r'sizes found: 96x54 \(2\), 64x36 \(1\)'):
        select_image_size([paths[1]] + paths[3:], (32, 32), str(tmp_path))
    assert as_image_size([1280, 720], 'cfg') == (1280, 720) and as_image_size(None, 'cfg') is None
    for bad in ((1280, ), '1280x720', (1280, 0), (12.5, 7)):
        with pytest.raises(ValueError, match=r'^cfg: image_size must be \(width, height\)'):
            as_image_size(bad, 'cfg')


def _save_with_orientation(path, rgb, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    kwargs = {'exif': exif if path.suffix == '.tif' else exif.tobytes()}
    if path.suffix == '.webp':
        kwargs['lossless'] = True
    Image.fromarray(rgb).save(path, **kwargs)


@pytest.mark.parametrize('suffix', ['.jpg', '.png', '.tif', '.webp'])
def test_exif_orientation_is_applied_as_the_training_pipelines_decode_it(tmp_path, suffix):
    """The one EXIF policy: every orientation, in every format that carries one, gives the
    pixels of mmcv.imfrombytes(flag='color'), which MMagic's LoadImageFromFile uses."""
    rgb = np.random.default_rng(2).integers(0, 256, (6, 10, 3)).astype(np.uint8)
    rgb[:2, :3] = 255  # a corner that shows where the top left went
    for orientation in range(1, 9):
        path = tmp_path / f'o{orientation}{suffix}'
        _save_with_orientation(path, rgb, orientation)
        pipeline = mmcv.imfrombytes(path.read_bytes(), flag='color', channel_order='rgb')
        np.testing.assert_array_equal(read_image(str(path)), pipeline, err_msg=path.name)
        rgba = decode_image(str(path)).pixels
        np.testing.assert_array_equal(rgba[..., :3], pipeline, err_msg=path.name)
    # JPEG and PNG turn as a viewer shows them: 6 is 90 degrees clockwise
    if suffix in ('.jpg', '.png'):
        turned = read_image(str(tmp_path / f'o6{suffix}'))
        assert turned.shape == (10, 6, 3)
        if suffix == '.png':
            np.testing.assert_array_equal(turned, np.rot90(rgb, -1))


def test_apply_orientation_matches_pil_for_every_tag():
    img = np.arange(4 * 7 * 2, dtype=np.uint8).reshape(4, 7, 2)
    pil = Image.fromarray(img[..., 0])
    for orientation in range(1, 9):
        exif = pil.getexif()
        exif[0x0112] = orientation
        pil.info['exif'] = exif.tobytes()
        expected = np.asarray(ImageOps.exif_transpose(pil))
        turned = apply_orientation(img, orientation)
        np.testing.assert_array_equal(turned[..., 0], expected, err_msg=str(orientation))
        assert turned.flags.c_contiguous


def test_decode_image_keeps_grey_alpha_and_16_bits(tmp_path):
    grey = RGB[..., 0]
    cv2.imwrite(str(tmp_path / 'grey.png'), grey)
    cv2.imwrite(str(tmp_path / 'rgba.png'), np.dstack([RGB[..., ::-1], grey]))
    deep = (RGB.astype(np.uint16) * 257)
    cv2.imwrite(str(tmp_path / 'deep_rgba.png'), np.dstack([deep[..., ::-1], deep[..., 1]]))
    got = decode_image(str(tmp_path / 'grey.png'))
    assert got.pixels.shape == (5, 7) and got.converted == got.dropped == ''
    np.testing.assert_array_equal(got.pixels, grey)
    np.testing.assert_array_equal(
        decode_image(str(tmp_path / 'rgba.png')).pixels, np.dstack([RGB, grey]))
    np.testing.assert_array_equal(
        decode_image(str(tmp_path / 'rgba.png'), 'bgr').pixels, np.dstack([RGB[..., ::-1], grey]))
    got = decode_image(str(tmp_path / 'deep_rgba.png'))
    assert got.pixels.dtype == np.uint16
    np.testing.assert_array_equal(got.pixels, np.dstack([deep, deep[..., 1]]))


def test_decode_image_says_what_it_converted_and_what_opencv_drops(tmp_path):
    Image.fromarray(RGB).convert('P').save(tmp_path / 'palette.png', transparency=3)
    Image.fromarray(RGB[..., 0]).convert('LA').save(tmp_path / 'grey_alpha.png')
    Image.fromarray(RGB[..., 0]).save(tmp_path / 'grey_trns.png', transparency=0)
    palette = decode_image(str(tmp_path / 'palette.png'))
    assert palette.pixels.shape == (5, 7, 4)
    assert palette.converted == 'a palette image, read as 8-bit colour with alpha'
    assert palette.dropped == ''
    expected = np.asarray(Image.open(tmp_path / 'palette.png').convert('RGBA'))
    np.testing.assert_array_equal(palette.pixels, expected)
    grey_alpha = decode_image(str(tmp_path / 'grey_alpha.png'))
    assert grey_alpha.pixels.shape == (5, 7, 4)
    assert grey_alpha.converted == 'a grey image with alpha, read as 8-bit colour with alpha'
    np.testing.assert_array_equal(grey_alpha.pixels[..., :3], np.dstack([RGB[..., 0]] * 3))
    grey_trns = decode_image(str(tmp_path / 'grey_trns.png'))
    assert grey_trns.pixels.shape == (5, 7)
    assert grey_trns.dropped == 'its transparency (PNG L), which OpenCV does not read'
    assert not grey_trns.grey and not palette.grey and grey_alpha.grey


def test_an_8_bit_rgba_tiff_keeps_its_colour_as_stored(tmp_path):
    alpha = np.linspace(0, 255, 35).astype(np.uint8).reshape(5, 7)
    Image.fromarray(np.dstack([RGB, alpha]), 'RGBA').save(tmp_path / 'rgba.tif')
    got = decode_image(str(tmp_path / 'rgba.tif'))
    np.testing.assert_array_equal(got.pixels, np.dstack([RGB, alpha]))  # not times alpha
    np.testing.assert_array_equal(
        decode_image(str(tmp_path / 'rgba.tif'), 'bgr').pixels, np.dstack([RGB[..., ::-1], alpha]))
    # turned as its orientation tag asks, as OpenCV turns it (exact where alpha is opaque)
    opaque = np.dstack([RGB, np.full((5, 7), 255, np.uint8)])
    Image.fromarray(opaque, 'RGBA').save(tmp_path / 'turned.tif', tiffinfo={274: 6})
    by_opencv = cv2.cvtColor(
        cv2.imread(str(tmp_path / 'turned.tif'), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
    assert by_opencv.shape == (7, 5, 4)
    np.testing.assert_array_equal(decode_image(str(tmp_path / 'turned.tif')).pixels, by_opencv)


def test_a_cmyk_tiff_is_read_as_colour_without_an_alpha(tmp_path):
    Image.fromarray(RGB).convert('CMYK').save(tmp_path / 'cmyk.tif')
    got = decode_image(str(tmp_path / 'cmyk.tif'))
    assert got.pixels.shape == (5, 7, 3) and got.converted == 'a CMYK image, read as 8-bit colour'
    by_opencv = cv2.imread(str(tmp_path / 'cmyk.tif'), cv2.IMREAD_UNCHANGED)
    assert by_opencv.shape == (5, 7, 4) and (by_opencv[..., 3] == 255).all()
    np.testing.assert_array_equal(got.pixels, by_opencv[..., 2::-1])


@pytest.mark.parametrize('name, kind', [('pages.tif', 'TIFF'), ('animated.png', 'PNG'),
                                        ('animated.webp', 'WEBP')])
def test_a_file_of_several_frames_is_refused_not_read_as_its_first(tmp_path, name, kind):
    frames = [Image.fromarray(RGB), Image.fromarray(255 - RGB)]
    frames[0].save(tmp_path / name, save_all=True, append_images=frames[1:])
    with pytest.raises(
            ValueError,
            match=f'^{tmp_path / name}: holds 2 frames \\({kind}\\); expected a single image'):
        decode_image(str(tmp_path / name))


def test_a_phone_jpeg_of_several_pictures_is_read_as_its_first(tmp_path):
    # an MPO file: the picture, then (on phones) a preview or a depth map
    big = cv2.resize(RGB, (56, 40), interpolation=cv2.INTER_NEAREST)
    Image.fromarray(big).save(
        tmp_path / 'phone.jpg',
        format='MPO',
        save_all=True,
        append_images=[Image.fromarray(255 - big)],
        quality=100)
    with Image.open(tmp_path / 'phone.jpg') as img:
        assert (img.format, img.n_frames) == ('MPO', 2)
        first = np.asarray(img.convert('RGB')).astype(int)
        img.seek(1)
        second = np.asarray(img.convert('RGB')).astype(int)
    got = decode_image(str(tmp_path / 'phone.jpg')).pixels
    assert got.shape == (40, 56, 3)
    assert np.abs(got - first).mean() < 1 < 10 < np.abs(got - second).mean()


def _grey_alpha_png_16(path, grey, alpha):
    """A 16-bit grey + alpha PNG (colour type 4), written chunk by chunk: OpenCV writes no
    two-channel image and PIL no 16-bit grey + alpha."""
    rows = np.dstack([grey, alpha]).astype('>u2')
    raw = b''.join(b'\x00' + row.tobytes() for row in rows)

    def chunk(kind, body):
        return (struct.pack('>I', len(body)) + kind + body +
                struct.pack('>I',
                            zlib.crc32(kind + body) & 0xffffffff))

    header = struct.pack('>IIBBBBB', grey.shape[1], grey.shape[0], 16, 4, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) +
                     chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def test_a_16_bit_grey_png_with_alpha_is_read_as_grey_with_alpha(tmp_path):
    grey = RGB[..., 0].astype(np.uint16) * 257 + 3
    alpha = RGB[..., 1].astype(np.uint16) * 257
    _grey_alpha_png_16(tmp_path / 'la16.png', grey, alpha)
    with Image.open(tmp_path / 'la16.png') as img:
        assert img.mode != 'LA'  # what PIL calls it is no help
    got = decode_image(str(tmp_path / 'la16.png'))
    assert got.grey and got.pixels.dtype == np.uint16
    np.testing.assert_array_equal(got.pixels, np.dstack([grey, grey, grey, alpha]))
    assert got.converted == 'a grey image with alpha, read as 16-bit colour with alpha'
    # a 16-bit RGBA PNG is colour
    cv2.imwrite(str(tmp_path / 'rgba16.png'), np.dstack([grey, grey, grey, alpha]))
    assert not decode_image(str(tmp_path / 'rgba16.png')).grey
