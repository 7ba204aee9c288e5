# Copyright (c) mmssg contributors. All rights reserved.
"""mmssg: Semantic Segmentation Guided Real-World Super-Resolution for OpenMMLab.

Importing the package registers every component into MMagic's registries
(default scope ``mmagic``); configs load it with
``custom_imports = dict(imports=['mmssg'], allow_failed_imports=False)``.
It also lets configs inherit mmssg's through the ``mmssg::`` prefix
(``_base_ = ['mmssg::ssg_rwsr/ssg_rwsr_x4_cityscapes.py']``, docs/model_zoo.md).
"""
from mmengine.config.utils import MODULE2PACKAGE

from . import datasets, engine, evaluation, models, registry, visualization  # noqa: F401
from .version import __version__

# mmengine 0.10.7 resolves `<module>::path` only for the modules of this table, its one
# extension point: `mmssg::` then reads mmssg/.mim/configs/ (setup.py), and what it marks
# `_scope_='mmssg'` builds through mmssg/registry.py
MODULE2PACKAGE.setdefault('mmssg', 'mmssg')

__all__ = ['__version__']
