"""Packaging for mmssg.

The environment is normally built by ``tools/setup_env.sh`` (``make test`` / ``make demo``),
which installs the pinned stack first and this package with ``--no-deps``.
"""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name):
    """Read requirement lines from ``requirements/<name>``, dropping comments."""
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def read_version():
    """Read ``__version__`` from ``mmssg/version.py`` without importing the package."""
    scope = {}
    path = osp.join(osp.dirname(__file__), 'mmssg', 'version.py')
    with open(path, encoding='utf-8') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmssg',
    version=read_version(),
    description='Semantic Segmentation Guided Real-World Super-Resolution for '
    'MMagic and MMSegmentation',
    packages=find_packages(include=['mmssg', 'mmssg.*']),
    # the MOR study's ranking page
    package_data={'mmssg.evaluation.mor_study': ['static/*.html']},
    python_requires='>=3.8',
    # mmagic 1.2.0 is left out on purpose: its metadata demands mediapipe, facexlib,
    # controlnet-aux, ... (and through them opencv 4.11, which wants numpy 2). It is
    # installed with --no-deps from requirements/mmagic.txt; what it imports is in
    # requirements/runtime.txt.
    install_requires=read_requirements('torch.txt') + read_requirements('mmcv.txt') +
    read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    license='Apache License 2.0',
)
