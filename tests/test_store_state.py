"""The store's state beside the events, on both backends (``backend``: the SQLite file, then a fresh
PostgreSQL database): sync state and last runs, webhook deliveries stored exactly once (also when
two threads, or two processes, deliver the same id at the same moment), the audit trail's order,
sign-in sessions, and odd names and ids (quotes, ``%``, ``?``, unicode) kept as they are."""
from __future__ import annotations

import json
import multiprocessing
import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import deploys
from metrics import store
from metrics.store import connection, state

def rows(statement: str, *params) -> list[tuple]:
    """What a statement reads from the store (either backend), as plain tuples."""
    with connection.reading() as con:
        return [tuple(r) for r in con.execute(statement, params).fetchall()]


# -- sync state and runs -----------------------------------------------------------------------------

def test_sync_state_and_runs_keep_the_newest_per_dataset_and_source(backend):
    store.record_sync_run("d", "github", {"added": 1})
    store.record_sync_run("d", "gitlab", {"added": 2})
    store.record_sync_run("d", "github", {"added": 3})            # replaces the first
    store.record_sync_run("e", "github", {"added": 4})            # another dataset: its own row
    assert store.sync_runs("d") == [("github", '{"added": 3}'), ("gitlab", '{"added": 2}')]
    assert store.sync_runs("e") == [("github", '{"added": 4}')]
    assert store.sync_state("d", "github") == {}
    with connection.writing() as con:
        con.execute(state.KEEP_STATE, ("d", "github", '{"since": "2024-01-01"}'))
        con.execute(state.KEEP_STATE, ("d", "github", '{"since": "2024-02-01"}'))
    assert store.sync_state("d", "github") == {"since": "2024-02-01"}
    assert rows("SELECT COUNT(*) FROM sync_state") == [(1,)]


def test_append_with_state_keeps_events_and_state_together(backend):
    assert store.append_with_state("d", deploys(3, "a"), "github", {"page": 1}) == 3
    assert store.append_with_state("d", deploys(4, "a"), "github", {"page": 2}) == 1     # 3 already stored
    assert store.sync_state("d", "github") == {"page": 2}
    assert [(e.action, e.events) for e in store.audit_log(dataset="d")] == [("sync", 1), ("sync", 3)]


# -- webhook deliveries -------------------------------------------------------------------------------

def test_a_delivery_id_is_claimed_once_per_dataset_and_source(backend):
    with connection.writing() as con:
        assert state.claim(con, "d", "github", "id-1", 1) is True
        assert state.claim(con, "d", "github", "id-1", 2) is False        # the same id: taken
        assert state.claim(con, "d", "gitlab", "id-1", 3) is True         # another source
        assert state.claim(con, "e", "github", "id-1", 4) is True         # another dataset
    assert rows("SELECT dataset, source, delivery, at_ns FROM deliveries ORDER BY at_ns") == [
        ("d", "github", "id-1", 1), ("d", "gitlab", "id-1", 3), ("e", "github", "id-1", 4)]


def test_a_claim_rolled_back_with_its_write_is_not_kept(backend):
    with pytest.raises(RuntimeError):
        with connection.writing() as con:
            assert state.claim(con, "d", "github", "id-1", 1)
            raise RuntimeError("the merge failed")
    assert rows("SELECT COUNT(*) FROM deliveries") == [(0,)]
    with connection.writing() as con:
        assert state.claim(con, "d", "github", "id-1", 2) is True


def test_a_delivery_is_stored_once_and_a_repeat_adds_nothing(backend):
    first = store.deliver("d", deploys(2, "a"), "github", "delivery-1")
    assert (first.total, first.added, first.repeated) == (2, 2, False)
    again = store.deliver("d", deploys(3, "b"), "github", "delivery-1")
    assert (again.total, again.added, again.repeated) == (2, 0, True)
    run = json.loads(dict(store.sync_runs("d"))["webhook:github"])
    assert (run["deliveries"], run["added"]) == (1, 2)
    assert [(e.action, e.detail) for e in store.audit_log()] == [("webhook", "github delivery delivery-1")]


def test_only_the_first_delivery_of_a_deployment_counts(backend):
    store.deliver("d", deploys(1, "a"), "github", "delivery-1", once="deploy-7")
    later = store.deliver("d", deploys(1, "b"), "github", "delivery-2", once="deploy-7")
    assert (later.added, later.repeated) == (0, False)
    assert later.report.skipped == {"later final statuses of a deployment (its first one counts)": 1}
    assert rows("SELECT delivery FROM deliveries ORDER BY delivery") == [("delivery-1",), ("delivery-2",),
                                                                         ("once:deploy-7",)]


def _claim_in_a_transaction(start: threading.Barrier, out: list) -> None:
    start.wait()                                    # both threads begin their write at the same moment
    with connection.writing() as con:
        out.append(state.claim(con, "d", "github", "same-id", 1))


def test_two_threads_claiming_one_id_at_the_same_moment_store_it_once(backend):
    start, out = threading.Barrier(2), []
    threads = [threading.Thread(target=_claim_in_a_transaction, args=(start, out)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(out) == [False, True]
    assert rows("SELECT COUNT(*) FROM deliveries") == [(1,)]


def test_the_unique_key_alone_stores_a_delivery_once_on_postgresql(pg_url, monkeypatch):
    """Without the write lock (two bare transactions, as two hosts would hold them): the second
    insert of the same id waits on the first's uncommitted row, then finds it taken and adds nothing."""
    import psycopg
    from metrics.store.postgres.connection import Connection
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    store.forget_open_files()
    store.sync_runs("d")                                      # the schema made
    arguments = store.database.configured().connect_arguments()
    first, second = psycopg.connect(**arguments), psycopg.connect(**arguments)
    try:
        assert state.claim(Connection(first), "d", "github", "same-id", 1) is True      # not committed yet
        out = []
        waiting = threading.Thread(target=lambda: out.append(state.claim(Connection(second), "d", "github",
                                                                         "same-id", 2)))
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive() and out == []               # waits on the unique key
        first.commit()
        waiting.join(30)
        second.commit()
        assert out == [False]
    finally:
        first.close(), second.close()
    assert rows("SELECT at_ns FROM deliveries") == [(1,)]
    store.forget_open_files()


def _deliver_in_a_process(environment: dict, start, results) -> None:
    import os
    os.environ.update(environment)
    from helpers import deploys as made
    from metrics import store as kept
    start.wait()
    done = kept.deliver("d", made(2, "a"), "github", "same-delivery")
    results.put((done.added, done.repeated))


def test_two_processes_delivering_one_id_at_the_same_moment_store_it_once(backend):
    import os
    environment = {k: os.environ[k] for k in ("METRICS_DATA_DIR", "METRICS_DATABASE_URL") if k in os.environ}
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_deliver_in_a_process, args=(environment, start, results)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert sorted(results.get(timeout=5) for _ in workers) == [(0, True), (2, False)]
    assert store.list_datasets()[0].events == 2
    assert rows("SELECT COUNT(*) FROM deliveries") == [(1,)]


# -- the audit trail ----------------------------------------------------------------------------------

def test_the_audit_trail_lists_the_newest_first_even_within_one_nanosecond(backend, monkeypatch):
    import metrics.store.trail as trail
    from types import SimpleNamespace
    monkeypatch.setattr(trail, "time", SimpleNamespace(time_ns=lambda: 10**18))      # every entry at one time
    for detail in ("first", "second", "third"):
        store.record_audit("user add", detail, who="admin")
    entries = store.audit_log()
    assert [e.detail for e in entries] == ["third", "second", "first"]
    assert [e.detail for e in store.audit_log(2)] == ["third", "second"]
    assert {(e.who, e.action, e.dataset, e.events, e.at.value) for e in entries} == {("admin", "user add", "", 0, 10**18)}
    assert store.audit_log(dataset="other") == []


# -- sessions -----------------------------------------------------------------------------------------

def test_sessions_begin_are_looked_up_and_end(backend):
    laptop, phone = store.begin_session("alice", 3600), store.begin_session("alice", 3600)
    other = store.begin_session("victor", 3600)
    assert [store.session_user(s) for s in (laptop, phone, other, "never-begun")] == ["alice", "alice", "victor", None]
    assert rows('SELECT COUNT(*) FROM sessions WHERE "user" = ?', "alice") == [(2,)]
    assert all(laptop not in r[0] for r in rows("SELECT id FROM sessions"))          # only the hash is kept
    store.end_session(laptop)
    assert store.session_user(laptop) is None and store.session_user(phone) == "alice"
    assert store.end_sessions("alice", who="admin") == 1
    assert store.session_user(phone) is None and store.session_user(other) == "victor"
    assert not store.user_has_sessions("alice") and store.user_has_sessions("victor")
    assert [(e.who, e.action, e.detail) for e in store.audit_log()] == [("admin", "user sign-out",
                                                                         "alice (1 session ended)")]


# -- odd names and ids --------------------------------------------------------------------------------

# text PostgreSQL keeps (no NUL) and UTF-8 encodes (no lone surrogates), with the characters that
# mean something in SQL or in the ``?`` -> ``%s`` translation made likely
ODD = st.text(st.one_of(st.sampled_from("?%s'\"\\;-()$:"), st.characters(blacklist_categories=("Cs",),
                                                                         blacklist_characters="\x00")),
              min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=ODD, delivery=ODD, user=ODD, detail=ODD)
def test_odd_names_and_ids_round_trip_on_postgresql(pg_url, monkeypatch, source, delivery, user, detail):
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    store.record_sync_run("d", source, {"note": detail})
    assert dict(store.sync_runs("d"))[source] == json.dumps({"note": detail})
    with connection.writing() as con:
        state.claim(con, "d", source, delivery, 5)
        assert state.claim(con, "d", source, delivery, 6) is False
    assert rows("SELECT at_ns FROM deliveries WHERE source = ? AND delivery = ?", source, delivery) == [(5,)]
    session = store.begin_session(user, 3600)
    assert store.session_user(session) == user and store.user_has_sessions(user)
    store.end_sessions(user, who=user)
    assert store.session_user(session) is None
    store.record_audit(detail, detail, who=user)
    newest = store.audit_log(1)[0]
    assert (newest.who, newest.action, newest.detail) == (user[:200], detail, detail[:500])
    store.edit_document("odd", lambda _: json.dumps({user: detail}))
    assert json.loads(store.read_document("odd")[0]) == {user: detail}


def test_no_statement_of_the_state_modules_holds_a_literal_question_mark():
    """PostgreSQL's connection turns every ``?`` of a statement into a placeholder: a ``?`` inside
    a quoted literal would become one too. Values are parameters; the statements keep ``?`` for
    placeholders only (a literal ``%`` is safe: it is escaped)."""
    import ast
    import re
    from pathlib import Path
    from metrics.store import audit, documents, sessions, trail
    statements = []
    for module in (state, audit, documents, sessions, trail):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.match(
                    r"\s*(SELECT|INSERT|DELETE|UPDATE|ON CONFLICT|DO UPDATE)\b", node.value):
                statements.append(node.value)
    assert len(statements) >= 15
    literals = [lit for sql in statements for lit in re.findall(r"'[^']*'", sql)]
    assert [lit for lit in literals if "?" in lit] == []


def test_a_literal_percent_in_a_statement_and_odd_values_survive_the_translation(pg_url, monkeypatch):
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    with connection.reading() as con:
        assert tuple(con.execute("SELECT '100%', ?, ?", ("?", "%s %")).fetchone()) == ("100%", "?", "%s %")
        assert tuple(con.execute("SELECT '100%'").fetchone()) == ("100%",)
    store.forget_open_files()
