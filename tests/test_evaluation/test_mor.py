# Copyright (c) mmssg contributors. All rights reserved.
"""MOR arithmetic: a hand-computed study, ties, and the bootstrap's coverage."""
import math

import numpy as np
import pytest

from mmssg.evaluation.mor import (bootstrap_mor_ci, mean_opinion_rank, mor_summary,
                                  preference_matrix, ranks_from_ranking)

METHODS = ['a', 'b', 'c']
# Four rankings, best first; lists inside are ties.
HAND_RANKINGS = [['a', 'b', 'c'], ['b', 'a', 'c'], [['a', 'c'], 'b'], ['a', ['b', 'c']]]


def test_ranks_of_a_ranking_with_ties_share_the_mean_position():
    assert ranks_from_ranking(['c', 'a', 'b'], METHODS).tolist() == [2, 3, 1]
    assert ranks_from_ranking([['a', 'b'], ['c']], METHODS).tolist() == [1.5, 1.5, 3]
    assert ranks_from_ranking(['c', ['a', 'b', 'd']], ['a', 'b', 'c', 'd']).tolist() == [3, 3, 1, 3]
    # every ranking's ranks add up to M (M + 1) / 2, ties or not
    assert ranks_from_ranking([['a', 'b', 'c']], METHODS).tolist() == [2, 2, 2]


@pytest.mark.parametrize('bad',
                         [['a', 'b'], ['a', 'b', 'c', 'c'], ['a', 'b', 'x'], [['a', 'b'], [], 'c']])
def test_a_ranking_must_name_each_method_once(bad):
    with pytest.raises(ValueError, match='ranking'):
        ranks_from_ranking(bad, METHODS)


def test_hand_computed_mor_and_preferences():
    ranks = np.stack([ranks_from_ranking(r, METHODS) for r in HAND_RANKINGS])
    # a: 1, 2, 1.5, 1 -> 1.375; b: 2, 1, 3, 2.5 -> 2.125; c: 3, 3, 1.5, 2.5 -> 2.5
    assert mean_opinion_rank(ranks) == pytest.approx([1.375, 2.125, 2.5])
    pref = preference_matrix(ranks)
    # a before b in rankings 1, 3, 4; a before c in 1, 2, 4 and tied in 3; b before c in 1, 2,
    # tied in 4
    assert pref[0, 1] == pytest.approx(3 / 4) and pref[0, 2] == pytest.approx(3.5 / 4)
    assert pref[1, 2] == pytest.approx(2.5 / 4)
    assert np.allclose(pref + pref.T, 1) and np.allclose(np.diag(pref), 0.5)


def test_summary_has_the_schema_the_tables_read():
    summary = mor_summary(
        METHODS, HAND_RANKINGS, ['p', 'p', 'q', 'q'], ['x', 'y', 'x', 'y'], num_samples=200)
    assert summary['metric'] == 'MOR' and summary['lower_is_better'] is True
    assert list(summary['methods']) == METHODS
    a = summary['methods']['a']
    assert a['mor'] == pytest.approx(1.375) and a['rankings'] == 4
    assert a['ci95'][0] <= a['mor'] <= a['ci95'][1]
    assert summary['preference']['a']['b'] == pytest.approx(0.75)
    assert summary['participants'] == 2 and summary['images'] == 2
    with pytest.raises(ValueError, match='no rankings'):
        mor_summary(METHODS, [], [], [])


def test_interval_is_a_point_when_every_ranking_agrees_and_is_seeded():
    ranks = np.tile([1.0, 2.0, 3.0], (12, 1))
    people, images = np.repeat(range(3), 4), np.tile(range(4), 3)
    low, high = bootstrap_mor_ci(ranks, people, images, num_samples=100)
    assert low.tolist() == [1, 2, 3] and high.tolist() == [1, 2, 3]
    noisy = np.random.default_rng(0).permuted(ranks, axis=1)
    first = bootstrap_mor_ci(noisy, people, images, num_samples=100, seed=5)
    again = bootstrap_mor_ci(noisy, people, images, num_samples=100, seed=5)
    assert np.array_equal(first, again)
    mor = mean_opinion_rank(noisy)
    assert np.all(first[0] <= mor) and np.all(mor <= first[1])
    with pytest.raises(ValueError, match='labels'):
        bootstrap_mor_ci(noisy, people[:-1], images)


def _simulated_studies(num_studies, sigma_participant, sigma_image, sigma_noise, seed=1):
    """Rankings of 4 methods with a known true order by 8 participants x 10 images.

    Each participant scores each output as the method's quality plus a participant effect,
    an image effect (both per method) and noise, and ranks by score. The true MOR, the
    expected rank, is 1 + sum over the other methods of P(other scores higher), in closed form
    for Gaussian effects.
    """
    quality = np.array([1.0, 0.6, 0.3, 0.0])
    spread = math.sqrt(2 * (sigma_participant**2 + sigma_image**2 + sigma_noise**2))
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    true_mor = 1 + np.array([
        sum(phi((quality[k] - quality[m]) / spread) for k in range(4) if k != m) for m in range(4)
    ])
    rng = np.random.default_rng(seed)
    people, images = np.repeat(np.arange(8), 10), np.tile(np.arange(10), 8)
    for _ in range(num_studies):
        scores = (
            quality + rng.normal(0, sigma_participant, (8, 1, 4)) +
            rng.normal(0, sigma_image, (1, 10, 4)) + rng.normal(0, sigma_noise, (8, 10, 4)))
        ranks = 4 - np.argsort(np.argsort(scores, axis=-1), axis=-1)  # highest score: rank 1
        yield true_mor, ranks.reshape(-1, 4).astype(float), people, images


def test_bootstrap_over_participants_and_images_covers_the_true_mor():
    """95 % intervals hold the true MOR about 95 % of the time, even when participants and
    images are strongly correlated; resampling single rankings as independent would not."""
    covered, covered_naive, widths, ordered = [], [], [], []
    for study, (true_mor, ranks, people, images) in enumerate(_simulated_studies(200, .5, .5, .7)):
        low, high = bootstrap_mor_ci(ranks, people, images, num_samples=500, seed=study)
        covered.append((low <= true_mor) & (true_mor <= high))
        widths.append(high - low)
        ordered.append(np.argmin(mean_opinion_rank(ranks)) == 0)
        # the same function with every ranking its own participant, all of one image
        low, high = bootstrap_mor_ci(
            ranks, np.arange(len(ranks)), np.zeros(len(ranks)), num_samples=500, seed=study)
        covered_naive.append((low <= true_mor) & (true_mor <= high))
    assert 0.91 <= np.mean(covered) <= 0.995, np.mean(covered, axis=0)
    assert np.mean(covered_naive) < 0.8  # too narrow: the reason for the two-way bootstrap
    assert np.mean(widths) < 1.2  # informative, not [1, M]
    assert np.mean(ordered) > 0.8  # the best method usually comes out best
