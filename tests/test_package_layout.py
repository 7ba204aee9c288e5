# Copyright (c) mmssg contributors. All rights reserved.
"""The package's layers import downwards only, tools are entry points over it, and every module
and function of the tree stays readable."""
import ast
import os
import os.path as osp

import pytest

from mmssg.testing import REPO_ROOT

# What each layer of mmssg may import from mmssg (besides itself): cli -> apis ->
# models/datasets/engine/evaluation -> degradation -> utils. `demo` is a data maker for the
# demo and the tests, above the library it exercises; `testing` holds the tests' and the
# benchmarks' helpers; `cli` holds every tool's work, on top of everything.
LIBRARY = {
    'utils', 'degradation', 'datasets', 'engine', 'models', 'evaluation', 'visualization', 'apis',
    'demo'
}
MAY_IMPORT = {
    'utils': set(),
    'degradation': {'utils'},
    'datasets': {'degradation', 'utils'},
    'engine': {'datasets', 'utils'},
    'models': {'utils'},
    'evaluation': {'models', 'utils'},
    'visualization': {'utils'},
    'apis': {'models', 'datasets', 'engine', 'evaluation', 'degradation', 'utils'},
    'demo': {'degradation', 'utils'},
    'testing': LIBRARY,
    'cli': LIBRARY,
}
TREES = ('mmssg', 'tools', 'benchmarks')
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 600, 60
# a tool is an entry point of a few lines over one command of mmssg.cli
MAX_TOOL_LINES = 20


def modules(*trees):
    for tree in trees:
        for root, _, names in os.walk(osp.join(REPO_ROOT, tree)):
            for name in sorted(names):
                if name.endswith('.py'):
                    path = osp.join(root, name)
                    with open(path) as f:
                        yield osp.relpath(path, REPO_ROOT), ast.parse(f.read(), path)


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
    'rel_path,tree', list(modules('mmssg')), ids=lambda v: v if isinstance(v, str) else '')
def test_layers_import_downwards_only(rel_path, tree):
    parts = rel_path.split(os.sep)
    if len(parts) < 3:  # mmssg/__init__.py, version.py
        return
    layer = parts[1]
    imported = mmssg_imports(rel_path, tree) - {layer}
    assert imported <= MAY_IMPORT[layer], (
        f'{rel_path} ({layer}) imports {sorted(imported - MAY_IMPORT[layer])}')


def test_models_and_degradation_never_reach_up_and_engine_leaves_models_alone():
    for rel_path, tree in modules('mmssg'):
        layer = rel_path.split(os.sep)[1]
        imported = mmssg_imports(rel_path, tree)
        if layer in ('models', 'degradation'):
            assert not imported & {'apis', 'demo', 'cli', 'testing'}, rel_path
        if layer == 'engine':
            assert 'models' not in imported, rel_path


def test_the_library_never_imports_its_tools_tests_or_benchmarks():
    for rel_path, tree in modules('mmssg'):
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(
                    node, ast.Import) else [node.module or '']
                assert not any(n.split('.')[0] in ('tools', 'tests', 'benchmarks')
                               for n in names), rel_path


def test_tools_are_entry_points_over_one_command():
    for rel_path, tree in modules('tools'):
        with open(osp.join(REPO_ROOT, rel_path)) as f:
            lines = len(f.read().splitlines())
        assert lines <= MAX_TOOL_LINES, f'{rel_path}: {lines} lines'
        commands = [
            node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('mmssg.cli.')
        ]
        assert len(commands) == 1, f'{rel_path} imports {commands} from mmssg.cli'
        assert not any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in tree.body)


def test_modules_and_functions_stay_readable():
    too_long = []
    for rel_path, tree in modules(*TREES):
        with open(osp.join(REPO_ROOT, rel_path)) as f:
            lines = len(f.read().splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f'{rel_path}: {lines} lines')
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f'{rel_path}:{node.lineno} {node.name}: {length} lines')
    assert not too_long, too_long
