# Copyright (c) mmssg contributors. All rights reserved.
"""The study's web server (standard library only).

:class:`StudyApp` answers the page's requests without knowing about HTTP;
:class:`StudyRequestHandler` maps them onto URLs; :func:`make_server` binds a
threaded server (one thread per request, so participants do not wait for
each other; the store serialises the writes).

URLs: ``GET /`` the page (``static/index.html``, styles and script inline);
``GET /api/task?participant=ID`` (the participant's next image);
``GET /api/output?participant=ID&image=KEY&slot=K``;
``GET /api/reference?image=KEY``; ``POST /api/submit`` with
``{"participant", "image", "ranking": [[slot, ...], ...]}`` (groups of slots,
best first; the next task comes back only once the ranking is committed).
Answers are JSON; errors are ``{"error": message}`` with status 400 (bad
request) or 404 (unknown image or path). Method names never reach the page:
outputs are addressed by their slot (A, B, ...) in the participant's shuffled
order.
"""
import errno
import io
import json
import os.path as osp
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

from PIL import Image

from .folders import BROWSER_TYPES, StudyImages
from .store import StudyStore

MAX_BODY_BYTES = 64 * 1024
PAGE_PATH = osp.join(osp.dirname(osp.abspath(__file__)), 'static', 'index.html')


class StudyApp:
    """What the ranking page asks for, answered from the images and the store.

    Args:
        store (StudyStore): Where answers go.
        study_images (StudyImages): The files to show.
    """

    def __init__(self, store: StudyStore, study_images: StudyImages):
        self.store = store
        self.study_images = study_images

    def task(self, participant: str) -> Dict:
        """The next image of ``participant`` and its outputs' URLs, or ``finished``."""
        view = self.store.next_view(participant)
        if view is None:
            done, total = self.store.progress(participant)
            return dict(finished=True, done=done, total=total)
        image = view['image']
        outputs = [
            '/api/output?' + urlencode(dict(participant=participant, image=image, slot=slot))
            for slot in range(len(view['shown_order']))
        ]
        reference = None
        if image in self.study_images.references:
            reference = '/api/reference?' + urlencode(dict(image=image))
        return dict(
            finished=False,
            image=image,
            outputs=outputs,
            reference=reference,
            done=view['done'],
            total=view['total'])

    def submit(self, payload: Dict) -> Dict:
        """Store a ranking of slots as a ranking of methods; return the next task.

        The shown order is read back from the store, so slots mean what the
        participant saw.
        """
        if not isinstance(payload, dict):
            raise ValueError('the request body must be a JSON object')
        participant, image = payload.get('participant'), payload.get('image')
        shown = self.store.shown_order(participant, image)
        groups = payload.get('ranking')
        if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
            raise ValueError(f'"ranking" must be a list of lists of slots, got {groups!r}')
        slots = [slot for group in groups for slot in group]
        if sorted(slots) != list(range(len(shown))):
            raise ValueError(f'"ranking" must name each slot 0..{len(shown) - 1} once, '
                             f'got {groups}')
        ranking = [[shown[slot] for slot in group] for group in groups]
        _, stored = self.store.submit(participant, image, ranking)
        return dict(stored=stored, duplicate=not stored, task=self.task(participant))

    def output_file(self, participant: str, image: str, slot: str) -> str:
        """The file shown in ``slot`` of ``image`` for ``participant``."""
        shown = self.store.shown_order(participant, image)
        if not slot.isdigit() or int(slot) >= len(shown):
            raise ValueError(f'slot must be 0..{len(shown) - 1}, got {slot!r}')
        return self.study_images.files[shown[int(slot)]][image]

    def reference_file(self, image: str) -> str:
        """The LR input of ``image``."""
        if image not in self.study_images.references:
            raise KeyError(f'no reference image {image!r}')
        return self.study_images.references[image]


def read_page() -> bytes:
    """The ranking page, read from the package's static file."""
    with open(PAGE_PATH, 'rb') as f:
        return f.read()


def read_picture(path: str) -> Tuple[bytes, str]:
    """The bytes and content type of an image, as a browser can show it."""
    content_type = BROWSER_TYPES.get(osp.splitext(path)[1].lower())
    if content_type:
        with open(path, 'rb') as f:
            return f.read(), content_type
    buffer = io.BytesIO()
    with Image.open(path) as img:
        img.save(buffer, format='PNG')  # TIFF, PPM, PGM: converted, the file is not touched
    return buffer.getvalue(), 'image/png'


class StudyRequestHandler(BaseHTTPRequestHandler):
    """Routes requests to the server's :class:`StudyApp`."""

    server_version = 'mmssg-mor-study'

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        app = self.server.app
        routes = {
            '/':
            lambda: (read_page(), 'text/html; charset=utf-8'),
            '/api/task':
            lambda: self._json(app.task(query.get('participant'))),
            '/api/output':
            lambda: read_picture(
                app.output_file(
                    query.get('participant'), query.get('image'), query.get('slot', ''))),
            '/api/reference':
            lambda: read_picture(app.reference_file(query.get('image'))),
        }
        self._respond(routes.get(url.path))

    def do_POST(self):  # noqa: N802
        app = self.server.app

        def submit():
            length = int(self.headers.get('Content-Length') or 0)
            if length > MAX_BODY_BYTES:
                raise ValueError(f'request body over {MAX_BODY_BYTES} bytes')
            try:
                payload = json.loads(self.rfile.read(length) or b'null')
            except json.JSONDecodeError as error:
                raise ValueError(f'the request body is not JSON ({error})') from error
            return self._json(app.submit(payload))

        self._respond(submit if urlsplit(self.path).path == '/api/submit' else None)

    @staticmethod
    def _json(data) -> Tuple[bytes, str]:
        return json.dumps(data).encode(), 'application/json'

    def _respond(self, route) -> None:
        """Run ``route`` and send its body, or the error it raised as JSON."""
        status = HTTPStatus.OK
        try:
            if route is None:
                raise FileNotFoundError(f'no such page: {self.path}')
            body, content_type = route()
        except (KeyError, FileNotFoundError) as error:
            status, body = HTTPStatus.NOT_FOUND, error
        except (ValueError, TypeError) as error:
            status, body = HTTPStatus.BAD_REQUEST, error
        except Exception as error:  # the server keeps running; the console shows why
            traceback.print_exc()
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, error
        if status != HTTPStatus.OK:
            message = body.args[0] if isinstance(body, KeyError) and body.args else str(body)
            body, content_type = self._json(dict(error=message))
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')  # a new study may map slots differently
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code='-', size='-') -> None:
        """Log failed requests only; a study makes many successful ones."""
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)

    def log_message(self, format, *args) -> None:  # noqa: A002 (http.server's signature)
        sys.stderr.write(f'[mor_study] {self.address_string()} {format % args}\n')


class StudyServer(ThreadingHTTPServer):
    """A threaded HTTP server that carries the :class:`StudyApp`."""

    daemon_threads = True

    def __init__(self, address: Tuple[str, int], app: StudyApp):
        self.app = app
        super().__init__(address, StudyRequestHandler)


def make_server(app: StudyApp, host: str = '127.0.0.1', port: int = 8000) -> StudyServer:
    """Bind the study server (it serves once ``serve_forever`` is called).

    Args:
        app (StudyApp): The study.
        host (str): Address to bind; 127.0.0.1 (this machine only) by
            default. ``0.0.0.0`` lets anyone who can reach the port take part.
        port (int): TCP port; 0 picks a free one (see ``server_address``).

    Returns:
        StudyServer: The bound server.

    Raises:
        OSError: The port is in use, with a message saying so.
    """
    try:
        return StudyServer((host, port), app)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise OSError(
                f'port {port} on {host} is already in use (by another program or a '
                'study server still running): stop it or choose another --port') from error
        raise
