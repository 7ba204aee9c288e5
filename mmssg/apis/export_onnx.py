# Copyright (c) mmssg contributors. All rights reserved.
"""Export the generator of a checkpoint to ONNX (``tools/export_generator.py --format onnx``).

The generator is built from the training config's ``model.generator``, as
``tools/inference.py`` builds it: the CONFIG given with ``--config`` (what OpenMMLab's
deployment tools take), or else the config that mmengine's ``Runner`` saved in the
checkpoint (``meta.cfg``). That saved config is read as data: it must be plain literals and
``dict(...)`` calls, as ``Config.pretty_text`` writes them, and no code in it is run
(checkpoints are read as data, ``docs/guarantees.md``).

The graph has one input ``input`` (N x C x H x W, float32) and one output ``output``
(N x C x sH x sW), with dynamic batch, height and width. The values are those the generator
sees in mmssg: for mmssg's configs (``data_preprocessor`` mean 0 and std 255, RGB) the
input is the RGB image divided by 255 and the output, clamped to [0, 1] and times 255, is
the SR image. The model's metadata (``metadata_props``) names the source, the generator, the
scale and the config's mean, std and channel order.

The ``onnx`` package (``requirements/optional.txt``) is imported only here, when an export
is asked for; importing mmssg does not need it.
"""
import ast
import copy
import io
import json
import os
import os.path as osp
import warnings

import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmssg.models.utils.weights import load_network
from mmssg.utils import atomic_output
from .export import check_destination, generator_weights

#: the opset written by default: torch 2.5.1's default, read by ONNX Runtime 1.20 and older
#: runtimes alike (Resize-11 semantics for nearest upsampling)
ONNX_OPSET = 17
INPUT_NAME, OUTPUT_NAME = 'input', 'output'
#: how to get the optional packages, in the messages
INSTALL_HINT = "pip install -r requirements/optional.txt (or pip install 'mmssg[onnx]')"


class MissingPackageError(ImportError, RuntimeError):
    """An optional package a feature needs is not installed (an ``ImportError``, and a user
    error for the tools: one line, exit status 1)."""


def require_onnx():
    """Import the ``onnx`` package, or say how to install it.

    Returns:
        module: ``onnx``.

    Raises:
        MissingPackageError: It is not installed.
    """
    try:
        import onnx
    except ImportError:
        raise MissingPackageError('exporting to ONNX (--format onnx) needs the onnx package, '
                                  f'which is not installed: {INSTALL_HINT}') from None
    return onnx


class _DictCallsToDisplays(ast.NodeTransformer):
    """Rewrite ``dict(a=1)`` as ``{'a': 1}`` so that ``ast.literal_eval`` reads it."""

    def visit_Call(self, node):
        node = self.generic_visit(node)
        plain = (
            isinstance(node.func, ast.Name) and node.func.id == 'dict' and not node.args
            and all(k.arg is not None for k in node.keywords))
        if not plain:
            return node  # left as a call: literal_eval refuses it
        return ast.Dict(
            keys=[ast.Constant(k.arg) for k in node.keywords],
            values=[k.value for k in node.keywords])


def config_from_text(text: str, source: str) -> Config:
    """A config from ``Config.pretty_text``, read as data: nothing in it is run.

    Args:
        text (str): Assignments ``name = <literals and dict(...) calls>``.
        source (str): Where the text comes from, for messages.

    Returns:
        Config: The config.

    Raises:
        ValueError: The text is not such assignments; the message names ``source`` and
            the line at fault.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise ValueError(f'{source} is not a config: line {error.lineno}: {error.msg}') from None
    values = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f'{source}: line {node.lineno} is not an assignment of plain data '
                             f'({ast.unparse(node)[:60]!r}); pass --config CONFIG')
        try:
            values[node.targets[0].id] = ast.literal_eval(_DictCallsToDisplays().visit(node.value))
        except ValueError:
            raise ValueError(f'{source}: {node.targets[0].id} (line {node.lineno}) is not plain '
                             'data (only literals and dict(...) are read from a checkpoint); '
                             'pass --config CONFIG') from None
    return Config(values)


def checkpoint_config(checkpoint, src: str) -> Config:
    """The config that mmengine's ``Runner`` saved in a checkpoint (``meta.cfg``), as data.

    Args:
        checkpoint: The loaded checkpoint.
        src (str): Its file, for messages.

    Returns:
        Config: The config.

    Raises:
        ValueError: The checkpoint carries no config (e.g. a generator-only export), or
            one that is not plain data.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    text = meta.get('cfg') if isinstance(meta, dict) else None
    if not isinstance(text, str):
        raise ValueError(f'{src} carries no config (meta.cfg, which mmengine\'s Runner saves in '
                         'its checkpoints): pass the training config with --config CONFIG')
    return config_from_text(text, f'the config saved in {src} (meta.cfg)')


def build_generator(cfg: Config, state: dict, src: str, config_name: str) -> torch.nn.Module:
    """Build ``cfg.model.generator`` (no model-zoo start) and load ``state`` strictly.

    Args:
        cfg (Config): The training config.
        state (dict): The generator's weights.
        src (str): The checkpoint, for messages.
        config_name (str): The config's name, for messages.

    Returns:
        nn.Module: The generator on the CPU, in eval mode.
    """
    model_cfg = cfg.get('model')
    if not isinstance(model_cfg, dict) or not isinstance(model_cfg.get('generator'), dict):
        raise ValueError(f'{config_name} has no model.generator to build')
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    generator_cfg = copy.deepcopy(model_cfg['generator'])
    generator_cfg.pop('init_cfg', None)
    generator = MODELS.build(generator_cfg)
    load_network(generator, state, 'generator', src)
    return generator.eval()


def onnx_bytes(generator: torch.nn.Module, in_channels: int, opset: int) -> bytes:
    """``torch.onnx.export`` of a generator with dynamic batch, height and width.

    Args:
        generator (nn.Module): The generator, in eval mode.
        in_channels (int): Its input channels.
        opset (int): The ONNX opset.

    Returns:
        bytes: The serialised model.
    """
    example = torch.rand(1, in_channels, 16, 16)
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(
            generator,
            example,
            buffer,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {
                    0: 'batch',
                    2: 'height',
                    3: 'width'
                },
                OUTPUT_NAME: {
                    0: 'batch',
                    2: 'out_height',
                    3: 'out_width'
                }
            },
            opset_version=opset,
            do_constant_folding=True)
    return buffer.getvalue()


def export_metadata(cfg: Config, generator: torch.nn.Module, src: str, scale: int) -> dict:
    """What a deployer needs besides the graph, for the model's ``metadata_props``."""
    preprocessor = cfg.model.get('data_preprocessor') or {}
    metadata = dict(
        source=osp.basename(src),
        exported_by='mmssg',
        generator=type(generator).__name__,
        upscale_factor=str(scale))
    for key in ('mean', 'std'):
        if key in preprocessor:
            metadata[f'input_{key}'] = json.dumps([float(v) for v in preprocessor[key]])
    if 'output_channel_order' in preprocessor:
        metadata['channel_order'] = str(preprocessor['output_channel_order'])
    return metadata


def export_generator_onnx(src: str, dst: str, config: str = None, opset: int = ONNX_OPSET) -> dict:
    """Write the generator of a checkpoint as an ONNX model (see the module's docstring).

    Args:
        src (str): An SSG-RWSR training checkpoint (any launcher), or a generator-only one
            with ``config``.
        dst (str): Output ``.onnx`` path; must not be ``src`` (compared as real paths).
        config (str, optional): The training config. Defaults to the one saved in ``src``
            (``meta.cfg``, read as data).
        opset (int): ONNX opset. Defaults to :data:`ONNX_OPSET`.

    Returns:
        dict: ``opset``, ``input``, ``output``, ``upscale_factor``, ``generator`` (its
        class name) and ``metadata``.

    Raises:
        MissingPackageError: ``onnx`` is not installed.
        ValueError: ``dst`` is ``src``; ``src`` holds no generator weights; no config, or
            weights that do not fit its generator. Nothing is written then.
    """
    onnx = require_onnx()
    check_destination(src, dst)
    checkpoint, state = generator_weights(src, dst)
    if config is None:
        cfg, config_name = checkpoint_config(checkpoint, src), f'the config saved in {src}'
    else:
        cfg, config_name = Config.fromfile(config), config
    generator = build_generator(cfg, state, src, config_name)
    in_channels = cfg.model.generator.get('in_channels', 3)
    with torch.no_grad():
        scale = generator(torch.zeros(1, in_channels, 16, 16)).shape[-1] // 16
    model = onnx.load_from_string(onnx_bytes(generator, in_channels, opset))
    metadata = export_metadata(cfg, generator, src, scale)
    onnx.helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    with atomic_output(dst) as f:
        f.write(model.SerializeToString())
    return dict(
        opset=opset,
        input=INPUT_NAME,
        output=OUTPUT_NAME,
        upscale_factor=scale,
        generator=metadata['generator'],
        metadata=metadata)
