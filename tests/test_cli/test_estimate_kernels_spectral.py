# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/estimate_kernels.py --method spectral and spectral-pooled: one kernel per image
and one for the whole folder, their summaries, the interval and the JPEG files."""
import os

import numpy as np
import pytest
from PIL import Image

from mmssg.degradation.functional import kernel_covariance
from mmssg.degradation.pools import load_kernel_pool
from mmssg.degradation.spectral_kernels import MIN_POOLED_IMAGES, MODEL_VERSION, fit_settings
from mmssg.testing import power_law_image
from mmssg.testing.pool_folders import kernel_files, pool_summary
from mmssg.utils import EXIT_OK, EXIT_SKIPPED

pytestmark = [pytest.mark.usefixtures('one_torch_thread'), pytest.mark.heavy]

SPECTRAL = ['--scale', '4', '--no-progress', '--workers', '1']


def _photo_folder(root, count):
    """``count`` photograph-like (power-law) 96x96 images, as the spectral fit expects."""
    for i in range(count):
        city = root / ('aachen' if i % 2 else 'bremen')
        city.mkdir(parents=True, exist_ok=True)
        image = np.clip(power_law_image(96, i), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(city / f'img_{i:02d}.png')
    return root


def test_spectral_method_writes_a_pool_that_records_each_fit(estimate, tmp_path, capsys):
    src, out = _photo_folder(tmp_path / 'lr', 3), tmp_path / 'pool'
    assert estimate([str(src), str(out), *SPECTRAL, '--method', 'spectral']) == EXIT_OK
    printed = capsys.readouterr()
    assert 'wrote 3 kernels (25x25, x4)' in printed.out
    assert "--method spectral at x4: one image's kernel is not reliable" in printed.err
    assert 'use --method spectral-pooled' in printed.err
    pool = load_kernel_pool(str(out), scale=4)
    summary = pool_summary(out)
    # as recorded (a tuple in the settings would come back a list and refuse every rerun)
    assert summary['settings'] == dict(method='spectral', **fit_settings(4))
    assert (summary['settings']['scale'], summary['settings']['kernel_size']) == (4, 25)
    assert summary['parameters']['method'] == 'spectral'
    for name, kernel in zip(pool.names, pool.kernels):
        record = next(r for r in summary['images'] if r['pool_file'] == name)
        # The recorded covariance is the saved kernel's (measured independently here).
        np.testing.assert_allclose(kernel_covariance(kernel), record['covariance'], atol=2e-3)
        assert record['pooled_images'] == 1 and 'raw_kernel_sum' not in record
        assert not record['clamped']
    assert summary['suspect'] == []
    # An image's kernel does not depend on the others in the folder.
    alone = tmp_path / 'alone'
    (alone / 'bremen').mkdir(parents=True)
    (alone / 'bremen' / 'img_00.png').write_bytes((src / 'bremen' / 'img_00.png').read_bytes())
    assert estimate([str(alone),
                     str(tmp_path / 'pool1'), *SPECTRAL, '--method', 'spectral']) == EXIT_OK
    assert (np.load(tmp_path / 'pool1' / 'bremen__img_00.npy').tobytes() == np.load(
        out / 'bremen__img_00.npy').tobytes())
    capsys.readouterr()
    # at x2 one image's kernel holds: no warning
    assert estimate([
        str(alone),
        str(tmp_path / 'pool2'), '--scale', '2', '--no-progress', '--workers', '1', '--method',
        'spectral'
    ]) == EXIT_OK
    assert 'not reliable' not in capsys.readouterr().err


def test_pooled_method_gives_every_image_one_kernel_of_the_whole_set(estimate, tmp_path):
    src, out = _photo_folder(tmp_path / 'lr', 3), tmp_path / 'pool'
    pooled = [str(src), str(out), *SPECTRAL, '--method', 'spectral-pooled']
    with pytest.raises(ValueError, match='cannot be sharded'):
        estimate(pooled + ['--shard', '0/2'])
    # fewer images than the default minimum: refused before anything is written
    with pytest.raises(
            ValueError,
            match=f"'{src}' has 3 usable image.s., fewer than "
            f'--min-pooled-images {MIN_POOLED_IMAGES}'):
        estimate(pooled)
    assert not out.exists()
    pooled += ['--min-pooled-images', '3']
    assert estimate(pooled) == EXIT_OK
    kernels = kernel_files(out)
    assert len(kernels) == 3 and len(set(kernels.values())) == 1
    assert {r['pooled_images'] for r in pool_summary(out)['images']} == {3}
    assert pool_summary(out)['settings']['model'] == MODEL_VERSION  # the fit's version
    # A pooled kernel depends on the whole image list: a grown folder is another setting.
    _photo_folder(tmp_path / 'more', 4)
    (src / 'bremen' / 'img_03.png').write_bytes((tmp_path / 'more/aachen/img_03.png').read_bytes())
    with pytest.raises(ValueError, match='pooled_over='):
        estimate(pooled)


def test_pooled_method_skips_an_image_narrower_than_its_tile(estimate, tmp_path, capsys):
    src, out = _photo_folder(tmp_path / 'lr', 2), tmp_path / 'pool'
    Image.fromarray(np.full((48, 96), 128, np.uint8)).save(src / 'bremen' / 'narrow.png')
    pooled = [str(src), str(out), *SPECTRAL, '--method', 'spectral-pooled']
    # the minimum counts the images the fit can use, not the files found
    with pytest.raises(ValueError, match=r'2 usable image.s. \(1 more could not be used\)'):
        estimate(pooled + ['--min-pooled-images', '3'])
    assert estimate(pooled + ['--min-pooled-images', '2']) == EXIT_SKIPPED
    skipped = pool_summary(out)['skipped']
    assert [s['file'] for s in skipped] == ['bremen/narrow.png']
    assert '96x48' in skipped[0]['reason'] and '64x64' in skipped[0]['reason']
    assert {r['pooled_images'] for r in pool_summary(out)['images']} == {2}


def test_pooled_summary_records_the_interval_and_the_jpeg_files(estimate, tmp_path, capsys):
    src, out = _photo_folder(tmp_path / 'lr', 4), tmp_path / 'pool'
    # two of the four frames as JPEG files at quality 85
    for rel in ('aachen/img_01', 'bremen/img_02'):
        Image.open(src / f'{rel}.png').save(src / f'{rel}.jpg', quality=85)
        (src / f'{rel}.png').unlink()
    assert estimate(
        [str(src),
         str(out), *SPECTRAL, '--method', 'spectral-pooled', '--min-pooled-images', '3']) == EXIT_OK
    summary = pool_summary(out)
    record = summary['images'][0]
    interval = record['sigma_interval']
    assert interval['groups'] == 4 and interval['level'] == 0.9
    minor, major = np.sqrt(np.linalg.eigvalsh(np.array(record['covariance'])))
    assert interval['minor'][0] <= minor <= interval['minor'][1]
    assert interval['major'][0] <= major <= interval['major'][1]
    assert record['jpeg']['jpeg_files'] == 2 and record['jpeg']['qualities'] == {'85': 2}
    # the flag and the warning go together
    warned = 'the pooled kernel is uncertain' in capsys.readouterr().err
    assert summary['wide_interval'] == record['wide_interval'] == warned


def test_spectral_method_tells_each_jpeg_files_fit_its_quality(estimate, tmp_path):
    from mmssg.degradation.power_spectra import image_power_spectrum
    from mmssg.degradation.spectral_kernels import spectral_pool_kernel
    from mmssg.utils import read_image
    src, out = _photo_folder(tmp_path / 'lr', 2), tmp_path / 'pool'
    Image.open(src / 'aachen/img_01.png').save(src / 'aachen/img_01.jpg', quality=85)
    (src / 'aachen/img_01.png').unlink()
    args = ['--scale', '2', '--no-progress', '--workers', '1', '--method', 'spectral']
    assert estimate([str(src), str(out), *args]) == EXIT_OK
    records = {r['file']: r for r in pool_summary(out)['images']}
    assert records['bremen/img_00.png']['fitted_for_quality'] is None
    assert records['aachen/img_01.jpg']['fitted_for_quality'] == 85
    told = spectral_pool_kernel(
        image_power_spectrum(read_image(str(src / 'aachen/img_01.jpg'))), 2, 85)
    np.testing.assert_allclose(
        records['aachen/img_01.jpg']['covariance'], told.covariance, atol=1e-6)


def test_kernels_of_images_no_longer_in_the_folder_are_refused_even_with_redo(estimate, tmp_path):
    src, out = _photo_folder(tmp_path / 'lr', 4), tmp_path / 'pool'
    pooled = [str(src), str(out), *SPECTRAL, '--method', 'spectral-pooled']
    assert estimate(pooled + ['--min-pooled-images', '3']) == EXIT_OK
    before = kernel_files(out)
    (src / 'aachen' / 'img_03.png').unlink()
    for redo in ([], ['--redo']):
        with pytest.raises(
                ValueError,
                match=f'^{out} holds 1 kernel file.s. that no image of {src} gives '
                r'\(aachen__img_03\.npy\): left by a run over other images'):
            estimate(pooled + ['--min-pooled-images', '3', *redo])
    assert kernel_files(out) == before
    # a hidden one too: the pool loads it
    os.rename(out / 'aachen__img_03.npy', out / '.aachen__img_03.npy')
    with pytest.raises(ValueError, match=r'\(\.aachen__img_03\.npy\)'):
        estimate(pooled + ['--min-pooled-images', '3'])
