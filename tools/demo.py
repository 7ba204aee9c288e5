# Copyright (c) mmssg contributors. All rights reserved.
"""The README's main job: the whole SSG-RWSR pipeline on generated data, on a CPU.

    python tools/demo.py [--work-dir work_dirs/demo] [--fresh]

Stages, each reusing what an earlier run left in the work directory when it is newer than
everything it was made from (so a rebuilt pool or stand-in is never followed by stale results):

1. demo data: street scenes in Cityscapes layout seen through a hidden camera (the real LR
   domain, with labels) and clean HR images (the DF2K stand-in)
2. noise-patch pool from the real LR training images (Eq. 2-4)
3. kernel pool from the real LR training images (KernelGAN, reduced iterations)
4. model-zoo stand-ins: MMagic's BaseEditModel trains the generator on bicubic pairs,
   MMSegmentation's EncoderDecoder trains the segmentor on the real LR images
5. joint SSG-RWSR training, ``tools/train.py configs/ssg_rwsr_x4_demo.py``
6. ``tools/test.py`` on the real-LR val split against its hidden clean HR renders, for the
   trained model and for bicubic interpolation
7. ``tools/inference.py`` on the real-LR val images
8. a comparison figure and a results table

Every file goes under the work directory. The tools run in this process (one import of the
OpenMMLab stack instead of one per stage).
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

# (full, --quick) settings; the quick one is the smallest size that still runs every stage
SIZES = {
    'full': dict(num_train=32, num_val=8, num_clean=24, lr_size=(256, 128), kernel_iters=200,
                 kernel_batch=16, generator_iters=400, segmentor_iters=200, joint_iters=800,
                 figure_rows=3),
    'quick': dict(num_train=4, num_val=2, num_clean=3, lr_size=(256, 128), kernel_iters=20,
                  kernel_batch=4, generator_iters=4, segmentor_iters=4, joint_iters=4,
                  figure_rows=2),
}


FOOTNOTES = (
    '* LPIPS with a random AlexNet backbone (the ImageNet weights are a download): comparable '
    'between these rows only.\n'
    'mIoU on SR: the checkpoint\'s own segmentor on the upscaled image (the jointly trained one '
    'for bicubic and SSG-RWSR, the stand-in for the row before joint training).')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run the SSG-RWSR demo pipeline end to end')
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='where everything is written (default: work_dirs/demo)')
    parser.add_argument('--fresh', action='store_true',
                        help='delete what an earlier run left in the work dir and start over')
    parser.add_argument('--quick', action='store_true',
                        help='the smallest size (a few images and iterations), for tests')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def tool(name):
    """The ``main`` function of a script under tools/."""
    return runpy.run_path(osp.join(REPO_ROOT, 'tools', *name.split('/')))['main']


class Stages:
    """Prints numbered stage headers with their durations."""

    def __init__(self, total):
        self.total, self.index = total, 0

    def start(self, title):
        self.index += 1
        self.t_stage = time.time()
        print(f'\n=== [{self.index}/{self.total}] {title}', flush=True)

    def done(self, note=''):
        print(f'=== [{self.index}/{self.total}] done in {time.time() - self.t_stage:.0f} s'
              f'{"  (" + note + ")" if note else ""}', flush=True)


def up_to_date(target, *sources):
    """Whether ``target`` exists and was written after every one of ``sources``."""
    return osp.isfile(target) and all(osp.getmtime(target) >= osp.getmtime(s) for s in sources)


def stand_in_paths(work):
    """The model-zoo stand-ins' checkpoints: generator, segmentor."""
    return [osp.join(work, 'pretrained', name) for name in ('generator_bicubic.pth',
                                                             'segmentor.pth')]


def newest_checkpoint(work_dir):
    paths = glob.glob(osp.join(work_dir, 'iter_*.pth'))
    return max(paths, key=lambda p: int(osp.basename(p)[5:-4])) if paths else None


def train_stand_in(config, work_dir, target, iters, experiment, sources):
    """Train a model-zoo stand-in with tools/train.py and keep its checkpoint as ``target``.

    An existing ``target`` newer than every one of ``sources`` is reused.
    """
    if up_to_date(target, *sources):
        return f'reusing {target}'
    tool('train.py')([config, '--work-dir', work_dir, '--cfg-options',
                      f'train_cfg.max_iters={iters}', f'default_hooks.checkpoint.interval={iters}',
                      f'experiment_name={experiment}'])
    os.makedirs(osp.dirname(target), exist_ok=True)
    shutil.copyfile(newest_checkpoint(work_dir), target)
    return f'wrote {target}'


def initial_checkpoint(work):
    """The joint model at iteration 0: both stand-ins in one SSG-RWSR checkpoint."""
    import torch
    path = osp.join(work, 'pretrained', 'ssg_rwsr_init.pth')
    generator_path, segmentor_path = stand_in_paths(work)
    if not up_to_date(path, generator_path, segmentor_path):
        load = lambda p: torch.load(p, map_location='cpu', weights_only=False)['state_dict']  # noqa
        state = {k: v for k, v in load(generator_path).items() if k.startswith('generator.')}
        state.update({f'segmentor.{k}': v for k, v in load(segmentor_path).items()})
        torch.save({'state_dict': state, 'meta': dict(note='demo stand-ins, before joint '
                                                           'training')}, path)
    return path


def kernel_report(kernel_pool, camera_json):
    """Spread of the estimated kernels next to the hidden camera's (for reporting only)."""
    import numpy as np

    from mmssg.degradation.functional import kernel_sigmas
    with open(camera_json) as f:
        camera = json.load(f)
    estimated = np.array([kernel_sigmas(np.load(p))
                          for p in sorted(glob.glob(osp.join(kernel_pool, '*.npy')))])
    true = kernel_sigmas(np.array(camera['kernel_hr']))
    return (f'KernelGAN x4 kernels: sigma minor/major {estimated[:, 0].mean():.2f}/'
            f'{estimated[:, 1].mean():.2f} HR px on average; the hidden camera\'s blur: '
            f'{true[0]:.2f}/{true[1]:.2f}')


def comparison_figure(config, checkpoint, data_root, out_path, rows):
    """LR | bicubic | SR | HR | the segmentor's prediction on SR, for a few val images."""
    import cv2
    import numpy as np
    import torch
    from mmagic.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from mmssg.datasets.demo_data import colorize_labels

    cfg = Config.fromfile(config)
    init_default_scope('mmagic')
    model_cfg = cfg.model
    model_cfg.generator.init_cfg = None
    model_cfg.segmentor.init_cfg = None
    model = MODELS.build(model_cfg)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    lr_paths = sorted(glob.glob(osp.join(data_root, 'leftImg8bit', 'val', '*', '*.png')))[:rows]
    tiles = []
    for path in lr_paths:
        lr = cv2.imread(path)[..., ::-1].copy()
        hr = cv2.imread(path.replace(f'{os.sep}leftImg8bit{os.sep}',
                                     f'{os.sep}leftImg8bit_hr{os.sep}'))[..., ::-1]
        h, w = hr.shape[:2]
        x = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255
        with torch.no_grad():
            sr = model.generator(x)
            logits = model.segmentor(model.to_segmentor_input(sr), mode='tensor')
        labels = logits.argmax(1)[0].numpy().astype(np.uint8)
        to_img = lambda t: (t[0].permute(1, 2, 0).clamp(0, 1) * 255).round().byte().numpy()  # noqa
        bicubic = to_img(torch.nn.functional.interpolate(x, scale_factor=4, mode='bicubic'))
        panels = [cv2.resize(lr, (w, h), interpolation=cv2.INTER_NEAREST), bicubic, to_img(sr),
                  hr, cv2.resize(colorize_labels(labels), (w, h), interpolation=cv2.INTER_NEAREST)]
        tiles.append(np.concatenate(panels, axis=1))
    figure = np.concatenate(tiles, axis=0)
    header = np.full((28, figure.shape[1], 3), 255, np.uint8)
    for i, title in enumerate(['LR (nearest)', 'bicubic', 'SSG-RWSR', 'HR (hidden)',
                               'segmentor on SR']):
        cv2.putText(header, title, (i * (figure.shape[1] // 5) + 8, 20),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(out_path, np.concatenate([header, figure], axis=0)[..., ::-1])
    return out_path


def read_metrics(path):
    """The metrics of a results file of ``tools/test.py --out`` (flat in earlier versions)."""
    with open(path) as f:
        results = json.load(f)
    return results['metrics'] if 'metrics' in results else results


def results_table(rows):
    """A markdown table of the demo's metrics, one row per method."""
    columns = [('PSNR', 'PSNR ↑', '{:.2f}'), ('SSIM', 'SSIM ↑', '{:.3f}'),
               ('LPIPS', 'LPIPS* ↓', '{:.3f}'), ('NIQE', 'NIQE ↓', '{:.2f}'),
               ('SR/mIoU', 'mIoU on SR ↑', '{:.1f}')]
    lines = ['| method | ' + ' | '.join(c[1] for c in columns) + ' |',
             '|---|' + '---|' * len(columns)]
    for name, metrics in rows:
        lines.append(f'| {name} | ' + ' | '.join(fmt.format(metrics[key]) for key, _, fmt in columns)
                     + ' |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    size = SIZES['quick' if args.quick else 'full']
    work = osp.abspath(args.work_dir)
    if args.fresh and osp.isdir(work):
        print(f'--fresh: removing {work}')
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    os.environ['MMSSG_DEMO_ROOT'] = work  # read by the demo configs
    data = osp.join(work, 'data')
    cityscapes = osp.join(data, 'cityscapes')
    train_images = osp.join(cityscapes, 'leftImg8bit', 'train')
    noise_pool = osp.join(work, 'pools', 'noise_p32')
    kernel_pool = osp.join(work, 'pools', 'kernels_x4')
    # Each summary is written last, when its stage is complete: what later stages depend on.
    data_summary = osp.join(data, 'summary.json')
    noise_summary = osp.join(noise_pool, 'summary.json')
    kernel_summary = osp.join(kernel_pool, 'summary.json')
    stages = Stages(8)
    t0 = time.time()

    stages.start('demo data: street scenes through a hidden camera + clean HR images')
    status = tool('data/make_demo_data.py')([
        data, '--seed', str(args.seed), '--num-train', str(size['num_train']),
        '--num-val', str(size['num_val']), '--num-clean', str(size['num_clean']),
        '--lr-size', *map(str, size['lr_size'])])
    if status:
        raise SystemExit(f'demo data generation failed (exit status {status})')
    stages.done()

    stages.start('noise-patch pool from the real LR training images (Eq. 2-4)')
    if up_to_date(noise_summary, data_summary):
        stages.done(f'reusing {noise_pool}')
    else:
        shutil.rmtree(noise_pool, ignore_errors=True)  # no patches of older data mixed in
        # LR patches of 32 (not 128): q = 16 keeps 256 pixels per sub-window for the
        # variance test, as q = 32 does at p = 128 in the paper
        summary = tool('data/collect_noise_patches.py')([
            train_images, noise_pool, '--patch-size', '32', '--sub-size', '16',
            '--stride', '16', '--workers', '2'])
        if not summary['patches_kept']:
            raise SystemExit(f'no noise patches passed Eq. 2-4 in {train_images}')
        stages.done(f'{summary["patches_kept"]} patches')

    stages.start('kernel pool from the real LR training images (KernelGAN, x4)')
    if up_to_date(kernel_summary, data_summary):
        stages.done(f'reusing {kernel_pool}')
    else:
        shutil.rmtree(kernel_pool, ignore_errors=True)
        tool('data/estimate_kernels.py')([
            train_images, kernel_pool, '--scale', '4', '--iters', str(size['kernel_iters']),
            '--batch', str(size['kernel_batch']), '--seed', str(args.seed)])
        stages.done(f'{len(glob.glob(osp.join(kernel_pool, "*.npy")))} kernels')
    kernels_vs_camera = kernel_report(kernel_pool, osp.join(data, 'camera_model.json'))
    print(kernels_vs_camera)

    stages.start('model-zoo stand-ins: bicubic-pretrained generator, LR-trained segmentor')
    generator_path, segmentor_path = stand_in_paths(work)
    notes = [
        train_stand_in(PRETRAIN_GENERATOR, osp.join(work, 'pretrain_generator'), generator_path,
                       size['generator_iters'], 'demo_pretrain_generator', [data_summary]),
        train_stand_in(PRETRAIN_SEGMENTOR, osp.join(work, 'pretrain_segmentor'), segmentor_path,
                       size['segmentor_iters'], 'demo_pretrain_segmentor', [data_summary])]
    stages.done('; '.join(notes))

    stages.start('joint SSG-RWSR training: tools/train.py configs/ssg_rwsr_x4_demo.py')
    train_dir = osp.join(work, 'train')
    iters = size['joint_iters']
    checkpoint = osp.join(train_dir, f'iter_{iters}.pth')
    if up_to_date(checkpoint, generator_path, segmentor_path, noise_summary, kernel_summary):
        stages.done(f'reusing {checkpoint}')
    else:
        tool('train.py')([DEMO_CONFIG, '--work-dir', train_dir, '--cfg-options',
                          f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                          f'train_cfg.val_begin={iters + 1}',
                          f'default_hooks.checkpoint.interval={iters}',
                          'experiment_name=demo_joint_training'])
        stages.done(f'wrote {checkpoint}')

    stages.start('tools/test.py on the real-LR val split (ground truth: hidden HR renders)')
    results, reused = {}, []
    init = initial_checkpoint(work)
    for name, slug, weights, extra in (
            ('bicubic', 'bicubic', checkpoint, ['model.generator.type=BicubicUpsampler']),
            ('stand-ins, before joint training', 'init', init, []),
            ('SSG-RWSR (demo)', 'ssg_rwsr', checkpoint, [])):
        out = osp.join(work, f'metrics_{slug}.json')
        if up_to_date(out, weights):
            reused.append(osp.basename(out))
        else:
            tool('test.py')([DEMO_CONFIG, weights, '--work-dir', osp.join(work, f'test_{slug}'),
                             '--out', out, '--cfg-options', f'experiment_name=demo_test_{slug}',
                             *extra])
        results[name] = read_metrics(out)
    stages.done(f'reusing {", ".join(reused)}' if reused else '')

    stages.start('tools/inference.py on the real-LR val images (no segmentor)')
    sr_dir = osp.join(work, 'sr_val')
    tool('inference.py')([DEMO_CONFIG, checkpoint, osp.join(cityscapes, 'leftImg8bit', 'val'),
                          sr_dir])
    stages.done(f'wrote {sr_dir}')

    stages.start('comparison figure and results table')
    figure = comparison_figure(DEMO_CONFIG, checkpoint, cityscapes,
                               osp.join(work, 'comparison.png'), size['figure_rows'])
    table = results_table(list(results.items()))
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write('\n\n'.join([table, FOOTNOTES, kernels_vs_camera]) + '\n')
    stages.done()

    print(f'\nSSG-RWSR demo results on the {size["num_val"]} real-LR val images '
          f'({size["lr_size"][0]}x{size["lr_size"][1]} -> x4), {time.time() - t0:.0f} s in all:\n')
    print(table + '\n\n' + FOOTNOTES)
    print(kernels_vs_camera)
    print(f'\nwork dir        {work}')
    print(f'checkpoint      {checkpoint}')
    print(f'metrics         {osp.join(work, "metrics_ssg_rwsr.json")}, '
          f'{osp.join(work, "metrics_bicubic.json")}')
    print(f'SR images       {sr_dir}')
    print(f'figure          {figure}')
    print(f'table           {osp.join(work, "results.md")}')
    return dict(results=results, checkpoint=checkpoint, figure=figure, sr_dir=sr_dir,
                table=table, kernels=kernels_vs_camera)


if __name__ == '__main__':
    main()
