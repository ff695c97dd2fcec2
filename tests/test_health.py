"""``/health`` for load balancers: 200 while the store answers; 503 with one sentence (JSON) while the
PostgreSQL database does not, from the same server process, which answers 200 again once it is back."""
import json

import pytest

from dashboard.app import create_app


def health(client) -> tuple[int, dict]:
    answer = client.get("/health")
    assert answer.mimetype == "application/json" and answer.headers["Cache-Control"] == "no-store"
    return answer.status_code, json.loads(answer.get_data(as_text=True))


def test_health_on_sqlite_is_200(data_dir):
    client = create_app().server.test_client()
    assert health(client) == (200, {"status": "ok"})
    assert health(client) == (200, {"status": "ok"})


@pytest.fixture
def on_postgres(pg_url, monkeypatch):
    """The store on a fresh PostgreSQL database: (its ``Database``, a new app's test client)."""
    from metrics import store
    from metrics.store import database
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    store.forget_open_files()
    yield database.configured(), create_app().server.test_client()
    store.forget_open_files()


def test_health_is_503_while_the_database_is_down_and_200_once_it_is_back(on_postgres, pg_cluster):
    db, client = on_postgres
    assert health(client) == (200, {"status": "ok"})
    pg_cluster.stop()
    try:
        for _ in range(2):                      # the pool's dead connections, then no connection at all
            status, body = health(client)
            assert status == 503 and body["status"] == "unavailable", body
            assert body["error"] == ("the database does not answer; this server's log says which and why "
                                     "(it answers again once the database does)")
    finally:
        pg_cluster.start()
    assert health(client) == (200, {"status": "ok"})
    assert health(client) == (200, {"status": "ok"})


def test_health_on_postgresql_is_one_query_on_a_pooled_connection(on_postgres, pg_cluster):
    """Polled every few seconds by every load balancer: it opens no new connection each time."""
    db, client = on_postgres
    assert health(client)[0] == 200
    with pg_cluster.connect(db.name) as admin:
        def backends():
            return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                                 (db.name,)).fetchone()[0]
        before = backends()
        for _ in range(20):
            assert health(client)[0] == 200
        assert backends() == before
