"""Events on PostgreSQL (``metrics.store.postgres.events``): the table a SQL tool sees, appends that
read only what they add, writers at once, a server that stops mid-append, check and repair.
(The store's behaviour on both backends is tests/test_store*.py, parametrised over ``backend``.)"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import psycopg
import pytest

from conftest import ROOT, run_cli
from helpers import deploys
from metrics import normalize, store
from metrics.store import StoreError


def events_of(rows: list[dict]) -> pd.DataFrame:
    frame, report = normalize(pd.DataFrame(rows))
    assert report.rejected_count == 0, report.lines()
    return frame


def sql(url: str, query: str, params=()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as con:
        cursor = con.execute(query, params or None)
        return cursor.fetchall() if cursor.description else []


def test_events_are_one_plain_row_each_texts_never_null(pg):
    store.append("t", events_of([
        {"ts": "2024-05-01T10:00:00Z", "kind": "deploy", "service": "api", "deploy_id": "v1"},
        {"ts": "2024-05-02T00:00:00Z", "kind": "survey_satisfaction", "service": "api", "metric_value": "4.5"},
    ]))
    rows = sql(pg, "SELECT dataset, ts_ns, ts, kind, service, deploy_id, incident_id, author, metric_value "
                   "FROM events ORDER BY ts_ns")
    assert rows == [
        ("t", 1714557600 * 10**9, pd.Timestamp("2024-05-01T10:00:00Z"), "deploy", "api", "api@v1", "", "", None),
        ("t", 1714608000 * 10**9, pd.Timestamp("2024-05-02T00:00:00Z"), "survey_satisfaction", "api", "", "", "", 4.5)]
    assert sql(pg, "SELECT name, events, first_ns, last_ns FROM datasets") == [
        ("t", 2, 1714557600 * 10**9, 1714608000 * 10**9)]
    assert sql(pg, "SELECT service, deploy_id, status FROM deployments") == [("api", "api@v1", "success")]


AWKWARD = ["", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\nhere", "back\\slash", "tab\there", "ünïcødé ✓", "NULL", "\\N"]


def test_texts_of_every_kind_read_back_exactly(pg):
    """Commas, quotes, newlines, backslashes, 'NULL', '\\N', spaces, non-ASCII: what COPY and the
    aggregated read could mangle, each read back as written (and the frame read back equals the frame)."""
    frame = events_of([{"ts": f"2024-05-01T10:{i:02d}:00Z", "kind": "deploy", "service": "api", "deploy_id": f"d{i}",
                        "author": text} for i, text in enumerate(AWKWARD)])
    store.append("odd", frame)
    back = store.load("odd").sort_values("ts").reset_index(drop=True)
    assert list(back["author"]) == AWKWARD
    pd.testing.assert_frame_equal(back, frame.sort_values("ts").reset_index(drop=True), check_dtype=False)
    assert len(store.load_tables("odd").deploys) == 11                # AWKWARD's eleven texts


def test_a_value_of_nan_is_null_and_reads_back_as_nan(pg):
    store.append("v", events_of([{"ts": "2024-05-01T10:00:00Z", "kind": "deploy", "service": "api", "deploy_id": "v1"}]))
    assert sql(pg, "SELECT metric_value FROM events") == [(None,)]
    assert np.isnan(store.load("v")["metric_value"][0])


def test_an_empty_replace_keeps_an_empty_dataset(pg):
    store.append("e", deploys(3, "x"))
    store.append("e", deploys(0, "x"), replace=True)
    assert [(d.name, d.events, d.first) for d in store.list_datasets()] == [("e", 0, None)]
    assert len(store.load("e")) == 0 and sql(pg, "SELECT count(*) FROM events") == [(0,)]


def test_version_changes_with_every_write_and_names_the_database_not_a_directory(pg, data_dir):
    store.append("v", deploys(2, "a"))
    first = store.version("v")
    assert first[0] == store.where() and str(data_dir) not in first[0] and first[1:] == (2, 1)
    store.append("v", deploys(1, "b", start="2024-02-01"))
    assert store.version("v")[1:] == (3, 2)
    store.append("v", deploys(3, "c"), replace=True)
    assert store.version("v")[1:] == (3, 3)


def rows_read(url: str) -> int:
    """Rows of the events table read so far (by sequential scans and through indexes), as the
    server counts them; every pooled connection is closed first so its counts are reported."""
    store.forget_open_files()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("SELECT pg_stat_force_next_flush()")
        (seq, idx), = con.execute("SELECT coalesce(seq_tup_read, 0), coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables "
                                  "WHERE relname = 'events'").fetchall()
    return seq + idx


def test_an_append_reads_only_what_it_adds(pg, monkeypatch):
    """10 events (one re-sent, one a second start of a stored incident) appended to 20,000 just
    stored (before autovacuum has looked at them): the
    server reads a few rows through the hash and id indexes, never the dataset (no whole read
    either: ``copied`` is made to fail)."""
    incidents = events_of([{"ts": "2024-03-01T10:00:00Z", "kind": "incident_start", "service": "api", "incident_id": "i1"}])
    store.append("big", pd.concat([deploys(19999, "old"), incidents], ignore_index=True))
    before = rows_read(pg)
    from metrics.store.postgres import events

    def no_whole_read(*args):
        raise AssertionError("the stored events were read")
    monkeypatch.setattr(events, "copied", no_whole_read)
    again = events_of([{"ts": "2024-03-01T09:00:00Z", "kind": "incident_start", "service": "api", "incident_id": "i1"}])
    total, added, report = store.append("big", pd.concat([deploys(8, "new", start="2025-01-01"), deploys(1, "old"),
                                                          again], ignore_index=True))
    assert (total, added, report.duplicates, report.rejected_count) == (20008, 8, 1, 1)
    assert rows_read(pg) - before <= 20


TWICE = """
import sys
from metrics import store
from helpers import deploys
store.append("both", deploys(3000, sys.argv[1]))
print(store.list_datasets()[0].events)
"""


def test_two_processes_appending_the_same_events_at_once_store_them_once(pg):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}")
    runs = [subprocess.Popen([sys.executable, "-c", TWICE, "same"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    assert sql(pg, "SELECT count(*), count(DISTINCT deploy_id) FROM events") == [(3000, 3000)]
    assert [(d.name, d.events) for d in store.list_datasets()] == [("both", 3000)]
    assert sql(pg, "SELECT events FROM audit WHERE dataset = 'both' ORDER BY events") == [(0,), (3000,)]


def test_a_server_stopping_mid_append_leaves_the_previous_state_and_says_so(pg, pg_cluster, monkeypatch):
    from metrics.store.postgres import events
    store.append("keep", deploys(49, "old"))
    monkeypatch.setattr(events, "BATCH", 10)            # COPY in parts of 10 events: the server stops after the first

    def stop_the_server(done, total, what):
        if done == 1:
            pg_cluster.stop("immediate")
    try:
        with pytest.raises(StoreError) as raised:
            store.append("keep", deploys(100, "new", start="2025-01-01"), progress=stop_the_server)
    finally:
        pg_cluster.start()
    said = str(raised.value)
    assert said.startswith("cannot reach PostgreSQL database") and "nothing of the operation under way was stored" in said
    assert "\n" not in said and "password" not in said.lower()
    store.forget_open_files()
    assert [(d.name, d.events) for d in store.list_datasets()] == [("keep", 49)]
    assert sql(pg, "SELECT count(*) FROM events") == [(49,)]


def test_check_finds_a_count_that_disagrees_and_repair_counts_again(pg):
    store.append("a", deploys(5, "x"))
    store.append("b", deploys(2, "y"))
    assert [c.lines() for c in store.check_datasets()] == [["a: ok (5 events)"], ["b: ok (2 events)"]]
    sql(pg, "UPDATE datasets SET events = 7, last_ns = 0 WHERE name = 'a'")
    sql(pg, "INSERT INTO events (dataset, ts_ns, kind, service, deploy_id, incident_id, pr_id, status, change_type, "
            "environment, author, row_hash) VALUES ('ghost', 0, 'deploy', 'api', 'g', '', '', '', '', '', '', 1)")
    found = {c.name: c for c in store.check_datasets()}
    assert found["a"].lines() == ["a: damaged: the dataset says 7 events, the events table holds 5"]
    assert found["ghost"].lines() == ["ghost: damaged: its 1 events belong to no dataset"]
    assert found["b"].ok
    version = store.version("a")
    repaired = {c.name: c.repaired_lines() for c in store.repair_datasets()}
    assert repaired["a"] == ["a: repaired: 5 events kept (was 7)"]
    assert repaired["ghost"] == ["ghost: deleted 1 events of no dataset"]
    assert all(c.ok for c in store.check_datasets())
    # 2024-01-01 00:04 UTC, the fifth deploy, is the last event again
    assert sql(pg, "SELECT events, last_ns FROM datasets WHERE name = 'a'") == [(5, 1704067440 * 10**9)]
    assert store.version("a")[2] == version[2] + 1 and len(store.load("a")) == 5
    assert sql(pg, "SELECT dataset, events FROM audit WHERE action = 'repair' ORDER BY dataset") == [("a", -2), ("ghost", -1)]


@pytest.mark.parametrize("texts", [["cr\rhere", "plain"], ["cr\rhere", "lf\nhere", "crlf\r\nhere", "plain"]])
def test_line_breaks_inside_texts_survive_a_read_in_many_blocks(pg, monkeypatch, texts):
    """Texts holding CR, LF or both, read back exactly when Arrow parses the CSV in many small
    blocks (a block may end inside a quoted text: the read must know there are such texts)."""
    from metrics.store.postgres import events
    store.append("breaks", events_of([{"ts": f"2024-03-01T{i // 60 % 24:02d}:{i % 60:02d}:00Z", "kind": "deploy",
                                       "service": "api", "deploy_id": f"d{i}", "author": texts[i % len(texts)]}
                                      for i in range(1200)]))
    monkeypatch.setattr(events, "PARSE_BLOCK", 512)
    back = store.load("breaks")
    assert sorted(back["author"]) == sorted(texts * (1200 // len(texts)))


def test_a_write_waits_for_another_at_most_the_lock_wait_then_says_so(pg, monkeypatch):
    """Another host's write holding the write lock: a write waits ``STORE_LOCK_WAIT_S`` (1 s here),
    then one sentence, nothing stored; once the other write ends, writes go through."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    from metrics import defaults
    from metrics.store.postgres.connection import WRITE_LOCK
    store.append("a", deploys(2, "first"))
    monkeypatch.setattr(defaults, "STORE_LOCK_WAIT_S", 1)
    with psycopg.connect(pg) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))      # held until this block ends
        started = time.monotonic()
        pool = ThreadPoolExecutor(1)                # a write that waited for ever would fail here, not hang
        try:
            waited = pool.submit(store.append, "a", deploys(2, "second"))
            with pytest.raises(StoreError, match=r"another write to PostgreSQL database '.*' on 127\.0\.0\.1:\d+ "
                                                 r"stayed under way for more than 1 s: nothing was stored; try again"):
                waited.result(timeout=10)
        finally:
            pool.shutdown(wait=False)
        assert 0.9 <= time.monotonic() - started < 5
    assert len(store.load("a")) == 2
    assert store.append("a", deploys(2, "second"))[:2] == (4, 2)


def test_an_import_when_the_database_restarts_says_so_and_keeps_whole_writes_only(pg, pg_cluster, tmp_path):
    """``python -m metrics import`` of 300,000 events while the server is stopped (as if it
    crashed) and started again: exit 2 with one sentence (no traceback, no password), or done
    whole when it finished first; the dataset holds what was committed, never part of an import."""
    import subprocess
    import sys
    import time

    from conftest import ROOT
    first = tmp_path / "first.csv"
    first.write_text("ts,kind,service,deploy_id\n" + "".join(
        f"2024-03-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z,deploy,api,a{i}\n" for i in range(10)))
    big = tmp_path / "big.csv"
    big.write_text("ts,kind,service,deploy_id\n" + "".join(
        f"2024-{1 + i // 40000:02d}-01T00:00:00Z,deploy,api,b{i}\n" for i in range(300_000)))
    env = dict(__import__("os").environ, PYTHONPATH=str(ROOT), METRICS_DATABASE_URL=pg)

    def command(path):
        return [sys.executable, "-m", "metrics", "import", "--from", "events", str(path), "--name", "restarted"]
    assert subprocess.run(command(first), env=env, capture_output=True, timeout=120).returncode == 0
    running = subprocess.Popen(command(big), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)                 # reading and checking the file; then its write (or its first connection)
    pg_cluster.stop("immediate")
    try:
        out, err = running.communicate(timeout=120)
    finally:
        pg_cluster.start()
    store.forget_open_files()
    stored = sql(pg, "SELECT count(*) FROM events WHERE dataset = 'restarted'")[0][0]
    if running.returncode == 0:             # it finished before the server stopped: all of it
        assert stored == 300_010, out
        return
    assert running.returncode == 2, err
    assert "Traceback" not in err and err.count("\n") == 1 and pg_cluster.password not in err
    assert err.startswith("error: cannot reach PostgreSQL database ") and "nothing of the operation under way was stored" in err
    assert stored == 10 and [(d.name, d.events) for d in store.list_datasets()] == [("restarted", 10)]


def test_a_connection_the_server_dropped_is_not_reset_into_the_pool(pg, pg_cluster):
    """The server stops under a read: the read says one sentence, and its connection is dropped
    from the pool, not reset there (which would log a traceback to the server's log)."""
    import logging

    from metrics.store.connection import reading

    class Kept(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.records = []

        def emit(self, record):
            self.records.append(record)
    kept = Kept()
    pool_log = logging.getLogger("sqlalchemy.pool")
    pool_log.addHandler(kept)
    try:
        store.append("a", deploys(3, "x"))
        with pytest.raises(StoreError, match="cannot reach PostgreSQL database"):
            with reading() as con:
                pg_cluster.stop("immediate")
                con.execute("SELECT count(*) FROM events").fetchall()
    finally:
        pool_log.removeHandler(kept)
        pg_cluster.start()
    assert [r.getMessage() for r in kept.records if r.levelno >= logging.WARNING] == []
    store.forget_open_files()
    assert len(store.load("a")) == 3


# -- the columnar copy (``postgres.chunks``, revision 20261207_0003) ---------------------------------

def chunk_rows(url: str, name: str) -> list[tuple]:
    return sql(url, "SELECT chunk, first_ns, last_ns, events FROM event_chunks WHERE dataset = %s ORDER BY chunk", (name,))


def test_reads_come_from_the_columnar_copy_cut_by_time(pg, monkeypatch):
    """250 deployments, one a day, stored in a shuffled order with chunks of 100: three chunks, each
    a run of days; a whole load and a window read never read the rows (``copied`` fails for the
    range), and the window reads only the chunks that reach into it."""
    from metrics.reach import reach
    from metrics.store.postgres import chunks, events, window as pg_window
    from metrics.window import Window
    monkeypatch.setattr(chunks, "CHUNK_EVENTS", 100)
    days = pd.date_range("2024-01-01", periods=250, freq="D", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    store.append("c", events_of([{"ts": day, "kind": "deploy", "service": "api", "deploy_id": f"x{i}"}
                                 for i, day in enumerate(days)]).sample(frac=1, random_state=3).reset_index(drop=True))
    day = 24 * 60 * 60 * 10**9
    start = 1704067200 * 10**9                          # 2024-01-01 00:00 UTC
    assert chunk_rows(pg, "c") == [(1, start, start + 99 * day, 100), (2, start + 100 * day, start + 199 * day, 100),
                                   (3, start + 200 * day, start + 249 * day, 50)]
    assert sql(pg, "SELECT chunked FROM datasets WHERE name = 'c'") == [(True,)]
    opened = []
    monkeypatch.setattr(chunks, "_table", lambda data, read=chunks._table: opened.append(1) or read(data))
    whole = store.load("c")
    assert len(whole) == 250 and whole["ts"].is_monotonic_increasing and len(opened) == 3

    def no_range_rows(con, query, params=None):
        assert query != pg_window.RANGE_ROWS, "the range was read from the rows"
        return events.SCHEMA.empty_table()
    monkeypatch.setattr(pg_window, "copied", no_range_rows)
    opened.clear()
    # days 120-149, no previous period or attribution reach: chunk 2 alone
    view = Window(start + 120 * day, start + 150 * day)
    part = store.load_window("c", reach(view, attribution_hours=0, previous=False))
    assert sorted(part.deploys["ts"].tolist()) == [start + m * day for m in range(120, 150)]
    assert len(opened) == 1


def test_each_chunk_carries_only_the_texts_of_its_own_rows(pg, monkeypatch):
    """One write of 250 deployments (250 deploy ids) cut into chunks of 100: each chunk's dictionary
    holds its own 100 (50) ids, not the write's 250, so a window decodes only what its chunks use."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    from metrics.store.postgres import chunks
    monkeypatch.setattr(chunks, "CHUNK_EVENTS", 100)
    days = pd.date_range("2024-01-01", periods=250, freq="D", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    store.append("d", events_of([{"ts": day, "kind": "deploy", "service": "api", "deploy_id": f"x{i}"}
                                 for i, day in enumerate(days)]))
    blobs = sql(pg, "SELECT data FROM event_chunks WHERE dataset = 'd' ORDER BY chunk")
    expected = [[f"api@x{i}" for i in range(lo, hi)] for lo, hi in ((0, 100), (100, 200), (200, 250))]
    for (blob,), ids in zip(blobs, expected, strict=True):
        column = ipc.open_file(pa.py_buffer(bytes(blob))).read_all().column("deploy_id").combine_chunks()
        assert sorted(column.dictionary.to_pylist()) == sorted(ids)
        assert column.dictionary_decode().to_pylist() == ids
    assert store.load("d")["deploy_id"].tolist() == [i for ids in expected for i in ids]


def test_a_dataset_stored_before_the_columnar_copy_is_read_from_its_rows_until_its_next_write(pg):
    store.append("old", deploys(30, "x"))
    sql(pg, "DELETE FROM event_chunks")
    sql(pg, "UPDATE datasets SET chunked = false")
    assert len(store.load("old")) == 30
    from metrics.reach import reach
    from metrics.window import Window
    start = 1704067200 * 10**9
    part = store.load_window("old", reach(Window(start, start + 24 * 60 * 60 * 10**9), attribution_hours=0, previous=False))
    assert len(part.deploys) == 30
    store.append("old", deploys(2, "y", start="2024-02-01"))
    assert sql(pg, "SELECT chunked FROM datasets WHERE name = 'old'") == [(True,)]
    assert sum(row[3] for row in chunk_rows(pg, "old")) == 32
    assert len(store.load("old")) == 32


def test_many_small_writes_are_joined_into_full_chunks(pg, monkeypatch):
    from metrics.store.postgres import chunks
    monkeypatch.setattr(chunks, "MAX_SMALL_CHUNKS", 3)
    for i in range(7):
        store.append("drip", deploys(1, f"d{i}", start=f"2024-01-0{i + 1}"))
        assert len(chunk_rows(pg, "drip")) <= 3
    assert sum(row[3] for row in chunk_rows(pg, "drip")) == 7
    back = store.load("drip")
    assert sorted(back["deploy_id"]) == [f"api@d{i}0" for i in range(7)]


def test_check_finds_a_columnar_copy_that_disagrees_and_repair_reads_the_rows_again(pg):
    store.append("a", deploys(5, "x"))
    store.append("a", deploys(3, "y", start="2024-02-01"))
    sql(pg, "DELETE FROM event_chunks WHERE dataset = 'a' AND chunk = 2")
    assert [c.lines() for c in store.check_datasets()] == [
        ["a: damaged: its columnar copy holds 5 events, the events table 8"]]
    store.repair_datasets()
    assert all(c.ok for c in store.check_datasets())
    assert sql(pg, "SELECT chunked FROM datasets WHERE name = 'a'") == [(False,)] and chunk_rows(pg, "a") == []
    assert len(store.load("a")) == 8


def test_revision_0004_indexes_ids_with_their_time_and_cuts_earlier_chunks_to_their_own_texts(pg, monkeypatch):
    """A chunk as 20261207_0003 wrote it (its dictionary the whole write's: 250 deploy ids for 100
    rows) is cut to its own texts by the upgrade to 20261207_0004, its rows unchanged; the id indexes
    hold the event time after it."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    from metrics.store import schema_version
    from metrics.store.postgres import chunks
    monkeypatch.setattr(chunks, "CHUNK_EVENTS", 100)
    monkeypatch.setattr(chunks, "compacted", lambda table: table)          # as 20261207_0003 wrote chunks
    days = pd.date_range("2024-01-01", periods=250, freq="D", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    store.append("old", events_of([{"ts": day, "kind": "deploy", "service": "api", "deploy_id": f"x{i}"}
                                   for i, day in enumerate(days)]))

    def dictionaries():
        blobs = sql(pg, "SELECT data FROM event_chunks WHERE dataset = 'old' ORDER BY chunk")
        columns = [ipc.open_file(pa.py_buffer(bytes(b))).read_all().column("deploy_id").combine_chunks() for (b,) in blobs]
        return [len(c.dictionary) for c in columns], [c.dictionary_decode().to_pylist() for c in columns]

    sizes, rows = dictionaries()
    assert sizes == [250, 250, 250]
    sql(pg, "UPDATE alembic_version SET version_num = '20261207_0003'")
    store.forget_open_files()
    monkeypatch.setenv("METRICS_DATABASE_URL", pg)
    done = run_cli("db", "upgrade")
    assert done.returncode == 0 and f"schema at revision {schema_version.HEAD}" in done.stdout, done.stderr
    after, same = dictionaries()
    assert after == [100, 100, 50] and same == rows
    indexes = dict(sql(pg, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events'"))
    assert "(dataset, pr_id, ts_ns)" in indexes["events_by_pr"]
    assert "(dataset, incident_id, ts_ns)" in indexes["events_by_incident"]
    assert store.load("old")["deploy_id"].tolist() == [f"api@x{i}" for i in range(250)]
