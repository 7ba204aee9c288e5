# Copyright (c) mmssg contributors. All rights reserved.
"""No tool runs the code a checkpoint file names, and no tool writes an empty export."""
import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmssg.cli import export_generator, inference, test, train
from mmssg.testing import config_path, tiny_model_cfg
from mmssg.testing.tiny_run import make_tiny_run
from mmssg.utils.checkpoint import TRUST_VARIABLE

REFUSED = r'needs posix.system to load.*unpickling it could run code.*--trust-checkpoint'


class Payload:
    """Unpickled, it runs a shell command: what a malicious checkpoint from the internet does."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture
def payload(tmp_path, monkeypatch):
    """A checkpoint whose pickle creates ``ran`` when loaded, and that marker's path."""
    # untrusted, and left so after the test even when a tool trusts (sets it to 1)
    monkeypatch.setenv(TRUST_VARIABLE, '0')
    marker = tmp_path / 'ran'
    path = tmp_path / 'downloaded.pth'
    torch.save({'state_dict': {}, 'meta': Payload(marker)}, path)
    return str(path), marker


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    root = tmp_path_factory.mktemp('config')
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py'))
    cfg.model.generator = tiny_model_cfg(num_blocks=1, with_segmentor=False).generator
    cfg.model.perceptual_loss.pretrained_backbone = False
    cfg.dump(str(root / 'tiny.py'))
    image = root / 'lr.png'
    cv2.imwrite(str(image), np.full((8, 8, 3), 100, np.uint8))
    return str(root / 'tiny.py'), str(image)


def test_test_inference_and_export_refuse_a_payload_and_do_not_run_it(payload, tiny_config,
                                                                      tmp_path):
    path, marker = payload
    config, image = tiny_config
    calls = [
        lambda: test.main([config, path, '--work-dir',
                           str(tmp_path / 'test')]),
        lambda: inference.main([config, path, image, str(tmp_path / 'sr')]),
        lambda: export_generator.main([path, str(tmp_path / 'out.pth')]),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=REFUSED):
            call()
        assert not marker.exists()
    assert not (tmp_path / 'out.pth').exists() and not (tmp_path / 'sr').exists()


def test_training_refuses_a_payload_to_resume_from_or_to_start_from(payload, tmp_path):
    path, marker = payload
    config, env = make_tiny_run(tmp_path / 'run')
    os.environ['MMSSG_DEMO_ROOT'] = str(tmp_path / 'run')
    try:
        with pytest.raises(ValueError, match=REFUSED):  # --resume and load_from
            train.main([config, '--work-dir', str(tmp_path / 'w1'), '--resume', path])
        zoo_start = tmp_path / 'zoo_start.py'  # a model-zoo start (init_cfg)
        zoo_start.write_text(f'_base_ = [{config!r}]\nmodel = dict(generator=dict(init_cfg=dict('
                             f'_delete_=True, type="Pretrained", checkpoint={path!r})))\n')
        with pytest.raises(ValueError, match=REFUSED):
            train.main([str(zoo_start), '--work-dir', str(tmp_path / 'w2')])
    finally:
        os.environ.pop('MMSSG_DEMO_ROOT')
    assert not marker.exists()


def test_trust_checkpoint_loads_what_the_user_trusts(payload, tmp_path):
    path, marker = payload
    out = tmp_path / 'out.pth'
    # trusted, the file is unpickled (its command runs); it holds no weights, so nothing is
    # exported
    with pytest.raises(ValueError, match='holds no weights'):
        export_generator.main([path, str(out), '--trust-checkpoint'])
    assert marker.exists() and not out.exists()


@pytest.mark.parametrize('content, keys', [
    ({}, '[]'),
    ({
        'state_dict': {},
        'meta': {}
    }, "['meta', 'state_dict']"),
    ({
        'state_dict': {
            'segmentor.w': torch.ones(1)
        }
    }, "['state_dict']"),
])
def test_an_export_without_generator_weights_is_refused_naming_the_file(tmp_path, content, keys):
    source = tmp_path / 'checkpoint.pth'
    torch.save(content, source)
    out = tmp_path / 'generator.pth'
    with pytest.raises(ValueError) as error:
        export_generator.main([str(source), str(out)])
    message = str(error.value)
    assert str(source) in message and f'top-level keys of the file: {keys}' in message
    assert 'nothing written' in message and not out.exists()
