# Copyright (c) mmssg contributors. All rights reserved.
"""The study's web server over HTTP (no browser): pages, pictures, submissions, folders."""
import hashlib
import json
import threading
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

from mmssg.evaluation.mor_study import StudyApp, StudyStore, collect_study_images, make_server
from mmssg.evaluation.mor_study.server import read_picture
from mmssg.testing.mor_study import BLUR, PHOTOS, file_digests, make_study_folders


@pytest.fixture
def study(tmp_path):
    folders, lr = make_study_folders(tmp_path / 'images', photos=PHOTOS[:2])
    images = collect_study_images({k: str(v) for k, v in folders.items()}, str(lr))
    store = StudyStore.open_or_create(
        str(tmp_path / 'study.sqlite'), images.methods, images.images, seed=11)
    server = make_server(StudyApp(store, images), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}', folders, lr, store
    server.shutdown()
    server.server_close()


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers['Content-Type']


def _post(url, payload):
    request = urllib.request.Request(url,
                                     json.dumps(payload).encode(),
                                     {'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _error(call, *args):
    with pytest.raises(urllib.error.HTTPError) as info:
        call(*args)
    return info.value.code, json.loads(info.value.read())['error']


def test_page_pictures_and_submissions_hide_the_methods_and_store_what_was_shown(study):
    base, folders, lr, store = study
    page, content_type = _get(base + '/')
    assert content_type.startswith('text/html') and b'Image quality study' in page
    assert not any(name.encode() in page for name in BLUR)  # no method names on the page
    digests = file_digests(folders)
    for step in range(len(PHOTOS[:2])):
        task = json.loads(_get(base + '/api/task?participant=ann')[0])
        assert not task['finished'] and (task['done'], task['total']) == (step, 2)
        assert not any(name in json.dumps(task) for name in BLUR)
        shown = [digests[hashlib.sha1(_get(base + url)[0]).hexdigest()] for url in task['outputs']]
        assert shown == store.shown_order('ann', task['image'])
        reference, _ = _get(base + task['reference'])
        assert reference == (lr / f'{task["image"]}.png').read_bytes()
        # rank by blur, least first: the slots of sharp, soft, blurry
        ranking = [[shown.index(name)] for name in sorted(BLUR, key=BLUR.get)]
        reply = _post(base + '/api/submit',
                      dict(participant='ann', image=task['image'], ranking=ranking))
        assert reply['stored'] and reply['task']['done'] == step + 1
    assert reply['task'] == dict(finished=True, done=2, total=2)
    assert [row['ranking'] for row in store.answers()] == [[['sharp'], ['soft'], ['blurry']]] * 2
    again = _post(base + '/api/submit',
                  dict(participant='ann', image=task['image'], ranking=[[2], [1], [0]]))
    assert again['duplicate']
    assert store.answers()[1]['ranking'] == [['sharp'], ['soft'], ['blurry']]


def test_bad_requests_get_clear_errors_and_store_nothing(study):
    base, _, _, store = study
    task = json.loads(_get(base + '/api/task?participant=bob')[0])
    submit = base + '/api/submit'
    assert _error(_post, submit,
                  dict(participant='bob', image=task['image'], ranking=[[0], [0], [
                      1
                  ]])) == (400, '"ranking" must name each slot 0..2 once, got [[0], [0], [1]]')
    code, message = _error(_post, submit, dict(participant='bob', image='nope', ranking=[]))
    assert code == 404 and 'not shown' in message
    code, message = _error(_get, base + '/api/task?participant=' + '%20bad')
    assert code == 400 and 'participant id' in message
    assert _error(_get, base + '/etc/passwd')[0] == 404
    slot_9 = f'/api/output?participant=bob&image={task["image"]}&slot=9'
    assert _error(_get, base + slot_9) == (400, 'slot must be 0..2, got \'9\'')
    assert store.answers() == []


def test_pictures_a_browser_cannot_show_are_converted_without_touching_the_file(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (16, 24, 3), dtype=np.uint8)
    for name in ('a', 'b'):
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / 'x.ppm'), rgb)
    before = (tmp_path / 'a' / 'x.ppm').read_bytes()
    images = collect_study_images({'a': str(tmp_path / 'a'), 'b': str(tmp_path / 'b')})
    store = StudyStore.open_or_create(str(tmp_path / 's.sqlite'), images.methods, images.images)
    app = StudyApp(store, images)
    task = app.task('ann')
    path = app.output_file('ann', task['image'], '0')
    body, content_type = read_picture(path)
    assert content_type == 'image/png'
    assert np.array_equal(cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR), rgb)
    assert (tmp_path / 'a' / 'x.ppm').read_bytes() == before


def test_folders_are_matched_by_relative_path_and_bad_files_are_listed(tmp_path):
    folders, lr = make_study_folders(tmp_path, photos=PHOTOS[:3])
    (folders['soft'] / 'notes.txt').write_text('not an image')
    (folders['blurry'] / 'coffee.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    images = collect_study_images({k: str(v) for k, v in folders.items()}, str(lr))
    assert images.images == ['astronaut', 'chelsea']  # coffee is unreadable in one folder
    assert [s.split(': ')[0] for s in images.skipped
            ] == [str(folders['soft'] / 'notes.txt'),
                  str(folders['blurry'] / 'coffee.png')]
    assert 'image coffee left out' in images.skipped[1]
    (folders['sharp'] / 'coffee.jpg').write_bytes(b'')
    with pytest.raises(ValueError, match='two images named coffee'):
        collect_study_images({k: str(v) for k, v in folders.items()})
    (folders['sharp'] / 'coffee.jpg').unlink()
    (lr / 'chelsea.png').unlink()
    with pytest.raises(ValueError, match=f'{lr} lacks 1: chelsea'):
        collect_study_images({k: str(v) for k, v in folders.items()}, str(lr))
