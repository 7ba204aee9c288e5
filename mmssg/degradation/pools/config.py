# Copyright (c) mmssg contributors. All rights reserved.
"""The pools of a training config, and whether a folder holds them.

A config says everything its pools are made from and with:

- the source images: the guided training dataset's folder (``train_dataloader.dataset``:
  ``data_root`` + ``data_prefix.img_path``), of which the images its ``image_size`` keeps
  (:mod:`.sources`), exactly the frames the guided turns train on;
- the pool folders and the scale: the ``DomainAdaptedDegradation`` transform of the adapted
  turns' pipeline (``kernel_pool``, ``noise_pool``, ``scale``);
- the estimator, ``kernel_method`` (:data:`~.settings.METHODS`), and the noise windows,
  ``noise_windows`` (the fields of :class:`~mmssg.degradation.noise_patches.NoiseCriteria`).

:func:`pool_spec` reads them into a :class:`PoolSpec`; :func:`pool_status` says whether a
pool folder is complete and was made with the spec's settings. A config without one of these
pieces is refused with an error naming the config and the key.
"""
import os.path as osp
from typing import Dict, Iterator, NamedTuple, Optional, Tuple

from mmssg.utils import SUMMARY_NAME, as_image_size
from ..noise_patches import NoiseCriteria
from .records import read_summary
from .settings import (IMAGE_LIST_KEYS, METHODS, describe_differences, differing_settings,
                       kernel_settings, noise_settings)

#: The two pools of a config.
POOL_KINDS = ('kernels', 'noise')
_DEGRADATION = 'DomainAdaptedDegradation'


class PoolSpec(NamedTuple):
    """What a pool of a config is made from and with.

    Attributes:
        kind (str): ``'kernels'`` or ``'noise'``.
        src_dir (str): The folder of real LR images.
        out_dir (str): The pool folder.
        image_size (tuple[int, int] | None): The ``(width, height)`` of the images used;
            None: every image.
        settings (dict): What the pool's summary records as ``settings``
            (:func:`~.settings.kernel_settings` with its defaults, or
            :func:`~.settings.noise_settings`), without anything derived from the image list.
    """
    kind: str
    src_dir: str
    out_dir: str
    image_size: Optional[Tuple[int, int]]
    settings: Dict


def _config_name(cfg) -> str:
    return getattr(cfg, 'filename', None) or 'the config'


def guided_images(cfg) -> Tuple[str, Optional[Tuple[int, int]]]:
    """The guided training dataset's image folder and its ``image_size`` (or None).

    Raises:
        ValueError: The config has no such dataset; the message names the config and the key.
    """
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    img_path = (dataset.get('data_prefix') or {}).get('img_path')
    if not img_path:
        raise ValueError(
            f'{_config_name(cfg)}: no train_dataloader.dataset.data_prefix.img_path: the pools '
            'are made from the guided training dataset\'s real LR images (data_root + '
            'data_prefix.img_path), which this config does not train on (an adapted-only run '
            'uses the pools of its full config); give the dataset, or SRC_DIR OUT_DIR')
    src_dir = osp.join(dataset.get('data_root') or '', img_path)
    where = f'{_config_name(cfg)}: train_dataloader.dataset'
    return src_dir, as_image_size(dataset.get('image_size'), where)


def _transforms(node, type_name: str) -> Iterator[dict]:
    """Every dict of a config tree whose ``type`` is ``type_name`` (any registry scope)."""
    if isinstance(node, dict):
        if str(node.get('type', '')).split('.')[-1] == type_name:
            yield node
        for value in node.values():
            yield from _transforms(value, type_name)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _transforms(value, type_name)


def adapted_degradation(cfg) -> Dict:
    """The training pipelines' ``DomainAdaptedDegradation``: ``kernel_pool``, ``noise_pool``,
    ``scale``.

    Raises:
        ValueError: There is none, several disagree, or a key is missing; the message names
            the config and the key.
    """
    name = _config_name(cfg)
    training = [cfg.get('train_cfg'), cfg.get('train_dataloader')]
    found = {
        (t.get('kernel_pool'), t.get('noise_pool'), t.get('scale')): t
        for t in _transforms(training, _DEGRADATION)
    }
    if not found:
        raise ValueError(f'{name}: no {_DEGRADATION} in train_cfg.dataloaders or '
                         f'train_dataloader: its kernel_pool, noise_pool and scale say where the '
                         'pools go and for which scale')
    if len(found) > 1:
        listed = '; '.join(f'kernel_pool={k!r}, noise_pool={n!r}, scale={s!r}' for k, n, s in found)
        raise ValueError(f'{name}: the training pipelines hold {len(found)} different '
                         f'{_DEGRADATION} transforms ({listed}); one pair of pools is expected')
    transform = next(iter(found.values()))
    for key in ('kernel_pool', 'noise_pool', 'scale'):
        if transform.get(key) is None:
            raise ValueError(f'{name}: {_DEGRADATION} has no {key}')
    return dict(
        kernel_pool=transform['kernel_pool'],
        noise_pool=transform['noise_pool'],
        scale=transform['scale'])


def config_kernel_settings(cfg, scale: int) -> Dict:
    """The kernel settings of a config: ``kernel_method`` at ``scale``, KernelGAN's defaults."""
    method = cfg.get('kernel_method')
    if method not in METHODS:
        got = 'none' if method is None else repr(method)
        raise ValueError(f'{_config_name(cfg)}: kernel_method must be one of '
                         f'{", ".join(METHODS)} (the kernel estimator), got {got}')
    try:
        return kernel_settings(method, scale)
    except ValueError as error:
        raise ValueError(f'{_config_name(cfg)}: {_DEGRADATION}: {error}') from None


def config_noise_settings(cfg) -> Dict:
    """The noise settings of a config: its ``noise_windows`` as :class:`NoiseCriteria`."""
    windows = cfg.get('noise_windows')
    if not isinstance(windows, dict):
        raise ValueError(f'{_config_name(cfg)}: noise_windows must be a dict of the noise-window '
                         'settings (patch_size, sub_size, stride, sub_stride, mu, gamma, phi), '
                         f'got {"none" if windows is None else repr(windows)}')
    try:
        return noise_settings(NoiseCriteria(**windows))
    except (TypeError, ValueError) as error:
        raise ValueError(f'{_config_name(cfg)}: noise_windows: {error}') from None


def pool_spec(cfg, kind: str) -> PoolSpec:
    """What a config's kernel or noise pool is made from and with.

    Args:
        cfg (mmengine.Config): A training config, loaded.
        kind (str): ``'kernels'`` or ``'noise'``.

    Returns:
        PoolSpec: Source folder, pool folder, image size and settings.

    Raises:
        ValueError: ``kind`` is neither, or the config lacks a piece (the guided dataset, the
            ``DomainAdaptedDegradation``, ``kernel_method``, ``noise_windows``); the message
            names the config and the key.
    """
    if kind not in POOL_KINDS:
        raise ValueError(f'pool kind {kind!r}: expected one of {", ".join(POOL_KINDS)}')
    src_dir, image_size = guided_images(cfg)
    degradation = adapted_degradation(cfg)
    if kind == 'kernels':
        return PoolSpec(kind, src_dir, degradation['kernel_pool'], image_size,
                        config_kernel_settings(cfg, degradation['scale']))
    return PoolSpec(kind, src_dir, degradation['noise_pool'], image_size,
                    config_noise_settings(cfg))


def _images_of(image_size) -> str:
    return 'every image' if image_size is None else f'the {image_size[0]}x{image_size[1]} images'


def pool_status(spec: PoolSpec) -> Optional[str]:
    """Whether ``spec.out_dir`` holds a complete pool made with ``spec``'s settings.

    A pool is complete when its ``summary.json`` is there (the writers write it last); it
    matches when that summary records the spec's ``settings`` (a pooled kernel's
    ``pooled_over`` aside) and the same ``image_size``.

    Args:
        spec (PoolSpec): What :func:`pool_spec` returns.

    Returns:
        str | None: None when the pool is there and current, else one line saying why not.
    """
    path = osp.join(spec.out_dir, SUMMARY_NAME)
    if not osp.isfile(path):
        what = 'no pool folder' if not osp.isdir(spec.out_dir) else f'no {SUMMARY_NAME}'
        return f'{spec.kind} pool {spec.out_dir}: {what} (not built, or not finished)'
    try:
        summary = read_summary(path)
    except ValueError as error:
        return str(error)
    if not isinstance(summary.get('settings'), dict):
        return f'{path} records no settings (written by an older version of the pool tools)'
    differences = {
        key: values
        for key, values in differing_settings(summary['settings'], spec.settings).items()
        if key not in IMAGE_LIST_KEYS
    }
    if differences:
        return f'{path} was made with {describe_differences(differences, "this config")}'
    recorded = summary.get('image_size')
    wanted = list(spec.image_size) if spec.image_size is not None else None
    if recorded != wanted:
        return (f'{path} was made from {_images_of(recorded)} of {summary.get("src_dir")} '
                f'(this config: {_images_of(wanted)})')
    return None
