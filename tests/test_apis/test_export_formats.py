# Copyright (c) mmssg contributors. All rights reserved.
"""tools/export_generator.py --format basicsr and --format onnx (docs/deploy.md).

The generators are tiny RRDBNets with Kaiming-initialised weights, so that their outputs
have the magnitude of an image's (a standard deviation of about 1 on the [0, 1] scale) rather
than the near-zero outputs of MMagic's 0.1-scaled initialisation, and the inputs are crops
of scikit-image's astronaut photograph.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config

from mmssg.apis import export_generator_basicsr, export_generator_checkpoint
from mmssg.apis.export_onnx import ONNX_OPSET, config_from_text
from mmssg.cli import export_generator
from mmssg.testing import REPO_ROOT, config_path, tiny_model_cfg
from mmssg.testing.reference_rrdbnet import ReferenceRRDBNet

#: ONNX Runtime against torch, on outputs of about 1 standard deviation on the [0, 1] scale:
#: both compute in float32 (relative rounding 6e-8) but sum the convolutions in other orders,
#: which over the network's 35 convolutions moved outputs by up to 3.6e-6 (measured). 1e-4
#: leaves room for other CPUs' kernels and is still 1/40 of one 8-bit grey level (1/255): an
#: export within it gives the same SR image.
ONNX_TOLERANCE = 1e-4
#: the reference network computes the same float32 operations as MMagic's RRDBNet (measured:
#: identical outputs); the bound allows float rounding only, should an addition be reordered
REFERENCE_TOLERANCE = 1e-6
#: (top, left, height, width) of the astronaut crops: two sizes, neither square
CROPS = ((100, 150, 24, 32), (60, 200, 36, 20))


def randomise(generator, seed):
    """Kaiming-normal weights (LeakyReLU 0.2) and small biases, in place; returns it."""
    torch.manual_seed(seed)
    for module in generator.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, a=0.2, nonlinearity='leaky_relu')
            torch.nn.init.uniform_(module.bias, -0.1, 0.1)
    return generator.eval()


def photo_crops():
    """The astronaut crops of :data:`CROPS` as (1, 3, H, W) float tensors in [0, 1]."""
    from skimage import data
    image = data.astronaut()
    return [
        torch.from_numpy(image[top:top + h, left:left + w].copy()).permute(2, 0, 1)[None].float() /
        255 for top, left, h, w in CROPS
    ]


def save_training_checkpoint(path, generator, cfg=None):
    """A checkpoint as training writes it: ``generator.*``, other networks' keys, and
    mmengine's ``meta.cfg`` when ``cfg`` is given."""
    state = {f'generator.{k}': v for k, v in generator.state_dict().items()}
    state['segmentor.conv_seg.weight'] = torch.ones(2, 4, 1, 1)
    meta = {} if cfg is None else {'cfg': cfg.pretty_text}
    torch.save({'state_dict': state, 'meta': meta}, path)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """The paper's config with a tiny generator (dumped), and a checkpoint that carries it."""
    root = tmp_path_factory.mktemp('export')
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py'))
    cfg.model.generator = tiny_model_cfg(num_blocks=2, with_segmentor=False).generator
    config = str(root / 'tiny.py')
    cfg.dump(config)
    generator = randomise(MODELS.build(cfg.model.generator), seed=0)
    checkpoint = str(root / 'iter_1.pth')
    save_training_checkpoint(checkpoint, generator, cfg)
    return config, checkpoint, generator


def run_onnx(path, x):
    """ONNX Runtime's output for ``x`` (CPU)."""
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return session.run(['output'], {'input': x.numpy()})[0]


def test_onnx_export_matches_torch_on_a_photograph_at_two_sizes(trained, tmp_path, capsys):
    _, checkpoint, generator = trained
    out = str(tmp_path / 'generator.onnx')
    assert export_generator.main([checkpoint, out, '--format', 'onnx']) == 0
    assert 'ONNX opset 17' in capsys.readouterr().out
    import onnx
    model = onnx.load(out)
    assert [o.version for o in model.opset_import if o.domain in ('', 'ai.onnx')] == [ONNX_OPSET]
    dims = [[d.dim_param for d in v.type.tensor_type.shape.dim]
            for v in (model.graph.input[0], model.graph.output[0])]
    assert dims == [['batch', '', 'height', 'width'], ['batch', '', 'out_height', 'out_width']]
    props = {p.key: p.value for p in model.metadata_props}
    assert props['upscale_factor'] == '4' and props['generator'] == 'RRDBNet'
    assert props['input_std'] == '[255.0, 255.0, 255.0]' and props['channel_order'] == 'RGB'
    crops = photo_crops()
    crops.append(torch.cat([crops[0], crops[0].flip(-1)]))  # a batch of two
    for x in crops:
        with torch.no_grad():
            expected = generator(x).numpy()
        got = run_onnx(out, x)
        assert got.shape == expected.shape == (len(x), 3, 4 * x.shape[2], 4 * x.shape[3])
        assert expected.std() > 0.3  # image-like magnitudes, not near-zero outputs
        assert np.abs(got - expected).max() <= ONNX_TOLERANCE
    assert os.listdir(tmp_path) == ['generator.onnx']  # no temporary file left


def test_onnx_export_takes_the_config_for_a_file_without_one(trained, tmp_path):
    config, checkpoint, generator = trained
    generator_only = str(tmp_path / 'generator.pth')
    export_generator_checkpoint(checkpoint, generator_only)  # no meta.cfg
    out = str(tmp_path / 'generator.onnx')
    with pytest.raises(ValueError, match=r'generator.pth carries no config .*--config CONFIG'):
        export_generator.main([generator_only, out, '--format', 'onnx'])
    assert not os.path.exists(out)
    export_generator.main([generator_only, out, '--format', 'onnx', '--config', config])
    x = photo_crops()[1]
    with torch.no_grad():
        assert np.abs(run_onnx(out, x) - generator(x).numpy()).max() <= ONNX_TOLERANCE


def test_onnx_weights_that_do_not_fit_the_config_are_refused(trained, tmp_path):
    config, _, _ = trained
    other = MODELS.build(tiny_model_cfg(num_blocks=1, with_segmentor=False).generator)
    source = str(tmp_path / 'other.pth')
    save_training_checkpoint(source, other)
    out = str(tmp_path / 'generator.onnx')
    with pytest.raises(
            ValueError,
            match=r'other.pth: the generator weights do not fit .* '
            r'missing: body.1.rdb1'):
        export_generator.main([source, out, '--format', 'onnx', '--config', config])
    assert not os.path.exists(out)


def test_the_config_saved_in_a_checkpoint_is_read_as_data(tmp_path):
    cfg = Config.fromfile(config_path('ssg_rwsr_x4_cityscapes.py'))
    assert config_from_text(cfg.pretty_text, 'text').to_dict() == cfg.to_dict()
    marker = tmp_path / 'ran'
    source = tmp_path / 'downloaded.pth'
    code = f"model = __import__('os').system('touch {marker}')\n"
    torch.save({'state_dict': {'generator.w': torch.ones(1)}, 'meta': {'cfg': code}}, source)
    with pytest.raises(ValueError, match=r'model \(line 1\) is not plain data.*--config CONFIG'):
        export_generator.main([str(source), str(tmp_path / 'g.onnx'), '--format', 'onnx'])
    assert not marker.exists() and not (tmp_path / 'g.onnx').exists()


def test_without_onnx_mmssg_imports_and_the_tool_says_what_to_install(trained, tmp_path):
    _, checkpoint, _ = trained
    out = tmp_path / 'generator.onnx'
    script = ("import runpy, sys\n"
              "sys.modules['onnx'] = sys.modules['onnxruntime'] = None  # not installed\n"
              "import mmssg, mmssg.apis\n"
              "sys.argv = ['export_generator.py'] + sys.argv[1:]\n"
              "runpy.run_path('tools/export_generator.py', run_name='__main__')\n")
    result = subprocess.run(
        [sys.executable, '-W', 'ignore', '-c', script, checkpoint,
         str(out), '--format', 'onnx'],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        'export_generator.py: error: exporting to ONNX (--format onnx) needs the onnx package, '
        "which is not installed: pip install -r requirements/optional.txt (or pip install "
        "'mmssg[onnx]')")
    assert not out.exists()


@pytest.mark.parametrize('scale', [4, 2])
def test_basicsr_export_loads_strictly_into_an_independent_rrdbnet(tmp_path, scale, capsys):
    generator_cfg = tiny_model_cfg(num_blocks=2, with_segmentor=False).generator
    generator_cfg.upscale_factor = scale
    generator = randomise(MODELS.build(generator_cfg), seed=scale)
    source = str(tmp_path / 'iter_1.pth')
    save_training_checkpoint(source, generator)
    out = str(tmp_path / 'net_g.pth')
    assert export_generator.main([source, out, '--format', 'basicsr']) == 0
    constructor = (f'RRDBNet(num_in_ch=3, num_out_ch=3, scale={scale}, num_feat=8, num_block=2, '
                   'num_grow_ch=4)')
    assert capsys.readouterr().out.strip().endswith(constructor)
    saved = torch.load(out, weights_only=True)  # as BasicSR and Real-ESRGAN read it
    assert sorted(saved) == ['params', 'params_ema']
    params = saved['params_ema']
    assert all(params[k].data_ptr() == saved['params'][k].data_ptr() for k in params)  # one copy
    keys = list(params)
    assert keys[:2] == ['conv_first.weight', 'conv_first.bias']
    assert keys[2:4] == ['body.0.rdb1.conv1.weight', 'body.0.rdb1.conv1.bias']
    assert keys[-10:] == [
        f'{m}.{p}' for m in ('conv_body', 'conv_up1', 'conv_up2', 'conv_hr', 'conv_last')
        for p in ('weight', 'bias')
    ]
    reference = ReferenceRRDBNet(3, 3, scale=scale, num_feat=8, num_block=2, num_grow_ch=4)
    for key in ('params_ema', 'params'):
        reference.load_state_dict(saved[key], strict=True)
    for x in photo_crops():
        with torch.no_grad():
            got, expected = reference.eval()(x), generator(x)
        assert got.shape == (1, 3, scale * x.shape[2], scale * x.shape[3])
        assert expected.std() > 0.3
        assert (got - expected).abs().max() <= REFERENCE_TOLERANCE


def test_basicsr_refuses_a_generator_that_is_not_an_rrdbnet(tmp_path):
    srresnet = MODELS.build(
        dict(
            type='MSRResNet',
            in_channels=3,
            out_channels=3,
            mid_channels=8,
            num_blocks=1,
            upscale_factor=4))
    source = tmp_path / 'srresnet.pth'
    save_training_checkpoint(source, srresnet)
    out = tmp_path / 'net_g.pth'
    with pytest.raises(
            ValueError,
            match=r'generator of .*srresnet.pth is not an RRDBNet '
            r"\(BasicSR's format holds only RRDBNet\).*modules are \['conv_first'"):
        export_generator_basicsr(str(source), str(out))
    rrdbnet = MODELS.build(tiny_model_cfg(num_blocks=1, with_segmentor=False).generator)
    state = rrdbnet.state_dict()
    state.pop('body.0.rdb2.conv3.bias')
    torch.save({'state_dict': state}, source)
    with pytest.raises(
            ValueError,
            match=r"not an RRDBNet of BasicSR's layout .*1 missing: "
            r'body.0.rdb2.conv3.bias'):
        export_generator_basicsr(str(source), str(out))
    assert os.listdir(tmp_path) == ['srresnet.pth']


@pytest.mark.parametrize(
    'fmt, name',
    [('basicsr', 'net_g.pth'), pytest.param('onnx', 'generator.onnx')])
def test_both_formats_refuse_no_weights_their_source_and_leave_no_partial_file(
        trained, tmp_path, fmt, name):
    config, checkpoint, _ = trained
    empty = tmp_path / 'empty.pth'
    torch.save({'state_dict': {}, 'meta': {}}, empty)
    call = [str(empty), str(tmp_path / name), '--format', fmt]
    with pytest.raises(
            ValueError, match=r"holds no weights.*\['meta', 'state_dict'\].*nothing "
            'written'):
        export_generator.main(call + (['--config', config] if fmt == 'onnx' else []))
    (tmp_path / 'link.pth').symlink_to(checkpoint)
    before = open(checkpoint, 'rb').read()
    with pytest.raises(ValueError, match='refusing to overwrite the source checkpoint'):
        export_generator.main([checkpoint, str(tmp_path / 'link.pth'), '--format', fmt])
    assert open(checkpoint, 'rb').read() == before
    os.makedirs(tmp_path / name)  # a folder where the file should go: the write fails
    with pytest.raises(OSError, match=f'could not write .*{name}'):
        export_generator.main([checkpoint, str(tmp_path / name), '--format', fmt])
    assert sorted(os.listdir(tmp_path)) == sorted(['empty.pth', 'link.pth', name])


def test_the_default_format_is_unchanged_and_onnx_options_belong_to_onnx(trained, tmp_path):
    config, checkpoint, generator = trained
    out = str(tmp_path / 'generator.pth')
    assert export_generator.main([checkpoint, out]) == 0
    saved = torch.load(out, weights_only=True)
    assert sorted(saved) == ['meta', 'state_dict']
    assert list(saved['state_dict']) == list(generator.state_dict())
    for option in (['--config', config], ['--opset', '13']):
        with pytest.raises(SystemExit) as exit_info:
            export_generator.main(
                [checkpoint, str(tmp_path / 'b.pth'), '--format', 'basicsr'] + option)
        assert exit_info.value.code == 2
