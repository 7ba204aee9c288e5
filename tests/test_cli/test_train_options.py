# Copyright (c) mmssg contributors. All rights reserved.
"""tools/train.py's options beyond mmengine's: --auto-scale-lr."""
import glob
import os

import pytest

from mmssg.cli import train
from mmssg.testing import config_path
from mmssg.testing.tiny_run import make_tiny_run


def test_auto_scale_lr_scales_both_networks_by_this_runs_batch(tmp_path):
    """One process with the tiny run's batch of 2 against the paper's 12: both Adam learning
    rates become 2/12 of the config's, and the log says so."""
    config, _ = make_tiny_run(tmp_path / 'run')
    os.environ['MMSSG_DEMO_ROOT'] = str(tmp_path / 'run')
    try:
        work = tmp_path / 'work'
        assert train.main([
            config, '--work-dir',
            str(work), '--auto-scale-lr', '--cfg-options', 'train_cfg.max_iters=2',
            'default_hooks.checkpoint.interval=2'
        ]) == 0
    finally:
        os.environ.pop('MMSSG_DEMO_ROOT')
    log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
    assert 'LR is set based on batch size of 12 and the current batch size is 2' in log
    assert 'Scaling the original LR by 0.1666' in log


def test_auto_scale_lr_needs_the_configs_base_batch(tmp_path):
    config = tmp_path / 'no_base.py'
    config.write_text(f'_base_ = [{config_path("ssg_rwsr_x4_cityscapes.py")!r}]\n'
                      'auto_scale_lr = dict(_delete_=True, enable=False)\n')
    args = train.parse_args([str(config), '--auto-scale-lr'])
    with pytest.raises(KeyError, match='--auto-scale-lr needs auto_scale_lr.base_batch_size'):
        train.build_config(args)


@pytest.mark.parametrize('item', ['foo', '=3'])
def test_a_cfg_option_that_is_no_key_value_pair_is_a_usage_error_naming_it(item, capsys):
    with pytest.raises(SystemExit) as stopped:
        train.main([config_path('ssg_rwsr_x4_cityscapes.py'), '--cfg-options', item])
    assert stopped.value.code == 2
    assert f"--cfg-options {item!r}: expected KEY=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize('text, error', [('x = (\n', 'SyntaxError'),
                                         ('y = undefined_name\n', 'NameError')])
def test_a_config_that_is_not_python_is_named_in_the_error(tmp_path, text, error):
    config = tmp_path / 'broken.py'
    config.write_text(text)
    with pytest.raises(ValueError, match=f'^config {config} .* is not valid Python: {error}'):
        train.main([str(config), '--work-dir', str(tmp_path / 'work')])
    assert not (tmp_path / 'work').exists()
