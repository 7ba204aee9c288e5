# Copyright (c) mmssg contributors. All rights reserved.
"""Write a generator-only checkpoint: python tools/export_generator.py CHECKPOINT OUT.pth

The result loads into MMagic's plain RRDBNet with mmengine's load_checkpoint, or into any
MMagic editor through generator.init_cfg=dict(type='Pretrained', checkpoint=OUT.pth).
"""
import argparse

from mmssg.apis import export_generator_checkpoint
from mmssg.utils import EXIT_OK, run_tool
from mmssg.utils.cli import add_trust_argument, apply_trust


def main(argv=None):
    """Export the generator of CHECKPOINT to OUT; returns the exit status."""
    parser = argparse.ArgumentParser(description='Export the SR generator of a checkpoint')
    parser.add_argument('checkpoint', help='SSG-RWSR training checkpoint')
    parser.add_argument('out', help='output .pth path')
    add_trust_argument(parser)
    args = apply_trust(parser.parse_args(argv))
    state = export_generator_checkpoint(args.checkpoint, args.out)
    print(f'wrote {len(state)} generator tensors to {args.out}')
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
