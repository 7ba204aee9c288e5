"""Packaging for mmssg.

The environment is normally built by ``tools/setup_env.sh`` (``make test`` / ``make demo``),
which installs the pinned stack first and this package with ``--no-deps``. Installed into an
environment of your own, this package asks only for the ranges it supports
(``requirements/supported.txt``): your torch and mmcv builds stay.

As MMagic and MMSegmentation do, the package carries ``mmssg/.mim``: what OpenMMLab's tools
look for in an installed package (mmengine's ``mmssg::`` config paths, ``mim train mmssg``).
An editable install (``pip install -e .``, which runs ``setup.py develop``) makes it of links
to the repository's files, so edits show at once; a wheel (``pip install .``,
``setup.py bdist_wheel``) gets copies, written into the build folder only. Its layout
(``MIM_ENTRIES``) and why: docs/model_zoo.md.
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop

REPO_ROOT = osp.dirname(osp.abspath(__file__))
# mmssg/.mim/<entry> -> the repository's file or folder. mmengine 0.10.7 reads `mmssg::A/B.py`
# as mmssg/.mim/configs/A/B.py and accepts only paths with a folder, so the top-level configs
# are reached through configs/ssg_rwsr (the whole configs folder, its _base_ and baselines
# included); configs/_base_ serves `mmssg::_base_/...`. model-index.yml and the metafile it
# imports must be there too: mmengine reads them before any `mmssg::` path. Nothing else of
# configs/ is linked, so that every config has one path under .mim (mim finds a config by
# its file name and refuses a name found twice).
MIM_ENTRIES = {
    'configs/_base_': 'configs/_base_',
    'configs/metafile.yml': 'configs/metafile.yml',
    'configs/ssg_rwsr': 'configs',
    'model-index.yml': 'model-index.yml',
    'tools': 'tools',
}


def read_requirements(name):
    """Read requirement lines from ``requirements/<name>``, dropping comments."""
    path = osp.join(REPO_ROOT, 'requirements', name)
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def read_version():
    """Read ``__version__`` from ``mmssg/version.py`` without importing the package."""
    scope = {}
    with open(osp.join(REPO_ROOT, 'mmssg', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), scope)
    return scope['__version__']


def write_mim(mim_dir, mode):
    """Write ``mmssg/.mim`` anew: the entries of ``MIM_ENTRIES``, linked or copied.

    Args:
        mim_dir (str): The ``.mim`` folder to write (anything there is replaced).
        mode (str): ``'symlink'`` (relative links to the repository's files, for an
            editable install) or ``'copy'`` (for a wheel or sdist).
    """
    if mode not in ('symlink', 'copy'):
        raise ValueError(f'write_mim: mode {mode!r}: choose symlink or copy')
    if osp.islink(mim_dir) or osp.isfile(mim_dir):
        os.remove(mim_dir)
    elif osp.isdir(mim_dir):
        shutil.rmtree(mim_dir)  # removes the links it holds, never what they point to
    for entry, source in MIM_ENTRIES.items():
        src, dst = osp.join(REPO_ROOT, source), osp.join(mim_dir, entry)
        if not osp.exists(src):
            raise FileNotFoundError(f'setup.py: {src} (for mmssg/.mim/{entry}) does not exist')
        os.makedirs(osp.dirname(dst), exist_ok=True)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, osp.dirname(dst)), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


class DevelopWithMim(develop):
    """``pip install -e .`` (``setup.py develop``): mmssg/.mim of links into the repository."""

    def run(self):
        write_mim(osp.join(REPO_ROOT, 'mmssg', '.mim'), 'symlink')
        super().run()


class BuildPyWithMim(build_py):
    """Wheels: mmssg/.mim copied into the build folder (the source tree is left alone). A PEP
    660 editable install (setuptools >= 64 asked for one) gets the links of ``develop``."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            write_mim(osp.join(REPO_ROOT, 'mmssg', '.mim'), 'symlink')
        elif not self.dry_run:
            write_mim(osp.join(self.build_lib, 'mmssg', '.mim'), 'copy')


if __name__ == '__main__':
    setup(
        name='mmssg',
        version=read_version(),
        description='Semantic Segmentation Guided Real-World Super-Resolution for '
        'MMagic and MMSegmentation',
        keywords='computer vision, real-world super-resolution, semantic segmentation, '
        'OpenMMLab',
        packages=find_packages(include=['mmssg', 'mmssg.*']),
        # the MOR study's ranking page
        package_data={'mmssg.evaluation.mor_study': ['static/*.html']},
        cmdclass={
            'build_py': BuildPyWithMim,
            'develop': DevelopWithMim
        },
        python_requires='>=3.8',
        # mmagic 1.2.0 is left out on purpose: its metadata demands mediapipe, facexlib,
        # controlnet-aux, ... (and through them opencv 4.11, which wants numpy 2). It is
        # installed with --no-deps from requirements/mmagic.txt; what it imports is in
        # requirements/runtime.txt.
        # ranges for torch, torchvision and mmcv (the user's builds stay); the pins of the
        # reproducible environment are requirements/torch.txt and mmcv.txt
        install_requires=read_requirements('supported.txt') + read_requirements('runtime.txt'),
        extras_require={
            'tests': read_requirements('tests.txt'),
            'onnx': read_requirements('optional.txt')
        },
        license='Apache License 2.0',
        classifiers=[
            'License :: OSI Approved :: Apache Software License',
            'Programming Language :: Python :: 3',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
            'Topic :: Scientific/Engineering :: Image Processing',
        ],
        zip_safe=False)
