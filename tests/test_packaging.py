# Copyright (c) mmssg contributors. All rights reserved.
"""mmssg as an OpenMMLab package: ``mmssg/.mim`` (setup.py), configs inherited through
``mmssg::`` from another project, the model index, the model zoo page, licence and citation."""
import copy
import functools
import hashlib
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
import yaml
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.utils import get_installed_path

import mmssg
from mmssg.models import SSGRWSR
from mmssg.testing import REPO_ROOT
from mmssg.utils import adapt_to_device

MIM = osp.join(get_installed_path('mmssg'), '.mim')
PAPER_CONFIG = osp.join(REPO_ROOT, 'configs', 'ssg_rwsr_x4_cityscapes.py')
# the batch of a training config's comment: 4 GPUs x its per-process batch
GPUS = 4
# SHA-1 of the Apache License 2.0 text as the ASF publishes it (LICENSE-2.0.txt)
APACHE_2_SHA1 = '2b8b815229aa8a61e483fb4ba0588b8b6c491890'


@functools.lru_cache(maxsize=None)
def load(path):
    """A config, parsed once per test session (tests only read it)."""
    return Config.fromfile(path)


def read(*parts):
    with open(osp.join(REPO_ROOT, *parts), encoding='utf-8') as f:
        return f.read()


def file_tree(root):
    """``{relative path: bytes}`` of every file under ``root``, links followed, caches left
    out."""
    files = {}
    for folder, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in names:
            if not name.endswith('.pyc'):
                with open(osp.join(folder, name), 'rb') as f:
                    files[osp.relpath(osp.join(folder, name), root)] = f.read()
    return files


def without_scope(node):
    """A resolved config's dicts without the ``_scope_`` keys mmengine adds."""
    if isinstance(node, dict):
        return {k: without_scope(v) for k, v in node.items() if k != '_scope_'}
    if isinstance(node, (list, tuple)):
        return [without_scope(v) for v in node]
    return node


def build_as_the_runner(cfg):
    """The model as mmengine's Runner builds it (root registry, the config's default scope),
    on the CPU and without model-zoo downloads."""
    cfg = copy.deepcopy(cfg)
    cfg.model.generator.init_cfg = None
    cfg.model.segmentor.init_cfg = None
    cfg.model.perceptual_loss.pretrained_backbone = False
    adapt_to_device(cfg, cuda=False)
    init_default_scope(cfg.default_scope)
    return MODELS.build(cfg.model)


def test_editable_install_links_mim_to_the_repository():
    assert osp.realpath(osp.join(MIM, 'configs', 'ssg_rwsr')) == osp.join(REPO_ROOT, 'configs')
    assert osp.realpath(osp.join(MIM, 'configs',
                                 '_base_')) == osp.join(REPO_ROOT, 'configs', '_base_')
    assert osp.realpath(osp.join(MIM, 'tools')) == osp.join(REPO_ROOT, 'tools')
    assert osp.realpath(osp.join(MIM, 'model-index.yml')) == osp.join(REPO_ROOT, 'model-index.yml')
    assert sorted(os.listdir(osp.join(MIM, 'configs'))) == ['_base_', 'metafile.yml', 'ssg_rwsr']
    if shutil.which('git') and osp.isdir(osp.join(REPO_ROOT, '.git')):
        ignored = subprocess.run(['git', 'check-ignore', '-q', 'mmssg/.mim/configs'], cwd=REPO_ROOT)
        assert ignored.returncode == 0, 'mmssg/.mim is generated: git must ignore it'


def test_a_wheel_carries_copies_of_what_the_editable_install_links(tmp_path):
    source = tmp_path / 'src'
    source.mkdir()
    for name in ('setup.py', 'model-index.yml', 'LICENSE'):
        shutil.copy(osp.join(REPO_ROOT, name), source / name)
    skip = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in ('mmssg', 'configs', 'tools', 'requirements'):
        shutil.copytree(osp.join(REPO_ROOT, name), source / name, ignore=skip)
    build = [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation']
    subprocess.run(
        build + ['-w', str(tmp_path / 'dist'), '.'], cwd=source, check=True, capture_output=True)
    assert not (source / 'mmssg' / '.mim').exists()  # copied into the build folder only
    (wheel, ) = (tmp_path / 'dist').glob('mmssg-*.whl')
    with zipfile.ZipFile(wheel) as archive:
        packed = {
            name[len('mmssg/.mim/'):]: archive.read(name)
            for name in archive.namelist() if name.startswith('mmssg/.mim/')
        }
        assert any(n.endswith('/LICENSE') for n in archive.namelist())
    assert packed == file_tree(MIM)
    # installed from the wheel (no checkout beside it), the tools find the configs it carries
    site = tmp_path / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
        str(site),
        str(wheel)
    ],
                   check=True,
                   capture_output=True)
    # a fresh user's shell: no demo root left behind by a demo run in this process
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith('MMSSG_')}
    probe = ('import mmssg, os.path as osp; from mmssg.utils import CONFIG_ROOT; '
             'from mmengine.config import Config; print(mmssg.__file__); print(CONFIG_ROOT); '
             "print(Config.fromfile(osp.join(CONFIG_ROOT, 'ssg_rwsr_x4_demo.py')).scale)")
    lines = subprocess.run([sys.executable, '-c', probe],
                           cwd=tmp_path,
                           env=dict(clean_env, PYTHONPATH=str(site)),
                           check=True,
                           capture_output=True,
                           text=True).stdout.splitlines()
    assert lines[0].startswith(str(site))
    assert lines[1] == str(site / 'mmssg' / '.mim' / 'configs' / 'ssg_rwsr')
    assert lines[2] == '4'


def test_a_config_outside_the_repository_inherits_the_paper_config(tmp_path):
    config = tmp_path / 'my_ssg_rwsr.py'
    config.write_text("_base_ = ['mmssg::ssg_rwsr/ssg_rwsr_x4_cityscapes.py']\n"
                      'train_cfg = dict(max_iters=1000)\n')
    cfg = Config.fromfile(str(config))
    assert cfg.train_cfg.max_iters == 1000
    paper = Config.fromfile(PAPER_CONFIG)
    assert without_scope(cfg.model.to_dict()) == without_scope(paper.model.to_dict())
    assert cfg.model._scope_ == 'mmssg' and cfg.model.segmentor._scope_ == 'mmseg'
    model = build_as_the_runner(cfg)
    assert isinstance(model, SSGRWSR) and len(model.generator.body) == 23


def test_a_config_outside_the_repository_inherits_a_base_file(tmp_path):
    config = tmp_path / 'my_model.py'
    config.write_text("_base_ = ['mmssg::_base_/models/ssg_rwsr_x4.py']\n"
                      'model = dict(guided_loss_weight=0.02)\n')
    cfg = Config.fromfile(str(config))
    assert cfg.model.guided_loss_weight == 0.02
    assert cfg.model.generator.init_cfg.checkpoint == cfg.esrgan_psnr_x4_init.checkpoint
    paper = Config.fromfile(osp.join(REPO_ROOT, 'configs', '_base_', 'models', 'ssg_rwsr_x4.py'))
    assert without_scope(cfg.model.segmentor.to_dict()) == without_scope(
        paper.model.segmentor.to_dict())


def test_baselines_resolve_their_parent_through_the_same_folder(tmp_path):
    config = tmp_path / 'my_baseline.py'
    config.write_text("_base_ = ['mmssg::ssg_rwsr/baselines/bicubic_x4_cityscapes.py']\n")
    cfg = Config.fromfile(str(config))
    assert cfg.model.generator.type == 'BicubicUpsampler' and cfg.model.segmentor is None


def test_mmengine_refuses_a_top_level_config_without_its_folder(tmp_path):
    """docs/model_zoo.md: mmengine 0.10.7 accepts `mmssg::FOLDER/...` only."""
    config = tmp_path / 'no_folder.py'
    config.write_text("_base_ = ['mmssg::ssg_rwsr_x4_cityscapes.py']\n")
    with pytest.raises(ValueError, match='relative config path'):
        Config.fromfile(str(config))


def model_index():
    """``(models, collection names)`` of model-index.yml and the metafiles it imports."""
    index = yaml.safe_load(read('model-index.yml'))
    models, collections = [], []
    for metafile in index['Import']:
        meta = yaml.safe_load(read(metafile))
        models += meta['Models']
        collections += [c['Name'] for c in meta['Collections']]
    return models, collections


def top_level_configs():
    """The paths of configs/*.py."""
    folder = osp.join(REPO_ROOT, 'configs')
    return [osp.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith('.py')]


def test_model_index_lists_every_training_config_and_each_parses():
    models, collections = model_index()
    listed = set()
    for model in models:
        path = osp.join(REPO_ROOT, model['Config'])
        assert osp.isfile(path), model['Config']
        assert model['Name'] == osp.splitext(osp.basename(path))[0]
        assert model['In Collection'] in collections
        assert 'Weights' not in model, 'no mmssg-trained weights are published'
        load(path)
        listed.add(osp.basename(path))
    # training configs: all top-level ones but the test-only (no segmentor) and the demo
    training = {
        osp.basename(p)
        for p in top_level_configs() if load(p).model.segmentor is not None
    } - {'ssg_rwsr_x4_demo.py'}
    assert listed == training


def test_model_index_metadata_is_the_configs_and_results_the_papers():
    for model in model_index()[0]:
        cfg = load(osp.join(REPO_ROOT, model['Config']))
        meta = model['Metadata']
        assert meta['Batch Size'] == cfg.train_dataloader.batch_size * GPUS
        assert meta['Iterations'] == cfg.train_cfg.max_iters
        assert meta['Training Resources'] == f'{GPUS} GPUs'
        assert meta['Generator Start'] == cfg.model.generator.init_cfg.checkpoint
        assert meta['Segmentor Start'] == cfg.model.segmentor.init_cfg.checkpoint
        source = model['Results Source']
        if 'Results' in model:
            assert re.match(r'the paper, Table \d', source) and 'not an mmssg run' in source
        else:
            assert source.startswith('none; ')


def zoo_rows():
    """``{config file name: row text}`` of docs/model_zoo.md's tables."""
    rows = {}
    for line in read('docs', 'model_zoo.md').splitlines():
        for name in re.findall(r'^\| `([\w/*]+\.py)`', line):
            rows[name] = line
    return rows


def test_model_zoo_page_agrees_with_the_index_and_the_configs():
    rows = zoo_rows()
    urls_loaded = set()
    for model in model_index()[0]:
        row = rows[osp.basename(model['Config'])]
        for result in model.get('Results', []):
            for metric, value in result['Metrics'].items():
                figure = f'{value:.2f}' if metric in ('NIMA', 'PSNR') else f'{value:g}'
                assert f'{metric} {figure}' in row, (model['Name'], metric)
        urls_loaded |= {model['Metadata']['Generator Start'], model['Metadata']['Segmentor Start']}
    for baseline in ('esrgan_x4_cityscapes.py', 'realesrnet_x4_cityscapes.py',
                     'realesrgan_x4_cityscapes.py'):
        cfg = load(osp.join(REPO_ROOT, 'configs', 'baselines', baseline))
        urls_loaded.add(cfg.model.generator.init_cfg.checkpoint)
    urls_listed = set(
        re.findall(r'https://download\.openmmlab\.com/\S+\.pth', read('docs', 'model_zoo.md')))
    assert urls_listed == urls_loaded


def test_licence_is_the_apache_2_text():
    copyright_line, text = read('LICENSE').split('\n', 1)
    assert copyright_line == 'Copyright (c) mmssg contributors. All rights reserved.'
    assert hashlib.sha1(text.encode()).hexdigest() == APACHE_2_SHA1
    assert "license='Apache License 2.0'" in read('setup.py')
    assert yaml.safe_load(read('CITATION.cff'))['license'] == 'Apache-2.0'


def readme_bibtex():
    """``{field: value}`` of README.md's BibTeX entry, whitespace collapsed."""
    block = re.search(r'```bibtex\n(.*?)```', read('README.md'), re.S)[1]
    return {k: ' '.join(v.split()) for k, v in re.findall(r'(\w+)\s*=\s*\{([^{}]*)\}', block)}


def test_citation_file_and_readme_cite_the_same_paper():
    cff = yaml.safe_load(read('CITATION.cff'))
    assert cff['cff-version'] == '1.2.0' and cff['type'] == 'software'
    assert cff['message'] and cff['title'] and cff['authors']
    assert cff['version'] == mmssg.__version__
    paper, bibtex = cff['preferred-citation'], readme_bibtex()
    assert paper['type'] == 'conference-paper'
    assert paper['title'] == bibtex['title']
    assert str(paper['year']) == bibtex['year']
    assert paper['collection-title'] == bibtex['booktitle'] == paper['conference']['name']
    authors = [f"{a['family-names']}, {a['given-names']}" for a in paper['authors']]
    assert authors == bibtex['author'].split(' and ')
