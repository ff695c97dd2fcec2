"""The dated migration of stored datasets to qualified ids (issue 22): a store written by the previous
version (tests/fixtures/previous_store, format 3, with the numbers that version gave) is copied
aside, its PR and deployment ids qualified once, and gives the same numbers; an old-style id
arriving later matches its migrated twin; a true conflict is still reported; a process killed in
the middle leaves the old store (and the next open finishes); bad input is one sentence."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES, ROOT, run_cli
from metrics import normalize, store
from metrics.schema import TEXT_COLUMNS
from metrics.store.migrations import APPLICATION_ID, BACKUP_SUFFIX, FORMAT, ARROW_SEGMENTS, SEGMENT_SUMS, TABLES

PREVIOUS = FIXTURES / "previous_store"
BACKUP = "datasets.sqlite" + BACKUP_SUFFIX
HEADER = "ts,kind,service,deploy_id,incident_id,pr_id,metric_value,status,change_type,environment,author\n"


@pytest.fixture
def previous(data_dir):
    """The previous version's store, copied into the test's data directory (not opened yet)."""
    data_dir.mkdir(parents=True)
    shutil.copy(PREVIOUS / "datasets.sqlite", data_dir / "datasets.sqlite")
    store.forget_open_files()
    return data_dir


@pytest.fixture(scope="module")
def today():
    """What this version gives for the fixture's events imported afresh into an empty store (no
    migration): the migrated store must give exactly this (the judgements included: issue 23's
    evidence rule changed tiers and scores since the previous version wrote numbers.json)."""
    sys.path.insert(0, str(PREVIOUS))
    import make_previous_store as made
    sys.path.remove(str(PREVIOUS))
    fresh, found = Path(tempfile.mkdtemp()) / "data", {}
    env = dict(os.environ, METRICS_DATA_DIR=str(fresh), PYTHONPATH=str(ROOT))
    texts = [("hand", (FIXTURES / "hand.csv").read_text()), ("org", made.ORG_FIRST), ("org", made.ORG_SECOND)]
    for number, (name, text) in enumerate(texts):
        path = fresh.parent / f"{number}.csv"
        path.write_text(text)
        subprocess.run([sys.executable, "-m", "metrics", "import", "--from", "events", path, "--name", name], env=env,
                       cwd=ROOT, check=True, capture_output=True)
    for name in ("hand", "org"):
        found[name] = json.loads(subprocess.run([sys.executable, "-m", "metrics", "--dataset", name, "--json"],
                                                env=env, cwd=ROOT, check=True, capture_output=True).stdout)
    shutil.rmtree(fresh.parent)
    return found


def same_numbers(got: dict, before: dict, now: dict) -> None:
    """``got`` (a migrated dataset's --json) holds every number the previous version gave
    (``before``: each metric's value, window and recovery block; the tiers and Quick Check scores are
    judgements issue 23 changed) and is exactly what this version gives the same events (``now``)."""
    for section in ("window", "dora", "space", "pvm"):
        for key, value in before[section].items():
            if key != "tiers":
                assert got[section][key] == value, (section, key)
    assert got["failed_deployment_recovery"] == before["failed_deployment_recovery"]
    assert got == now


def user_version(path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA user_version").fetchone()[0]


def events(text: str) -> pd.DataFrame:
    frame, report = normalize(pd.read_csv(io.StringIO(HEADER + text), dtype=str, keep_default_na=False))
    assert report.rejected_count == 0, report.lines()
    return frame


def test_the_fixture_is_the_previous_versions_format():
    assert user_version(PREVIOUS / "datasets.sqlite") == 3 and ARROW_SEGMENTS == 5 and FORMAT == SEGMENT_SUMS == 6


def test_a_migrated_store_gives_the_numbers_the_previous_version_gave(previous, today):
    expected = json.loads((PREVIOUS / "numbers.json").read_text())
    first = run_cli("datasets")
    assert first.returncode == 0, first.stderr
    # said once, on stderr, with where the copy is and how to undo
    assert f"the previous file is kept as {previous / BACKUP}" in first.stderr and "to undo" in first.stderr
    assert (previous / BACKUP).exists() and user_version(previous / BACKUP) == 3
    assert user_version(previous / "datasets.sqlite") == FORMAT
    for name in ("hand", "org"):
        done = run_cli("--dataset", name, "--json")
        assert done.returncode == 0 and "qualifying" not in done.stderr            # once: not again
        same_numbers(json.loads(done.stdout), expected[name], today[name])
    trail = [(e.who, e.action, e.dataset, e.events) for e in store.audit_log()]
    assert trail == [("migration", "migrate", "org", 0), ("migration", "migrate", "hand", 0)]
    assert all(str(previous / BACKUP) in e.detail for e in store.audit_log())


def test_the_ids_are_qualified_with_the_events_service_and_links_stay_as_written(previous):
    org = store.load("org")
    by_kind = lambda kind, column: list(org.loc[org["kind"] == kind, column])  # noqa: E731
    assert by_kind("pr_created", "pr_id") == ["shop#12", "shop#13", "checkout!7", "checkout#p9"]
    assert by_kind("deploy", "deploy_id") == ["shop@v1.0", "shop@v1.1", "checkout@run-5", "checkout@run-6", "",
                                              "shop@v1.2"]
    assert by_kind("incident_start", "deploy_id") == ["v1.1", "run-6"]             # links: as written
    assert by_kind("pr_merged", "deploy_id") == ["v1.0", "", ""]
    assert by_kind("incident_start", "incident_id") == ["pd-1", "pd-2"]            # incident ids: untouched


def test_an_old_style_id_arriving_later_matches_its_migrated_twin(previous):
    before = len(store.load("org"))
    # the first import again, as the canonical file wrote it (#12, v1.0): every event is already stored
    total, added, report = store.append("org", events(
        "2024-03-01T09:00:00Z,pr_created,shop,,,#12,,,,,ann\n"
        "2024-03-01T12:00:00Z,pr_merged,shop,v1.0,,#12,,,,,ann\n"
        "2024-03-01T15:00:00Z,deploy,shop,v1.0,,,,success,feature,production,\n"
        "2024-03-01T10:00:00Z,pr_created,checkout,,,!7,,,,,dee\n"))
    assert (total, added, report.duplicates, report.rejected_count) == (before, 0, 4, 0)
    # and the qualified form of the same events likewise
    _, added, report = store.append("org", events("2024-03-01T09:00:00Z,pr_created,shop,,,shop#12,,,,,ann\n"))
    assert (added, report.duplicates) == (0, 1)


def test_a_true_conflict_is_still_reported(previous):
    # shop's PR #12 created a second time, at another time: not stored, said
    _, added, report = store.append("org", events("2024-03-01T08:00:00Z,pr_created,shop,,,#12,,,,,ann\n"))
    assert added == 0 and list(report.rejected["reason"]) == [
        "second pr_created for the same pr_id (one is already stored)"]
    # checkout's #12 is another PR: stored
    _, added, report = store.append("org", events("2024-03-01T08:00:00Z,pr_created,checkout,,,#12,,,,,ann\n"))
    assert added == 1 and report.rejected_count == 0


# the tables of formats 3 and 4 that format 5 no longer has
PER_ROW_INDEXES = (
    "CREATE TABLE event_hashes (dataset TEXT NOT NULL, hash INTEGER NOT NULL, PRIMARY KEY (dataset, hash)) WITHOUT ROWID",
    "CREATE TABLE pair_events (dataset TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, ts INTEGER NOT NULL, "
    "PRIMARY KEY (dataset, kind, id)) WITHOUT ROWID",
)


def column_blobs(frame: pd.DataFrame) -> dict[str, bytes]:
    """A frame as formats 3 and 4 kept a segment, written here independently of the product: ``ts``
    int64 ns, ``metric_value`` float64, each text column int32 codes and its texts as a JSON list."""
    out = {"ts": frame["ts"].astype("datetime64[ns, UTC]").astype("int64").to_numpy().astype("<i8").tobytes(),
           "metric_value": frame["metric_value"].to_numpy(dtype="<f8").tobytes()}
    for c in TEXT_COLUMNS:
        texts = list(dict.fromkeys(frame[c]))
        out[c] = np.array([texts.index(v) for v in frame[c]], dtype="<i4").tobytes()
        out[c + ".texts"] = json.dumps(texts).encode("utf-8")
    return out


def write_previous_format(data_dir, name: str, frames: list[pd.DataFrame], version: int = 3) -> None:
    """A store of format 3 or 4 (the layout is the same: a segment per frame, a BLOB per column;
    the ids written as given), with its per-row indexes (as the previous version kept them)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(data_dir / "datasets.sqlite", isolation_level=None)
    for statement in TABLES + PER_ROW_INDEXES:
        con.execute(statement)
    con.execute("BEGIN")
    every = pd.concat(frames, ignore_index=True)
    ns = every["ts"].astype("datetime64[ns, UTC]").astype("int64")
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?)", (name, len(every), int(ns.min()) if len(every) else None,
                                                                int(ns.max()) if len(every) else None, len(frames)))
    for segment, frame in enumerate(frames):
        for column, data in column_blobs(frame).items():
            con.execute("INSERT INTO segments VALUES (?, ?, ?, 0, ?)", (name, segment, column, data))
        con.execute("INSERT INTO segment_sizes VALUES (?, ?, ?)", (name, segment, len(frame)))
    con.execute("COMMIT")
    con.execute(f"PRAGMA user_version = {version}")
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.close()
    store.forget_open_files()


def raw(text: str) -> pd.DataFrame:
    """Events as the previous version stored them: validated text, ids unqualified."""
    frame = pd.read_csv(io.StringIO(HEADER + text), dtype=str, keep_default_na=False)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["metric_value"] = pd.to_numeric(frame["metric_value"]).astype(float)
    return frame


def test_events_that_qualifying_makes_one_are_kept_once_and_a_conflict_is_said(data_dir, capsys):
    # the same PR stored before under two forms (#5 from a file, shop#5 from another source); PR 6
    # created at two different times under the two forms: one is a conflict once qualified
    write_previous_format(data_dir, "d", [raw(
        "2024-03-01T09:00:00Z,pr_created,shop,,,#5,,,,,ann\n"
        "2024-03-01T09:00:00Z,pr_created,shop,,,shop#5,,,,,ann\n"
        "2024-03-01T09:00:00Z,pr_created,shop,,,#6,,,,,ann\n"), raw(
        "2024-03-01T10:00:00Z,pr_created,shop,,,shop#6,,,,,ann\n"
        "2024-03-01T11:00:00Z,deploy,shop,v1,,,,success,feature,production,\n")])
    frame = store.load("d")
    err = capsys.readouterr().err
    assert sorted(frame["pr_id"]) == ["", "shop#5", "shop#6"] and list(frame["deploy_id"])[-1] == "shop@v1"
    assert str(frame.loc[frame["pr_id"] == "shop#6", "ts"].iloc[0]) == "2024-03-01 09:00:00+00:00"   # the earliest
    assert "d: not kept (stored event 4): second pr_created for the same pr_id" in err
    (entry,) = store.audit_log()
    assert entry.events == -2 and "1 events became duplicates, kept once" in entry.detail
    assert "1 in conflict, left out (in the copy)" in entry.detail
    # the pairing events of what was kept: shop#5 and shop#6 are stored PRs, each created once
    for pr in ("shop#5", "shop#6"):
        _, added, report = store.append("d", events(f"2024-03-02T09:00:00Z,pr_created,shop,,,{pr},,,,,ann\n"))
        assert added == 0 and list(report.rejected["reason"]) == [
            "second pr_created for the same pr_id (one is already stored)"]


def test_a_store_without_datasets_is_not_copied(data_dir):
    write_previous_format(data_dir, "d", [raw("")])
    store.list_datasets()
    assert (data_dir / BACKUP).exists()                   # a dataset (empty) is stored: copied
    other = data_dir.parent / "fresh"
    os.environ["METRICS_DATA_DIR"] = str(other)
    try:
        store.forget_open_files()
        assert store.list_datasets() == [] and not (other / BACKUP).exists()
        assert user_version(other / "datasets.sqlite") == FORMAT
    finally:
        os.environ["METRICS_DATA_DIR"] = str(data_dir)


KILLER = """
import os, signal, sys
from metrics.store import migrations
where = sys.argv[1]
if where == "copy":                       # killed after the copy is written, before it is renamed
    def replace(*args):
        os.kill(os.getpid(), signal.SIGKILL)
    migrations.os = type("os", (), {"replace": staticmethod(replace), "unlink": os.unlink})
else:                                      # killed after the first dataset is rewritten, in the transaction
    real = migrations.replace_all
    calls = []
    def replace_all(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGKILL)
    migrations.replace_all = replace_all
from metrics import store
store.list_datasets()
"""


@pytest.mark.parametrize("where", ["copy", "rewrite"])
def test_a_process_killed_mid_migration_leaves_the_old_store_and_the_next_open_finishes(previous, where, today):
    done = subprocess.run([sys.executable, "-c", KILLER, where], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    # the old store, whole: the previous format, and its events as the previous version stored them
    assert user_version(previous / "datasets.sqlite") == 3
    with sqlite3.connect(previous / "datasets.sqlite") as con:
        texts = con.execute("SELECT data FROM segments WHERE dataset = 'org' AND name = 'pr_id.texts'").fetchall()
    assert any(b'"#12"' in t for (t,) in texts)
    if where == "rewrite":
        assert user_version(previous / BACKUP) == 3          # the copy was made before
    else:
        assert not (previous / BACKUP).exists()               # only a partial copy, under another name
    expected = json.loads((PREVIOUS / "numbers.json").read_text())
    for name in ("hand", "org"):
        same_numbers(json.loads(run_cli("--dataset", name, "--json").stdout), expected[name], today[name])
    assert user_version(previous / "datasets.sqlite") == FORMAT and user_version(previous / BACKUP) == 3
    assert [e.dataset for e in store.audit_log()] == ["org", "hand"]   # the finished migration, once


def test_undo_is_putting_the_copy_back(previous):
    run_cli("datasets")
    shutil.copy(previous / BACKUP, previous / "datasets.sqlite")
    for name in ("datasets.sqlite-wal", "datasets.sqlite-shm"):
        (previous / name).unlink(missing_ok=True)
    assert user_version(previous / "datasets.sqlite") == 3              # what the previous version reads
    with sqlite3.connect(previous / "datasets.sqlite") as con:
        assert con.execute("SELECT name, events FROM datasets ORDER BY name").fetchall() == [("hand", 49), ("org", 18)]


def test_a_file_the_previous_version_opened_again_is_copied_again_without_losing_the_first_copy(previous):
    run_cli("datasets")
    first = (previous / BACKUP).read_bytes()
    with sqlite3.connect(previous / "datasets.sqlite") as con:
        con.execute("PRAGMA user_version = 3")                # what the previous version writes on opening it
    store.forget_open_files()
    assert [d.name for d in store.list_datasets()] == ["hand", "org"]
    assert (previous / BACKUP).read_bytes() == first and user_version(previous / (BACKUP + ".2")) == 3
    assert user_version(previous / "datasets.sqlite") == FORMAT


def test_a_copy_that_cannot_be_written_is_one_sentence_and_nothing_changes(previous):
    (previous / (BACKUP + ".partial")).mkdir()                # in the way: the copy cannot be written
    p = run_cli("datasets")
    assert p.returncode != 0 and "Traceback" not in p.stderr
    (line,) = p.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot keep a copy of {previous / 'datasets.sqlite'}") and "nothing was changed" in line
    assert user_version(previous / "datasets.sqlite") == 3


FORMAT_4_FIRST = (
    "2024-03-01T09:00:00Z,pr_created,shop,,,shop#12,,,,,ann\n"
    "2024-03-01T12:00:00Z,pr_merged,shop,shop@v1.0,,shop#12,,,,,ann\n"
    "2024-03-01T15:00:00Z,deploy,shop,shop@v1.0,,,,success,feature,production,\n")
FORMAT_4_SECOND = (
    "2024-03-02T10:00:00Z,incident_start,shop,v1.0,pd-1,,,,,,\n"
    "2024-03-02T11:30:00Z,incident_resolved,shop,,pd-1,,,,,,\n"
    "2024-03-03T08:00:00Z,survey_satisfaction,shop,,,,4.5,,,,ann\n")


def test_a_format_4_store_moves_to_arrow_segments_once_and_keeps_everything(data_dir, capsys):
    write_previous_format(data_dir, "d", [raw(FORMAT_4_FIRST), raw(FORMAT_4_SECOND)], version=4)
    with sqlite3.connect(data_dir / "datasets.sqlite") as con:
        con.execute("INSERT INTO sync_state VALUES ('d', 'github', '{\"since\": \"2024-03-01\"}')")
    frame = store.load("d")
    assert "moving the stored events to Arrow segments (once)" in capsys.readouterr().err
    expected = raw(FORMAT_4_FIRST + FORMAT_4_SECOND)
    pd.testing.assert_frame_equal(frame, expected[frame.columns.tolist()], check_dtype=False)
    copy = data_dir / "datasets.sqlite.before-arrow-segments"
    assert user_version(copy) == 4 and user_version(data_dir / "datasets.sqlite") == FORMAT == 6
    with sqlite3.connect(data_dir / "datasets.sqlite") as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        blobs = {r[0] for r in con.execute("SELECT DISTINCT name FROM segments")}
    assert not {"event_hashes", "pair_events"} & tables and blobs == {"events", "hashes", "pairs", "sums"}
    assert store.sync_state("d", "github") == {"since": "2024-03-01"}        # a sync goes on where it was
    assert store.audit_log() == []                                          # no event changed
    # duplicates and conflicts against the migrated events, as before
    _, added, report = store.append("d", events(FORMAT_4_FIRST + FORMAT_4_SECOND))
    assert (added, report.duplicates, report.rejected_count) == (0, 6, 0)
    _, added, report = store.append("d", events("2024-03-04T10:00:00Z,incident_start,shop,,pd-1,,,,,,\n"))
    assert added == 0 and list(report.rejected["reason"]) == [
        "second incident_start for the same incident_id (one is already stored)"]
    store.forget_open_files()
    store.list_datasets()
    assert "moving" not in capsys.readouterr().err                          # once


def test_a_moved_file_an_older_version_appended_to_moves_again_keeping_each_event_once(data_dir, capsys):
    # format 5, then the previous version (format 4) opened it, marked it 4 and appended a segment of
    # its own layout: one event stored twice (it saw no row hashes), one new, one in conflict
    store.append("d", events(FORMAT_4_FIRST + FORMAT_4_SECOND))
    with sqlite3.connect(data_dir / "datasets.sqlite") as con:
        con.execute(PER_ROW_INDEXES[0])
        older = raw("2024-03-01T15:00:00Z,deploy,shop,shop@v1.0,,,,success,feature,production,\n"
                    "2024-03-05T15:00:00Z,deploy,shop,shop@v1.1,,,,success,feature,production,\n"
                    "2024-03-05T16:00:00Z,pr_created,shop,,,shop#12,,,,,ann\n")
        for column, data in column_blobs(older).items():
            con.execute("INSERT INTO segments VALUES ('d', 1, ?, 0, ?)", (column, data))
        con.execute("INSERT INTO segment_sizes VALUES ('d', 1, 3)")
        con.execute("UPDATE datasets SET events = 9, segments = 2 WHERE name = 'd'")
        con.execute("PRAGMA user_version = 4")
    store.forget_open_files()
    capsys.readouterr()
    frame = store.load("d")
    err = capsys.readouterr().err
    assert len(frame) == 7 and sorted(frame.loc[frame["kind"] == "deploy", "deploy_id"]) == ["shop@v1.0", "shop@v1.1"]
    assert "moving the stored events to Arrow segments (once)" in err
    assert "d: not kept (stored event 9): second pr_created for the same pr_id" in err
    (entry,) = [e for e in store.audit_log() if e.action == "migrate"]
    assert entry.events == -2 and "1 events stored twice, kept once; 1 in conflict" in entry.detail
    assert user_version(data_dir / "datasets.sqlite") == FORMAT
    assert user_version(data_dir / "datasets.sqlite.before-arrow-segments") == 4


def test_a_moved_file_an_older_version_only_opened_is_not_copied_again(data_dir, capsys):
    store.append("d", events(FORMAT_4_FIRST))
    with sqlite3.connect(data_dir / "datasets.sqlite") as con:
        con.execute(PER_ROW_INDEXES[0])                     # what the previous version creates on opening it
        con.execute("PRAGMA user_version = 4")
    store.forget_open_files()
    capsys.readouterr()
    assert len(store.load("d")) == 3
    assert "moving" not in capsys.readouterr().err and not (data_dir / "datasets.sqlite.before-arrow-segments").exists()
    assert user_version(data_dir / "datasets.sqlite") == FORMAT
    with sqlite3.connect(data_dir / "datasets.sqlite") as con:
        assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'event_hashes'").fetchone() is None
