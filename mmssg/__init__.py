# Copyright (c) mmssg contributors. All rights reserved.
"""mmssg: Semantic Segmentation Guided Real-World Super-Resolution for OpenMMLab.

Importing the package registers every component into MMagic's registries
(default scope ``mmagic``); configs load it with
``custom_imports = dict(imports=['mmssg'], allow_failed_imports=False)``.
"""
from . import datasets, engine, evaluation, models  # noqa: F401
from .version import __version__

__all__ = ['__version__']
