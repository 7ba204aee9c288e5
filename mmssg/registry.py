# Copyright (c) mmssg contributors. All rights reserved.
"""The ``mmssg`` registry scope, for configs inherited through ``mmssg::``.

mmssg registers its components into MMagic's registries (scope ``mmagic``). A config that
inherits one of mmssg's through ``_base_ = ['mmssg::...']`` gets every component of that base
marked ``_scope_='mmssg'`` by mmengine, as ``mmseg::`` bases get ``_scope_='mmseg'``. Each of
MMagic's registries therefore gets a child of scope ``mmssg`` that registers nothing: a
lookup in it falls through to MMagic's registry and on to mmengine's, so such a config
builds exactly as the same config loaded by its path does.
"""
import mmagic.registry as mmagic_registry
from mmengine.registry import Registry

SCOPE = 'mmssg'


def add_mmssg_scope():
    """Give every registry of MMagic's a child of scope ``mmssg`` (once).

    Returns:
        dict: The children, by the name of MMagic's registry (``'MODELS'``, ...).
    """
    children = {}
    for name in dir(mmagic_registry):
        parent = getattr(mmagic_registry, name)
        if not isinstance(parent, Registry) or parent.scope != 'mmagic':
            continue
        child = parent.children.get(SCOPE)
        if child is None:
            # locations: what a build in this scope imports first (mmssg itself)
            child = Registry(parent.name, parent=parent, scope=SCOPE, locations=['mmssg'])
        children[name] = child
    return children


SCOPE_REGISTRIES = add_mmssg_scope()
