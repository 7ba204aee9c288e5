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

# The job's size: (full, --quick) settings; the quick one is the smallest that still runs
# every stage. Paths, patch sizes and the scale are the demo config's.
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


def newest_checkpoint(work_dir):
    paths = glob.glob(osp.join(work_dir, 'iter_*.pth'))
    return max(paths, key=lambda p: int(osp.basename(p)[5:-4])) if paths else None


def train_stand_in(config, work_dir, target, iters, experiment, sources):
    """Train a model-zoo stand-in with tools/train.py and keep its checkpoint as ``target``.

    An existing ``target`` newer than every one of ``sources`` is reused.
    """
    if up_to_date(target, *sources):
        return f'reusing {target}'
    run_tool('train.py', [config, '--work-dir', work_dir, '--cfg-options',
                          f'train_cfg.max_iters={iters}',
                          f'default_hooks.checkpoint.interval={iters}',
                          f'experiment_name={experiment}'])
    os.makedirs(osp.dirname(target), exist_ok=True)
    shutil.copyfile(newest_checkpoint(work_dir), target)
    return f'wrote {target}'


def initial_checkpoint(cfg, work):
    """The joint model at iteration 0: both stand-ins in one SSG-RWSR checkpoint."""
    import torch

    from mmssg.models.utils import network_state_dict, read_checkpoint
    path = osp.join(work, 'pretrained', 'ssg_rwsr_init.pth')
    if not up_to_date(path, cfg.generator_stand_in, cfg.segmentor_stand_in):
        generator = network_state_dict(read_checkpoint(cfg.generator_stand_in), 'generator')
        state = {f'generator.{k}': v for k, v in generator.items()}
        state.update({f'segmentor.{k}': v
                      for k, v in read_checkpoint(cfg.segmentor_stand_in).items()})
        torch.save({'state_dict': state,
                    'meta': dict(note='demo stand-ins, before joint training')}, path)
    return path


def kernel_report(kernel_pool, camera_json):
    """Spread of the estimated kernels next to the hidden camera's (for reporting only)."""
    import numpy as np

    from mmssg.degradation.functional import kernel_sigmas
    camera = read_json(camera_json)
    estimated = np.array([kernel_sigmas(np.load(p))
                          for p in sorted(glob.glob(osp.join(kernel_pool, '*.npy')))])
    true = kernel_sigmas(np.array(camera['kernel_hr']))
    return (f'KernelGAN x4 kernels: sigma minor/major {estimated[:, 0].mean():.2f}/'
            f'{estimated[:, 1].mean():.2f} HR px on average; the hidden camera\'s blur: '
            f'{true[0]:.2f}/{true[1]:.2f}')


def figure_rows(cfg, checkpoint, rows):
    """LR | bicubic | SR | HR | the segmentor's prediction on SR, for the first val images.

    The SR image and its segmentation come from the model's own predict mode
    (``test_cfg.segment=True``), the bicubic panel from the bicubic baseline
    model, both through :func:`mmssg.apis.super_resolve`-style preprocessing.
    """
    import cv2
    import numpy as np
    import torch
    from mmengine.runner import Runner

    from mmssg.apis import init_model, super_resolve
    from mmssg.demo import colorize_labels

    model = init_model(cfg, checkpoint, with_segmentor=True)
    bicubic_cfg = cfg.copy()
    bicubic_cfg.model = dict(cfg.model, generator=dict(type='BicubicUpsampler',
                                                       upscale_factor=cfg.scale))
    bicubic = init_model(bicubic_cfg)
    loader = Runner.build_dataloader(cfg.test_dataloader)
    tiles = []
    for batch, _ in zip(loader, range(rows)):
        with torch.no_grad():
            output = model.test_step(batch)[0].output
        meta = batch['data_samples'][0].metainfo
        lr, hr = cv2.imread(meta['img_path']), cv2.imread(meta['gt_path'])
        h, w = hr.shape[:2]
        sr = output.pred_img.round().to(torch.uint8).permute(1, 2, 0).numpy()  # BGR
        labels = output.pred_seg_map.squeeze().to(torch.uint8).numpy()
        segmentation = colorize_labels(labels)[..., ::-1]
        panels = [cv2.resize(lr, (w, h), interpolation=cv2.INTER_NEAREST),
                  super_resolve(bicubic, lr, channel_order='bgr'), sr, hr,
                  cv2.resize(segmentation, (w, h), interpolation=cv2.INTER_NEAREST)]
        tiles.append(np.concatenate(panels, axis=1))
    return np.concatenate(tiles, axis=0)


def comparison_figure(cfg, checkpoint, out_path, rows):
    """Write the figure of :func:`figure_rows` with a title strip to ``out_path``."""
    import cv2
    import numpy as np
    figure = figure_rows(cfg, checkpoint, rows)
    header = np.full((28, figure.shape[1], 3), 255, np.uint8)
    for i, title in enumerate(['LR (nearest)', 'bicubic', 'SSG-RWSR', 'HR (hidden)',
                               'segmentor on SR']):
        cv2.putText(header, title, (i * (figure.shape[1] // 5) + 8, 20),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    if not cv2.imwrite(out_path, np.concatenate([header, figure], axis=0)):
        raise OSError(f'could not write {out_path}')
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


def load_demo_config(work):
    """The demo config with its root set to ``work`` (every path the stages use)."""
    from mmengine.config import Config
    os.environ['MMSSG_DEMO_ROOT'] = work  # read by the demo configs
    return Config.fromfile(DEMO_CONFIG)


def make_data(cfg, size, seed):
    """Stage 1: the demo data (reused by the tool when complete)."""
    run_tool('data/make_demo_data.py', [
        cfg.demo_data, '--seed', str(seed), '--num-train', str(size['num_train']),
        '--num-val', str(size['num_val']), '--num-clean', str(size['num_clean']),
        '--lr-size', *map(str, size['lr_size'])])
    return ''


def make_noise_pool(cfg, train_images, data_summary):
    """Stage 2: the noise-patch pool (Eq. 2-4) from the real LR training images."""
    summary_path = osp.join(cfg.noise_pool, 'summary.json')
    if up_to_date(summary_path, data_summary):
        return f'reusing {cfg.noise_pool}'
    shutil.rmtree(cfg.noise_pool, ignore_errors=True)  # no patches of older data mixed in
    windows = cfg.noise_windows
    run_tool('data/collect_noise_patches.py', [
        train_images, cfg.noise_pool, '--patch-size', str(windows.patch_size),
        '--sub-size', str(windows.sub_size), '--stride', str(windows.stride), '--workers', '2'])
    kept = read_json(summary_path)['patches_kept']
    if not kept:
        raise SystemExit(f'no noise patches passed Eq. 2-4 in {train_images}')
    return f'{kept} patches'


def make_kernel_pool(cfg, train_images, data_summary, size, seed):
    """Stage 3: the KernelGAN kernel pool from the real LR training images."""
    if up_to_date(osp.join(cfg.kernel_pool, 'summary.json'), data_summary):
        return f'reusing {cfg.kernel_pool}'
    shutil.rmtree(cfg.kernel_pool, ignore_errors=True)
    run_tool('data/estimate_kernels.py', [
        train_images, cfg.kernel_pool, '--scale', str(cfg.scale), '--iters',
        str(size['kernel_iters']), '--batch', str(size['kernel_batch']), '--seed', str(seed)])
    return f'{len(glob.glob(osp.join(cfg.kernel_pool, "*.npy")))} kernels'


def make_stand_ins(cfg, work, size, data_summary):
    """Stage 4: the model-zoo stand-ins the demo config starts from."""
    return '; '.join([
        train_stand_in(PRETRAIN_GENERATOR, osp.join(work, 'pretrain_generator'),
                       cfg.generator_stand_in, size['generator_iters'],
                       'demo_pretrain_generator', [data_summary]),
        train_stand_in(PRETRAIN_SEGMENTOR, osp.join(work, 'pretrain_segmentor'),
                       cfg.segmentor_stand_in, size['segmentor_iters'],
                       'demo_pretrain_segmentor', [data_summary])])


def train_joint(cfg, work, iters):
    """Stage 5: joint training; returns the final checkpoint's path."""
    train_dir = osp.join(work, 'train')
    checkpoint = osp.join(train_dir, f'iter_{iters}.pth')
    sources = (cfg.generator_stand_in, cfg.segmentor_stand_in,
               osp.join(cfg.noise_pool, 'summary.json'),
               osp.join(cfg.kernel_pool, 'summary.json'))
    if up_to_date(checkpoint, *sources):
        return checkpoint, f'reusing {checkpoint}'
    run_tool('train.py', [DEMO_CONFIG, '--work-dir', train_dir, '--cfg-options',
                          f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                          f'train_cfg.val_begin={iters + 1}',
                          f'default_hooks.checkpoint.interval={iters}',
                          'experiment_name=demo_joint_training'])
    return checkpoint, f'wrote {checkpoint}'


def evaluate(cfg, work, checkpoint):
    """Stage 6: tools/test.py for bicubic, the stand-ins and the trained model."""
    results, reused = {}, []
    for name, slug, weights, extra in (
            ('bicubic', 'bicubic', checkpoint, ['model.generator.type=BicubicUpsampler']),
            ('stand-ins, before joint training', 'init', initial_checkpoint(cfg, work), []),
            ('SSG-RWSR (demo)', 'ssg_rwsr', checkpoint, [])):
        out = osp.join(work, f'metrics_{slug}.json')
        if up_to_date(out, weights):
            reused.append(osp.basename(out))
        else:
            run_tool('test.py', [DEMO_CONFIG, weights, '--work-dir', osp.join(work, f'test_{slug}'),
                                 '--out', out, '--cfg-options',
                                 f'experiment_name=demo_test_{slug}', *extra])
        results[name] = read_metrics(out)
    return results, f'reusing {", ".join(reused)}' if reused else ''


def report(work, size, results, table, kernels, elapsed, paths):
    """Print the results table and where everything is."""
    print(f'\nSSG-RWSR demo results on the {size["num_val"]} real-LR val images '
          f'({size["lr_size"][0]}x{size["lr_size"][1]} -> x4), {elapsed:.0f} s in all:\n')
    print(table + '\n\n' + FOOTNOTES)
    print(kernels)
    print(f'\nwork dir        {work}')
    for name, path in paths.items():
        print(f'{name:<15} {path}')


def main(argv=None):
    """Run every stage (reusing what is up to date); returns the exit status."""
    args = parse_args(argv)
    size = SIZES['quick' if args.quick else 'full']
    work = osp.abspath(args.work_dir)
    if args.fresh and osp.isdir(work):
        print(f'--fresh: removing {work}')
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    cfg = load_demo_config(work)
    cityscapes = osp.join(cfg.demo_data, 'cityscapes')
    train_images = osp.join(cityscapes, 'leftImg8bit', 'train')
    # Each summary is written last, when its stage is complete: what later stages depend on.
    data_summary = osp.join(cfg.demo_data, 'summary.json')
    stages, t0 = Stages(8), time.time()

    for title, stage in (
            ('demo data: street scenes through a hidden camera + clean HR images',
             lambda: make_data(cfg, size, args.seed)),
            ('noise-patch pool from the real LR training images (Eq. 2-4)',
             lambda: make_noise_pool(cfg, train_images, data_summary)),
            ('kernel pool from the real LR training images (KernelGAN, x4)',
             lambda: make_kernel_pool(cfg, train_images, data_summary, size, args.seed)),
            ('model-zoo stand-ins: bicubic-pretrained generator, LR-trained segmentor',
             lambda: make_stand_ins(cfg, work, size, data_summary))):
        stages.start(title)
        stages.done(stage())
    kernels = kernel_report(cfg.kernel_pool, osp.join(cfg.demo_data, 'camera_model.json'))
    print(kernels)

    stages.start('joint SSG-RWSR training: tools/train.py configs/ssg_rwsr_x4_demo.py')
    checkpoint, note = train_joint(cfg, work, size['joint_iters'])
    stages.done(note)

    stages.start('tools/test.py on the real-LR val split (ground truth: hidden HR renders)')
    results, note = evaluate(cfg, work, checkpoint)
    stages.done(note)

    stages.start('tools/inference.py on the real-LR val images (no segmentor)')
    sr_dir = osp.join(work, 'sr_val')
    run_tool('inference.py', [DEMO_CONFIG, checkpoint,
                              osp.join(cityscapes, 'leftImg8bit', 'val'), sr_dir])
    stages.done(f'wrote {sr_dir}')

    stages.start('comparison figure and results table')
    figure = comparison_figure(cfg, checkpoint, osp.join(work, 'comparison.png'),
                               size['figure_rows'])
    table = results_table(list(results.items()))
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write('\n\n'.join([table, FOOTNOTES, kernels]) + '\n')
    stages.done()

    report(work, size, results, table, kernels, time.time() - t0, {
        'checkpoint': checkpoint,
        'metrics': osp.join(work, 'metrics_*.json'),
        'SR images': sr_dir,
        'figure': figure,
        'table': osp.join(work, 'results.md')})
    return 0


if __name__ == '__main__':
    sys.exit(main())
