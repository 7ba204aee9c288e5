# Copyright (c) mmssg contributors. All rights reserved.
r"""Tables in the layout of the paper's Tables 1-4 from the results files of tools/test.py.

    python tools/analysis/make_tables.py --table 3 \
        --result Bicubic=results/bicubic.json --result Ours=results/ssg_rwsr.json \
        --out-md table3.md --out-csv table3.csv
    python tools/analysis/make_tables.py --table 1 results/*.json --mor mor_study.json

Inputs are the files ``tools/test.py CONFIG [CHECKPOINT] --out FILE`` writes: the metrics
of one method on one dataset, with the dataset, the image count and which metrics ran
with random network weights. A row's name is NAME in ``--result NAME=FILE``, otherwise
the ``method`` recorded in the file (``tools/test.py --method-name``). Every file must
come from the same dataset (same dataset type, root and folders) and hold every metric
of the table; otherwise the tool stops and names the file and what differs or is missing.

Tables (``--table``), or any metrics with ``--columns KEY[:up|:down] ...``:

    1, 2  NIMA ↑, Meta-IQA ↑, MOR ↓   (real Cityscapes / IDD val, whole frames)
    3     PSNR ↑, SSIM ↑, LPIPS ↓, DISTS ↓   (synthetic Cityscapes val)
    4     NIMA ↑, Meta-IQA ↑   (the ablation on real Cityscapes val)

The best value of each column is in bold. A metric computed with random network weights
(its published weights were not available) is marked with ``*``: such a column compares
the rows with each other, never with published figures. The MOR column comes from
``--mor`` (the MOR study's result file); without it, or for a method the study did not
rank, it shows "-", as the paper does for its unranked rows.
"""
import argparse
import csv
import io
import json
import math

from mmssg.utils import check_outputs, load_json, write_text_atomic
from mmssg.utils.cli import EXIT_OK, run_tool

UP, DOWN = 'up', 'down'
ARROWS = {UP: '↑', DOWN: '↓'}
# result key -> (column title, better direction, format)
KNOWN_METRICS = {
    'PSNR': ('PSNR', UP, '{:.2f}'),
    'SSIM': ('SSIM', UP, '{:.3f}'),
    'LPIPS': ('LPIPS', DOWN, '{:.4f}'),
    'DISTS': ('DISTS', DOWN, '{:.4f}'),
    'NIMA': ('NIMA', UP, '{:.2f}'),
    'MetaIQA': ('Meta-IQA', UP, '{:.3f}'),
    'NIQE': ('NIQE', DOWN, '{:.2f}'),
    'SR/mIoU': ('mIoU on SR', UP, '{:.1f}'),
    'ColourShift': ('colour shift', DOWN, '{:.1f}'),
    'MOR': ('MOR', DOWN, '{:.2f}'),
}
TABLES = {
    '1':
    ('Table 1 layout: real LR images (Cityscapes val, whole frames)', ['NIMA', 'MetaIQA', 'MOR']),
    '2':
    ('Table 2 layout: real LR images (IDD val, 1280x720, whole frames)', ['NIMA', 'MetaIQA',
                                                                          'MOR']),
    '3':
    ('Table 3 layout: synthesized LR images (Cityscapes val)', ['PSNR', 'SSIM', 'LPIPS', 'DISTS']),
    '4': ('Table 4 layout: ablation (Cityscapes val)', ['NIMA', 'MetaIQA']),
}
RESULT_KEYS = ('metrics', 'dataset', 'method')
RANDOM_NOTE = ('\\* computed with random network weights (the published weights were not '
               'available): comparable between these rows only, never with published figures.')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'files',
        nargs='*',
        metavar='FILE',
        help='results files of tools/test.py --out; rows named by their '
        '"method" (tools/test.py --method-name)')
    parser.add_argument(
        '--result',
        action='append',
        default=[],
        metavar='NAME=FILE',
        help='a results file and its row name (repeat; rows keep this order, '
        'after the positional FILEs)')
    table = parser.add_mutually_exclusive_group(required=True)
    table.add_argument('--table', choices=sorted(TABLES), help='the paper table to lay out')
    table.add_argument(
        '--columns',
        nargs='+',
        metavar='KEY[:up|:down]',
        help='metric keys of the results files as columns; the direction may '
        f'be omitted for {", ".join(KNOWN_METRICS)}')
    parser.add_argument(
        '--mor',
        metavar='MOR.json',
        help='result file of the MOR study: {"methods": {NAME: {"mor": x, '
        '...}}, "lower_is_better": true}')
    parser.add_argument('--title', help='caption (default: the table layout and dataset)')
    parser.add_argument('--out-md', help='write the Markdown table here')
    parser.add_argument('--out-csv', help='write the CSV table here (full precision)')
    return parser.parse_args(argv)


def column_specs(args):
    """[(key, title, direction, format)] of the requested columns."""
    keys = TABLES[args.table][1] if args.table else args.columns
    specs = []
    for item in keys:
        key, _, direction = item.partition(':')
        if direction and direction not in ARROWS:
            raise ValueError(f'--columns {item}: the direction must be "up" or "down"')
        if key not in KNOWN_METRICS and not direction:
            raise ValueError(f'--columns {item}: say whether higher or lower is better '
                             f'({key}:up or {key}:down); known metrics: '
                             f'{", ".join(KNOWN_METRICS)}')
        title, known_direction, fmt = KNOWN_METRICS.get(key, (key, direction, '{:.4g}'))
        specs.append((key, title, direction or known_direction, fmt))
    return specs


def load_results(files, named):
    """[(row name, path, results)] for positional files and NAME=FILE pairs, in order."""
    entries = [(None, path) for path in files]
    for item in named:
        name, sep, path = item.partition('=')
        if not sep or not name or not path:
            raise ValueError(f'--result {item!r}: expected NAME=FILE')
        entries.append((name, path))
    if not entries:
        raise ValueError('no results files given (FILE ... or --result NAME=FILE)')
    rows, seen = [], {}
    for name, path in entries:
        results = load_json(path)
        missing = [k for k in RESULT_KEYS if not isinstance(results, dict) or k not in results]
        if missing:
            raise ValueError(f'{path} is not a results file of tools/test.py --out (no '
                             f'{", ".join(missing)}); rerun tools/test.py with --out')
        name = name or results['method']
        if name in seen:
            raise ValueError(f'two rows named {name!r}: {seen[name]} and {path}; name them '
                             'with --result NAME=FILE')
        seen[name] = path
        rows.append((name, path, results))
    return rows


def check_comparable(rows, specs):
    """Same dataset everywhere, every metric present, no column mixing random and real weights."""
    ref_name, ref_path, ref = rows[0]
    for _, path, results in rows[1:]:
        if results['dataset'] != ref['dataset']:
            raise ValueError(f'{path} was scored on a different dataset than {ref_path}: '
                             f'{json.dumps(results["dataset"])} vs {json.dumps(ref["dataset"])}')
    problems = []
    for _, path, results in rows:
        missing = [key for key, *_ in specs if key != 'MOR' and key not in results['metrics']]
        if missing:
            problems.append(f'{path} lacks {", ".join(missing)} (has '
                            f'{", ".join(sorted(results["metrics"])) or "no metrics"})')
    if problems:
        raise KeyError('missing metrics: ' + '; '.join(problems))
    random = set()
    for key, *_ in specs:
        kinds = {path: random_weights(results, key) for _, path, results in rows}
        if len(set(kinds.values())) > 1:
            raise ValueError(f'{key} was computed with random network weights in some files and '
                             'with the published weights in others; the values do not compare: ' +
                             ', '.join(f'{path} ({"random" if is_random else "published"})'
                                       for path, is_random in kinds.items()))
        if all(kinds.values()):
            random.add(key)
    return random


def random_weights(results, key):
    """Whether a results file computed ``key`` with random network weights."""
    return key in results.get('random_weights_metrics', [])


def load_mor(path, names):
    """{row name: MOR} from the MOR study's result file, and whether lower is better."""
    study = load_json(path)
    methods = study.get('methods') if isinstance(study, dict) else None
    if not isinstance(methods, dict):
        raise ValueError(f'{path} is not a MOR study result: no "methods" mapping')
    unknown = sorted(set(methods) - set(names))
    if unknown:
        raise ValueError(f'{path} ranks methods that are not rows of this table: '
                         f'{", ".join(unknown)}; rows: {", ".join(names)}')
    try:
        values = {name: float(entry['mor']) for name, entry in methods.items()}
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f'{path}: every method needs a numeric "mor" ({error})') from None
    return values, bool(study.get('lower_is_better', True))


def build_table(rows, specs, mor=None, mor_lower_is_better=True):
    """The table as (header cells, rows of values), values None where unknown."""
    values = []
    for name, path, results in rows:
        row = []
        for key, *_ in specs:
            value = (mor or {}).get(name) if key == 'MOR' else results['metrics'][key]
            if value is not None and not isinstance(value, (int, float)):
                raise ValueError(f'{path}: metric {key} is {value!r}, not a number')
            row.append(None if value is None or not math.isfinite(value) else float(value))
        values.append(row)
    specs = [(k, t, (DOWN if mor_lower_is_better else UP) if k == 'MOR' else d, f)
             for k, t, d, f in specs]
    return specs, values


def best_values(specs, values):
    """The best value of each column (None for a column without values)."""
    best = []
    for col, (_, _, direction, _) in enumerate(specs):
        column = [row[col] for row in values if row[col] is not None]
        best.append((max if direction == UP else min)(column) if column else None)
    return best


def header_cells(specs, random):
    return [
        f'{title}{"*" if key in random else ""} {ARROWS[direction]}'
        for key, title, direction, _ in specs
    ]


def to_markdown(names, specs, values, random, caption):
    best = best_values(specs, values)
    lines = [
        caption, '', '| Method | ' + ' | '.join(header_cells(specs, random)) + ' |',
        '|---|' + '---|' * len(specs)
    ]
    for name, row in zip(names, values):
        cells = []
        for value, top, (_, _, _, fmt) in zip(row, best, specs):
            text = '-' if value is None else fmt.format(value)
            cells.append(f'**{text}**' if value is not None and value == top else text)
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    if random:
        lines += ['', RANDOM_NOTE]
    return '\n'.join(lines) + '\n'


def to_csv(names, specs, values, random):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(['Method'] + header_cells(specs, random))
    for name, row in zip(names, values):
        writer.writerow([name] + ['' if v is None else repr(v) for v in row])
    return buffer.getvalue()


def write_outputs(args, rows, markdown, csv_text):
    """Write the tables asked for; refuses a path that is an input or both tables."""
    inputs = [path for _, path, _ in rows] + ([args.mor] if args.mor else [])
    check_outputs({'--out-md': args.out_md, '--out-csv': args.out_csv}, inputs)
    for path, text in ((args.out_md, markdown), (args.out_csv, csv_text)):
        if path:
            write_text_atomic(path, text)
            print(f'wrote {path}')


def main(argv=None) -> int:
    args = parse_args(argv)
    specs = column_specs(args)
    rows = load_results(args.files, args.result)
    random = check_comparable(rows, specs)
    names = [name for name, _, _ in rows]
    mor, lower = load_mor(args.mor, names) if args.mor else (None, True)
    specs, values = build_table(rows, specs, mor, lower)
    dataset, count = rows[0][2]['dataset'], rows[0][2].get('num_images')
    where = '/'.join(
        str(part)
        for part in (dataset.get('data_root'), dataset.get('data_prefix', {}).get('img_path'))
        if part) or dataset.get('type')
    caption = args.title or (f'{TABLES[args.table][0] if args.table else "Results"}; {where}' +
                             (f', {count} images' if count else ''))
    markdown = to_markdown(names, specs, values, random, caption)
    csv_text = to_csv(names, specs, values, random)
    print(markdown)
    write_outputs(args, rows, markdown, csv_text)
    return EXIT_OK


if __name__ == '__main__':
    run_tool(main)
