# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/estimate_kernels.py: a folder of real LR images -> a KernelGAN kernel pool."""
import json
import os
import os.path as osp
import runpy
import subprocess
import sys

import numpy as np
import pytest
from _helpers import REPO_ROOT
from PIL import Image

from mmssg.degradation.functional import validate_kernel
from mmssg.degradation.pools import load_kernel_pool
from mmssg.utils import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED

pytestmark = pytest.mark.usefixtures('one_torch_thread')

TOOL = osp.join(REPO_ROOT, 'tools', 'data', 'estimate_kernels.py')


@pytest.fixture(scope='module')
def estimate():
    """The tool's ``main``, run in-process (saves re-importing torch)."""
    return runpy.run_path(TOOL, run_name='tool')['main']


def run_from_shell(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'))


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

    status = estimate([str(src), str(out), '--scale', '4', '--iters', '3', '--batch', '2',
                       '--seed', '7'])
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
    names = ['aachen__a_leftImg8bit.npy', 'bremen__b_leftImg8bit.npy',
             'cologne__a_leftImg8bit.npy']
    assert sorted(os.listdir(out)) == names + ['summary.json']
    assert load_kernel_pool(str(out)).names == names
