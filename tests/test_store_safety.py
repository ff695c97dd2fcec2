"""The store under concurrent writers and on bad disks: nothing lost, nothing half-written, and one
sentence (exit 2, or a notice on the page) for every store that cannot be used."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from conftest import ROOT, run_cli
from helpers import deploys
from metrics import normalize, store
from metrics.store import StoreError

HAND = ROOT / "tests" / "fixtures" / "hand.csv"


def test_two_imports_at_once_keep_both(backend, tmp_path):
    """Two processes import 2,000 distinct events each into one dataset at the same moment."""
    paths = []
    for prefix in ("a", "b"):
        path = tmp_path / f"{prefix}.csv"
        deploys(2000, prefix).to_csv(path, index=False)
        paths.append(path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.Popen([sys.executable, "-m", "metrics", "import", "--from", "events", str(p), "--name", "both"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    outs = [r.communicate(timeout=120) for r in runs]
    assert all(r.returncode == 0 for r in runs), outs
    assert all("(+2000;" in out for out, _ in outs), outs
    assert len(store.load("both")) == 4000


SET_UP_AT_ONCE = """
import os, sys, time
from metrics import store
base, start = sys.argv[1], float(sys.argv[2])
for i in range(10):
    os.environ["METRICS_DATA_DIR"] = os.path.join(base, str(i))
    store.forget_open_files()
    while time.time() < start + 0.25 * i:
        pass
    try:
        store.list_datasets()
        print("ok")
    except store.StoreError as e:
        print("error:", e)
"""


def test_processes_setting_up_a_new_file_at_the_same_moment_all_succeed(tmp_path):
    """Three processes open ten new datasets files, each at the same instant: SQLite answers
    "locked" at once (without waiting) to all but one switching a new file to write-ahead logging,
    so without waiting and asking again about a quarter of them failed."""
    start = time.time() + 3.0                       # past the three processes' start-up
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.Popen([sys.executable, "-c", SET_UP_AT_ONCE, str(tmp_path), str(start)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [r.communicate(timeout=120) for r in runs]
    assert [out.split() for out, _ in outs] == [["ok"] * 10] * 3, outs
    assert all(r.returncode == 0 for r in runs), outs


def test_twenty_concurrent_appenders_lose_nothing(backend):
    store.append("many", deploys(1, "seed"))
    batches = [deploys(50, f"w{i}-", start=f"2024-02-{1 + i:02d}") for i in range(20)]
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda frame: store.append("many", frame), batches))
    assert sorted(added for _, added, _ in results) == [50] * 20
    assert len(store.load("many")) == 1 + 20 * 50
    assert store.version("many")[1] == 1001


def test_an_append_writes_one_segment_and_compacts_past_the_limit(data_dir, monkeypatch):
    store.append("seg", deploys(1000, "x"))
    store.append("seg", deploys(10, "y", start="2024-03-01"))
    con = sqlite3.connect(data_dir / "datasets.sqlite")
    sizes = con.execute("SELECT segment, events FROM segment_sizes WHERE dataset = 'seg' ORDER BY segment").fetchall()
    assert sizes == [(0, 1000), (1, 10)]                   # the 10 new events, not the 1,010
    from metrics.store import segments                        # the compaction limit is the store's own, inside it
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 3)
    for i in range(3):
        store.append("seg", deploys(5, f"z{i}-", start=f"2024-04-0{i + 1}"))
    sizes = con.execute("SELECT segment, events FROM segment_sizes WHERE dataset = 'seg' ORDER BY segment").fetchall()
    assert sizes == [(0, 1020), (1, 5)]                    # the second of the three compacted, the third after it
    frame = store.load("seg")
    assert len(frame) == 1025 and frame["deploy_id"].is_unique
    # the compacted segment's hashes and pairing events still find duplicates and conflicts
    total, added, report = store.append("seg", deploys(1000, "x"))
    assert (total, added, report.duplicates) == (1025, 0, 1000)
    created, _ = normalize(pd.DataFrame({"ts": ["2024-05-01T09:00:00Z", "2024-05-02T09:00:00Z"], "kind": "pr_created",
                                         "service": "api", "pr_id": ["api#1", "api#2"]}))
    for i in range(3):
        store.append("seg", created.iloc[[0]] if i == 0 else deploys(1, f"w{i}", start=f"2024-06-0{i}"))
    # the second of these compacted the dataset (the PR in the compacted segment), the third came after
    assert con.execute("SELECT COUNT(*) FROM segment_sizes WHERE dataset = 'seg'").fetchone()[0] == 2
    again = created.iloc[[0]].assign(ts=created["ts"].iloc[1])
    _, added, report = store.append("seg", again)
    assert added == 0 and list(report.rejected["reason"]) == ["second pr_created for the same pr_id (one is already stored)"]


def test_blobs_cut_into_parts_read_back_whole(data_dir, monkeypatch):
    """A BLOB larger than a part (64 MB; 7 bytes here) is stored in parts: the events, the row
    hashes and the pairing events all read back whole."""
    from metrics.store import segments
    monkeypatch.setattr(segments, "PART_BYTES", 7)
    first = deploys(300, "a")
    created, _ = normalize(pd.DataFrame({"ts": ["2024-05-01T09:00:00Z"], "kind": "pr_created", "service": "api",
                                         "pr_id": ["api#1"]}))
    store.append("parts", pd.concat([first, created], ignore_index=True))
    with sqlite3.connect(store.store_path()) as con:
        assert con.execute("SELECT MAX(part) FROM segments WHERE dataset = 'parts'").fetchone()[0] > 100
    pd.testing.assert_frame_equal(store.load("parts").iloc[:300], first, check_dtype=False)
    total, added, report = store.append("parts", pd.concat([first.tail(20), created.assign(
        ts=pd.Timestamp("2024-05-02T09:00:00Z"))], ignore_index=True))
    assert (total, added, report.duplicates, report.rejected_count) == (301, 0, 20, 1)


PINNED = 5655004733338567994        # the row hash of the event below (pandas 3.1's hash_array)


def test_a_row_hash_is_pandas_hash_array_of_each_value_combined_in_column_order(data_dir):
    """Stored hashes are the only index of duplicates: pinned here, worked out from pandas'
    ``hash_array`` of each value and the documented combination, so a pandas upgrade that changed
    them (and so let re-imports add duplicates) fails this test first."""
    import numpy as np
    from metrics.store.codec import columns_of, row_hashes
    frame, _ = normalize(pd.DataFrame({"ts": ["2024-05-01T10:00:00Z"], "kind": "deploy", "service": "api",
                                       "deploy_id": ["v1"]}))
    values = [np.array([1714557600 * 10**9], dtype=np.int64),           # 2024-05-01T10:00:00Z in ns
              *(np.array([text], dtype=object) for text in ("deploy", "api", "api@v1", "", "")),
              np.array([np.nan]), *(np.array([text], dtype=object) for text in ("success", "feature", "production", ""))]
    assert list(frame.columns) == ["ts", "kind", "service", "deploy_id", "incident_id", "pr_id", "metric_value",
                                   "status", "change_type", "environment", "author"]
    hashed = np.array([0x345678], dtype=np.uint64)
    for value in values:
        hashed = (hashed ^ pd.util.hash_array(value)) * np.uint64(1000003)
    assert row_hashes(columns_of(frame))[0] == hashed.view(np.int64)[0] == PINNED


def test_a_missing_text_in_a_frame_is_stored_as_empty_text(backend):
    frame = deploys(2, "n")
    frame.loc[1, "author"] = None
    store.append("gaps", frame)
    assert list(store.load("gaps")["author"]) == ["", ""]


def test_reimport_and_conflicts_without_reading_the_dataset(backend):
    store.append("d", deploys(100, "x"))
    total, added, report = store.append("d", deploys(100, "x"))
    assert (total, added, report.duplicates) == (100, 0, 100)
    first = normalize(pd.DataFrame({"ts": ["2024-01-01T02:00:00Z"], "kind": ["incident_start"], "service": ["api"],
                                    "incident_id": ["i1"]}))[0]
    store.append("d", first)
    again = normalize(pd.DataFrame({"ts": ["2024-01-01T01:00:00Z", "2024-01-01T01:30:00Z"],
                                    "kind": ["incident_start", "incident_resolved"], "service": ["api", "api"],
                                    "incident_id": ["i1", "i1"]}))[0]
    total, added, report = store.append("d", again)
    assert added == 0 and report.rejected_count == 2
    assert list(report.rejected["reason"]) == ["second incident_start for the same incident_id (one is already stored)",
                                               "incident_resolved before its incident_start (already stored)"]


def test_a_store_written_by_the_previous_version_opens(data_dir):
    """The columnar layout of the previous version (one BLOB per column, no segments) moves to
    segments the first time it is opened, with the same events."""
    frame = normalize(pd.read_csv(HAND, dtype=str, keep_default_na=False))[0]
    data_dir.mkdir(parents=True)
    con = sqlite3.connect(data_dir / "datasets.sqlite")
    con.execute("CREATE TABLE datasets (name TEXT PRIMARY KEY, events INTEGER NOT NULL, first_ns INTEGER, last_ns INTEGER)")
    con.execute("CREATE TABLE columns (dataset TEXT NOT NULL, name TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, "
                "PRIMARY KEY (dataset, name, part))")
    con.execute("CREATE TABLE generations (dataset TEXT PRIMARY KEY, generation INTEGER NOT NULL)")
    # the previous version's encoding: int64 ns, float64 values, int32 codes + JSON texts per text column
    ts = frame["ts"].to_numpy(dtype="datetime64[ns]").view("i8")
    blobs = {"ts": ts.astype("<i8").tobytes(), "metric_value": frame["metric_value"].to_numpy("<f8").tobytes()}
    for c in store.TEXT_COLUMNS:
        codes, texts = pd.factorize(frame[c].astype(str), use_na_sentinel=False)
        blobs[c] = codes.astype("<i4").tobytes()
        blobs[c + ".texts"] = json.dumps([str(t) for t in texts]).encode()
    con.executemany("INSERT INTO columns VALUES ('old', ?, 0, ?)", blobs.items())
    con.execute("INSERT INTO datasets VALUES ('old', ?, ?, ?)", (len(frame), int(ts.min()), int(ts.max())))
    con.commit()
    con.close()
    pd.testing.assert_frame_equal(store.load("old"), frame, check_dtype=False)
    assert json.loads(run_cli("--dataset", "old", "--json").stdout) == json.loads(run_cli("--events", HAND, "--json").stdout)
    store.append("old", deploys(3, "new"))
    assert len(store.load("old")) == len(frame) + 3


# ---------------------------------------------------------------------------------------------
# a store that cannot be used


def broken(data_dir, content: bytes):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "datasets.sqlite").write_bytes(content)


@pytest.mark.parametrize("command", [["datasets"], ["--dataset", "x"], ["import", "--from", "events", str(HAND), "--name", "x"]])
def test_a_corrupted_store_is_one_sentence(data_dir, command):
    broken(data_dir, os.urandom(4096))
    p = run_cli(*command)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "datasets.sqlite is damaged or is not a datasets file: move it away" in p.stderr
    assert run_cli("--seed", "7").returncode == 0                 # the synthetic universe needs no store


def test_another_programs_database_is_refused_untouched(data_dir):
    data_dir.mkdir(parents=True)
    con = sqlite3.connect(data_dir / "datasets.sqlite")
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    p = run_cli("datasets")
    assert p.returncode == 2 and "is another program's SQLite database (tables: invoices)" in p.stderr
    tables = {t for (t,) in sqlite3.connect(data_dir / "datasets.sqlite").execute("SELECT name FROM sqlite_master")}
    assert tables == {"invoices"}                                 # nothing of ours was added to it


def test_a_read_only_store_says_so(data_dir, monkeypatch):
    """Tests run as root, whom file modes do not stop: the database is opened read-only instead."""
    store.append("ro", deploys(3, "x"))
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect",
                        lambda path, **kw: real(f"file:{path}?mode=ro", uri=True, **kw))
    store.forget_open_files()
    with pytest.raises(StoreError, match="is read-only: nothing can be stored"):
        store.append("ro", deploys(3, "y"))
    assert len(store.load("ro")) == 3


def test_a_full_disk_says_so_and_stores_nothing(data_dir, monkeypatch):
    store.append("full", deploys(3, "x"))
    real = sqlite3.connect

    def tiny(path, **kw):
        con = real(path, **kw)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages + 2}")       # SQLite itself reports SQLITE_FULL
        return con
    monkeypatch.setattr(sqlite3, "connect", tiny)
    store.forget_open_files()
    with pytest.raises(StoreError, match="the disk holding .*datasets.sqlite is full: nothing was stored"):
        store.append("full", deploys(20000, "big"))
    monkeypatch.setattr(sqlite3, "connect", real)
    assert len(store.load("full")) == 3


def test_forget_open_files_checks_a_replaced_file_again(data_dir):
    """A process checks its datasets file once; after ``forget_open_files`` it checks it again, as a
    new process would (here: the file was swapped for another program's database)."""
    store.append("x", deploys(1, "x"))
    for path in data_dir.glob("datasets.sqlite*"):
        path.unlink()
    con = sqlite3.connect(data_dir / "datasets.sqlite")
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    store.forget_open_files()
    with pytest.raises(StoreError, match="is another program's SQLite database"):
        store.list_datasets()


def test_the_dashboard_serves_the_synthetic_universe_with_a_notice(data_dir):
    broken(data_dir, b"not a database at all" * 100)
    from dashboard.app import create_app
    client = create_app().server.test_client()
    assert client.get("/health").status_code == 200
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    text = layout.get_data(as_text=True)
    assert '"store-notice"' in text and "Stored datasets are unavailable" in text
    assert "The synthetic universe still works" in text


def test_gunicorn_boots_on_a_damaged_store(data_dir):
    broken(data_dir, os.urandom(2048))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    check = subprocess.run([sys.executable, "-c", "import app; print(app.server.name)"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


# ---------------------------------------------------------------------------------------------
# what the store accepts


def test_dates_it_accepts_are_dates_it_reads_back(backend, tmp_path):
    edge = tmp_path / "edge.csv"
    edge.write_text("ts,kind,service\n1970-01-01T00:00:00Z,deploy,api\n2199-12-31T23:59:59Z,deploy,api\n"
                    "1677-09-22T00:00:00Z,deploy,api\n9999-01-01T00:00:00Z,deploy,api\n")
    p = run_cli("import", "--from", "events", edge, "--name", "edge")
    assert p.returncode == 0 and "timestamp outside 1970-2199 '1677-09-22T00:00:00Z'" in p.stderr
    assert "Dataset edge: 2 events" in p.stdout
    summary = run_cli("--dataset", "edge", "--json")
    assert summary.returncode == 0 and json.loads(summary.stdout)["dora"]["deployments"] == 2


def test_an_import_with_nothing_accepted_creates_no_dataset(backend, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,kind,service\nnot-a-time,deploy,api\n")
    p = run_cli("import", "--from", "events", bad, "--name", "empty")
    assert p.returncode == 2 and "no event was accepted, so nothing was stored" in p.stderr
    assert "empty" not in run_cli("datasets").stdout


@pytest.mark.parametrize("name", ["x\n", "x\ny", "", "a" * 65, "../x", ".x"])
def test_names_are_checked_whole(backend, name):
    with pytest.raises(StoreError, match="dataset names are"):
        store.append(name, deploys(1, "x"))


def test_duplicates_and_conflicts_across_segments_are_found_without_reading_the_stored_events(data_dir, monkeypatch):
    first, second = deploys(300, "a"), deploys(200, "b", start="2024-03-01")
    prs, _ = normalize(pd.DataFrame({"ts": ["2024-04-01T09:00:00Z"], "kind": "pr_created", "service": "api",
                                     "pr_id": ["api#1"]}))
    store.append("d", first)
    store.append("d", pd.concat([second, prs], ignore_index=True))
    from metrics.store import segments

    def no_reading(*args):
        raise AssertionError("the stored events were read")
    monkeypatch.setattr(segments, "events_columns", no_reading)
    again, _ = normalize(pd.DataFrame({"ts": ["2024-04-02T09:00:00Z"], "kind": "pr_created", "service": "api",
                                       "pr_id": ["api#1"]}))
    total, added, report = store.append("d", pd.concat([second.tail(50), first.head(70), again], ignore_index=True))
    assert (total, added, report.duplicates) == (501, 0, 120)
    assert list(report.rejected["reason"]) == ["second pr_created for the same pr_id (one is already stored)"]
    # refused beside a new event (so a segment is written): refused, not stored, so refused again
    _, added, report = store.append("d", pd.concat([again, deploys(1, "n", start="2024-09-01")], ignore_index=True))
    assert (added, report.rejected_count) == (1, 1)
    _, added, report = store.append("d", again)
    assert (added, report.duplicates, report.rejected_count) == (0, 0, 1)
    # one event that is stored in no segment: added, still without reading
    total, added, _ = store.append("d", deploys(1, "c", start="2025-01-01"))
    assert (total, added) == (503, 1)


def test_the_store_keeps_an_event_in_at_most_30_bytes(data_dir):
    """A year of 40 services (~100k events) in one import: the file's used pages (its free pages
    are reused by later writes) over the events; formats 3 and 4 kept ~99 B an event."""
    from metrics import frame_from_tables, generate
    frame = frame_from_tables(generate(365, 42, services=40, end="2026-11-22").tables)
    store.append("size", frame)
    with sqlite3.connect(store.store_path()) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        used = con.execute("SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, "
                           "pragma_freelist_count, pragma_page_size").fetchone()[0]
    assert len(frame) > 90_000 and used / len(frame) <= 30, used / len(frame)


@pytest.mark.parametrize("column", ["ts", "kind", "service", "deploy_id", "incident_id", "pr_id", "metric_value",
                                    "status", "change_type", "environment", "author"])
def test_events_differing_in_one_column_only_are_both_stored(backend, column):
    """The row hash reads every column: an event that differs from a stored one in any single
    column is a new event, not a duplicate."""
    base = {"ts": "2024-05-01T10:00:00Z", "kind": "survey_satisfaction", "service": "api", "deploy_id": "api@d1",
            "incident_id": "i1", "pr_id": "api#1", "metric_value": "4", "status": "success", "change_type": "feature",
            "environment": "production", "author": "ann"}
    other = dict(base, **{column: {"ts": "2024-05-01T10:00:01Z", "kind": "survey_flow", "metric_value": "5"}.get(column, "x")})
    frames = []
    for row in (base, other):
        frame, report = normalize(pd.DataFrame([row]))
        assert report.rejected_count == 0, report.lines()
        frames.append(frame)
    assert not frames[0].equals(frames[1])
    store.append("one", frames[0])
    total, added, report = store.append("one", frames[1])
    assert (total, added, report.duplicates) == (2, 1, 0)
    _, added, report = store.append("one", frames[1])                       # and now it is stored
    assert (added, report.duplicates) == (0, 1)
