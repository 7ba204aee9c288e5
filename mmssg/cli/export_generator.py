# Copyright (c) mmssg contributors. All rights reserved.
"""Write the generator of a checkpoint on its own, in the format of where it is deployed.

    python tools/export_generator.py CHECKPOINT OUT.pth                    # MMagic (default)
    python tools/export_generator.py CHECKPOINT OUT.pth --format basicsr   # BasicSR/Real-ESRGAN
    python tools/export_generator.py CHECKPOINT OUT.onnx --format onnx [--config CONFIG]

``mmagic``: ``{'state_dict': ...}`` that MMagic's RRDBNet loads with mmengine's
load_checkpoint, or any MMagic editor through generator.init_cfg=dict(type='Pretrained',
checkpoint=OUT.pth). ``basicsr``: ``{'params_ema': ..., 'params': ...}`` with BasicSR's
RRDBNet key names (RRDBNet generators only). ``onnx``: the generator built from the training
config (``--config``, else the config mmengine saved in the checkpoint), dynamic batch,
height and width; needs ``pip install -r requirements/optional.txt``. docs/deploy.md has the
details.
"""
import argparse

from mmssg.apis import export_generator_basicsr, export_generator_checkpoint, export_generator_onnx
from mmssg.apis.export_basicsr import basicsr_constructor
from mmssg.apis.export_onnx import ONNX_OPSET
from mmssg.utils import EXIT_OK, run_tool
from mmssg.utils.cli import add_trust_argument, apply_trust

FORMATS = ('mmagic', 'basicsr', 'onnx')


def parse_args(argv=None) -> argparse.Namespace:
    """The command line (``--config`` and ``--opset`` only with ``--format onnx``)."""
    parser = argparse.ArgumentParser(description='Export the SR generator of a checkpoint')
    parser.add_argument('checkpoint', help='SSG-RWSR training checkpoint')
    parser.add_argument('out', help='output file (.pth, or .onnx for --format onnx)')
    parser.add_argument(
        '--format',
        choices=FORMATS,
        default='mmagic',
        help='mmagic: state dict for MMagic\'s networks (default); basicsr: params_ema/params '
        'for BasicSR and Real-ESRGAN (RRDBNet only); onnx: ONNX model (needs onnx: pip install '
        '-r requirements/optional.txt)')
    parser.add_argument(
        '--config',
        help='--format onnx: the training config whose model.generator is built (default: the '
        'config mmengine saved in the checkpoint, meta.cfg)')
    parser.add_argument(
        '--opset',
        type=int,
        default=None,
        help=f'--format onnx: ONNX opset (default: {ONNX_OPSET})')
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    if args.format != 'onnx':
        for option in ('config', 'opset'):
            if getattr(args, option) is not None:
                parser.error(f'--{option} is used by --format onnx only, not --format '
                             f'{args.format}')
    return apply_trust(args)


def main(argv=None):
    """Export the generator of CHECKPOINT to OUT; returns the exit status."""
    args = parse_args(argv)
    if args.format == 'mmagic':
        state = export_generator_checkpoint(args.checkpoint, args.out)
        print(f'wrote {len(state)} generator tensors to {args.out}')
    elif args.format == 'basicsr':
        result = export_generator_basicsr(args.checkpoint, args.out)
        print(f'wrote {len(result["state"])} generator tensors (params_ema, params) to '
              f'{args.out}; BasicSR network: {basicsr_constructor(result["arch"])}')
    else:
        opset = ONNX_OPSET if args.opset is None else args.opset
        result = export_generator_onnx(args.checkpoint, args.out, args.config, opset)
        print(f'wrote the {result["generator"]} generator (x{result["upscale_factor"]}) to '
              f'{args.out}: ONNX opset {result["opset"]}, input "{result["input"]}" and output '
              f'"{result["output"]}" (N x C x H x W float32, dynamic batch, height and width)')
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
