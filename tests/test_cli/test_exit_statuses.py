# Copyright (c) mmssg contributors. All rights reserved.
"""Every entry point under tools/ ends with the exit statuses of docs/guarantees.md, as the
exit code of its process: 2 for a bad command line, 1 for an error (one line
``<tool>.py: error: ...`` on stderr naming the file at fault; with ``MMSSG_TRACEBACK=1`` the
Python traceback instead), 3 when inputs were skipped after the others were written.

Why it is built so: each command must be a process of its own, but a fresh
``python tools/<tool>.py`` spends about 7 s of CPU importing MMagic, MMSegmentation and torch
before it parses its command line, so the commands below (about four per tool) would take
over two minutes of this 2-core machine (the 12 bad command lines alone took 54 s, started
together). They run instead in processes forked from one interpreter that made those imports
once (:mod:`mmssg.testing.tool_processes`), each with its own argv, environment and standard
streams, its end (``SystemExit``, uncaught exception) handled by the interpreter as for
``python tools/<tool>.py``. One command, the refused ``--resume`` of tools/train.py, also runs
as a fresh ``python tools/train.py`` at the same time, and both ways must end it alike. All
commands start together and are waited for together, in one module fixture; their inputs are
a few images of 16-96 pixels, and a tiny config and checkpoints on the tiny run's demo data
(:mod:`mmssg.testing.tiny_run`).
"""
import glob
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

from mmssg.testing import REPO_ROOT, power_law_image
from mmssg.testing.mor_study import PHOTOS, make_study_folders
from mmssg.testing.segmentors import write_tiny_segmentor
from mmssg.testing.tiny_run import make_tiny_run
from mmssg.testing.tool_processes import command, run_tools
from mmssg.utils import EXIT_ERROR, EXIT_SKIPPED, EXIT_USAGE

TOOLS = sorted(
    osp.relpath(path, REPO_ROOT)
    for path in glob.glob(osp.join(REPO_ROOT, 'tools', '**', '*.py'), recursive=True))
#: the tools that can end with 3 (inputs skipped): those docs/guarantees.md names, and the MOR
#: study's ``serve``, which skips files that are no images
SKIPPING = ('tools/inference.py', 'tools/data/collect_noise_patches.py',
            'tools/data/estimate_kernels.py', 'tools/data/synthesize_lr.py',
            'tools/data/extract_frames.py', 'tools/data/pseudo_labels.py',
            'tools/analysis/mor_study.py')


def write_image(path, image):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), image)


def write_unreadable(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n not really a png')


def save_model(config, path, **generator):
    """A training checkpoint (weights, optimizer state, iteration) of the tiny config's model,
    its generator changed by ``generator``."""
    cfg = Config.fromfile(config)
    cfg.model.generator.update(generator)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper)
    torch.save(
        dict(
            meta=dict(epoch=0, iter=2),
            state_dict=model.state_dict(),
            optimizer=optimizer.state_dict(),
            message_hub=MessageHub.get_instance('wider').state_dict()), path)
    return str(path)


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    """Folders of tiny images (one unreadable each), a tiny config and two checkpoints."""
    root = tmp_path_factory.mktemp('exit_statuses')
    config, env = make_tiny_run(root)
    os.environ['MMSSG_DEMO_ROOT'] = env['MMSSG_DEMO_ROOT']  # read by the tiny config
    try:
        checkpoints = dict(
            this_model=save_model(config, root / 'tiny.pth'),
            other=save_model(config, root / 'wider.pth', mid_channels=16))
    finally:
        os.environ.pop('MMSSG_DEMO_ROOT')
    rng = np.random.default_rng(0)
    write_image(root / 'lr' / 'a.png', rng.integers(0, 256, (16, 16, 3), np.uint8))
    flat = np.clip(np.rint(rng.normal([60, 120, 200], 5, (64, 64, 3))), 0, 255)
    write_image(root / 'noisy' / 'flat.png', flat.astype(np.uint8))
    texture = np.clip(np.rint(power_law_image(96, seed=1)), 0, 255).astype(np.uint8)
    write_image(root / 'textured' / 'texture.png', texture)
    city = root / 'cityscapes'
    write_image(city / 'leftImg8bit' / 'val' / 'ulm' / 'ulm_000000_000001_leftImg8bit.png',
                rng.integers(0, 256, (64, 64, 3), np.uint8))
    write_image(city / 'gtFine' / 'val' / 'ulm' / 'ulm_000000_000001_gtFine_labelTrainIds.png',
                np.full((64, 64), 7, np.uint8))
    for path in ('lr/broken.png', 'noisy/broken.png', 'textured/broken.png',
                 'cityscapes/leftImg8bit/val/ulm/ulm_000000_000002_leftImg8bit.png'):
        write_unreadable(root / path)
    segmentor, segmentor_checkpoint = write_tiny_segmentor(root)
    segmentor_wider = write_tiny_segmentor(root, wider=True)[1]
    study, study_lr = make_study_folders(root / 'study', photos=PHOTOS[:2])
    (study['sharp'] / 'notes.txt').write_text('not an image')
    (root / 'a_file').write_text('not a folder')
    return dict(
        root=root,
        config=config,
        env=env,
        study=[f'{name}={folder}' for name, folder in study.items()] + ['--lr', study_lr],
        segmentor=segmentor,
        segmentor_checkpoint=segmentor_checkpoint,
        segmentor_wider=segmentor_wider,
        **checkpoints)


def error_cases(inputs, run='error'):
    """``{tool: (arguments, the path its error must name)}``: one error of every tool."""
    root, config = inputs['root'], inputs['config']
    missing = root / 'missing'
    return {
        'tools/train.py': ([config, '--work-dir', root / run, '--resume',
                            inputs['other']], inputs['other']),
        'tools/test.py': ([config, missing / 'iter_1.pth'], missing / 'iter_1.pth'),
        'tools/inference.py': ([config, inputs['this_model'], missing,
                                root / 'sr_missing'], missing),
        'tools/export_generator.py': ([missing / 'iter_1.pth',
                                       root / 'g.pth'], missing / 'iter_1.pth'),
        'tools/demo.py': (['--config', missing / 'demo.py', '--work-dir',
                           root / 'demo'], missing / 'demo.py'),
        'tools/analysis/compare_crops.py':
        (['--lr', missing, '--method', f'A={root / "lr"}', '--out', root / 'crops.png'], missing),
        'tools/analysis/make_tables.py': ([missing / 'results.json', '--table',
                                           '3'], missing / 'results.json'),
        'tools/analysis/mor_study.py': (['report', '--study',
                                         missing / 'study.sqlite'], missing / 'study.sqlite'),
        'tools/analysis/plot_logs.py': ([missing], missing),
        'tools/data/collect_noise_patches.py': ([missing, root / 'noise_missing'], missing),
        'tools/data/estimate_kernels.py': ([missing, root / 'kernels_missing', '--scale',
                                            '2'], missing),
        'tools/data/extract_frames.py': ([missing, root / 'frames_missing'], missing),
        'tools/data/make_demo_data.py': ([root / 'a_file'], root / 'a_file'),
        'tools/data/pseudo_labels.py': ([
            root / 'lr', root / 'labels_refused', '--segmentor', inputs['segmentor'],
            '--checkpoint', inputs['segmentor_wider']
        ], inputs['segmentor_wider']),
        'tools/data/synthesize_lr.py': ([missing, root / 'synthetic_missing', '--seed',
                                         '0'], missing),
    }


def skipping_cases(inputs):
    """``{tool: (arguments, what it must have written)}``: a folder with an unreadable image."""
    root = inputs['root']
    return {
        'tools/inference.py':
        ([inputs['config'], inputs['this_model'], root / 'lr', root / 'sr', '--workers',
          '0'], [root / 'sr' / 'a.png']),
        'tools/data/collect_noise_patches.py': ([
            root / 'noisy', root / 'noise_pool', '--patch-size', '32', '--sub-size', '16',
            '--no-progress'
        ], [root / 'noise_pool' / 'flat.npz', root / 'noise_pool' / 'summary.json']),
        'tools/data/estimate_kernels.py': ([
            root / 'textured', root / 'kernel_pool', '--scale', '4', '--method', 'spectral',
            '--workers', '1', '--no-progress'
        ], [root / 'kernel_pool' / 'texture.npy', root / 'kernel_pool' / 'summary.json']),
        'tools/data/extract_frames.py':
        ([root / 'lr', root / 'frames', '--no-progress'],
         [root / 'frames' / 'lr' / 'lr_000000.png', root / 'frames' / 'summary.json']),
        'tools/data/pseudo_labels.py': ([
            root / 'lr', root / 'labels', '--segmentor', inputs['segmentor'], '--checkpoint',
            inputs['segmentor_checkpoint'], '--no-progress'
        ], [root / 'labels' / 'a.png', root / 'labels' / 'summary.json']),
        'tools/data/synthesize_lr.py': ([
            root / 'cityscapes', root / 'synthetic', '--seed', '0', '--splits', 'val',
            '--no-progress'
        ], [
            root / 'synthetic' / sub / 'val' / 'ulm' / f'ulm_000000_000001_{suffix}'
            for sub, suffix in (('leftImg8bit', 'leftImg8bit.png'),
                                ('leftImg8bit_hr', 'leftImg8bit.png'), ('gtFine',
                                                                        'gtFine_labelTrainIds.png'))
        ]),
        'tools/analysis/mor_study.py':
        (['serve', *inputs['study'], '--study', root / 'study.sqlite',
          '--check'], [root / 'study.sqlite']),
    }


@pytest.fixture(scope='module')
def runs(inputs):
    """Every command, run at once: ``{(tool, kind): ToolResult}``."""
    forked = {}
    for tool in TOOLS:
        forked[tool, 'usage'] = command(tool, '--no-such-option')
    for tool, (args, _) in error_cases(inputs, 'forked').items():
        kind = 'error' if tool != 'tools/train.py' else 'error, forked'
        forked[tool, kind] = command(tool, *args)
    for tool, (args, _) in error_cases(inputs, 'traceback').items():
        forked[tool, 'traceback'] = command(tool, *args, env=dict(MMSSG_TRACEBACK='1'))
    for tool, (args, _) in skipping_cases(inputs).items():
        forked[tool, 'skipped'] = command(tool, *args)
    train_args = error_cases(inputs)['tools/train.py'][0]
    fresh = {('tools/train.py', 'error'): command('tools/train.py', *train_args)}
    env = dict(inputs['env'], OMP_NUM_THREADS='1')
    env.pop('MMSSG_TRACEBACK', None)
    results = run_tools(by_name(forked), by_name(fresh), env)
    return {key: results[name(key)] for key in [*forked, *fresh]}


def name(key):
    """A file name for a ``(tool, kind)`` key."""
    return '_'.join(key).replace('/', '_').replace(' ', '')


def by_name(commands):
    return {name(key): cmd for key, cmd in commands.items()}


def last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else ''


def explain(result):
    return f'exit {result.returncode}\nstdout: {result.stdout[-500:]}\nstderr: ' \
        f'{result.stderr[-1500:]}'


def test_every_tool_exits_2_on_a_bad_command_line(runs):
    assert 'tools/train.py' in TOOLS and 'tools/data/synthesize_lr.py' in TOOLS
    for tool in TOOLS:
        result = runs[tool, 'usage']
        assert result.returncode == EXIT_USAGE, explain(result)
        assert 'usage: ' in result.stderr, tool
        assert last_line(result.stderr).startswith(f'{osp.basename(tool)}: error: '), tool


def test_every_tool_exits_1_on_an_error_with_one_line_naming_the_file(runs, inputs):
    cases = error_cases(inputs)
    assert sorted(cases) == TOOLS  # a new tool needs its case here
    for tool, (_, named) in cases.items():
        result = runs[tool, 'error']
        assert result.returncode == EXIT_ERROR, explain(result)
        prefix = f'{osp.basename(tool)}: error: '
        errors = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
        assert len(errors) == 1 and errors[0] == last_line(result.stderr), explain(result)
        assert str(named) in errors[0], explain(result)
        assert 'Traceback' not in result.stderr, explain(result)


def test_the_traceback_switch_shows_the_python_traceback_instead(runs, inputs):
    for tool, (_, named) in error_cases(inputs).items():
        result = runs[tool, 'traceback']
        assert result.returncode == EXIT_ERROR, explain(result)
        assert 'Traceback (most recent call last):' in result.stderr, explain(result)
        assert ', in run_tool\n' in result.stderr, explain(result)  # raised again by it
        # the exception's own line, e.g. "FileNotFoundError: ... <file> ..."
        exception, _, message = last_line(result.stderr).partition(': ')
        assert exception.endswith('Error') and str(named) in message, explain(result)
        assert f'{osp.basename(tool)}: error: ' not in result.stderr, explain(result)


def test_skipped_inputs_exit_3_after_the_others_are_written(runs, inputs):
    for tool, (_, written) in skipping_cases(inputs).items():
        result = runs[tool, 'skipped']
        assert result.returncode == EXIT_SKIPPED, explain(result)
        assert all(osp.isfile(path) for path in written), explain(result)
        # the count is in the last line: '1 input(s) skipped', 'skipped 1 unreadable file(s)'
        assert re.search(r'\b1 \S+ skipped|skipped 1 ', last_line(result.stdout)), \
            explain(result)
    assert sorted(skipping_cases(inputs)) == sorted(SKIPPING)


def test_resuming_from_a_checkpoint_of_another_model_is_refused(runs, inputs):
    """``tools/train.py --resume CKPT`` with the checkpoint of a wider generator: one error
    line naming the file and the first keys whose shapes differ, exit 1, nothing trained."""
    result = runs['tools/train.py', 'error']  # a fresh `python tools/train.py`
    assert result.returncode == EXIT_ERROR, explain(result)
    assert last_line(result.stderr).startswith(
        f'train.py: error: {inputs["other"]}: its weights do not fit the model of this config: '
        '29 different shapes: generator.conv_first.weight: checkpoint (16, 3, 3, 3) vs model '
        '(8, 3, 3, 3), generator.conv_first.bias: checkpoint (16,) vs model (8,), '), \
        explain(result)
    assert ' missing: ' not in last_line(result.stderr)  # the segmentor and LPIPS keys fit
    assert not glob.glob(str(inputs['root'] / 'error' / '*.pth'))


def test_a_forked_command_ends_as_a_fresh_interpreter_ends_it(runs):
    fresh, forked = runs['tools/train.py', 'error'], runs['tools/train.py', 'error, forked']
    assert forked.returncode == fresh.returncode == EXIT_ERROR
    assert last_line(forked.stderr) == last_line(fresh.stderr)
