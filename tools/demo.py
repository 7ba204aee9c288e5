# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job: the whole SSG-RWSR pipeline on generated data, on a CPU.

    python tools/demo.py [--work-dir work_dirs/demo] [--fresh] [--readme README.md]

Stages, each reusing what an earlier run left in the work directory when it is newer than
everything it was made from (so a rebuilt pool or stand-in is never followed by stale results):

1. demo data: street scenes in Cityscapes layout seen through a hidden camera (the real LR
   domain, with labels) and clean HR images (the DF2K stand-in)
2. noise-patch pool from the real LR training images (Eq. 2-4)
3. kernel pool from the real LR training images
4. model-zoo stand-ins: MMagic's BaseEditModel trains the generator on bicubic pairs,
   MMSegmentation's EncoderDecoder trains the segmentor on the real LR images
5. joint training, ``tools/train.py configs/ssg_rwsr_x4_demo.py``, three times from the same
   start: both turns (SSG-RWSR), adapted turns only and guided turns only (Table 4); and
   ``tools/test.py`` on the real-LR val split against its hidden clean HR renders, for every
   row (bicubic, the stand-ins, the three trained models), saving the SR images
6. ``tools/inference.py`` on the real-LR val images (no segmentor), checked against step 5
7. the paper-style tables (``tools/analysis/make_tables.py``) and a figure of zoomed crops
   (``tools/analysis/compare_crops.py``)

Every file goes under the work directory (``--readme`` also rewrites the README's results
block). Stages 4 and 5 run their tools as one-thread processes side by side, ``--jobs`` at
a time (their logs go to ``logs/``), which keeps every core busy with the small networks'
work and fixes each run's arithmetic whatever the number of cores. The other stages run
their tools in this process.
"""
import argparse
import glob
import json
import os
import os.path as osp
import runpy
import shutil
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_demo.py')
PRETRAIN_GENERATOR = osp.join(REPO_ROOT, 'configs', 'demo', 'pretrain_generator_bicubic.py')
PRETRAIN_SEGMENTOR = osp.join(REPO_ROOT, 'configs', 'demo', 'pretrain_segmentor.py')
TABLE4_TEST = osp.join(REPO_ROOT, 'configs', 'demo', 'test_table4_rows.py')

# The job's size: (full, --quick) settings; the quick one is the smallest that still runs
# every stage (at 128x64 no noise patch passes Eq. 2-4). Paths, patch sizes and the scale
# are the demo config's; the full job's numbers of steps and turns are the configs' own
# (:func:`config_schedule`).
SIZES = {
    'full':
    dict(num_train=32, num_val=8, num_clean=24, lr_size=(256, 128), figure_rows=3),
    'quick':
    dict(
        num_train=8,  # the kernel pool's least (MIN_POOLED_IMAGES)
        num_val=2,
        num_clean=3,
        lr_size=(192, 96),
        generator_iters=4,
        segmentor_iters=4,
        joint_turns=2,
        figure_rows=2),
}
# The rows (folder names under sr/ and results/ -> row names), the three joint-training
# runs with their turns, and the two tables. Every joint run makes the same number of turns
# of each of its kinds (``joint_turns``): the full run is the two ablations' turns together,
# so Table 4 shows what adding the other kind of turn gives, at the cost of those turns.
ROWS = {
    'bicubic': 'bicubic',
    'stand_ins': 'before joint training',
    'adapted_only': 'adapted turns only',
    'guided_only': 'guided turns only',
    'ssg_rwsr': 'SSG-RWSR'
}
JOINT_RUNS = {
    'ssg_rwsr': ['guided', 'adapted'],
    'adapted_only': ['adapted'],
    'guided_only': ['guided']
}
TABLE3_TITLE = 'Table 3 layout: the demo\'s real-LR val images against their hidden HR renders'
TABLE4_TITLE = ('Table 4 layout: what each turn adds (same start; every run makes the same '
                'number of turns of each of its kinds)')
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run the SSG-RWSR demo pipeline end to end')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/demo',
        help='where everything is written (default: work_dirs/demo)')
    parser.add_argument(
        '--fresh',
        action='store_true',
        help='delete what an earlier run left in the work dir and start over')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='the smallest size (a few images and iterations), for tests')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--jobs',
        type=int,
        default=os.cpu_count() or 1,
        help='how many training and test processes run at once, one thread each '
        '(default: the number of cores)')
    parser.add_argument(
        '--readme',
        help='also write the results into this README, between '
        f'the lines {README_BEGIN} and {README_END}')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be at least 1, got {args.jobs}')
    return args


def run_tool(name, argv):
    """Run ``tools/<name>``'s ``main(argv)`` in this process; stop the demo if it fails."""
    status = runpy.run_path(osp.join(REPO_ROOT, 'tools', *name.split('/')))['main'](argv)
    if status:
        raise SystemExit(f'tools/{name} ended with exit status {status}; see its output above')


def read_json(path):
    with open(path) as f:
        return json.load(f)


class Stages:
    """Prints numbered stage headers with their durations."""

    def __init__(self, total):
        self.total, self.index = total, 0

    def run(self, title, stage):
        """Run ``stage()`` under a header; it returns a note (or a (value, note) pair)."""
        self.index += 1
        start = time.time()
        print(f'\n=== [{self.index}/{self.total}] {title}', flush=True)
        result = stage()
        value, note = result if isinstance(result, tuple) else (None, result)
        print(
            f'=== [{self.index}/{self.total}] done in {time.time() - start:.0f} s'
            f'{"  (" + note + ")" if note else ""}',
            flush=True)
        return value


def up_to_date(target, *sources):
    """Whether ``target`` exists and was written after every one of ``sources``."""
    return osp.exists(target) and all(osp.getmtime(target) >= osp.getmtime(s) for s in sources)


def load_demo_config(work):
    """The demo config with its root set to ``work`` (every path the stages use)."""
    from mmengine.config import Config
    os.environ['MMSSG_DEMO_ROOT'] = work  # read by the demo configs
    return Config.fromfile(DEMO_CONFIG)


def config_schedule(cfg):
    """The full job's steps and turns, as the configs spell them out (``train_cfg.max_iters``).

    Args:
        cfg (Config): The demo config (:func:`load_demo_config`).

    Returns:
        dict: ``generator_iters`` and ``segmentor_iters`` (the stand-ins' steps) and
        ``joint_turns`` (turns of each kind of the full joint run, and so of each ablation).
    """
    from mmengine.config import Config
    iters, kinds = cfg.train_cfg.max_iters, len(cfg.train_cfg.turns)
    if iters % kinds:
        raise ValueError(f'{DEMO_CONFIG}: train_cfg.max_iters={iters} is not a whole number '
                         f'of turns of each of its kinds {cfg.train_cfg.turns}')
    return dict(
        generator_iters=Config.fromfile(PRETRAIN_GENERATOR).train_cfg.max_iters,
        segmentor_iters=Config.fromfile(PRETRAIN_SEGMENTOR).train_cfg.max_iters,
        joint_turns=iters // kinds)


def make_data(cfg, size, seed):
    """Stage 1: the demo data (reused by the tool when complete)."""
    run_tool('data/make_demo_data.py', [
        cfg.demo_data, '--seed',
        str(seed), '--num-train',
        str(size['num_train']), '--num-val',
        str(size['num_val']), '--num-clean',
        str(size['num_clean']), '--lr-size', *map(str, size['lr_size']), '--workers',
        str(os.cpu_count() or 1)
    ])
    return ''


def make_noise_pool(cfg, train_images, data_summary):
    """Stage 2: the noise-patch pool (Eq. 2-4) from the real LR training images."""
    summary_path = osp.join(cfg.noise_pool, 'summary.json')
    if up_to_date(summary_path, data_summary):
        return f'reusing {cfg.noise_pool}'
    shutil.rmtree(cfg.noise_pool, ignore_errors=True)  # no patches of older data mixed in
    windows = cfg.noise_windows
    run_tool('data/collect_noise_patches.py', [
        train_images, cfg.noise_pool, '--patch-size',
        str(windows.patch_size), '--sub-size',
        str(windows.sub_size), '--stride',
        str(windows.stride), '--workers', '2'
    ])
    kept = read_json(summary_path)['patches_kept']
    if not kept:
        raise SystemExit(f'no noise patches passed Eq. 2-4 in {train_images}')
    return f'{kept} patches'


def pool_matches(summary_path, method, scale):
    """Whether a kernel pool's summary records ``method`` and ``scale`` and, for the spectral
    methods, this version's fit settings (an earlier model or tile gives other kernels)."""
    from mmssg.degradation.spectral_kernels import fit_settings
    wanted = dict(method=method, scale=scale)
    if method != 'kernelgan':
        wanted.update(fit_settings(scale))
    settings = read_json(summary_path).get('settings', {})
    return all(settings.get(key) == value for key, value in wanted.items())


def make_kernel_pool(cfg, train_images, data_summary):
    """Stage 3: the kernel pool from the real LR training images.

    The estimator is the config's ``kernel_method``: a pool made by another one, or with
    other settings (an earlier demo version's), is made again, never reused.
    """
    summary = osp.join(cfg.kernel_pool, 'summary.json')
    if up_to_date(summary, data_summary) and pool_matches(summary, cfg.kernel_method, cfg.scale):
        return f'reusing {cfg.kernel_pool}'
    shutil.rmtree(cfg.kernel_pool, ignore_errors=True)
    run_tool(
        'data/estimate_kernels.py',
        [train_images, cfg.kernel_pool, '--scale',
         str(cfg.scale), '--method', cfg.kernel_method])
    return f'{len(glob.glob(osp.join(cfg.kernel_pool, "*.npy")))} kernels'


def tool_job(name, tool, argv, log_dir, after=(), then=None):
    """A :class:`~mmssg.utils.Job` that runs ``tools/<tool>`` in its own process."""
    from mmssg.utils import Job
    command = [sys.executable, osp.join(REPO_ROOT, 'tools', *tool.split('/')), *argv]
    return Job(name, command, osp.join(log_dir, f'{name}.log'), list(after), then)


def run_parallel(jobs, slots):
    """Run ``jobs`` as one-thread processes; returns a note of their wall-clock times."""
    from mmssg.utils import run_jobs
    if not jobs:
        return ''
    print(
        f'running {", ".join(job.name for job in jobs)} ({slots} at a time, one thread each; '
        f'logs in {osp.dirname(jobs[0].log)})',
        flush=True)
    try:
        seconds = run_jobs(jobs, slots)
    except RuntimeError as error:
        raise SystemExit(f'demo stopped: {error}')
    return ', '.join(f'{name} {s:.0f} s' for name, s in seconds.items())


def stand_in_job(name, config, work_dir, target, iters, sources, log_dir):
    """Train a model-zoo stand-in with tools/train.py and keep its checkpoint as ``target``.

    None when ``target`` is newer than every one of ``sources`` (it is reused).
    """
    if up_to_date(target, *sources):
        return None

    def keep_checkpoint():
        os.makedirs(osp.dirname(target), exist_ok=True)
        # the checkpoint of this run's last step, never an older run's left in work_dir
        shutil.copyfile(osp.join(work_dir, f'iter_{iters}.pth'), target)

    return tool_job(
        name,
        'train.py', [
            config, '--work-dir', work_dir, '--cfg-options', f'train_cfg.max_iters={iters}',
            f'default_hooks.checkpoint.interval={iters}', f'experiment_name=demo_{name}'
        ],
        log_dir,
        then=keep_checkpoint)


def make_stand_ins(cfg, work, size, data_summary, slots):
    """Stage 4: the model-zoo stand-ins the demo config starts from, side by side.

    One thread each, like every training run here, although every joint run waits for both:
    with more threads their arithmetic, and so every later number, would depend on the core
    count (2 threads instead of 1 moved the SSG-RWSR row by half a decibel;
    docs/demo_study.md, third round).
    """
    log_dir = osp.join(work, 'logs')
    jobs = [
        stand_in_job('pretrain_generator', PRETRAIN_GENERATOR, osp.join(work, 'pretrain_generator'),
                     cfg.generator_stand_in, size['generator_iters'],
                     [data_summary, PRETRAIN_GENERATOR], log_dir),
        stand_in_job('pretrain_segmentor', PRETRAIN_SEGMENTOR, osp.join(work, 'pretrain_segmentor'),
                     cfg.segmentor_stand_in, size['segmentor_iters'],
                     [data_summary, PRETRAIN_SEGMENTOR], log_dir)
    ]
    jobs = [job for job in jobs if job is not None]
    return run_parallel(jobs, slots) or 'reusing both'


def initial_checkpoint(cfg, work):
    """The joint model at iteration 0: both stand-ins in one SSG-RWSR checkpoint."""
    import torch

    from mmssg.models.utils import network_state_dict, read_checkpoint
    path = osp.join(work, 'pretrained', 'ssg_rwsr_init.pth')
    if not up_to_date(path, cfg.generator_stand_in, cfg.segmentor_stand_in):
        generator = network_state_dict(read_checkpoint(cfg.generator_stand_in), 'generator')
        state = {f'generator.{k}': v for k, v in generator.items()}
        state.update({
            f'segmentor.{k}': v
            for k, v in read_checkpoint(cfg.segmentor_stand_in).items()
        })
        torch.save({
            'state_dict': state,
            'meta': dict(note='demo stand-ins, before joint training')
        }, path)
    return path


def joint_jobs(cfg, work, turns):
    """The three joint-training runs still to do; returns (jobs, {row: checkpoint}).

    Each run makes ``turns`` turns of each of its kinds.
    """
    # the demo config too: an edited loss weight or schedule trains again
    sources = (cfg.generator_stand_in, cfg.segmentor_stand_in, DEMO_CONFIG,
               osp.join(cfg.noise_pool, 'summary.json'), osp.join(cfg.kernel_pool, 'summary.json'))
    checkpoints, jobs = {'stand_ins': initial_checkpoint(cfg, work)}, []
    for slug, kinds in JOINT_RUNS.items():
        iters = turns * len(kinds)
        train_dir = osp.join(work, 'train', slug)
        checkpoint = checkpoints[slug] = osp.join(train_dir, f'iter_{iters}.pth')
        if up_to_date(checkpoint, *sources):
            continue
        jobs.append(
            tool_job(f'train_{slug}', 'train.py', [
                DEMO_CONFIG, '--work-dir', train_dir, '--cfg-options',
                f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                f'train_cfg.val_begin={iters + 1}', f'train_cfg.turns=[{",".join(kinds)}]',
                f'default_hooks.checkpoint.interval={iters}', f'experiment_name=demo_{slug}'
            ], osp.join(work, 'logs')))
    checkpoints['bicubic'] = checkpoints['ssg_rwsr']  # its segmentor scores bicubic's mIoU
    return jobs, checkpoints


def score_priority(slug):
    """Sort key of the rows' scoring jobs: the full run's first (its training ends last and its
    score, with NIQE and DISTS, is the longest), then the other Table 3 rows, then the Table
    4-only ones (a minute each)."""
    return slug != 'ssg_rwsr', slug not in TABLES['table3'][0]


def eval_jobs(work, checkpoints, training):
    """tools/test.py for every row not up to date; returns (jobs, {row: results file}).

    ``training`` holds the names of the training jobs about to run: a row whose checkpoint
    one of them writes is scored again after it. The Table 4-only rows skip the slow NIQE and
    DISTS.
    """
    results, jobs = {}, []
    for slug in sorted(ROWS, key=score_priority):
        name = ROWS[slug]
        out = results[slug] = osp.join(work, 'results', f'{slug}.json')
        run = 'ssg_rwsr' if slug == 'bicubic' else slug  # bicubic's mIoU uses its segmentor
        after = [f'train_{run}'] if f'train_{run}' in training else []
        if not after and up_to_date(out, checkpoints[slug], DEMO_CONFIG, TABLE4_TEST):
            continue  # the metrics are the configs'
        os.makedirs(osp.dirname(out), exist_ok=True)
        options = [f'experiment_name=demo_test_{slug}']
        if slug == 'bicubic':
            options.append('model.generator.type=BicubicUpsampler')
        config = DEMO_CONFIG if slug in TABLES['table3'][0] else TABLE4_TEST
        jobs.append(
            tool_job(
                f'test_{slug}',
                'test.py', [
                    config, checkpoints[slug], '--work-dir',
                    osp.join(work, 'test', slug), '--out', out, '--method-name', name, '--save-sr',
                    osp.join(work, 'sr', slug), '--cfg-options', *options
                ],
                osp.join(work, 'logs'),
                after=after))
    return jobs, results


def train_and_evaluate(cfg, work, turns, slots):
    """Stage 5: the three joint runs and tools/test.py for every row, side by side.

    Returns ({row: checkpoint}, {row: results file}).
    """
    training, checkpoints = joint_jobs(cfg, work, turns)
    scoring, results = eval_jobs(work, checkpoints, {job.name for job in training})
    note = run_parallel(training + scoring, slots) or 'reusing every run and score'
    return (checkpoints, results), note


def check_inference(work, checkpoint, val_images):
    """Stage 7: tools/inference.py gives the SR images tools/test.py saved."""
    import cv2
    import numpy as np

    from mmssg.utils import list_images
    out_dir = osp.join(work, 'sr_inference')
    run_tool('inference.py', [DEMO_CONFIG, checkpoint, val_images, out_dir])
    worst = 0
    for rel in list_images(out_dir):
        a = cv2.imread(osp.join(out_dir, rel)).astype(int)
        b = cv2.imread(osp.join(work, 'sr', 'ssg_rwsr', rel)).astype(int)
        worst = max(worst, int(np.abs(a - b).max()))
    return f'{out_dir}; largest difference from the images tools/test.py saved: {worst}'


def make_tables(work, results):
    """Stage 8a: the paper-style tables; returns their Markdown."""
    tables = []
    for name, (rows, columns, title) in TABLES.items():
        out = osp.join(work, f'{name}.md')
        run_tool('analysis/make_tables.py', [
            *[f'--result={ROWS[slug]}={results[slug]}' for slug in rows], '--columns', *columns,
            '--title', title, '--out-md', out, '--out-csv',
            osp.join(work, f'{name}.csv')
        ])
        with open(out) as f:
            tables.append(f.read().strip())
    return tables


def make_figure(cfg, work, rows):
    """Stage 8b: LR, every row's SR and HR on the same zoomed crops."""
    from mmssg.utils import list_images
    val = osp.join(cfg.demo_data, 'cityscapes', 'leftImg8bit', 'val')
    out = osp.join(work, 'comparison.png')
    run_tool('analysis/compare_crops.py', [
        '--lr', val,
        *[f'--method={name}={osp.join(work, "sr", slug)}' for slug, name in ROWS.items()], '--hr',
        osp.join(cfg.demo_data, 'cityscapes', 'leftImg8bit_hr',
                 'val'), '--images', *list_images(val)[:rows], '--scale',
        str(cfg.scale), '--out', out
    ])
    return out


def colour_report(results):
    """One line per row: the mean colour error of each channel against HR."""
    lines = ['Mean colour error against HR (R, G, B), grey levels:']
    for slug, path in results.items():
        metrics = read_json(path)['metrics']
        lines.append(f'- {ROWS[slug]}: ' + ', '.join(f'{metrics[f"ColourShift/{c}"]:+.1f}'
                                                     for c in 'RGB'))
    return '\n'.join(lines)


def kernel_report(kernel_pool, camera_json):
    """Spread of the estimated kernels next to the hidden camera's (for reporting only)."""
    import numpy as np

    from mmssg.degradation.functional import kernel_sigmas
    estimated = np.array(
        [kernel_sigmas(np.load(p)) for p in sorted(glob.glob(osp.join(kernel_pool, '*.npy')))])
    true = kernel_sigmas(np.array(read_json(camera_json)['kernel_hr']))
    return (f'Kernel pool (x4): sigma minor/major {estimated[:, 0].mean():.2f}/'
            f'{estimated[:, 1].mean():.2f} HR px on average; the hidden camera\'s blur: '
            f'{true[0]:.2f}/{true[1]:.2f}')


def write_readme(readme, text):
    """Replace the block between the README's demo-results markers with ``text``."""
    with open(readme) as f:
        content = f.read()
    if content.count(README_BEGIN) != 1 or content.count(README_END) != 1:
        raise ValueError(f'{readme} needs one line {README_BEGIN} and one line {README_END}')
    head, rest = content.split(README_BEGIN)
    _, tail = rest.split(README_END)
    with open(readme, 'w') as f:
        f.write(f'{head}{README_BEGIN}\n{text}\n{README_END}{tail}')


def main(argv=None):
    """Run every stage (reusing what is up to date); returns the exit status."""
    args = parse_args(argv)
    work = osp.abspath(args.work_dir)
    if args.fresh and osp.isdir(work):
        print(f'--fresh: removing {work}')
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    cfg = load_demo_config(work)
    size = SIZES['quick'] if args.quick else dict(SIZES['full'], **config_schedule(cfg))
    val_images = osp.join(cfg.demo_data, 'cityscapes', 'leftImg8bit', 'val')
    train_images = osp.join(cfg.demo_data, 'cityscapes', 'leftImg8bit', 'train')
    # Each summary is written last, when its stage is complete: what later stages depend on.
    data_summary = osp.join(cfg.demo_data, 'summary.json')
    stages, t0 = Stages(7), time.time()

    stages.run('demo data: street scenes through a hidden camera + clean HR images',
               lambda: make_data(cfg, size, args.seed))
    stages.run('noise-patch pool from the real LR training images (Eq. 2-4)',
               lambda: make_noise_pool(cfg, train_images, data_summary))
    stages.run('kernel pool from the real LR training images',
               lambda: make_kernel_pool(cfg, train_images, data_summary))
    kernels = kernel_report(cfg.kernel_pool, osp.join(cfg.demo_data, 'camera_model.json'))
    print(kernels)
    stages.run('model-zoo stand-ins: bicubic-pretrained generator, LR-trained segmentor',
               lambda: make_stand_ins(cfg, work, size, data_summary, args.jobs))
    checkpoints, results = stages.run(
        'joint training (both turns, adapted only, guided only) and tools/test.py for every '
        'row on the real-LR val split (hidden HR renders)',
        lambda: train_and_evaluate(cfg, work, size['joint_turns'], args.jobs))
    stages.run('tools/inference.py on the real-LR val images (no segmentor)',
               lambda: check_inference(work, checkpoints['ssg_rwsr'], val_images))
    tables = stages.run(
        'tables and figure', lambda:
        (make_tables(work, results), 'wrote ' + make_figure(cfg, work, size['figure_rows'])))

    text = '\n\n'.join(tables + [FOOTNOTES, colour_report(results), kernels])
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(text + '\n')
    if args.readme:
        write_readme(args.readme, text)
    print(f'\nSSG-RWSR demo on the {size["num_val"]} real-LR val images '
          f'({size["lr_size"][0]}x{size["lr_size"][1]} -> x4), {time.time() - t0:.0f} s in all:'
          f'\n\n{text}\n\nwork dir {work}: results/, sr/<row>/, comparison.png, results.md')
    return 0


if __name__ == '__main__':
    sys.exit(main())
