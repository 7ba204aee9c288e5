# Copyright (c) mmssg contributors. All rights reserved.
"""JPEG detection on real encoder output: from the file's tables and from decoded pixels."""
import cv2
import numpy as np
import pytest
from PIL import Image

from mmssg.degradation.jpeg_detection import (BLOCKINESS_THRESHOLD, POOL_BLOCKINESS_THRESHOLD,
                                              blockiness, file_jpeg_quality, ijg_table,
                                              jpeg_evidence, quality_from_table)
from mmssg.degradation.pools.kernel_estimates import jpeg_record

skimage_data = pytest.importorskip('skimage.data')


@pytest.fixture(scope='module')
def photo():
    """A real photograph as an LR camera gives it: area-downscaled by 2 (its own softness),
    noise of sigma 2, 8 bits."""
    hr = skimage_data.astronaut()
    lr = cv2.resize(hr, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float64)
    lr += np.random.default_rng(0).normal(0, 2, lr.shape)
    return np.clip(np.round(lr), 0, 255).astype(np.uint8)


def _pil_jpeg(image, path, quality):
    Image.fromarray(image).save(path, 'JPEG', quality=quality)
    return np.asarray(Image.open(path).convert('RGB'))


def _cv2_jpeg(image, path, quality):
    cv2.imwrite(str(path), image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imread(str(path))[..., ::-1]


def test_ijg_tables_are_the_standard_ones():
    # ITU-T T.81 Annex K's table is quality 50; quality 100 is all ones
    assert ijg_table(50)[:8].tolist() == [16, 11, 10, 16, 24, 40, 51, 61]
    assert set(ijg_table(100).tolist()) == {1}
    # quality 90: the table scaled by 0.2, rounded half up (libjpeg's jcparam.c)
    assert ijg_table(90)[:4].tolist() == [3, 2, 2, 3]
    with pytest.raises(ValueError, match='64 entries, got 63'):
        quality_from_table(range(63))


@pytest.mark.parametrize('encoder', [_pil_jpeg, _cv2_jpeg])
@pytest.mark.parametrize('quality', [75, 90])
def test_file_quality_is_the_encoders(photo, tmp_path, encoder, quality):
    path = tmp_path / 'frame.jpg'
    encoder(photo, path, quality)
    assert file_jpeg_quality(str(path)) == (quality, 0.0)
    # the same file under another extension is still a JPEG file
    renamed = tmp_path / 'frame.png'
    path.rename(renamed)
    assert file_jpeg_quality(str(renamed))[0] == quality


def test_png_never_compressed_reads_clean(photo, tmp_path):
    path = tmp_path / 'frame.png'
    Image.fromarray(photo).save(path)
    evidence = jpeg_evidence(photo, str(path))
    assert evidence.quality is None and evidence.table_error is None
    assert not evidence.compressed
    assert abs(evidence.blockiness) < BLOCKINESS_THRESHOLD


def test_jpeg_saved_again_as_png_reads_compressed(photo, tmp_path):
    decoded = _cv2_jpeg(photo, tmp_path / 'frame.jpg', 75)
    png = tmp_path / 'frame.png'
    Image.fromarray(decoded).save(png)
    evidence = jpeg_evidence(np.asarray(Image.open(png)), str(png))
    assert evidence.quality is None  # the file is PNG: only the pixels tell
    assert evidence.compressed and evidence.blockiness > BLOCKINESS_THRESHOLD
    # the block grid is what is measured: shifted off it by 4 pixels, the same pixels read as
    # never compressed
    assert blockiness(decoded[4:, 4:]) < BLOCKINESS_THRESHOLD
    # quality 90 steps less at the boundaries than 75, more than the never compressed image
    at_90 = blockiness(_cv2_jpeg(photo, tmp_path / 'q90.jpg', 90))
    assert blockiness(photo) < at_90 < evidence.blockiness


def _lr_photos():
    """Four real photographs as LR frames (area-downscaled by 2, noise sigma 2, 8 bits)."""
    rng = np.random.default_rng(1)
    frames = []
    for name in ('astronaut', 'coffee', 'chelsea', 'rocket'):
        hr = getattr(skimage_data, name)()
        height, width = (side // 2 for side in hr.shape[:2])
        lr = cv2.resize(
            hr,
            (width, height), interpolation=cv2.INTER_AREA) + rng.normal(0, 2, (height, width, 3))
        frames.append(np.clip(np.round(lr), 0, 255).astype(np.uint8))
    return frames


def test_a_pool_of_decoded_jpeg_at_quality_90_reads_compressed(tmp_path):
    """One image at quality 90 may not show its blocks; the median of a pool does."""
    clean = _lr_photos()
    decoded = [_cv2_jpeg(frame, tmp_path / 'frame.jpg', 90) for frame in clean]
    clean_record = jpeg_record([jpeg_evidence(frame) for frame in clean])
    record = jpeg_record([jpeg_evidence(frame) for frame in decoded])
    assert not clean_record['compressed'] and record['compressed']
    assert clean_record['median_blockiness'] < POOL_BLOCKINESS_THRESHOLD
    assert record['median_blockiness'] > POOL_BLOCKINESS_THRESHOLD
    assert record['jpeg_files'] == 0 and record['qualities'] == {}
    # JPEG files say their quality whatever their pixels
    evidence = []
    for index, frame in enumerate(clean):
        path = tmp_path / f'{index}.jpg'
        _pil_jpeg(frame, path, 85 + 5 * (index % 2))
        evidence.append(jpeg_evidence(np.asarray(Image.open(path)), str(path)))
    assert jpeg_record(evidence)['qualities'] == {'85': 2, '90': 2}
    assert jpeg_record(evidence)['compressed']


def test_blockiness_names_a_small_image():
    with pytest.raises(ValueError, match='tiny.png: size 40x8 is too small'):
        blockiness(np.zeros((8, 40), np.uint8), 'tiny.png')


def test_quantised_bins_compare_each_bin_with_its_dct_step():
    from mmssg.degradation.jpeg_detection import quantised_bins
    tile, power = 64, np.full((64, 64), 2.0)
    left_out = quantised_bins(power, 90, margin=1.0)
    table = ijg_table(90).reshape(8, 8)
    for row in range(tile):
        for col in range(tile):
            # the DCT basis nearest to the bin: u / 16 cycles per pixel, u at most 7
            fy, fx = (min(abs(f), 1 - f) for f in (row / tile, col / tile))
            step = table[min(round(16 * fy), 7), min(round(16 * fx), 7)]
            assert left_out[row, col] == (2.0 < step**2 / 12), (row, col)
    # steps of 2-3 at the lowest frequencies keep a power of 2, the larger ones do not
    assert not left_out[0, 1] and left_out[32, 32]


def test_block_edge_bins_lie_near_the_axes_beyond_the_low_band():
    from mmssg.degradation.jpeg_detection import block_edge_bins
    left_out = block_edge_bins(64, half_width=0.05, min_frequency=0.15)
    assert left_out.shape == (64, 64) and left_out.dtype == bool
    # symmetric in the two axes and in the sign of each frequency (FFT order)
    assert np.array_equal(left_out, left_out.T)
    assert np.array_equal(left_out[1:, 1:], left_out[1:, 1:][::-1, ::-1])
    assert left_out[0, 32] and left_out[3, 20] and left_out[61, 10]  # 3 bins = 0.047 across
    assert not left_out[4, 20] and not left_out[0, 9] and not left_out[0, 0]
    assert not left_out[20, 20]  # the diagonal is quantisation's (quantised_bins)


def test_jpeg_adds_power_in_the_block_edge_bins():
    # Real encoder output: the same LR images before and after OpenCV's JPEG at quality 90.
    from mmssg.degradation.jpeg_detection import block_edge_bins, quantised_bins
    from mmssg.degradation.power_spectra import image_power_spectrum, pool_power_spectra
    from mmssg.testing import power_law_image
    clean, compressed = [], []
    for seed in range(8):
        hr = power_law_image(256, 50 + seed).astype(np.float32)
        lr = np.clip(
            cv2.resize(cv2.GaussianBlur(hr, (0, 0), 1.5), (128, 128),
                       interpolation=cv2.INTER_AREA).round(), 0, 255).astype(np.uint8)
        ok, data = cv2.imencode('.jpg', lr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        clean.append(image_power_spectrum(lr))
        compressed.append(image_power_spectrum(cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)))
    clean = pool_power_spectra(clean).power
    excess = np.log(pool_power_spectra(compressed).power / clean)
    edges, kept = block_edge_bins(64), ~quantised_bins(clean, 90)
    freqs = np.abs(np.fft.fftfreq(64))
    high = np.maximum(freqs[:, None], freqs[None, :]) > 0.15
    assert excess[edges & kept].mean() > 2 * excess[~edges & kept & high].mean() > 0
