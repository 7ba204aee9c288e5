# Copyright (c) mmssg contributors. All rights reserved.
"""The answers of a ranking study, in one SQLite file.

Tables (``schema_version`` 1):

- ``study(key, value)``: ``schema_version``, ``seed`` (of every shuffle),
  ``methods`` and ``images`` (JSON lists), ``created_at``.
- ``views(participant, image, shown_order, shown_at)``: the first time an
  image was shown to a participant and the order of its outputs (JSON list of
  method names, left to right).
- ``answers(participant, image, shown_order, ranking, shown_at,
  submitted_at)``: one answer per participant and image; ``ranking`` is a
  JSON list of groups of method names, best first (see
  :mod:`mmssg.evaluation.mor`).

Every write is its own transaction, committed before the call returns, so a
killed server loses nothing that it had acknowledged, and a participant
resumes at the first image they have not answered. Connections are opened
per call, so server threads (two participants at once) share nothing but the
file, whose locking SQLite does.

A second answer for the same participant and image keeps the **first** one:
the first answer is what the participant decided before the page moved on; a
second one comes from a double click, a retried request or the back button,
and keeping the first makes a submission idempotent and the table
append-only (no answer is ever overwritten).

Timestamps are UTC, ISO 8601 with milliseconds. The order of the images and
of the outputs of an image is a function of (seed, participant, image), so a
reload shows the same page.
"""
import hashlib
import json
import os
import os.path as osp
import random
import re
import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import quote

from mmssg.evaluation.mor import ranking_groups, ranks_from_ranking

SCHEMA_VERSION = 1
PARTICIPANT_PATTERN = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}')
SCHEMA = """
CREATE TABLE study (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE views (
    participant TEXT NOT NULL, image TEXT NOT NULL, shown_order TEXT NOT NULL,
    shown_at TEXT NOT NULL, PRIMARY KEY (participant, image));
CREATE TABLE answers (
    participant TEXT NOT NULL, image TEXT NOT NULL, shown_order TEXT NOT NULL,
    ranking TEXT NOT NULL, shown_at TEXT NOT NULL, submitted_at TEXT NOT NULL,
    PRIMARY KEY (participant, image));
"""


class StudyFileError(RuntimeError):
    """A study database that cannot be used; the file is left as it is."""


def utc_now() -> str:
    """The current UTC time, ISO 8601 with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec='milliseconds')


def check_participant(participant: str) -> str:
    """Return ``participant`` if it is a valid id, else raise ``ValueError``."""
    if not isinstance(participant, str) or not PARTICIPANT_PATTERN.fullmatch(participant):
        raise ValueError(f'participant id {participant!r} is not valid: use 1-64 letters, '
                         'digits, "_", ".", "@" or "-", starting with a letter or digit')
    return participant


def seeded_shuffle(items: Sequence[str], seed: int, *context: str) -> List[str]:
    """``items`` in an order that depends only on ``seed`` and ``context``.

    Args:
        items (Sequence[str]): What to shuffle.
        seed (int): The study's seed.
        *context (str): What else the order depends on (participant, image).

    Returns:
        list[str]: A permutation of ``items``.
    """
    digest = hashlib.sha256(json.dumps([seed, *context]).encode()).digest()
    shuffled = list(items)
    random.Random(int.from_bytes(digest[:8], 'big')).shuffle(shuffled)
    return shuffled


def read_study_meta(path: str) -> Dict:
    """Check a study database read-only and return its ``study`` table.

    Args:
        path (str): The SQLite file.

    Returns:
        dict: ``seed``, ``methods``, ``images``, ``created_at``,
        ``schema_version``, decoded.

    Raises:
        StudyFileError: The file is not a readable study database; it is not
            modified.
    """
    advice = ('it was left untouched: restore a backup, or move it away (or give another '
              '--study file) to start a new study')
    uri = 'file:' + quote(osp.abspath(path)) + '?mode=ro'
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            problems = [row[0] for row in conn.execute('PRAGMA quick_check')]
            if problems != ['ok']:
                raise StudyFileError(f'study database {path} is corrupt '
                                     f'({"; ".join(problems[:3])}); {advice}')
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if not {'study', 'views', 'answers'} <= tables:
                raise StudyFileError(f'{path} is an SQLite database but not a study database '
                                     f'(tables {sorted(tables)}); {advice}')
            meta = dict(conn.execute('SELECT key, value FROM study'))
    except sqlite3.DatabaseError as error:
        raise StudyFileError(f'study database {path} is corrupt or not an SQLite file '
                             f'({error}); {advice}') from error
    if meta.get('schema_version') != str(SCHEMA_VERSION):
        raise StudyFileError(f'study database {path} has schema version '
                             f'{meta.get("schema_version")}, this tool reads {SCHEMA_VERSION}; '
                             f'{advice}')
    return dict(
        meta,
        seed=int(meta['seed']),
        methods=json.loads(meta['methods']),
        images=json.loads(meta['images']))


class StudyStore:
    """Read and write the answers of one study.

    Use :meth:`open` for an existing database (reports) and
    :meth:`open_or_create` to serve a study.

    Args:
        path (str): The SQLite file.
        meta (dict): Its ``study`` table, as :func:`read_study_meta` returns.
    """

    def __init__(self, path: str, meta: Dict):
        self.path = path
        self.seed = meta['seed']
        self.methods = list(meta['methods'])
        self.images = list(meta['images'])

    @classmethod
    def open(cls, path: str) -> 'StudyStore':
        """Open an existing study database (checked first, read-only)."""
        if not osp.isfile(path):
            raise FileNotFoundError(f'study database not found: {path}')
        return cls(path, read_study_meta(path))

    @classmethod
    def open_or_create(cls,
                       path: str,
                       methods: Sequence[str],
                       images: Sequence[str],
                       seed: Optional[int] = None) -> 'StudyStore':
        """Continue the study in ``path``, or start it there if the file is new.

        Args:
            path (str): The SQLite file; an existing one must hold a study of
                the same methods and images.
            methods (Sequence[str]): Method names.
            images (Sequence[str]): Image keys.
            seed (int, optional): Seed of the shuffles of a new study; random
                when None. An existing study keeps its own.

        Returns:
            StudyStore: The opened store.
        """
        if osp.isfile(path) and osp.getsize(path) > 0:
            store = cls.open(path)
            store._check_same_study(methods, images)
            return store
        if seed is None:
            seed = random.SystemRandom().randrange(2**31)
        meta = dict(
            schema_version=str(SCHEMA_VERSION),
            seed=str(seed),
            methods=json.dumps(list(methods)),
            images=json.dumps(list(images)),
            created_at=utc_now())
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute('BEGIN')  # tables and settings in one transaction: all or nothing
            for statement in filter(str.strip, SCHEMA.split(';')):
                conn.execute(statement)
            conn.executemany('INSERT INTO study VALUES (?, ?)', meta.items())
            conn.execute('COMMIT')
        return cls.open(path)

    def _check_same_study(self, methods: Sequence[str], images: Sequence[str]) -> None:
        for what, stored, given in (('methods', self.methods, methods), ('images', self.images,
                                                                         images)):
            if set(stored) != set(given):
                missing, extra = sorted(set(stored) - set(given)), sorted(set(given) - set(stored))
                raise ValueError(
                    f'study database {self.path} was started with other {what}: these folders '
                    f'lack {len(missing)} ({", ".join(missing[:5])}) and add {len(extra)} '
                    f'({", ".join(extra[:5])}); serve the same folders, or give a new --study '
                    'file for a new study')

    @contextmanager
    def _transaction(self):
        """A write transaction, committed when the block ends without error."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute('BEGIN IMMEDIATE')  # take the write lock now: no lost updates
            yield conn
            conn.execute('COMMIT')
        finally:
            if conn.in_transaction:
                conn.execute('ROLLBACK')
            conn.close()

    def image_order(self, participant: str) -> List[str]:
        """The order in which ``participant`` sees the images."""
        return seeded_shuffle(self.images, self.seed, check_participant(participant))

    def progress(self, participant: str) -> Tuple[int, int]:
        """``(answered, total)`` images of ``participant``."""
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            (done, ), = conn.execute('SELECT COUNT(*) FROM answers WHERE participant = ?',
                                     (check_participant(participant), ))
        return done, len(self.images)

    def next_view(self, participant: str) -> Optional[Dict]:
        """The first image ``participant`` has not answered, recorded as shown.

        Args:
            participant (str): The participant id.

        Returns:
            dict | None: ``image``, ``shown_order`` (method names, left to
            right), ``shown_at``, ``done`` and ``total``; None when every
            image is answered.
        """
        order = self.image_order(participant)
        with self._transaction() as conn:
            answered = {
                row[0]
                for row in conn.execute('SELECT image FROM answers WHERE participant = ?', (
                    participant, ))
            }
            pending = [image for image in order if image not in answered]
            if not pending:
                return None
            image = pending[0]
            shown = seeded_shuffle(self.methods, self.seed, participant, image)
            conn.execute('INSERT OR IGNORE INTO views VALUES (?, ?, ?, ?)',
                         (participant, image, json.dumps(shown), utc_now()))
            shown_order, shown_at = conn.execute(
                'SELECT shown_order, shown_at FROM views WHERE participant = ? AND image = ?',
                (participant, image)).fetchone()
        return dict(
            image=image,
            shown_order=json.loads(shown_order),
            shown_at=shown_at,
            done=len(answered),
            total=len(order))

    def shown_order(self, participant: str, image: str) -> List[str]:
        """The methods shown for ``image`` to ``participant``, left to right.

        Raises:
            KeyError: The image was not shown to the participant.
        """
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            row = conn.execute('SELECT shown_order FROM views WHERE participant = ? AND image = ?',
                               (check_participant(participant), image)).fetchone()
        if row is None:
            raise KeyError(f'image {image!r} was not shown to participant {participant!r}')
        return json.loads(row[0])

    def submit(self, participant: str, image: str, ranking) -> Tuple[List[List[str]], bool]:
        """Store a participant's ranking of an image, unless one is stored already.

        Args:
            participant (str): The participant id.
            image (str): The image key; it must have been shown to them
                (:meth:`next_view`), so that the stored order is the shown one.
            ranking (Sequence): Groups of method names (or names), best first.

        Returns:
            tuple[list, bool]: The stored ranking (the first one when the
            image was answered before) and whether this call stored it.
        """
        check_participant(participant)
        ranks_from_ranking(ranking, self.methods)  # raises on a bad ranking
        groups = ranking_groups(ranking)
        with self._transaction() as conn:
            view = conn.execute(
                'SELECT shown_order, shown_at FROM views WHERE participant = ? AND image = ?',
                (participant, image)).fetchone()
            if view is None:
                raise ValueError(f'image {image!r} was not shown to participant '
                                 f'{participant!r}: nothing stored')
            stored = conn.execute(
                'INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?) '
                'ON CONFLICT (participant, image) DO NOTHING',
                (participant, image, view[0], json.dumps(groups), view[1], utc_now())).rowcount
            ranking_json, = conn.execute(
                'SELECT ranking FROM answers WHERE participant = ? AND image = ?',
                (participant, image)).fetchone()
        return json.loads(ranking_json), stored == 1

    def answers(self) -> List[Dict]:
        """Every stored answer, in the order of submission, JSON fields decoded."""
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute('SELECT * FROM answers ORDER BY submitted_at, rowid').fetchall()
        return [
            dict(
                row, shown_order=json.loads(row['shown_order']), ranking=json.loads(row['ranking']))
            for row in rows
        ]
