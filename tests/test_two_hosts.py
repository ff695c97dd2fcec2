"""Two hosts, one PostgreSQL database: two gunicorn servers (2 workers each, started once for the
module) on the same ``METRICS_DATABASE_URL``, each with a data directory of its own. A write seen
through one is answered by the other within the live poll; the same webhook delivery sent to both at
the same moment is stored once."""
import json
import secrets
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.webhooks import SECRET, delivery, post
from conftest import run_cli
from metrics import defaults
from test_gunicorn import serve


@pytest.fixture(scope="module")
def shared_database(pg_cluster):
    """A PostgreSQL database of this module's own: its URL."""
    name = f"test_hosts_{secrets.token_hex(6)}"
    url = pg_cluster.create_database(name)
    yield url
    if not pg_cluster.running():
        pg_cluster.start()
    pg_cluster.drop_database(name)


@pytest.fixture(scope="module")
def hosts(shared_database, tmp_path_factory):
    """Two servers on the shared database (as two hosts behind a load balancer): their URLs."""
    servers = [serve(METRICS_DATABASE_URL=shared_database, GITHUB_WEBHOOK_SECRET=SECRET,
                     METRICS_DATA_DIR=str(tmp_path_factory.mktemp(f"host{i}")))
               for i in range(2)]
    try:
        yield [next(server) for server in servers]
    finally:
        for server in servers:
            next(server, None)


@pytest.fixture
def on_shared(shared_database, monkeypatch):
    """This test's own commands and store calls use the shared database too."""
    from metrics import store
    monkeypatch.setenv("METRICS_DATABASE_URL", shared_database)
    store.forget_open_files()
    yield
    store.forget_open_files()


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


def events_of(host: str, name: str):
    """The dataset's event count as ``/api/v1/datasets`` on ``host`` answers it (None: not listed)."""
    return next((d["events"] for d in get(host + "/api/v1/datasets")["datasets"] if d["name"] == name), None)


def answered_within(seconds: float, predicate) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def csv(tmp_path, name: str, deploys: range) -> str:
    """Events CSV of production deploys d<i>, one an hour from 2024-03-01."""
    path = tmp_path / name
    path.write_text("ts,kind,service,deploy_id,status,environment\n" + "".join(
        f"2024-03-{1 + i // 24:02d}T{i % 24:02d}:00:00Z,deploy,api,d{i},success,production\n" for i in deploys))
    return str(path)


def test_a_write_on_one_host_is_answered_by_the_other_within_the_live_poll(hosts, on_shared, tmp_path):
    """A command line's write (another host's import) is answered by both servers."""
    one, other = hosts
    done = run_cli("import", "--from", "events", csv(tmp_path, "first.csv", range(30)), "--name", "shared")
    assert done.returncode == 0, done.stderr
    for host in hosts:
        assert answered_within(defaults.LIVE_POLL_SECONDS + 2, lambda: events_of(host, "shared") == 30)
    before = [get(host + "/api/v1/summary?data=shared") for host in hosts]
    assert before[0] == before[1]
    # an append through the store as a server's own write path does it, then both hosts answer the new count
    done = run_cli("import", "--from", "events", csv(tmp_path, "more.csv", range(30, 42)), "--name", "shared")
    assert done.returncode == 0, done.stderr
    for host in (other, one):
        assert answered_within(defaults.LIVE_POLL_SECONDS + 2, lambda: events_of(host, "shared") == 42)
    after = [get(host + "/api/v1/summary?data=shared") for host in hosts]
    assert after[0] == after[1] and after[0] != before[0]          # neither answers a stale cached view


def test_the_same_delivery_sent_to_both_hosts_at_once_is_stored_once(hosts, on_shared):
    """A delivery retried to the other host at the same moment: stored by exactly one of them."""
    from metrics import store
    rounds = 12
    results = []
    for i in range(rounds):
        body, headers = delivery(10_000 + i)
        start = threading.Barrier(2)

        def send(host):
            start.wait()
            return post(host + "/webhooks/github/both", body, headers)

        with ThreadPoolExecutor(2) as pool:
            results.append(list(pool.map(send, hosts)))
    for pair in results:
        assert [status for status, _, _ in pair] == [200, 200], pair
        assert sorted(answer["added"] for _, _, answer in pair) == [0, 1], pair
        assert sorted(bool(answer["repeated"]) for _, _, answer in pair) == [False, True], pair
    assert len(store.load("both")) == rounds
    for host in hosts:
        assert events_of(host, "both") == rounds


def test_a_write_through_one_server_is_answered_by_the_other(hosts, on_shared):
    """A webhook delivery taken by the first server (its own write path) is counted by the second
    within the live poll, and the dashboard's view there shows it."""
    one, other = hosts
    for i in range(3):
        body, headers = delivery(20_000 + i)
        status, _, answer = post(one + "/webhooks/github/through-one", body, headers)
        assert status == 200 and answer["added"] == 1, answer
    assert answered_within(defaults.LIVE_POLL_SECONDS + 2, lambda: events_of(other, "through-one") == 3)
    assert get(other + "/api/v1/summary?data=through-one") == get(one + "/api/v1/summary?data=through-one")
