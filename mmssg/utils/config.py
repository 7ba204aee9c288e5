# Copyright (c) mmssg contributors. All rights reserved.
"""Config adjustments the tools make for the machine they run on."""
import hashlib
import json
import os.path as osp
from typing import Any, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
_CHECKOUT_CONFIGS = osp.join(osp.dirname(_PACKAGE_DIR), 'configs')
#: This package's configs: the ``configs/`` folder of the checkout it is installed from
#: (``pip install -e .``, as the README sets it up), else the copy a wheel carries under
#: ``mmssg/.mim/configs/ssg_rwsr`` (setup.py). The checkout's folder is known by the paper's
#: config, not by its name alone: another distribution may have put a ``configs`` folder
#: beside the package in site-packages.
CONFIG_ROOT = (
    _CHECKOUT_CONFIGS if osp.isfile(osp.join(_CHECKOUT_CONFIGS, 'ssg_rwsr_x4_cityscapes.py')) else
    osp.join(_PACKAGE_DIR, '.mim', 'configs', 'ssg_rwsr'))


def load_run_config(config: str,
                    launcher: str = 'none',
                    cfg_options: Optional[dict] = None,
                    work_dir: Optional[str] = None) -> Config:
    """Load a config for a run of tools/train.py or tools/test.py, with the command line applied.

    Args:
        config (str): Config file path.
        launcher (str): Job launcher (``none``, ``pytorch``, ``slurm``, ``mpi``).
        cfg_options (dict, optional): ``--cfg-options`` to merge. Default: None.
        work_dir (str, optional): Overrides the config's ``work_dir``; without
            either, ``./work_dirs/<config name>``. Default: None.

    Returns:
        Config: The config; nothing is adapted to the device yet.
    """
    # No yapf pass over the config text: the runner formats it for every dump and log (four
    # times a run, about 3 s each for these configs on a CPU); the dumped file is the same
    # Python, unindented.
    try:
        cfg = Config.fromfile(config, format_python_code=False)
    except (SyntaxError, NameError) as error:  # mmengine names neither the file nor its base
        raise ValueError(f'config {config} (or a _base_ it inherits) is not valid Python: '
                         f'{type(error).__name__}: {error}') from None
    # mmengine 0.10.7 drops the flag for non-lazy (``_base_``-style) configs: set it here
    object.__setattr__(cfg, '_format_python_code', False)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def replace_norm_type(node: Any, old: str, new: str) -> List[str]:
    """Replace ``type=old`` by ``type=new`` in every ``norm_cfg`` of a config tree.

    Args:
        node: A config (dict/list tree).
        old (str): Norm type to replace, e.g. ``'SyncBN'``.
        new (str): Replacement, e.g. ``'BN'``.

    Returns:
        list[str]: Dotted paths of the replaced entries.
    """
    replaced = []

    def visit(value, path):
        if isinstance(value, dict):
            for key, child in value.items():
                if key == 'norm_cfg' and isinstance(child, dict) and child.get('type') == old:
                    child['type'] = new
                    replaced.append(f'{path}.{key}'.lstrip('.'))
                else:
                    visit(child, f'{path}.{key}')
        elif isinstance(value, (list, tuple)):
            for i, child in enumerate(value):
                visit(child, f'{path}[{i}]')

    visit(node, '')
    return replaced


def adapt_to_device(cfg: Config, cuda: Optional[bool] = None) -> Config:
    """Let a GPU config run on CPUs: ``gloo`` instead of ``nccl``, BN instead of SyncBN.

    The paper's configs name ``nccl`` and SyncBN for multi-GPU training; both
    need CUDA. On a machine without GPUs this switches them (and says so), so
    that ``tools/dist_train.sh CONFIG N`` also runs N CPU processes.

    Args:
        cfg (Config): The config, changed in place.
        cuda (bool, optional): Whether CUDA is usable; detected by default.

    Returns:
        Config: ``cfg``.
    """
    if cuda is None:
        cuda = torch.cuda.is_available()
    if cuda:
        return cfg
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
        print_log('No GPU: distributed backend nccl -> gloo', logger='current')
    replaced = replace_norm_type(cfg.get('model', {}), 'SyncBN', 'BN')
    if replaced:
        print_log(f'No GPU: SyncBN -> BN in {", ".join(replaced)}', logger='current')
    return cfg


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> Config:
    """Turn every optimizer wrapper of a config into mmengine's ``AmpOptimWrapper``.

    Handles single wrappers and the per-network wrappers of
    ``MultiOptimWrapperConstructor`` configs.

    Args:
        cfg (Config): The config, changed in place.
        dtype (str, optional): ``'float16'`` (mmengine's default, dynamic loss
            scaling) or ``'bfloat16'`` (no loss scaling: bf16 has fp32's range).

    Returns:
        Config: ``cfg``.
    """
    if not torch.cuda.is_available():
        raise RuntimeError('--amp needs a CUDA GPU (mmengine\'s AmpOptimWrapper); '
                           'none is available on this machine')
    optim = cfg.optim_wrapper
    wrappers = ([optim[k] for k in optim if isinstance(optim[k], dict) and 'optimizer' in optim[k]]
                if optim.get('constructor') == 'MultiOptimWrapperConstructor' else [optim])
    for wrapper in wrappers:
        if wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            continue
        wrapper['type'] = 'AmpOptimWrapper'
        if dtype is not None:
            wrapper['dtype'] = dtype
        wrapper.setdefault('loss_scale', dict(enabled=False) if dtype == 'bfloat16' else 'dynamic')
    return cfg


def init_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Start the process group of a ``torch.distributed.run`` launch on a CPU-only machine.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` before creating
    the process group, which fails without GPUs. The runner skips its own
    initialisation when a group exists, so creating it here (with the config's
    backend, ``gloo`` after :func:`adapt_to_device`) lets the usual launchers
    run N CPU processes.

    Args:
        cfg (Config): The run's config.
        launcher (str): The ``--launcher`` of the tool.

    Returns:
        bool: Whether a process group was created here.
    """
    import datetime

    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return False
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    backend = dist_cfg.pop('backend', 'gloo')
    timeout = dist_cfg.pop('timeout', None)
    kwargs = dict(timeout=datetime.timedelta(seconds=timeout)) if timeout else {}
    dist.init_process_group(backend=backend, **kwargs)
    return True


def resolved_config_digest(path: str) -> str:
    """SHA-256 of a config as mmengine resolves it: its ``_base_`` files merged, its variables
    (``{{ fileDirname }}``, ``{{$ENV:default}}``) filled in. Comments and layout do not count.
    """
    cfg = Config.fromfile(path, format_python_code=False)
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()
