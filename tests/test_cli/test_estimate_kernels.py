# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/estimate_kernels.py: a folder of real LR images -> a KernelGAN kernel pool; its
refusals, reruns, shards and resumes (the spectral methods: test_estimate_kernels_spectral.py)."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from mmssg.degradation.functional import validate_kernel
from mmssg.degradation.pools import load_kernel_pool
from mmssg.testing import REPO_ROOT
from mmssg.testing.pool_folders import kernel_files, pool_summary
from mmssg.utils import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED

pytestmark = [pytest.mark.usefixtures('one_torch_thread'), pytest.mark.heavy]

TOOL = osp.join(REPO_ROOT, 'tools', 'data', 'estimate_kernels.py')


def run_from_shell(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)],
                          capture_output=True,
                          text=True,
                          cwd=REPO_ROOT,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))


def test_shell_run_turns_an_error_into_one_line_naming_the_folder(tmp_path):
    missing = tmp_path / 'no_such_dir'
    result = run_from_shell(missing, tmp_path / 'out', '--scale', 2)
    assert result.returncode == EXIT_ERROR
    assert result.stderr.strip().splitlines()[-1] == (
        f'estimate_kernels.py: error: source folder not found (or not a folder): {missing}')


def test_refuses_an_empty_folder_and_writing_into_the_source(estimate, tmp_path):
    with pytest.raises(FileNotFoundError, match=f'no images .* under {tmp_path}'):
        estimate([str(tmp_path), str(tmp_path / 'out'), '--scale', '2'])
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / 'a.png')
    with pytest.raises(ValueError, match='refusing to write into the source folder'):
        estimate([str(tmp_path), str(tmp_path), '--scale', '2'])
    assert sorted(os.listdir(tmp_path)) == ['a.png']


def test_writes_kernels_and_lists_unreadable_images(estimate, tmp_path, capsys):
    src, out = tmp_path / 'lr', tmp_path / 'pool'
    src.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((70, 72, 3)) * 255).astype(np.uint8)).save(src / 'good.png')
    Image.fromarray((rng.random((64, 64)) * 255).astype(np.uint8)).save(src / 'gray.jpg')
    (src / 'broken.png').write_bytes(b'not an image at all')
    Image.fromarray(np.zeros((30, 30), np.uint8)).save(src / 'tiny.png')
    (src / 'notes.txt').write_text('ignored')

    status = estimate(
        [str(src),
         str(out), '--scale', '4', '--iters', '3', '--batch', '2', '--seed', '7'])
    assert status == EXIT_SKIPPED
    captured = capsys.readouterr()
    assert 'broken.png' in captured.err and 'tiny.png' in captured.err
    assert '2 input(s) skipped' in captured.out.strip().splitlines()[-1]
    assert sorted(os.listdir(out)) == ['good.npy', 'gray.npy', 'summary.json']
    for name in ('good.npy', 'gray.npy'):
        kernel = np.load(out / name)
        assert kernel.dtype == np.float32 and kernel.shape == (25, 25)
        assert abs(kernel.sum() - 1) < 1e-5
        validate_kernel(kernel, source=name)  # what the degradation transforms load
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['images_found'] == 4 and summary['images_read'] == 2
    assert sorted(s['file'] for s in summary['skipped']) == ['broken.png', 'tiny.png']
    assert '30x30' in next(s['reason'] for s in summary['skipped'] if s['file'] == 'tiny.png')
    params = summary['parameters']
    settings = (params['scale'], params['iterations'], params['seed'], summary['kernel_size'])
    assert settings == (4, 3, 7, 25)
    assert [item['pool_file'] for item in summary['images']] == ['good.npy', 'gray.npy']
    assert all('bicubic' in item['final_losses'] for item in summary['images'])
    # Three steps cannot grow a kernel from the ~1e-4 start: flagged.
    assert sorted(summary['suspect']) == ['good.png', 'gray.jpg']
    assert 'did not grow a kernel' in captured.err


def test_searches_city_folders_and_names_kernels_by_relative_path(estimate, tmp_path):
    src, out = tmp_path / 'leftImg8bit' / 'train', tmp_path / 'pool'
    rng = np.random.default_rng(1)
    for city, name in (('aachen', 'a_leftImg8bit.png'), ('bremen', 'b_leftImg8bit.png'),
                       ('cologne', 'a_leftImg8bit.png')):
        (src / city).mkdir(parents=True)
        Image.fromarray((rng.random((64, 64, 3)) * 255).astype(np.uint8)).save(src / city / name)
    status = estimate([str(src), str(out), '--scale', '2', '--iters', '2', '--batch', '3'])
    assert status == EXIT_OK
    names = ['aachen__a_leftImg8bit.npy', 'bremen__b_leftImg8bit.npy', 'cologne__a_leftImg8bit.npy']
    assert sorted(os.listdir(out)) == names + ['summary.json']
    assert load_kernel_pool(str(out)).names == names


def _lr_folder(root, count, size=64, seed=3):
    """``count`` random RGB images of ``size`` pixels in two city folders."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        city = root / ('aachen' if i % 2 else 'bremen')
        city.mkdir(parents=True, exist_ok=True)
        Image.fromarray((rng.random(
            (size, size + 2 * i, 3)) * 255).astype(np.uint8)).save(city / f'img_{i:02d}.png')
    return root


QUICK = ['--scale', '2', '--iters', '3', '--no-progress', '--workers', '1']


def test_a_rerun_skips_finished_kernels_and_other_settings_need_redo(estimate, tmp_path, capsys):
    src, out = _lr_folder(tmp_path / 'lr', 4), tmp_path / 'pool'
    assert estimate([str(src), str(out), *QUICK, '--batch', '2']) == EXIT_OK
    first = kernel_files(out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob('*.npy')}
    summary = pool_summary(out)
    assert sorted(os.listdir(out)) == sorted(first) + ['summary.json'] and len(first) == 4
    record = summary['images'][0]
    assert record['settings'] == summary['settings'] and record['settings']['iterations'] == 3
    assert record['seed_index'] == 0 and record['batch'] == dict(shard='0/1', number=0, images=2)
    capsys.readouterr()

    assert estimate([str(src), str(out), *QUICK, '--batch', '2']) == EXIT_OK
    assert 'wrote 0 kernels (13x13, x2)' in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.glob('*.npy')} == stamps
    assert pool_summary(out)['images'] == summary['images']

    with pytest.raises(
            ValueError,
            match=rf'4 kernel\(s\) in {out} were not made with the '
            rf'settings of this run; pass --redo .* {out}/summary\.json records '
            r'aachen__img_01\.npy made with iterations=3 \(this run: 4\) '
            r'\(and 3 more\)'):
        estimate([str(src), str(out), *QUICK[:2], '--iters', '4', *QUICK[4:]])
    assert kernel_files(out) == first  # nothing touched
    assert estimate([str(src), str(out), *QUICK[:2], '--iters', '4', *QUICK[4:], '--redo']) == 0
    assert kernel_files(out) != first
    assert {r['settings']['iterations'] for r in pool_summary(out)['images']} == {4}


def test_kernels_no_summary_accounts_for_are_not_overwritten(estimate, tmp_path):
    src, out = _lr_folder(tmp_path / 'lr', 2), tmp_path / 'pool'
    out.mkdir()
    mine = np.zeros((13, 13), np.float32)
    mine[6, 6] = 1
    np.save(out / 'bremen__img_00.npy', mine)
    with pytest.raises(
            ValueError,
            match=rf'^1 kernel\(s\) in {out} were not made with the settings of this run; pass '
            rf'--redo to recompute them, or choose another output folder\. '
            rf'{out}/bremen__img_00\.npy exists, but no summary in {out} records it \(not '
            r'written by this tool\)$'):
        estimate([str(src), str(out), *QUICK])
    np.testing.assert_array_equal(np.load(out / 'bremen__img_00.npy'), mine)
    assert estimate([str(src), str(out), *QUICK, '--redo']) == EXIT_OK
    assert not np.array_equal(np.load(out / 'bremen__img_00.npy'), mine)


@pytest.mark.parametrize('spec, message', [
    ('3/2', r"shard '3/2': the index I must be in 0\.\.1 for N = 2, got 3"),
    ('0/0', r"shard '0/0': the number of shards N must be at least 1, got 0"),
    ('a/b', r"shard 'a/b': expected I/N, two integers with 0 <= I < N"),
])
def test_bad_shard_specs_are_refused_before_any_work(estimate, tmp_path, spec, message):
    src, out = _lr_folder(tmp_path / 'lr', 1), tmp_path / 'pool'
    with pytest.raises(ValueError, match=message):
        estimate([str(src), str(out), *QUICK, '--shard', spec])
    assert not out.exists()


def test_bad_batch_and_subset_sizes_are_refused(estimate, tmp_path):
    src, out = _lr_folder(tmp_path / 'lr', 1), tmp_path / 'pool'
    with pytest.raises(ValueError, match='--max-images must be at least 1, got 0'):
        estimate([str(src), str(out), *QUICK, '--max-images', '0'])
    with pytest.raises(ValueError, match='--batch must be at least 1, got 0'):
        estimate([str(src), str(out), *QUICK, '--batch', '0'])
    with pytest.raises(ValueError, match='--min-pooled-images must be at least 1, got 0'):
        estimate([str(src), str(out), *QUICK, '--min-pooled-images', '0'])


def test_shards_fill_one_pool_and_the_last_one_writes_the_summary(estimate, tmp_path, capsys,
                                                                  monkeypatch):
    src = _lr_folder(tmp_path / 'lr', 5)
    whole, sharded = tmp_path / 'whole', tmp_path / 'sharded'
    # With one image per batch a kernel does not depend on its companions:
    # the shards must write exactly the kernels of one process.
    assert estimate([str(src), str(whole), *QUICK, '--batch', '1']) == EXIT_OK
    monkeypatch.setenv('WORLD_SIZE', '2')  # as torchrun sets them
    monkeypatch.setenv('RANK', '1')
    assert estimate([str(src), str(sharded), *QUICK, '--batch', '1']) == EXIT_OK
    assert 'summary.json follows when all 2 shards are done' in capsys.readouterr().out
    # Images 1 and 3 of the sorted list (aachen/01, aachen/03, bremen/00, bremen/02, ...).
    assert sorted(os.listdir(sharded)) == [
        'aachen__img_03.npy', 'bremen__img_02.npy', 'summary.shard-1-of-2.json'
    ]
    monkeypatch.delenv('WORLD_SIZE')
    assert estimate([str(src), str(sharded), *QUICK, '--batch', '1', '--shard', '0/2']) == 0
    assert f'{sharded}/summary.json written' in capsys.readouterr().out
    assert kernel_files(sharded) == kernel_files(whole)
    merged, single = pool_summary(sharded), pool_summary(whole)
    assert merged['shards'] == 2 and merged['images_found'] == merged['images_read'] == 5
    assert [r['pool_file'] for r in merged['images']] == [r['pool_file'] for r in single['images']]
    assert [r['seed_index'] for r in merged['images']] == [0, 1, 2, 3, 4]
    assert load_kernel_pool(str(sharded), scale=2).names == sorted(kernel_files(whole))


def test_max_images_draws_the_same_seeded_subset_whatever_the_sharding(estimate, tmp_path):
    src = _lr_folder(tmp_path / 'lr', 6)
    subset = ['--max-images', '3', '--seed', '11', '--batch', '1']
    assert estimate([str(src), str(tmp_path / 'a'), *QUICK, *subset]) == EXIT_OK
    for index in range(3):
        estimate([str(src), str(tmp_path / 'b'), *QUICK, *subset, '--shard', f'{index}/3'])
    assert sorted(kernel_files(tmp_path / 'a')) == sorted(kernel_files(tmp_path / 'b'))
    assert len(kernel_files(tmp_path / 'a')) == 3
    assert kernel_files(tmp_path / 'a') == kernel_files(tmp_path / 'b')
    estimate([str(src), str(tmp_path / 'c'), *QUICK, *subset[:2], '--seed', '12', '--batch', '1'])
    assert sorted(kernel_files(tmp_path / 'c')) != sorted(kernel_files(tmp_path / 'a'))


def test_shards_of_one_pool_must_share_their_settings(estimate, tmp_path):
    src, out = _lr_folder(tmp_path / 'lr', 2), tmp_path / 'pool'
    estimate([str(src), str(out), *QUICK, '--shard', '0/2'])
    with pytest.raises(
            ValueError,
            match=r'summary\.shard-0-of-2\.json was made with '
            r'iterations=3 \(this run: 5\); all shards of a pool need the same'):
        estimate([str(src), str(out), *QUICK[:2], '--iters', '5', *QUICK[4:], '--shard', '1/2'])


def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_pool(estimate, tmp_path, capsys):
    src = _lr_folder(tmp_path / 'lr', 6)
    args = ['--scale', '2', '--iters', '20', '--batch', '2', '--workers', '1', '--no-progress']
    assert estimate([str(src), str(tmp_path / 'reference'), *args]) == EXIT_OK
    reference = kernel_files(tmp_path / 'reference')

    out = tmp_path / 'pool'
    process = subprocess.Popen(
        [sys.executable, TOOL, str(src), str(out), *args],
        cwd=REPO_ROOT,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(out.glob('*.npy')) and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob('*.npy')}
    assert 0 < len(finished) < len(reference), 'the run was not killed partway'
    assert not (out / 'summary.json').exists()
    capsys.readouterr()

    assert estimate([str(src), str(out), *args]) == EXIT_OK
    assert f'{len(finished)} already there' in capsys.readouterr().out
    assert {n: (out / n).stat().st_mtime_ns for n in finished} == finished  # not rewritten
    assert kernel_files(out) == reference
    resumed, whole = pool_summary(out), pool_summary(tmp_path / 'reference')
    for key in ('images', 'suspect', 'settings', 'images_found', 'images_read'):
        assert resumed[key] == whole[key], key


def test_another_method_on_a_pool_needs_redo(estimate, tmp_path):
    src, out = _lr_folder(tmp_path / 'lr', 2), tmp_path / 'pool'
    assert estimate([str(src), str(out), *QUICK, '--batch', '2']) == EXIT_OK
    first = kernel_files(out)
    with pytest.raises(
            ValueError,
            match=rf'^2 kernel\(s\) in {out} were not made with the settings of this run; pass '
            rf'--redo to recompute them, or choose another output folder\. {out}/summary\.json '
            r"records aachen__img_01\.npy made with method='kernelgan' \(this run: 'spectral'\) "
            r'\(and 1 more\)$'):
        estimate([str(src), str(out), *QUICK, '--method', 'spectral'])
    assert kernel_files(out) == first
    assert estimate([str(src), str(out), *QUICK, '--method', 'spectral', '--redo']) == EXIT_OK
    summary = pool_summary(out)
    assert {r['settings']['method'] for r in summary['images']} == {'spectral'}
    assert {np.load(out / n).shape for n in first} == {(25, 25)}
