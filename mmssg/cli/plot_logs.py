# Copyright (c) mmssg contributors. All rights reserved.
"""Plot a training run's losses and validation metrics to a PNG.

    python tools/analysis/plot_logs.py WORK_DIR [--out curves.png] [--keys KEY ...]

Reads the scalars mmengine's ``LocalVisBackend`` writes (``WORK_DIR/<time>/vis_data/
scalars.json``, the newest run when WORK_DIR holds several; or that file itself). The first
panel shows the two turns' losses against the iteration (``guided_loss``, ``adapted_loss``
and their terms, from ``JointTrainLoop``'s log), the second the validation metrics (the lines
of the file without a training loss), each metric on its own scale. ``--keys`` picks other
keys of the file. A last line that is not JSON (a run killed while writing it) is left out and
named, and the exit status is then 3; any other line that is not a JSON object is an error.
"""
import argparse
import glob
import io
import json
import math
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import matplotlib

from mmssg.utils import atomic_output, check_outputs, exit_status, run_tool

matplotlib.use('Agg')  # files only, no display

# what the losses panel shows by default: the two turns' losses and their terms
LOSS_PREFIXES = ('guided_', 'adapted_')
# keys of a log line that are neither losses nor metrics (and learning rates: '<net>.lr')
BOOKKEEPING = ('iter', 'step', 'epoch', 'time', 'data_time', 'memory', 'lr')


def find_scalars(path: str) -> str:
    """``path`` if it is a scalars file, else the newest run's under the work dir ``path``."""
    if osp.isfile(path):
        return path
    runs = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {path} (a work dir of '
                                'tools/train.py with the LocalVisBackend)')
    return runs[-1]


def read_scalars(path: str,
                 skipped: Optional[List[str]] = None) -> Tuple[Dict[str, List], Dict[str, List]]:
    """The training and the validation series of a scalars file.

    Args:
        path (str): The ``scalars.json`` file (one JSON object a line).
        skipped (list, optional): Given, a last line that is not JSON (a run stopped while
            writing it) is left out and named here; else it is an error, as any other is.

    Returns:
        tuple[dict, dict]: ``{key: [(step, value), ...]}`` of the training lines (those
        with a loss) and of the other lines (validation), finite numbers only.
    """
    training, validation = {}, {}
    with open(path) as f:
        lines = f.read().splitlines()
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError as error:
            if number == len(lines) and skipped is not None:  # a run stopped mid-write
                skipped.append(f'{path}, line {number}: not JSON ({error}), left out')
                break
            raise ValueError(f'{path}, line {number}: not JSON ({error})') from None
        if not isinstance(entry, dict):
            raise ValueError(f'{path}, line {number}: expected a JSON object, got '
                             f'{type(entry).__name__}')
        series = training if any('loss' in key for key in entry) else validation
        step = entry.get('step', entry.get('iter'))
        for key, value in entry.items():
            if key in BOOKKEEPING or key.endswith('.lr') or step is None:
                continue
            if isinstance(value, (int, float)) and math.isfinite(value):
                series.setdefault(key, []).append((step, value))
    return training, validation


def loss_keys(training: Dict[str, List], keys: Optional[List[str]]) -> List[str]:
    if keys:
        missing = [key for key in keys if key not in training]
        if missing:
            raise KeyError(f'--keys {missing} not in the log (it has {sorted(training)})')
        return keys
    return sorted(key for key in training if key.startswith(LOSS_PREFIXES) and 'loss' in key)


def draw(training, validation, keys, title) -> bytes:
    """The figure as PNG bytes: losses on a log scale, then each validation metric."""
    import matplotlib.pyplot as plt
    panels = 1 + bool(validation)
    figure, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    for key in keys:
        steps, values = zip(*training[key])
        axes[0][0].plot(steps, values, label=key)
    axes[0][0].set(xlabel='iteration', ylabel='loss', yscale='log', title=title)
    axes[0][0].legend(fontsize=7)
    if validation:
        for key, points in sorted(validation.items()):
            steps, values = zip(*points)
            axes[0][1].plot(steps, values, marker='o', label=key)
        axes[0][1].set(xlabel='iteration', title='validation')
        axes[0][1].legend(fontsize=7)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format='png', dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Plot the losses and validation metrics of a '
                                     'training run')
    parser.add_argument('work_dir', help='a work dir of tools/train.py, or its scalars.json')
    parser.add_argument('--out', help='output PNG (default: WORK_DIR/curves.png)')
    parser.add_argument('--keys', nargs='+', help='training keys to plot (default: the losses)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    path = find_scalars(args.work_dir)
    skipped = []
    training, validation = read_scalars(path, skipped)
    for line in skipped:
        print(f'skipped {line}', file=sys.stderr)
    keys = loss_keys(training, args.keys)
    if not keys:
        raise ValueError(f'{path} holds no guided_* or adapted_* losses; name the keys to plot '
                         f'with --keys (it has {sorted(training)})')
    out = args.out or osp.join(
        args.work_dir if osp.isdir(args.work_dir) else osp.dirname(path), 'curves.png')
    check_outputs({'--out': out}, [path])
    with atomic_output(out) as f:
        run = osp.dirname(osp.dirname(osp.dirname(osp.abspath(path))))  # WORK_DIR/<time>/...
        f.write(draw(training, validation, keys, osp.basename(run)))
    print(f'wrote {out} ({len(keys)} losses, {len(validation)} validation metrics)')
    return exit_status(len(skipped))


if __name__ == '__main__':
    run_tool(main)
