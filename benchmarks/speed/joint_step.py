# Copyright (c) mmssg contributors. All rights reserved.
"""Time SSG-RWSR training turns: the plugin against plain PyTorch, in the same run.

For each precision mode, the plugin's turn is ``model.train_step`` (data preprocessor,
MMSegmentation's loss path, mmengine optimizer wrappers, the split backward); the baseline
calls the very same networks directly: ``RRDBNet`` -> normalisation -> ``fcn_hr18``'s
``extract_feat`` + ``decode_head`` -> cross-entropy on guided turns, ``RRDBNet`` -> L1 +
``lpips`` on adapted turns, plain ``torch.optim.Adam``. Plugin and baseline turns are
interleaved so that both see the same machine state; the reported time is the median.

    python benchmarks/speed/joint_step.py --batch 1 --lr-size 32 --modes fp32            # CPU
    python benchmarks/speed/joint_step.py --device cuda --batch 12 --lr-size 128 \
        --modes fp32 bf16 bf16_cl bf16_cl+fused bf16_cl+fused+compile_seg                 # GPU

A mode is a precision (fp32, bf16, bf16_cl = bf16 + channels_last, fp16) followed by any
of the levers in ``LEVERS`` joined with '+'; each lever is applied to both sides. A mode that
fails (a lever the machine cannot use) is recorded with its error and the run goes on.
Figures: ``benchmarks/RESULTS.md#joint_step-h100`` and ``#joint_step-cpu``.
"""
import argparse
import copy
import json
import os
import platform
import resource
import statistics
import sys
import time
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmssg  # noqa: F401  (registers the plugin)
from mmssg.testing import REPO_ROOT, tiny_model_cfg
from mmssg.utils import replace_norm_type

PRECISIONS = {
    'fp32': dict(dtype=None, channels_last=False),
    'bf16': dict(dtype=torch.bfloat16, channels_last=False),
    'bf16_cl': dict(dtype=torch.bfloat16, channels_last=True),
    'fp16': dict(dtype=torch.float16, channels_last=False),
}
# Levers added to a precision with '+', e.g. 'bf16_cl+fused+compile_seg'; each is applied to
# the plugin (through its config options) and to the plain baseline alike.
LEVERS = {
    'fused': 'fused Adam (one kernel per optimizer step) for both networks',
    'compile_gen': 'torch.compile of the generator',
    'compile_seg': "torch.compile of the segmentor's backbone",
    'cudagraphs': "torch.compile mode='reduce-overhead' (CUDA graphs) for generator and "
    'segmentor backbone',
    'lpips_bf16': 'LPIPS under the bf16 autocast instead of fp32',
}
ALIASES = {'bf16_cl_compile': 'bf16_cl+compile_gen'}


def parse_mode(mode):
    """``'bf16_cl+fused'`` -> dict(dtype=..., channels_last=..., levers={'fused'})."""
    precision, *levers = ALIASES.get(mode, mode).split('+')
    if precision not in PRECISIONS or not set(levers) <= set(LEVERS):
        raise SystemExit(f'unknown mode {mode!r}: a precision of {sorted(PRECISIONS)} followed '
                         f'by "+lever"s of {sorted(LEVERS)} (or one of {sorted(ALIASES)})')
    return dict(PRECISIONS[precision], levers=set(levers))


def compile_options(levers, network, backend='inductor'):
    """The model's compile_generator / compile_segmentor value (False or torch.compile kwargs)."""
    if 'cudagraphs' in levers:
        return dict(mode='reduce-overhead', backend=backend)
    return dict(backend=backend) if f'compile_{network}' in levers else False


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/ssg_rwsr_x4_cityscapes.py')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--lr-size', type=int, default=32)
    parser.add_argument('--iters', type=int, default=5, help='timed turns of each kind')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--modes',
        nargs='+',
        default=['fp32'],
        help=f'precisions {sorted(PRECISIONS)}, each optionally followed by '
        f'"+lever"s: {LEVERS}')
    parser.add_argument(
        '--compile-backend',
        default='inductor',
        help="torch.compile backend of the compile levers ('eager' to check "
        'the path quickly)')
    parser.add_argument('--tf32', action='store_true', help='allow TF32 matmuls/convs in fp32')
    parser.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: all cores)')
    parser.add_argument('--tiny', action='store_true', help='the tiny test networks instead')
    parser.add_argument(
        '--pretrained-lpips',
        action='store_true',
        help='ImageNet LPIPS backbone (downloads); default: random, same cost')
    parser.add_argument('--json', help='write the results here')
    args = parser.parse_args(argv)
    for mode in args.modes:
        parse_mode(mode)  # every mode name is checked before the first is measured
    return args


def model_config(args, mode):
    cfg = Config.fromfile(os.path.join(REPO_ROOT, args.config)).model
    cfg.generator.init_cfg = None
    cfg.segmentor.init_cfg = None
    cfg.perceptual_loss.pretrained_backbone = args.pretrained_lpips
    replace_norm_type(cfg, 'SyncBN', 'BN')  # one process: SyncBN would need a process group
    if args.tiny:
        tiny = tiny_model_cfg()
        cfg.generator, cfg.segmentor = tiny.generator, tiny.segmentor
    mode = parse_mode(mode)
    cfg.channels_last = mode['channels_last']
    cfg.compile_generator = compile_options(mode['levers'], 'gen', args.compile_backend)
    cfg.compile_segmentor = compile_options(mode['levers'], 'seg', args.compile_backend)
    cfg.perceptual_loss.fp32 = 'lpips_bf16' not in mode['levers']
    return cfg


def optim_wrappers(model, args, mode):
    from mmengine.optim import build_optim_wrapper
    dtype = parse_mode(mode)['dtype']
    adam = dict(type='Adam', lr=1e-4, fused='fused' in parse_mode(mode)['levers'])
    if dtype is None:
        wrapper = dict(type='OptimWrapper')
    elif dtype == torch.bfloat16:  # bf16 has fp32's range: no loss scaling, as in the configs
        wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale=dict(enabled=False))
    else:
        wrapper = dict(type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic')
    return build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(wrapper, optimizer=adam),
            segmentor=dict(wrapper, optimizer=adam)))


def synthetic_batches(args, num_classes=19):
    g = torch.Generator().manual_seed(0)
    s = args.lr_size
    guided = dict(
        inputs=[
            torch.randint(0, 256, (3, s, s), generator=g, dtype=torch.uint8)
            for _ in range(args.batch)
        ],
        data_samples=[
            DataSample(
                gt_seg_map=torch.randint(0, num_classes, (1, s, s), generator=g, dtype=torch.uint8),
                metainfo=dict(img_channel_order='rgb')) for _ in range(args.batch)
        ],
        turn='guided')
    adapted = dict(
        inputs=[
            torch.randint(0, 256, (3, s, s), generator=g, dtype=torch.uint8)
            for _ in range(args.batch)
        ],
        data_samples=[
            DataSample(
                gt_img=torch.randint(0, 256, (3, 4 * s, 4 * s), generator=g, dtype=torch.uint8),
                metainfo=dict(img_channel_order='rgb', gt_channel_order='rgb'))
            for _ in range(args.batch)
        ],
        turn='adapted')
    return guided, adapted


class PlainPyTorch:
    """The same networks and losses, called directly, with plain Adam."""

    def __init__(self, model, device, mode, compile_backend='inductor'):
        mode = parse_mode(mode)
        levers = mode['levers']
        self.generator = copy.deepcopy(model.generator)
        self.forward_generator = self.generator
        gen_compile = compile_options(levers, 'gen', compile_backend)
        if gen_compile:
            self.forward_generator = torch.compile(self.generator, **gen_compile)
        self.segmentor = copy.deepcopy(model.segmentor)
        seg_compile = compile_options(levers, 'seg', compile_backend)
        if seg_compile:
            self.segmentor.backbone.compile(**seg_compile)
        self.lpips = copy.deepcopy(model.perceptual_loss.lpips)
        self.lpips_fp32 = 'lpips_bf16' not in levers
        fused = 'fused' in levers
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=1e-4, fused=fused)
        self.opt_s = torch.optim.Adam(self.segmentor.parameters(), lr=1e-4, fused=fused)
        pre = self.segmentor.data_preprocessor
        self.mean, self.std = pre.mean.to(device), pre.std.to(device)
        self.device = device
        self.dtype = mode['dtype']
        self.channels_last = mode['channels_last']
        self.scaler = torch.amp.GradScaler(device, enabled=self.dtype == torch.float16)

    def _fmt(self, x):
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _autocast(self):
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(self.device.split(':')[0], dtype=self.dtype)

    def guided(self, lr, labels):
        lr, labels = lr.to(self.device), labels.to(self.device).long()
        with self._autocast():
            sr = self.forward_generator(self._fmt(lr.float() / 255))
            seg_in = self._fmt((sr * 255 - self.mean) / self.std)
            logits = self.segmentor.decode_head(self.segmentor.extract_feat(seg_in))
            loss = 0.01 * F.cross_entropy(logits.float(), labels, ignore_index=255)
        self.scaler.scale(loss).backward()
        for opt in (self.opt_g, self.opt_s):
            self.scaler.step(opt)
            opt.zero_grad(set_to_none=True)
        self.scaler.update()

    def adapted(self, lr, gt):
        lr, gt = lr.to(self.device), gt.to(self.device)
        with self._autocast():
            sr = self.forward_generator(self._fmt(lr.float() / 255))
            target = self._fmt(gt.float() / 255)
            loss = 0.01 * F.l1_loss(sr.float(), target)
        if self.lpips_fp32:
            with torch.autocast(self.device.split(':')[0], enabled=False):
                loss = loss + 0.1 * self.lpips(sr.float() * 2 - 1, target * 2 - 1).mean()
        else:
            with self._autocast():
                loss = loss + 0.1 * self.lpips(sr * 2 - 1, target * 2 - 1).mean()
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt_g)
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.update()


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def peak_memory_gib(device):
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def turn_steps(model, optim, plain, guided, adapted):
    """The four timed turns: plugin and plain, guided and adapted."""
    # the baseline also starts from uint8 CPU batches and moves them to the device each turn
    lr_g = torch.stack(guided['inputs'])
    labels = torch.stack([s.gt_seg_map[0] for s in guided['data_samples']])
    lr_a = torch.stack(adapted['inputs'])
    gt = torch.stack([s.gt_img for s in adapted['data_samples']])
    return {
        'plugin guided': lambda: model.train_step(copy.copy(guided), optim),
        'plain guided': lambda: plain.guided(lr_g, labels),
        'plugin adapted': lambda: model.train_step(copy.copy(adapted), optim),
        'plain adapted': lambda: plain.adapted(lr_a, gt),
    }


def time_steps(steps, args):
    times = {name: [] for name in steps}
    for i in range(args.warmup + args.iters):
        for name, step in steps.items():
            sync(args.device)
            t0 = time.perf_counter()
            step()
            sync(args.device)
            if i >= args.warmup:
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(v) for name, v in times.items()}


def run_mode(args, mode):
    init_default_scope('mmagic')
    torch.manual_seed(0)
    model = MODELS.build(model_config(args, mode)).to(args.device).train()
    optim = optim_wrappers(model, args, mode)
    plain = PlainPyTorch(model, args.device, mode, args.compile_backend)
    med = time_steps(turn_steps(model, optim, plain, *synthetic_batches(args)), args)
    row = dict(mode=mode, **{f'{k} ms': 1000 * v for k, v in med.items()})
    row['plugin avg ms'] = 500 * (med['plugin guided'] + med['plugin adapted'])
    row['plain avg ms'] = 500 * (med['plain guided'] + med['plain adapted'])
    row['ratio guided'] = med['plugin guided'] / med['plain guided']
    row['ratio adapted'] = med['plugin adapted'] / med['plain adapted']
    row['ratio avg'] = row['plugin avg ms'] / row['plain avg ms']
    row['plugin img/s'] = args.batch / (row['plugin avg ms'] / 1000)
    row['peak GiB'] = peak_memory_gib(args.device)
    del model, optim, plain
    if args.device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    torch._dynamo.reset()  # compiled graphs of this mode's networks are not reused
    return row


def describe_machine(args):
    if args.device.startswith('cuda'):
        return torch.cuda.get_device_name()
    return f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores'


def measure_modes(args, cols):
    """Each mode's row, printed as soon as it is measured; a failed mode is recorded."""
    rows = []
    for mode in args.modes:
        try:
            row = run_mode(args, mode)
        except Exception as error:  # a lever this machine cannot use: record it, go on
            row = dict(mode=mode, error=f'{type(error).__name__}: {error}'[:500])
            print(f'| {mode} | failed: {row["error"]} |', flush=True)
        else:
            print(
                '| ' + ' | '.join(
                    str(row[c]) if isinstance(row[c], str) else f'{row[c]:.3g}'
                    for c in cols) + ' |',
                flush=True)
        rows.append(row)
        if args.json:
            with open(args.json, 'w') as f:
                json.dump(
                    dict(device=describe_machine(args), args=vars(args), rows=rows), f, indent=2)
    return rows


def main(argv=None):
    args = parse_args(argv)
    if args.device == 'cpu':
        torch.set_num_threads(args.threads or os.cpu_count())
    if args.tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    print(f'\n{describe_machine(args)}, torch {torch.__version__}, batch {args.batch}, LR '
          f'{args.lr_size} -> SR {4 * args.lr_size}, {"tiny" if args.tiny else "paper-sized"} '
          f'networks, median of {args.iters} turns\n')
    cols = [
        'mode', 'plugin guided ms', 'plain guided ms', 'ratio guided', 'plugin adapted ms',
        'plain adapted ms', 'ratio adapted', 'plugin avg ms', 'ratio avg', 'plugin img/s',
        'peak GiB'
    ]
    print('| ' + ' | '.join(cols) + ' |')
    print('|' + '---|' * len(cols), flush=True)
    rows = measure_modes(args, cols)
    command = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'\ncommand: python benchmarks/speed/joint_step.py {command}')
    return 0 if any('error' not in row for row in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
