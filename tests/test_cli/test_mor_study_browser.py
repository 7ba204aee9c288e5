# Copyright (c) mmssg contributors. All rights reserved.
"""The MOR study end to end in a real headless browser (Debian's Chromium + its WebDriver).

Two participants rank every image with a known preference, the server is killed half-way and
started again on the same database, and the stored rows and the reported MOR are checked.
The server runs ``tools/analysis/mor_study.py serve`` in a child process forked from the test
(a fresh interpreter would spend 10-35 s of this 2-core machine importing the OpenMMLab stack
that ``import mmssg`` pulls in); killing it with SIGKILL is a crash like any other.
A screenshot of the ranking page (zoom held) is saved in the test's output folder; set
``MMSSG_MOR_SCREENSHOT=docs/images/mor_study.png`` to also copy it there.
"""
import base64
import hashlib
import json
import multiprocessing
import os
import shutil
import socket
import sqlite3
import sys
import time
import urllib.request

import pytest

from mmssg.testing.mor_study import BLUR, PHOTOS, file_digests, make_study_folders

BROWSERS = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')
DRIVERS = ('chromedriver', '/usr/lib/chromium/chromedriver')
INSTALL_HINT = (
    'the MOR study browser test needs Chromium and its WebDriver. On Debian/Ubuntu, as root: '
    '`apt-get install -y chromium chromium-driver` (`make test` runs tools/setup_env.sh, which '
    'does this); elsewhere install both and set MMSSG_CHROMIUM and MMSSG_CHROMEDRIVER to them')
TRUE_ORDER = sorted(BLUR, key=BLUR.get)  # sharp, soft, blurry
# bob prefers the slightly soft output of one photo
PREFERENCES = {'ann': {}, 'bob': {'coffee': ['soft', 'sharp', 'blurry']}}
EXPECTED_MOR = {'sharp': 9 / 8, 'soft': 15 / 8, 'blurry': 3.0}  # 8 rankings, one of them swapped
FETCH_BASE64 = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then((r) => r.arrayBuffer()).then((buffer) => {
  let text = ""; for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  done(btoa(text));
});
"""


def _find(names, variable):
    found = os.environ.get(variable) or next(filter(None, map(shutil.which, names)), None)
    return found if found and os.access(found, os.X_OK) else None


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    """A headless Chromium driven through its WebDriver; fails (not skips) when missing."""
    chromium, chromedriver = _find(BROWSERS, 'MMSSG_CHROMIUM'), _find(DRIVERS, 'MMSSG_CHROMEDRIVER')
    if not chromium or not chromedriver:
        pytest.fail(f'{INSTALL_HINT} (browser: {chromium}, driver: {chromedriver})', pytrace=False)
    try:
        from selenium import webdriver
    except ImportError:
        pytest.fail(
            'the MOR study browser test needs selenium: '
            'pip install -r requirements/tests.txt',
            pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium  # with both paths given, selenium downloads nothing
    for argument in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                     '--window-size=1280,620', '--hide-scrollbars'):
        options.add_argument(argument)
    log = tmp_path_factory.mktemp('chromedriver') / 'chromedriver.log'
    service = webdriver.ChromeService(executable_path=chromedriver, log_output=str(log))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _serve(tool_main, argv, log_path):
    """The child process: the tool's ``serve`` command, its output going to ``log_path``."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = sys.stderr = open(1, 'w', buffering=1, closefd=False)
    os._exit(tool_main(argv))


def _start_server(tool_main, arguments, port, log_path):
    """Start ``mor_study.py serve`` in its own process; return it once it answers."""
    process = multiprocessing.get_context('fork').Process(
        target=_serve, args=(tool_main, ['serve', *arguments, '--port',
                                         str(port)], str(log_path)))
    process.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        if not process.is_alive():
            pytest.fail(f'the study server exited: {open(log_path).read()}')
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=2).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f'the study server did not answer within 60 s: {open(log_path).read()}')


def _wait(driver, condition, what, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout).until(lambda d: condition(d), message=what)


def _digest_of(driver, url):
    content = base64.b64decode(driver.execute_async_script(FETCH_BASE64, url))
    return hashlib.sha1(content).hexdigest()


def _shown_methods(driver, digests):
    """The method of each output slot, found from the bytes the page displays."""
    from selenium.webdriver.common.by import By
    _wait(
        driver, lambda d: d.execute_script(
            'return [...document.images].every((img) => img.complete && img.naturalWidth > 0)'),
        'the pictures load')
    figures = driver.find_elements(By.CSS_SELECTOR, 'figure.output')
    assert [f.get_attribute('data-slot') for f in figures] == ['0', '1', '2']
    return [
        digests[_digest_of(driver,
                           f.find_element(By.TAG_NAME, 'img').get_attribute('src'))]
        for f in figures
    ]


def _rank_current_image(driver, participant, digests, photo_of, shown_log, before_submit=None):
    """Rank the displayed outputs as ``participant`` prefers, submit and wait for the next."""
    from selenium.webdriver.common.by import By
    shown = _shown_methods(driver, digests)
    reference = driver.find_element(By.CSS_SELECTOR, 'figure.reference img').get_attribute('src')
    photo = photo_of[_digest_of(driver, reference)]
    shown_log[participant, photo] = shown
    for rank, method in enumerate(PREFERENCES[participant].get(photo, TRUE_ORDER), start=1):
        driver.find_element(
            By.CSS_SELECTOR, f'figure[data-slot="{shown.index(method)}"] '
            f'button[data-rank="{rank}"]').click()
        if before_submit and rank == 2:
            before_submit(driver)
    progress = driver.find_element(By.ID, 'progress-text').text
    driver.find_element(By.ID, 'submit').click()
    _wait(driver, lambda d: d.find_element(By.ID, 'progress-text').text != progress,
          'the next image after submitting')


def _screenshot(path):

    def take(driver):
        """Hold the zoom on a detail, check it is the same region everywhere, take the shot."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        driver.find_element(By.CSS_SELECTOR, 'button[data-zoom="2"]').click()
        viewport = driver.find_elements(By.CSS_SELECTOR, 'figure.output .viewport')[1]
        ActionChains(driver).move_to_element_with_offset(viewport, 20, 10).click().perform()
        zoom = driver.execute_script(
            'return [...document.querySelectorAll(".viewport img")]'
            '.map((img) => [img.style.transform, img.style.transformOrigin])')
        assert len(zoom) == 4 and len(set(map(tuple, zoom))) == 1 and zoom[0][0] == 'scale(2)'
        driver.save_screenshot(str(path))

    return take


def test_two_participants_rank_every_image_across_a_server_restart(browser, tmp_path):
    from selenium.webdriver.common.by import By
    folders, lr = make_study_folders(tmp_path / 'images')
    digests = file_digests(folders)
    photo_of = {hashlib.sha1((lr / f'{p}.png').read_bytes()).hexdigest(): p for p in PHOTOS}
    study, port = tmp_path / 'study.sqlite', _free_port()
    arguments = [
        *(f'{name}={folder}' for name, folder in folders.items()), '--lr',
        str(lr), '--study',
        str(study), '--seed', '5'
    ]
    from mmssg.cli.mor_study import main as tool_main
    server = _start_server(tool_main, arguments, port, tmp_path / 'server_1.log')
    tabs, shown_log = {}, {}
    try:
        for participant in PREFERENCES:
            if tabs:
                browser.switch_to.new_window('tab')
            browser.get(f'http://127.0.0.1:{port}/?participant={participant}')
            tabs[participant] = browser.current_window_handle
        for _ in range(2):  # both participants at once, turn by turn
            for participant, tab in tabs.items():
                browser.switch_to.window(tab)
                _rank_current_image(browser, participant, digests, photo_of, shown_log)
        assert browser.find_element(By.ID, 'progress-text').text == '2 of 4 images ranked'
        assert 'blurry' not in browser.page_source and 'sharp' not in browser.page_source

        server.kill()  # SIGKILL: a crash, not a clean shutdown
        server.join()
        server = _start_server(tool_main, arguments, port, tmp_path / 'server_2.log')
        assert '4 answers from 2 participants so far' in open(tmp_path / 'server_2.log').read()

        browser.switch_to.window(tabs['ann'])
        browser.refresh()  # a reload resumes at the first unanswered image
        _wait(browser,
              lambda d: d.find_element(By.ID, 'progress-text').text == '2 of 4 images ranked',
              'ann resumes at image 3')
        screenshot = tmp_path / 'mor_study.png'
        _rank_current_image(browser, 'ann', digests, photo_of, shown_log, _screenshot(screenshot))
        _rank_current_image(browser, 'ann', digests, photo_of, shown_log)
        browser.switch_to.window(tabs['bob'])  # still showing image 3, fetched before the crash
        for _ in range(2):
            _rank_current_image(browser, 'bob', digests, photo_of, shown_log)
        assert browser.find_element(By.ID, 'finished').is_displayed()
        assert browser.find_element(By.ID, 'progress-text').text == '4 of 4 images ranked'
    finally:
        server.kill()
        server.join()
    if os.environ.get('MMSSG_MOR_SCREENSHOT'):
        shutil.copyfile(screenshot, os.environ['MMSSG_MOR_SCREENSHOT'])

    with sqlite3.connect(study) as conn:
        rows = conn.execute('SELECT participant, image, shown_order, ranking, shown_at, '
                            'submitted_at FROM answers ORDER BY submitted_at').fetchall()
    assert len(rows) == 8 and len(shown_log) == 8
    for participant, image, shown_order, ranking, shown_at, submitted_at in rows:
        assert json.loads(shown_order) == shown_log[participant, image]  # what the page showed
        expected = PREFERENCES[participant].get(image, TRUE_ORDER)
        assert json.loads(ranking) == [[method] for method in expected]
        assert shown_at <= submitted_at
    assert [row[0] for row in rows[:4]] == ['ann', 'bob'] * 2  # the answers before the crash

    assert tool_main(['report', '--study', str(study), '--bootstrap', '500']) == 0
    summary = json.load(open(tmp_path / 'study.json'))
    assert {
        name: row['mor']
        for name, row in summary['methods'].items()
    } == pytest.approx(EXPECTED_MOR)
    assert summary['preference']['sharp']['soft'] == pytest.approx(7 / 8)
    assert summary['participants'] == 2 and summary['images'] == 4
    assert screenshot.stat().st_size > 10_000
