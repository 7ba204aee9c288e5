# Copyright (c) mmssg contributors. All rights reserved.
"""A Mean Opinion Rank study: participants rank SR outputs in a web page.

``folders`` matches the method folders, ``store`` keeps the answers in
SQLite, ``server`` serves the page (``static/index.html``), ``report`` turns the
answers into MOR figures (with :mod:`mmssg.evaluation.mor`).
"""
from .folders import StudyImages, collect_study_images
from .report import format_markdown, study_summary
from .server import StudyApp, make_server
from .store import StudyFileError, StudyStore, read_study_meta

__all__ = [
    'StudyImages', 'collect_study_images', 'format_markdown', 'study_summary', 'StudyApp',
    'make_server', 'StudyFileError', 'StudyStore', 'read_study_meta'
]
