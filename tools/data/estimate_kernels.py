# Copyright (c) mmssg contributors. All rights reserved.
"""Build a KernelGAN blur-kernel pool from a folder of real LR images.

Writes one ``<image_stem>.npy`` per image (float32, square, odd size, centred,
summing to 1; a true convolution kernel at HR resolution for ``--scale``) and
a ``summary.json`` describing the run.

Example::

    python tools/data/estimate_kernels.py data/real_lr data/kernel_pool_x4 --scale 4 \
        --device cuda --batch 16
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Estimate one KernelGAN blur kernel per image (SSG-RWSR section 3.2).')
    parser.add_argument('src_dir', help='folder of real LR images (searched recursively)')
    parser.add_argument('out_dir', help='where to write <image_stem>.npy and summary.json')
    parser.add_argument('--scale', type=int, choices=(2, 4), required=True,
                        help='SR scale the kernels are for (x4 composes the x2 kernel)')
    parser.add_argument('--iters', type=int, default=3000, help='training steps per image')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch', type=int, default=16,
                        help='images estimated at once on the device (batched networks). An '
                        "image's seeds do not depend on it, its kernel does a little (sums "
                        'run in another order). Default: 16')
    parser.add_argument('--crop', type=int, default=64, help='generator crop size (even)')
    return parser.parse_args(argv)


def source_images(src_dir):
    """Image files under ``src_dir`` (searched recursively, as Cityscapes keeps one folder
    per city), as sorted paths relative to it."""
    if not osp.isdir(src_dir):
        raise SystemExit(f'error: source folder {src_dir!r} does not exist or is not a folder')
    from mmssg.utils import IMG_EXTENSIONS, list_images
    names = list_images(src_dir)
    if not names:
        raise SystemExit(f'error: no images ({", ".join(IMG_EXTENSIONS)}) under {src_dir!r}')
    return names


def read_image(path):
    """Read an image as a uint8/uint16 array, or raise with the reason."""
    from PIL import Image
    with Image.open(path) as im:
        im.load()
        if im.mode in ('I;16', 'I;16B', 'I;16L'):
            return np.asarray(im, dtype=np.uint16)
        return np.asarray(im.convert('RGB') if im.mode not in ('L', 'RGB') else im)


def kernel_file_names(names):
    """``<stem>.npy`` per image; a stem shared by several files gets its relative path
    (folders joined by ``__``) and extension instead."""
    stems = [osp.splitext(osp.basename(n))[0] for n in names]
    return [f'{stem}.npy' if stems.count(stem) == 1 else n.replace(os.sep, '__') + '.npy'
            for stem, n in zip(stems, names)]


def main(argv=None):
    args = parse_args(argv)
    src_dir, out_dir = osp.abspath(args.src_dir), osp.abspath(args.out_dir)
    names = source_images(src_dir)
    if osp.realpath(src_dir) == osp.realpath(out_dir):
        raise SystemExit(f'error: refusing to write kernels into the source folder {src_dir!r}')

    import torch
    from tqdm import tqdm

    from mmssg.degradation.kernelgan import prepare_image, run_kernelgan
    if str(args.device).startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit(f'error: --device {args.device} asked for, but CUDA is not available')

    # Check every image first (so a bad file is reported before hours of
    # training), but keep only one batch in memory at a time.
    kept, skipped = [], []
    for name, out_name in zip(names, kernel_file_names(names)):
        try:
            prepare_image(read_image(osp.join(src_dir, name)), min_size=args.crop, name=name)
        except Exception as err:  # unreadable or unusable: list it and go on
            skipped.append(dict(file=name, reason=f'{type(err).__name__}: {err}'))
            continue
        kept.append(dict(file=name, kernel=out_name))
    for item in skipped:
        print(f'skipped {item["file"]}: {item["reason"]}', file=sys.stderr)
    if not kept:
        raise SystemExit(f'error: none of the {len(names)} images in {src_dir!r} could be used')

    os.makedirs(out_dir, exist_ok=True)
    start = time.time()
    kernel_size = None
    suspect = []
    bar = tqdm(total=len(kept), desc='kernels', unit='img', dynamic_ncols=True)
    for first in range(0, len(kept), args.batch):
        batch = [read_image(osp.join(src_dir, item['file']))
                 for item in kept[first:first + args.batch]]
        # Seeds follow the image's place in the whole list, so --batch does
        # not change which random numbers an image sees.
        results = run_kernelgan(batch, scale=args.scale, iters=args.iters, device=args.device,
                                seed=args.seed, batch_size=len(batch), crop=args.crop,
                                progress=True, first_index=first)
        for item, result in zip(kept[first:first + args.batch], results):
            np.save(osp.join(out_dir, item['kernel']), result.kernel)
            item['final_losses'] = result.losses
            # The generator's own kernel should sum to ~1; far from it, the
            # generator never grew a kernel and the saved one is noise.
            item['raw_kernel_sum'] = float(result.raw_kernel_x2.sum())
            if abs(item['raw_kernel_sum'] - 1) > 0.2:
                suspect.append(item['file'])
            kernel_size = result.kernel.shape[0]
        bar.update(len(batch))
    bar.close()

    summary = dict(
        src_dir=src_dir,
        images_found=len(names),
        images_read=len(kept),
        skipped=skipped,
        scale=args.scale,
        iterations=args.iters,
        seed=args.seed,
        batch=args.batch,
        crop=args.crop,
        device=str(args.device),
        kernel_size=kernel_size,
        seconds=round(time.time() - start, 1),
        suspect=suspect,
        images=kept)
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    if suspect:
        print(f'warning: the generator of {len(suspect)} image(s) did not grow a kernel '
              f'(raw kernel sum far from 1; more --iters or another --seed may help): '
              f'{", ".join(suspect)}', file=sys.stderr)
    print(f'wrote {len(kept)} kernels ({kernel_size}x{kernel_size}, x{args.scale}) to {out_dir}; '
          f'skipped {len(skipped)}')
    return summary


if __name__ == '__main__':
    main()
