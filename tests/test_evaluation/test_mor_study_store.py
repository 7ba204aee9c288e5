# Copyright (c) mmssg contributors. All rights reserved.
"""The study database: every answer committed, resumable, shared safely, never overwritten."""
import hashlib
import sqlite3
import threading

import pytest

from mmssg.evaluation.mor_study.store import (StudyFileError, StudyStore, read_study_meta,
                                              seeded_shuffle)

METHODS = ['bicubic', 'before joint training', 'SSG-RWSR']
IMAGES = [f'city/img{i:02d}' for i in range(6)]


def _store(tmp_path, seed=3):
    return StudyStore.open_or_create(str(tmp_path / 'study.sqlite'), METHODS, IMAGES, seed)


def _answer(store, participant, ranking=None):
    """Show the participant's next image and rank its outputs as shown (or ``ranking``)."""
    view = store.next_view(participant)
    return view, store.submit(participant, view['image'], ranking or view['shown_order'])


def _fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_answers_are_committed_and_a_new_store_resumes_where_each_participant_stopped(tmp_path):
    store = _store(tmp_path)
    for _ in range(2):
        _answer(store, 'ann')
    _answer(store, 'bob')
    # a "restarted server": a new store on the same file, nothing kept in memory
    again = StudyStore.open_or_create(str(tmp_path / 'study.sqlite'), METHODS[::-1], IMAGES)
    assert again.seed == 3 and again.methods == METHODS  # the file's study, not the arguments
    assert again.progress('ann') == (2, 6) and again.progress('bob') == (1, 6)
    rows = again.answers()
    assert [(r['participant'], r['image']) for r in rows] == [('ann', store.image_order('ann')[0]),
                                                              ('ann', store.image_order('ann')[1]),
                                                              ('bob', store.image_order('bob')[0])]
    assert again.next_view('ann')['image'] == store.image_order('ann')[2]
    for row in rows:
        assert row['ranking'] == [[name] for name in row['shown_order']]
        assert row['shown_at'] <= row['submitted_at']
    while again.next_view('ann'):
        _answer(again, 'ann')
    assert again.progress('ann') == (6, 6) and again.next_view('ann') is None


def test_shown_orders_are_stored_shuffled_per_participant_and_image_and_stable(tmp_path):
    store = _store(tmp_path)
    orders = {}
    for participant in ('ann', 'bob', 'cyd'):
        assert sorted(store.image_order(participant)) == sorted(IMAGES)
        while (view := store.next_view(participant)):
            assert view == store.next_view(participant)  # a reload shows the same page
            expected = seeded_shuffle(METHODS, 3, participant, view['image'])
            assert view['shown_order'] == expected == store.shown_order(participant, view['image'])
            orders[participant, view['image']] = tuple(view['shown_order'])
            store.submit(participant, view['image'], METHODS)
    assert all(sorted(order) == sorted(METHODS) for order in orders.values())
    assert len(set(orders.values())) > 3  # different orders across participants and images
    assert len({tuple(store.image_order(p)) for p in ('ann', 'bob', 'cyd')}) > 1
    other_seed = StudyStore.open_or_create(str(tmp_path / 'other.sqlite'), METHODS, IMAGES, 4)
    assert [other_seed.image_order(p)
            for p in ('ann', 'bob')] != [store.image_order(p) for p in ('ann', 'bob')]


def test_a_second_submission_keeps_the_first_answer(tmp_path):
    store = _store(tmp_path)
    view, (stored, new) = _answer(store, 'ann', ranking=METHODS)
    assert new and stored == [[m] for m in METHODS]
    first_time = store.answers()[0]['submitted_at']
    stored, new = store.submit('ann', view['image'], METHODS[::-1])
    assert not new and stored == [[m] for m in METHODS]
    rows = store.answers()
    assert len(rows) == 1 and rows[0]['ranking'] == stored
    assert rows[0]['submitted_at'] == first_time


def test_two_participants_at_once_do_not_interfere(tmp_path):
    store = _store(tmp_path)
    errors = []

    def participant_session(participant, ranking):
        try:
            own = StudyStore.open(store.path)  # each thread its own connections, like a server
            while own.next_view(participant):
                _answer(own, participant, ranking)
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [
        threading.Thread(target=participant_session, args=('ann', METHODS)),
        threading.Thread(target=participant_session, args=('bob', METHODS[::-1]))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = store.answers()
    assert len(rows) == 12
    for participant, ranking in (('ann', METHODS), ('bob', METHODS[::-1])):
        mine = [r for r in rows if r['participant'] == participant]
        assert sorted(r['image'] for r in mine) == IMAGES
        assert all(r['ranking'] == [[m] for m in ranking] for r in mine)


def test_racing_double_submissions_store_exactly_one_answer(tmp_path):
    store = _store(tmp_path)
    image = store.next_view('ann')['image']
    results = []
    rankings = [METHODS, METHODS[::-1]] * 4
    threads = [
        threading.Thread(target=lambda r=r: results.append(store.submit('ann', image, r)))
        for r in rankings
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and sum(new for _, new in results) == 1
    kept = [stored for stored, new in results if new][0]
    assert all(stored == kept for stored, _ in results)
    assert [r['ranking'] for r in store.answers()] == [kept]


def test_bad_submissions_store_nothing(tmp_path):
    store = _store(tmp_path)
    with pytest.raises(ValueError, match='was not shown'):
        store.submit('ann', IMAGES[0], METHODS)
    image = store.next_view('ann')['image']
    with pytest.raises(ValueError, match='once'):
        store.submit('ann', image, METHODS[:2])
    with pytest.raises(ValueError, match='participant id'):
        store.next_view('ann; DROP TABLE answers')
    assert store.answers() == []


def test_another_study_in_the_same_file_is_refused(tmp_path):
    store = _store(tmp_path)
    path = tmp_path / 'study.sqlite'
    before = _fingerprint(path)
    with pytest.raises(ValueError, match=r'other images.*lack 1 \(city/img05\).*add 1 \(new\)'):
        StudyStore.open_or_create(store.path, METHODS, IMAGES[:-1] + ['new'])
    with pytest.raises(ValueError, match='other methods'):
        StudyStore.open_or_create(store.path, METHODS[:2], IMAGES)
    assert _fingerprint(path) == before


@pytest.mark.parametrize('damage', ['garbage', 'truncated', 'other_app'])
def test_a_corrupt_database_is_reported_and_left_untouched(tmp_path, damage):
    path = tmp_path / 'study.sqlite'
    if damage == 'garbage':
        path.write_bytes(b'these are not the answers you are looking for\n' * 100)
    elif damage == 'truncated':
        store = _store(tmp_path)
        for _ in range(6):
            _answer(store, 'ann')
        content = path.read_bytes()
        path.write_bytes(content[:100] + b'\xff' * 400 + content[500:len(content) // 2])
    else:
        with sqlite3.connect(path) as conn:
            conn.execute('CREATE TABLE notes (text TEXT)')
        conn.close()
    before = _fingerprint(path)
    reason = (r'is an SQLite database but not a study database \(tables \[.notes.\]\)'
              if damage == 'other_app' else 'is corrupt or not an SQLite file')
    with pytest.raises(StudyFileError, match=f'{path} {reason}.*; it was left untouched'):
        StudyStore.open_or_create(str(path), METHODS, IMAGES)
    with pytest.raises(StudyFileError, match=f'{path} {reason}.*; it was left untouched'):
        read_study_meta(str(path))
    assert _fingerprint(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['study.sqlite']  # no journal left
