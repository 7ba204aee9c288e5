# Copyright (c) mmssg contributors. All rights reserved.
"""The results of a ranking study: MOR with intervals and preferences.

:func:`study_summary` returns the data that ``tools/analysis/mor_study.py
report`` writes as JSON, the MOR column input of the paper-style tables::

    {
      "metric": "MOR",
      "lower_is_better": true,
      "methods": {"<name>": {"mor": 1.42, "ci95": [1.20, 1.65], "rankings": 24}, ...},
      "preference": {"<a>": {"<b>": 0.75, ...}, ...},
      "participants": 3, "images": 8,
      "bootstrap": {"samples": 2000, "seed": 0, "level": 0.95,
                    "resampled": ["participants", "images"]},
      "study": {"database": "<path>", "methods": [...], "seed": ..., "created_at": ...}
    }

``mor`` is the mean rank (1 = best) over ``rankings`` rankings; ``ci95`` the
95 % percentile interval of a bootstrap over participants and images;
``preference[a][b]`` the share of rankings that rank ``a`` better than ``b``
(ties count one half). :func:`format_markdown` renders the same as Markdown.
"""
from typing import Dict

from ..mor import mor_summary
from .store import StudyStore


def study_summary(store: StudyStore, num_samples: int = 2000, seed: int = 0) -> Dict:
    """MOR, intervals, counts and preferences of the answers in ``store``.

    Args:
        store (StudyStore): The study.
        num_samples (int): Bootstrap replicates. Defaults to 2000.
        seed (int): Seed of the bootstrap. Defaults to 0.

    Returns:
        dict: The schema of this module's docstring.
    """
    answers = store.answers()
    if not answers:
        raise ValueError(f'study database {store.path} has no answers yet: nothing to report')
    summary = mor_summary(store.methods, [row['ranking'] for row in answers],
                          [row['participant'] for row in answers],
                          [row['image'] for row in answers], num_samples, seed)
    summary['study'] = dict(
        database=store.path,
        methods=store.methods,
        images_in_study=len(store.images),
        seed=store.seed)
    return summary


def format_markdown(summary: Dict) -> str:
    """The summary as two Markdown tables: MOR per method and pairwise preferences.

    Args:
        summary (dict): What :func:`study_summary` returns.

    Returns:
        str: Markdown, methods sorted by MOR (best first, in bold).
    """
    methods = sorted(summary['methods'], key=lambda name: summary['methods'][name]['mor'])
    boot = summary['bootstrap']
    total = next(iter(summary['methods'].values()))['rankings']
    lines = [
        '## Mean Opinion Rank (MOR)', '',
        f'{total} rankings of {summary["images"]} images by {summary["participants"]} '
        f'participants. MOR: mean rank, 1 = best (lower is better). 95 % interval: '
        f'percentile bootstrap over participants and images ({boot["samples"]} replicates).', '',
        '| method | MOR ↓ | 95 % CI | rankings |', '|---|---|---|---|'
    ]
    for index, name in enumerate(methods):
        row = summary['methods'][name]
        mor = f'{row["mor"]:.2f}'
        cells = [f'**{name}**', f'**{mor}**'] if index == 0 else [name, mor]
        lines.append(f'| {" | ".join(cells)} | [{row["ci95"][0]:.2f}, {row["ci95"][1]:.2f}] '
                     f'| {row["rankings"]} |')
    lines += [
        '', '### Pairwise preference', '',
        'Share of rankings in which the row\'s method is ranked better than the column\'s '
        '(ties count one half).', '', '| | ' + ' | '.join(methods) + ' |',
        '|---' * (len(methods) + 1) + '|'
    ]
    for a in methods:
        cells = ['–' if a == b else f'{summary["preference"][a][b]:.2f}' for b in methods]
        lines.append(f'| {a} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
