"""``gunicorn app:server`` with 2 workers: two browser sessions with different seeds at once each
see their own numbers."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import DORA_CARDS, expected_cards
from conftest import ROOT

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn():
    yield from serve()


def serve(**environ):
    """``gunicorn app:server -w 2`` on a free port with ``environ`` added; yields its address."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "-w", "2", "-b", f"127.0.0.1:{port}",
                             "--timeout", "120"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT), **environ))
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("gunicorn did not answer /health: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--window-size=1366,900"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def cards_seen(driver, url: str, expected: dict) -> dict:
    driver.get(url)
    seen = {}
    for card in DORA_CARDS:
        WebDriverWait(driver, 30).until(EC.text_to_be_present_in_element((By.ID, card), expected[card]))
        seen[card] = driver.find_element(By.ID, card).text
    return seen


def test_two_sessions_on_two_workers_see_their_own_numbers(gunicorn):
    drivers = [browser(), browser()]
    try:
        seeds = (7, 100)
        expected = {seed: expected_cards(seed, 30) for seed in seeds}
        assert expected[7] != expected[100]
        for _ in range(3):            # several rounds at once, so requests land on both workers
            with ThreadPoolExecutor(2) as pool:
                seen = list(pool.map(lambda pair: cards_seen(pair[0], f"{gunicorn}/?seed={pair[1]}&days=30", expected[pair[1]]),
                                     zip(drivers, seeds)))
            for seed, cards in zip(seeds, seen):
                assert cards == {k: expected[seed][k] for k in DORA_CARDS}
        for d in drivers:
            errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], errors
    finally:
        for d in drivers:
            d.quit()


def test_every_worker_sees_a_dataset_imported_while_it_runs(gunicorn):
    """The store is shared: a dataset imported after the workers started is listed by each of them."""
    from conftest import FIXTURES, run_cli
    assert run_cli("import", "--from", "events", FIXTURES / "hand.csv", "--name", "shared").returncode == 0
    for _ in range(12):                          # requests spread over both workers
        with urllib.request.urlopen(gunicorn + "/_dash-layout", timeout=30) as response:
            assert "shared (49 events)" in response.read().decode()


def test_sign_in_holds_on_both_workers_and_sign_out_works(data_dir):
    """Sessions are signed with METRICS_SECRET_KEY, so whichever worker answers accepts them; after
    sign-out neither worker accepts the session or a copy of its cookie."""
    import http.cookiejar
    import re
    from urllib.parse import urlencode
    from metrics import users
    from test_auth import layout_csrf
    users.add(users.users_path(data_dir), "alice", "editor", "alice-password")
    server = serve(METRICS_AUTH="basic", METRICS_SECRET_KEY="s" * 40)
    url = next(server)
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(url + "/login", timeout=30).read().decode()
        csrf = re.search(r"name='csrf' value='([^']+)'", page).group(1)
        opener.open(url + "/login", data=urlencode({"username": "alice", "password": "alice-password", "csrf": csrf,
                                                    "next": "/"}).encode(), timeout=30)
        for _ in range(16):                     # requests spread over both workers
            with opener.open(url + "/_dash-layout", timeout=30) as response:
                assert response.status == 200 and "alice" in response.read().decode()
            with opener.open(url + "/api/v1/datasets", timeout=30) as response:
                assert response.status == 200
        layout = json.loads(opener.open(url + "/_dash-layout", timeout=30).read())
        copy = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)}       # the cookie, copied elsewhere
        for _ in range(6):
            with urllib.request.urlopen(urllib.request.Request(url + "/_dash-layout", headers=copy), timeout=30) as r:
                assert r.status == 200
        opener.open(url + "/logout", data=urlencode({"csrf": layout_csrf(layout)}).encode(), timeout=30)
        for _ in range(6):                      # neither worker answers the session or its copy
            for request in (url + "/_dash-layout", urllib.request.Request(url + "/_dash-layout", headers=copy)):
                try:
                    opener.open(request, timeout=30)
                    pytest.fail("a signed-out session was answered")
                except urllib.error.HTTPError as e:
                    assert e.code == 401
    finally:
        next(server, None)


def test_fifty_concurrent_webhook_senders_on_two_workers_lose_nothing(data_dir):
    """Durable before acknowledged: every 2xx delivery is in the store, redeliveries add nothing."""
    from bench.webhooks import SECRET, delivery, post
    server = serve(GITHUB_WEBHOOK_SECRET=SECRET)
    url = next(server)
    try:
        jobs = [delivery(i) for i in range(200)]
        jobs += jobs[::4]                                   # redeliveries
        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(lambda job: post(url + "/webhooks/github/pushed", *job), jobs))
    finally:
        next(server, None)
    assert [status for status, _, _ in results] == [200] * len(jobs)
    assert sum(body["added"] for _, _, body in results) == 200
    assert sum(1 for _, _, body in results if body["repeated"]) == 50
    assert max(seconds for _, seconds, _ in results) < 10          # GitHub gives up after 10 s
    from metrics import store
    assert len(store.load("pushed")) == 200


def test_a_chunked_26_mb_delivery_is_413_on_gunicorn(data_dir):
    """gunicorn hands the app a chunked body with no Content-Length: 26 MB (the default limit is
    GitHub's 25 MB), validly signed, is refused with 413 and a sentence, and nothing is stored."""
    from urllib.parse import urlsplit
    from metrics import store
    from test_webhooks import GITHUB_SECRET, padded_to, post_chunked, signed_github
    server = serve(GITHUB_WEBHOOK_SECRET=GITHUB_SECRET)
    port = urlsplit(next(server)).port
    try:
        body = padded_to(26 * 1024 * 1024)
        status, answer = post_chunked(port, "/webhooks/github/live", body, signed_github(body, "big"))
        assert status == 413, answer
        assert answer["error"] == "the delivery is over the limit of 25 MB (METRICS_WEBHOOK_MAX_MB)"
        small = padded_to(4096)
        status, answer = post_chunked(port, "/webhooks/github/live", small, signed_github(small, "small"))
        assert (status, answer["added"]) == (200, 1), answer
    finally:
        next(server, None)
    assert len(store.load("live")) == 1
