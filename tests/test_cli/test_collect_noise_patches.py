# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/collect_noise_patches.py: a folder of real LR images -> a noise pool."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from skimage import data

from mmssg.degradation.noise_patches import NoiseCriteria, extract_noise_patches, find_noise_windows
from mmssg.degradation.pools import load_noise_pool
from mmssg.degradation.pools.noise_files import CompactNoisePatches
from mmssg.utils import EXIT_OK, EXIT_SKIPPED

SMALL = ['--patch-size', '64', '--sub-size', '16', '--no-progress']


def read_pool_file(path):
    """Every patch of a compact noise file, as the float32 array the loader gives."""
    patches = CompactNoisePatches(str(path))
    return np.stack([patches[i] for i in range(len(patches))])


@pytest.fixture(scope='module')
def collect():
    """The tool's ``main``, run in-process."""
    from mmssg.cli.collect_noise_patches import main
    return main


def _noisy_flat(seed=5):
    """A flat RGB field with a different noise level per channel (R 2, G 5, B 9)."""
    rng = np.random.default_rng(seed)
    flat = np.full((256, 256, 3), [60, 120, 200], np.float32)
    noise = rng.normal(0, 1, flat.shape) * np.array([2, 5, 9])
    return np.clip(np.rint(flat + noise), 0, 255).astype(np.uint8)


@pytest.fixture
def lr_folder(tmp_path):
    """Real-LR-like images on disk (PNG, BGR as cv2 writes them), one corrupt."""
    src = tmp_path / 'real_lr' / 'city'
    src.mkdir(parents=True)
    cv2.imwrite(str(src / 'flat_0001.png'), cv2.cvtColor(_noisy_flat(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(src / 'photo_0002.png'), cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR))
    (src / 'broken_0003.png').write_bytes(b'\x89PNG\r\n\x1a\n not really a png')
    return tmp_path / 'real_lr'


def test_writes_rgb_pools_a_summary_and_lists_unreadable_images(collect, lr_folder, tmp_path,
                                                                capsys):
    out = tmp_path / 'noise_pool'
    assert collect([str(lr_folder), str(out), *SMALL]) == EXIT_SKIPPED
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert '1 input(s) skipped' in last_line and 'summary.json' in last_line
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['images_found'] == 3 and summary['images_read'] == 2
    [skipped] = summary['skipped']
    assert skipped['file'] == osp.join('city', 'broken_0003.png') and 'decode' in skipped['reason']
    # Named by the path relative to SRC_DIR; the clean photo gives no patch, so no file.
    assert sorted(os.listdir(out)) == ['city__flat_0001.npz', 'summary.json']
    pool = read_pool_file(out / 'city__flat_0001.npz')
    assert pool.dtype == np.float32 and pool.shape[1:] == (64, 64, 3)
    assert summary['patches_kept'] == len(pool) and summary['images_with_patches'] == 1
    assert summary['pool_bytes'] == os.path.getsize(out / 'city__flat_0001.npz')
    assert summary['float32_bytes'] == pool.nbytes > 4 * summary['pool_bytes']
    assert summary['images'] == [
        dict(
            file=osp.join('city', 'flat_0001.png'),
            pool_file='city__flat_0001.npz',
            patches=len(pool)),
        dict(file=osp.join('city', 'photo_0002.png'), pool_file=None, patches=0)
    ]
    # RGB on disk: the channel with the strongest noise (B, 9) is last.
    np.testing.assert_allclose(pool.std(axis=(0, 1, 2)), [2, 5, 9], rtol=0.05)
    params = summary['parameters']
    assert (params['patch_size'], params['stride'], params['sub_stride']) == (64, 32, 16)
    dist = summary['patch_std']
    assert dist['count'] == len(pool) and sum(dist['histogram']['counts']) == len(pool)
    assert dist['percentiles']['5'] <= dist['percentiles']['50'] <= dist['percentiles']['95']
    assert dist['mean'] == pytest.approx(np.sqrt((4 + 25 + 81) / 3), rel=0.05)
    # The summary's per-patch stds (from the window statistics) are those of the stored patches.
    stored = np.sqrt(np.mean(np.square(pool, dtype=np.float64), axis=(1, 2, 3)))
    assert dist['mean'] == pytest.approx(stored.mean(), rel=1e-6)
    assert dist['max'] == pytest.approx(stored.max(), rel=1e-6)
    assert load_noise_pool(str(out)).names == ['city__flat_0001.npz']


def test_compact_patches_are_bit_identical_to_the_float32_path(collect, lr_folder, tmp_path):
    """What the tool stores rebuilds exactly what extract_noise_patches gives (the float pool)."""
    out = tmp_path / 'noise_pool'
    collect([str(lr_folder), str(out), *SMALL])
    img = cv2.cvtColor(cv2.imread(str(lr_folder / 'city' / 'flat_0001.png')), cv2.COLOR_BGR2RGB)
    windows = find_noise_windows(img, NoiseCriteria(64, 16))
    float_path = extract_noise_patches(img, windows.corners, 64, windows.means)
    assert len(float_path) > 4  # overlapping windows: blocks are shared
    np.testing.assert_array_equal(read_pool_file(out / 'city__flat_0001.npz'), float_path)


def test_refuses_a_folder_holding_an_older_float32_pool(collect, lr_folder, tmp_path):
    out = tmp_path / 'noise_pool'
    out.mkdir()
    np.save(out / 'city__flat_0001.npy', np.zeros((1, 64, 64, 3), np.float32))
    with pytest.raises(
            ValueError,
            match=r'float32 noise files of an older pool '
            r'\(city__flat_0001\.npy\); remove them'):
        collect([str(lr_folder), str(out), *SMALL])


def test_a_rerun_leaves_no_file_the_new_run_does_not_give(collect, lr_folder, tmp_path):
    out = tmp_path / 'noise_pool'
    collect([str(lr_folder), str(out), *SMALL])
    assert (out / 'city__flat_0001.npz').is_file()
    # a phi above the flat field's noise variance: no window passes, the old file must go
    assert collect([str(lr_folder), str(out), *SMALL, '--phi', '1000']) == EXIT_SKIPPED
    assert sorted(os.listdir(out)) == ['summary.json']
    # an image that cannot be read any more: its old file goes too
    collect([str(lr_folder), str(out), *SMALL])
    flat = (lr_folder / 'city' / 'flat_0001.png').read_bytes()
    (lr_folder / 'city' / 'flat_0001.png').write_bytes(b'not a png any more')
    assert collect([str(lr_folder), str(out), *SMALL]) == EXIT_SKIPPED
    assert sorted(os.listdir(out)) == ['summary.json']
    (lr_folder / 'city' / 'flat_0001.png').write_bytes(flat)
    # an image removed from SRC: its file would be loaded with the new pool, so refused
    collect([str(lr_folder), str(out), *SMALL])
    os.remove(lr_folder / 'city' / 'flat_0001.png')
    with pytest.raises(
            ValueError,
            match=f'^{out} holds 1 noise file.s. that no image of {lr_folder} gives '
            r'\(city__flat_0001\.npz\): left by a run over other images'):
        collect([str(lr_folder), str(out), *SMALL])
    assert (out / 'city__flat_0001.npz').is_file()


def test_workers_give_the_same_pool(collect, lr_folder, tmp_path):
    collect([str(lr_folder), str(tmp_path / 'a'), *SMALL])
    collect([str(lr_folder), str(tmp_path / 'b'), *SMALL, '--workers', '2'])
    a, b = (json.loads((tmp_path / x / 'summary.json').read_text()) for x in 'ab')
    assert a['patches_kept'] == b['patches_kept'] > 0 and a['skipped'] == b['skipped']
    np.testing.assert_array_equal(
        read_pool_file(tmp_path / 'a' / 'city__flat_0001.npz'),
        read_pool_file(tmp_path / 'b' / 'city__flat_0001.npz'))


def test_16_bit_images_are_taken_on_the_0_255_scale(collect, tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    bgr = cv2.cvtColor(_noisy_flat(), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(src / 'eight.png'), bgr)
    cv2.imwrite(str(src / 'sixteen.png'), bgr.astype(np.uint16) * 257)  # the same values
    assert collect([str(src), str(tmp_path / 'out'), *SMALL]) == EXIT_OK
    eight, sixteen = (read_pool_file(tmp_path / 'out' / f'{n}.npz') for n in ('eight', 'sixteen'))
    assert eight.shape == sixteen.shape and len(eight) > 0
    np.testing.assert_allclose(sixteen, eight, atol=1e-3)
    # 16-bit pixels are stored as they are and scaled on loading, as the float path scaled them.
    wide = cv2.cvtColor(bgr.astype(np.uint16) * 257, cv2.COLOR_BGR2RGB)
    scaled = wide.astype(np.float32) * np.float32(255 / 65535)
    windows = find_noise_windows(scaled, NoiseCriteria(64, 16))
    np.testing.assert_array_equal(sixteen,
                                  extract_noise_patches(scaled, windows.corners, 64, windows.means))


def test_same_stems_in_different_folders_are_kept_apart(collect, tmp_path):
    src = tmp_path / 'src'
    for city in ('aachen', 'bremen'):
        (src / city).mkdir(parents=True)
        cv2.imwrite(str(src / city / 'a.png'), _noisy_flat(seed=len(city)))
    collect([str(src), str(tmp_path / 'out'), *SMALL])
    assert sorted(os.listdir(tmp_path /
                             'out')) == ['aachen__a.npz', 'bremen__a.npz', 'summary.json']
    (src / 'aachen' / 'a.jpg').write_bytes(b'')  # would also be aachen__a.npy
    with pytest.raises(ValueError, match=r'aachen__a\.npz <- aachen/a\.jpg, aachen/a\.png'):
        collect([str(src), str(tmp_path / 'again'), *SMALL])
    assert not (tmp_path / 'again').exists()  # refused before writing anything


def test_errors_name_the_folder_or_the_setting(collect, tmp_path):
    with pytest.raises(FileNotFoundError, match='source folder not found.*nowhere'):
        collect([str(tmp_path / 'nowhere'), str(tmp_path / 'out')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no images.*empty'):
        collect([str(tmp_path / 'empty'), str(tmp_path / 'out')])
    with pytest.raises(ValueError, match=r'sub_size \(64\) must not exceed patch_size \(32\)'):
        collect([
            str(tmp_path / 'empty'),
            str(tmp_path / 'out'), '--patch-size', '32', '--sub-size', '64'
        ])
    with pytest.raises(ValueError, match='refusing to write into the source folder'):
        collect([str(tmp_path / 'empty'), str(tmp_path / 'empty')])
