# Copyright (c) mmssg contributors. All rights reserved.
"""What the demo reports: its rows and tables, the colour errors, the kernel pool beside the
hidden camera, and the README block they are written into."""
import glob
import os.path as osp
from typing import Dict, List

import numpy as np

from mmssg.degradation.functional import kernel_sigmas
from mmssg.utils import atomic_output, load_json

# The rows: folder names under sr/ and results/ -> the names the tables give them.
ROWS = {
    'bicubic': 'bicubic',
    'stand_ins': 'before joint training',
    'adapted_only': 'adapted turns only',
    'guided_only': 'guided turns only',
    'ssg_rwsr': 'SSG-RWSR'
}
TABLE3_TITLE = 'Table 3 layout: the demo\'s real-LR val images against their hidden HR renders'
TABLE4_TITLE = ('Table 4 layout: what each turn adds (same start; every run makes the same '
                'number of turns of each of its kinds)')
# table -> (rows, metric columns, title)
TABLES = {
    'table3': (['bicubic', 'stand_ins',
                'ssg_rwsr'], ['PSNR', 'SSIM', 'LPIPS', 'DISTS', 'NIQE', 'SR/mIoU',
                              'ColourShift'], TABLE3_TITLE),
    'table4': (['stand_ins', 'adapted_only', 'guided_only',
                'ssg_rwsr'], ['PSNR', 'SSIM', 'LPIPS', 'SR/mIoU', 'ColourShift'], TABLE4_TITLE),
}
FOOTNOTES = (
    'mIoU on SR: the checkpoint\'s own segmentor on the upscaled image (the jointly trained one '
    'for bicubic and the rows after joint training, the stand-in for the row before it; the '
    'adapted-only run leaves the stand-in segmentor untouched). Colour shift: the largest mean '
    'error of one colour channel against HR, in grey levels.')
README_BEGIN, README_END = '<!-- demo-results:begin -->', '<!-- demo-results:end -->'
# the pseudo-label run's block (tools/demo.py --pseudo-labels --readme), in this page
PSEUDO_PAGE = 'docs/own_camera.md'
PSEUDO_BEGIN, PSEUDO_END = '<!-- demo-pseudo-labels:begin -->', '<!-- demo-pseudo-labels:end -->'


def colour_report(results: Dict[str, str]) -> str:
    """One line per row: the mean colour error of each channel against HR.

    Args:
        results (dict): ``{row: results file of tools/test.py}``.
    """
    lines = ['Mean colour error against HR (R, G, B), grey levels:']
    for slug, path in results.items():
        metrics = load_json(path)['metrics']
        lines.append(f'- {ROWS[slug]}: ' + ', '.join(f'{metrics[f"ColourShift/{c}"]:+.1f}'
                                                     for c in 'RGB'))
    return '\n'.join(lines)


def kernel_report(kernel_pool: str, camera_json: str) -> str:
    """The estimated kernels' mean widths next to the hidden camera's (for reporting only)."""
    estimated = np.array(
        [kernel_sigmas(np.load(p)) for p in sorted(glob.glob(osp.join(kernel_pool, '*.npy')))])
    true = kernel_sigmas(np.array(load_json(camera_json)['kernel_hr']))
    return (f'Kernel pool (x4): sigma minor/major {estimated[:, 0].mean():.2f}/'
            f'{estimated[:, 1].mean():.2f} HR px on average; the hidden camera\'s blur: '
            f'{true[0]:.2f}/{true[1]:.2f}')


def results_text(tables: List[str], results: Dict[str, str], kernel_pool: str,
                 camera_json: str) -> str:
    """The demo's report: the tables, their footnotes, colour errors and kernel widths."""
    return '\n\n'.join(
        tables +
        [FOOTNOTES, colour_report(results),
         kernel_report(kernel_pool, camera_json)])


def write_readme(readme: str, text: str, begin: str = README_BEGIN, end: str = README_END) -> None:
    """Replace the block between a file's marker lines (the README's demo-results markers by
    default) with ``text``.

    Raises:
        ValueError: The file does not hold each marker line exactly once.
    """
    with open(readme) as f:
        content = f.read()
    if content.count(begin) != 1 or content.count(end) != 1:
        raise ValueError(f'{readme} needs one line {begin} and one line {end}')
    head, rest = content.split(begin)
    _, tail = rest.split(end)
    with atomic_output(readme, 'w') as f:
        f.write(f'{head}{begin}\n{text}\n{end}{tail}')
