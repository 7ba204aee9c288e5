# Copyright (c) mmssg contributors. All rights reserved.
"""Mean Opinion Rank (MOR) study: rank SR outputs in a browser, then report the MOR.

    python tools/analysis/mor_study.py serve [NAME=]METHOD_DIR ... --study DB \
        [--lr LR_DIR] [--port 8000] [--host 127.0.0.1] [--seed S] [--check]
    python tools/analysis/mor_study.py serve --demo [WORK_DIR]
    python tools/analysis/mor_study.py report --study DB [--json FILE] [--markdown FILE]
    python tools/analysis/mor_study.py report --demo [WORK_DIR]

``serve`` shows each participant, image after image, the outputs of all methods side by
side in a shuffled order (per participant and image, no names), with the LR input for
reference and a synchronised zoom; the participant ranks them and submits. Method folders
are matched by relative path without suffix and only read. A method is named after its
folder unless given as ``NAME=DIR``. Answers go to the SQLite file ``--study``; serving an
existing file continues its study. ``--check`` checks the folders and the database and
exits without serving.

``report`` prints the MOR per method with a 95 % interval (bootstrap over participants and
images), the number of rankings and the pairwise preference matrix, and writes them as
Markdown and as JSON (the schema is in ``mmssg/evaluation/mor_study/report.py``; it is the MOR
column input of the paper-style tables). Defaults: ``<DB without suffix>.md`` and ``.json``.

``--demo [WORK_DIR]`` (default ``work_dirs/demo``) uses what ``make demo`` wrote: the LR
inputs under ``WORK_DIR/data/cityscapes/leftImg8bit/val/``, the SR outputs under
``WORK_DIR/sr/<method>/`` and the study in ``WORK_DIR/mor_study.sqlite``.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmssg.evaluation.mor_study import (StudyApp, StudyStore, collect_study_images, format_markdown,
                                        make_server, study_summary)
from mmssg.utils import check_outputs, exit_status, is_inside, run_tool, write_text_atomic

DEMO_WORK_DIR = 'work_dirs/demo'
DEMO_LR = osp.join('data', 'cityscapes', 'leftImg8bit', 'val')
DEMO_STUDY = 'mor_study.sqlite'
# The demo's SR output folders (under WORK_DIR/sr/) and the names the report gives them
DEMO_METHODS = {
    'bicubic': 'bicubic',
    'stand_ins': 'before joint training',
    'ssg_rwsr': 'SSG-RWSR',
    'adapted_only': 'adapted turns only',
    'guided_only': 'guided turns only',
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Mean Opinion Rank study of SR outputs')
    commands = parser.add_subparsers(dest='command', required=True)
    serve = commands.add_parser('serve', help='serve the ranking page')
    serve.add_argument(
        'methods',
        nargs='*',
        metavar='[NAME=]METHOD_DIR',
        help='one folder of SR outputs per method (at least two)')
    serve.add_argument('--lr', help='folder of the LR inputs, shown for reference')
    serve.add_argument(
        '--host',
        default='127.0.0.1',
        help='address to bind (default 127.0.0.1: this machine only)')
    serve.add_argument('--port', type=int, default=8000, help='TCP port (default 8000)')
    serve.add_argument(
        '--seed',
        type=int,
        default=None,
        help='seed of the shuffles of a new study (default: random)')
    serve.add_argument(
        '--check', action='store_true', help='check the folders and the study database, then exit')
    report = commands.add_parser('report', help='MOR, intervals and preferences')
    report.add_argument('--json', help='JSON output (default: <DB without suffix>.json)')
    report.add_argument('--markdown', help='Markdown output (default: <DB without suffix>.md)')
    report.add_argument('--bootstrap', type=int, default=2000, help='replicates (default 2000)')
    report.add_argument('--seed', type=int, default=0, help='seed of the bootstrap (default 0)')
    for command in (serve, report):
        command.add_argument('--study', help='the study database (SQLite file)')
        command.add_argument(
            '--demo',
            nargs='?',
            const=DEMO_WORK_DIR,
            metavar='WORK_DIR',
            help=f'the demo\'s outputs (WORK_DIR default {DEMO_WORK_DIR})')
    args = parser.parse_args(argv)
    if args.demo is not None and getattr(args, 'methods', None):
        parser.error('give either method folders or --demo, not both')
    if args.demo is not None:
        args.study = args.study or osp.join(args.demo, DEMO_STUDY)
    if not args.study:
        parser.error('--study DB (or --demo) is required')
    if args.command == 'serve' and not 0 <= args.port <= 65535:
        parser.error(f'--port {args.port}: expected a TCP port, 0-65535')
    return args


def demo_inputs(work_dir):
    """``({name: folder}, lr_folder)`` of the demo's outputs in ``work_dir``."""
    sr_root = osp.join(work_dir, 'sr')
    found = {
        name: osp.join(sr_root, folder)
        for folder, name in DEMO_METHODS.items() if osp.isdir(osp.join(sr_root, folder))
    }
    lr_dir = osp.join(work_dir, DEMO_LR)
    if len(found) < 2 or not osp.isdir(lr_dir):
        raise FileNotFoundError(
            f'the demo\'s outputs are missing in {work_dir}: the study needs {lr_dir} and at '
            f'least two of the folders {", ".join(DEMO_METHODS)} under {sr_root} (found '
            f'{len(found)}); run `make demo` first')
    return found, lr_dir


def method_folders(specs):
    """``{name: folder}`` from ``NAME=DIR`` or ``DIR`` (named after the folder)."""
    folders = {}
    for spec in specs:
        name, sep, folder = spec.partition('=')
        if not sep:
            name, folder = osp.basename(osp.normpath(spec)), spec
        if name in folders:
            raise ValueError(f'two methods are named {name!r} ({folders[name]} and {folder}): '
                             'name them with NAME=DIR')
        folders[name] = folder
    return folders


def serve(args):
    if args.demo is not None:
        folders, lr_dir = demo_inputs(args.demo)
    else:
        folders, lr_dir = method_folders(args.methods), args.lr
    for name, folder in [*folders.items(), ('--lr', lr_dir)]:
        if folder and is_inside(args.study, folder):
            raise ValueError(f'--study {args.study} lies inside the images of {name} ({folder}); '
                             'the study only reads them: put the database elsewhere')
    study_images = collect_study_images(folders, lr_dir)
    for reason in study_images.skipped:
        print(f'warning: skipped {reason}', file=sys.stderr)
    store = StudyStore.open_or_create(args.study, study_images.methods, study_images.images,
                                      args.seed)
    answers = store.answers()
    print(
        f'study {args.study}: {len(store.images)} images x {len(store.methods)} methods '
        f'({", ".join(store.methods)}); {len(answers)} answers from '
        f'{len({row["participant"] for row in answers})} participants so far',
        flush=True)
    if not args.check:
        server = make_server(StudyApp(store, study_images), args.host, args.port)
        host, port = server.server_address[:2]
        print(
            f'serving at http://{host}:{port}/ (Ctrl-C stops; every answer is saved '
            'when submitted)',
            flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print('stopped')
        finally:
            server.server_close()
    if study_images.skipped:
        print(f'{len(study_images.skipped)} file(s) skipped (listed above)')
    return exit_status(len(study_images.skipped))


def report(args):
    store = StudyStore.open(args.study)
    summary = study_summary(store, args.bootstrap, args.seed)
    markdown = format_markdown(summary)
    stem = osp.splitext(args.study)[0]
    json_path, markdown_path = args.json or stem + '.json', args.markdown or stem + '.md'
    outputs = {json_path: json.dumps(summary, indent=2) + '\n', markdown_path: markdown}
    check_outputs({'--json': json_path, '--markdown': markdown_path}, [args.study])
    for path, text in outputs.items():
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        write_text_atomic(path, text)
    print(markdown)
    print(f'wrote {" and ".join(outputs)}')
    return 0


def main(argv=None):
    args = parse_args(argv)
    return serve(args) if args.command == 'serve' else report(args)


if __name__ == '__main__':
    run_tool(main)
