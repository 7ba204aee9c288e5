# Copyright (c) mmssg contributors. All rights reserved.
"""The package's layers import downwards only, and its modules and functions stay readable."""
import ast
import os
import os.path as osp

import pytest
from _helpers import REPO_ROOT

PACKAGE = osp.join(REPO_ROOT, 'mmssg')
# What each layer of mmssg may import from mmssg (besides itself): tools -> apis ->
# models/datasets/engine/evaluation -> degradation -> utils. `demo` is a data maker for
# tools and tests, above the library it exercises.
MAY_IMPORT = {
    'utils': set(),
    'degradation': {'utils'},
    'datasets': {'degradation', 'utils'},
    'engine': {'datasets', 'utils'},
    'models': {'utils'},
    'evaluation': {'models', 'utils'},
    'apis': {'models', 'datasets', 'engine', 'evaluation', 'degradation', 'utils'},
    'demo': {'degradation', 'utils'},
}
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 600, 60


def modules():
    for root, _, names in os.walk(PACKAGE):
        for name in sorted(names):
            if name.endswith('.py'):
                path = osp.join(root, name)
                yield osp.relpath(path, REPO_ROOT), ast.parse(open(path).read(), path)


def mmssg_imports(rel_path, tree):
    """The ``mmssg.<layer>`` names a module imports (relative imports resolved)."""
    package = osp.dirname(rel_path).split(os.sep)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = '.'.join(base + ([node.module] if node.module else []))
            names = [module] if node.module else [f'{module}.{a.name}' for a in node.names]
        else:
            continue
        found |= {n for n in names if n.split('.')[0] == 'mmssg'}
    return {n.split('.')[1] for n in found if n.count('.') >= 1}


@pytest.mark.parametrize(
    'rel_path,tree', list(modules()), ids=lambda v: v if isinstance(v, str) else '')
def test_layers_import_downwards_only(rel_path, tree):
    parts = rel_path.split(os.sep)
    if len(parts) < 3:  # mmssg/__init__.py, version.py
        return
    layer = parts[1]
    imported = mmssg_imports(rel_path, tree) - {layer}
    assert imported <= MAY_IMPORT[layer], (
        f'{rel_path} ({layer}) imports {sorted(imported - MAY_IMPORT[layer])}')


def test_models_and_degradation_never_reach_up_and_engine_leaves_models_alone():
    for rel_path, tree in modules():
        layer = rel_path.split(os.sep)[1]
        imported = mmssg_imports(rel_path, tree)
        if layer in ('models', 'degradation'):
            assert not imported & {'apis', 'demo', 'tools'}, rel_path
        if layer == 'engine':
            assert 'models' not in imported, rel_path


def test_modules_and_functions_stay_readable():
    too_long = []
    for rel_path, tree in modules():
        lines = len(open(osp.join(REPO_ROOT, rel_path)).read().splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f'{rel_path}: {lines} lines')
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f'{rel_path}:{node.lineno} {node.name}: {length} lines')
    assert not too_long, too_long
