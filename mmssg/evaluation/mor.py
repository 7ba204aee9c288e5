# Copyright (c) mmssg contributors. All rights reserved.
"""Mean Opinion Rank (MOR): the arithmetic of a ranking study, in numpy only.

In a ranking study a participant sees the outputs of ``M`` methods for one
image and orders them by overall quality, best first. One such ordering is a
*ranking*. The Mean Opinion Rank of a method is its rank averaged over all
rankings (1 = best, ``M`` = worst; lower is better), the figure of the MOR
column of the paper's Tables 1 and 2.

Conventions:

- A ranking is a list of *groups*, best first; the methods of one group are
  tied. A plain list of names is read as groups of one. Tied methods share
  the mean of the positions they occupy (fractional ranking: ``[[a, b], [c]]``
  gives ranks 1.5, 1.5, 3), so the ranks of every ranking add up to
  ``M (M + 1) / 2`` whether or not it has ties, and a tie moves no method's
  MOR towards either end.
- Rankings are held as an ``(N, M)`` array of ranks, one row per ranking,
  columns in a fixed order of methods.
- The confidence interval of the MOR resamples *participants and images*
  (a two-way bootstrap): rankings by one participant are correlated (a
  participant may like sharpness more than others do) and so are rankings of
  one image (some scenes favour one method), so resampling single rankings as
  if they were independent gives intervals that are too narrow. Each
  bootstrap replicate draws participants and images with replacement and
  weights every ranking by how often its participant and its image were
  drawn; the interval is the percentile interval of the replicates.
- The preference matrix ``P[a, b]`` is the share of rankings in which method
  ``a`` is ranked better than method ``b``, a tie counting one half; so
  ``P[a, b] + P[b, a] = 1`` and the diagonal is 0.5.
"""
from typing import Dict, Hashable, Sequence, Tuple, Union

import numpy as np

Ranking = Sequence[Union[str, Sequence[str]]]


def ranking_groups(ranking: Ranking) -> list:
    """A ranking as a list of groups of tied method names, best first.

    Args:
        ranking (Sequence): Groups (sequences of names) or single names,
            best first.

    Returns:
        list[list[str]]: One list per group.
    """
    return [[entry] if isinstance(entry, str) else list(entry) for entry in ranking]


def ranks_from_ranking(ranking: Ranking, methods: Sequence[str]) -> np.ndarray:
    """The rank of each method in one ranking, ties sharing their mean position.

    Args:
        ranking (Sequence): Groups of tied method names (or single names),
            best first. Every method must appear exactly once.
        methods (Sequence[str]): The order of the returned ranks.

    Returns:
        np.ndarray: Float ranks of shape ``(len(methods),)``, 1 = best.

    Raises:
        ValueError: A method is missing, unknown or named twice.
    """
    groups = ranking_groups(ranking)
    named = [name for group in groups for name in group]
    if any(not group for group in groups):
        raise ValueError(f'ranking {groups} has an empty group')
    if sorted(named) != sorted(methods):
        missing = sorted(set(methods) - set(named))
        unknown = sorted(set(named) - set(methods))
        repeated = sorted({name for name in named if named.count(name) > 1})
        raise ValueError(f'ranking {groups} must name each of {list(methods)} once '
                         f'(missing {missing}, unknown {unknown}, repeated {repeated})')
    rank_of = {}
    position = 1
    for group in groups:
        shared = position + (len(group) - 1) / 2  # mean of positions position..+len-1
        rank_of.update((name, shared) for name in group)
        position += len(group)
    return np.array([rank_of[name] for name in methods], dtype=float)


def mean_opinion_rank(ranks: np.ndarray) -> np.ndarray:
    """Mean rank of each method over all rankings.

    Args:
        ranks (np.ndarray): ``(N, M)`` ranks, one row per ranking.

    Returns:
        np.ndarray: ``(M,)`` MOR per method (lower is better).
    """
    ranks = _check_ranks(ranks)
    return ranks.mean(axis=0)


def preference_matrix(ranks: np.ndarray) -> np.ndarray:
    """Share of rankings preferring each method (row) to each other (column).

    Args:
        ranks (np.ndarray): ``(N, M)`` ranks, one row per ranking.

    Returns:
        np.ndarray: ``(M, M)``; entry ``[a, b]`` is the share of rankings in
        which ``a`` is ranked better than ``b``, ties counting one half.
    """
    ranks = _check_ranks(ranks)
    better = ranks[:, :, None] < ranks[:, None, :]
    tied = ranks[:, :, None] == ranks[:, None, :]
    return (better + 0.5 * tied).mean(axis=0)


def bootstrap_mor_ci(ranks: np.ndarray,
                     participants: Sequence[Hashable],
                     images: Sequence[Hashable],
                     num_samples: int = 2000,
                     level: float = 0.95,
                     seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Percentile confidence interval of the MOR, resampling participants and images.

    Args:
        ranks (np.ndarray): ``(N, M)`` ranks, one row per ranking.
        participants (Sequence): The participant of each ranking (N labels).
        images (Sequence): The image of each ranking (N labels).
        num_samples (int): Bootstrap replicates. Defaults to 2000.
        level (float): Coverage of the interval. Defaults to 0.95.
        seed (int): Seed of the resampling. Defaults to 0.

    Returns:
        tuple[np.ndarray, np.ndarray]: Lower and upper bounds, ``(M,)`` each.
    """
    ranks = _check_ranks(ranks)
    if not len(participants) == len(images) == len(ranks):
        raise ValueError(f'{len(ranks)} rankings need as many participant and image labels, '
                         f'got {len(participants)} and {len(images)}')
    if not 0 < level < 1 or num_samples < 1:
        raise ValueError(f'need 0 < level < 1 and num_samples >= 1, got {level}, {num_samples}')
    _, who = np.unique(np.asarray(participants, dtype=object).astype(str), return_inverse=True)
    _, what = np.unique(np.asarray(images, dtype=object).astype(str), return_inverse=True)
    rng = np.random.default_rng(seed)
    replicates = []
    for start in range(0, num_samples, 256):  # bounded memory: 256 x N weights at a time
        size = min(256, num_samples - start)
        weights = (
            _draw_counts(rng,
                         who.max() + 1, size)[:, who] * _draw_counts(rng,
                                                                     what.max() + 1, size)[:, what])
        totals = weights.sum(axis=1)
        kept = totals > 0  # a draw may share no ranking between its participants and images
        replicates.append(weights[kept] @ ranks / totals[kept, None])
    replicates = np.concatenate(replicates)
    if len(replicates) < num_samples / 2:
        raise ValueError('too few bootstrap replicates drew a ranking: the participants and '
                         'images of this study overlap too little for an interval')
    tail = (1 - level) / 2
    low, high = np.quantile(replicates, [tail, 1 - tail], axis=0)
    return low, high


def mor_summary(methods: Sequence[str],
                rankings: Sequence[Ranking],
                participants: Sequence[Hashable],
                images: Sequence[Hashable],
                num_samples: int = 2000,
                seed: int = 0) -> Dict:
    """MOR, 95 % interval, counts and preferences of a study, as plain data.

    Args:
        methods (Sequence[str]): Method names, the order of the results.
        rankings (Sequence): One ranking (groups best first) per answer.
        participants (Sequence): The participant of each ranking.
        images (Sequence): The image of each ranking.
        num_samples (int): Bootstrap replicates. Defaults to 2000.
        seed (int): Seed of the bootstrap. Defaults to 0.

    Returns:
        dict: ``{"metric": "MOR", "lower_is_better": True, "methods": {name:
        {"mor", "ci95": [lo, hi], "rankings"}}, "preference": {a: {b: share}},
        "participants": n, "images": n, "bootstrap": {...}}``.
    """
    if not rankings:
        raise ValueError('the study has no rankings yet: nothing to report')
    ranks = np.stack([ranks_from_ranking(ranking, methods) for ranking in rankings])
    mor = mean_opinion_rank(ranks)
    low, high = bootstrap_mor_ci(ranks, participants, images, num_samples, 0.95, seed)
    preference = preference_matrix(ranks)
    return dict(
        metric='MOR',
        lower_is_better=True,
        methods={
            name:
            dict(mor=float(mor[m]), ci95=[float(low[m]), float(high[m])], rankings=len(ranks))
            for m, name in enumerate(methods)
        },
        preference={
            a: {
                b: float(preference[i, j])
                for j, b in enumerate(methods) if j != i
            }
            for i, a in enumerate(methods)
        },
        participants=len(set(participants)),
        images=len(set(images)),
        bootstrap=dict(
            samples=num_samples, seed=seed, level=0.95, resampled=['participants', 'images']))


def _draw_counts(rng: np.random.Generator, num_units: int, num_draws: int) -> np.ndarray:
    """How often each of ``num_units`` units is drawn, in ``num_draws`` resamplings."""
    return rng.multinomial(num_units, np.full(num_units, 1 / num_units), size=num_draws)


def _check_ranks(ranks: np.ndarray) -> np.ndarray:
    ranks = np.asarray(ranks, dtype=float)
    if ranks.ndim != 2 or not ranks.size:
        raise ValueError(f'ranks must be a non-empty (rankings, methods) array, got shape '
                         f'{ranks.shape}')
    return ranks
