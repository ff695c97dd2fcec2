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

import pandas as pd
import pytest

from conftest import FIXTURES, ROOT, run_cli
from metrics import normalize, store
from metrics.store.migrations import APPLICATION_ID, BACKUP_SUFFIX, FORMAT, TABLES
from metrics.store.segments import replace_all

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


def user_version(path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA user_version").fetchone()[0]


def events(text: str) -> pd.DataFrame:
    frame, report = normalize(pd.read_csv(io.StringIO(HEADER + text), dtype=str, keep_default_na=False))
    assert report.rejected_count == 0, report.lines()
    return frame


def test_the_fixture_is_the_previous_versions_format():
    assert user_version(PREVIOUS / "datasets.sqlite") == 3 and FORMAT == 4


def test_a_migrated_store_gives_the_numbers_the_previous_version_gave(previous):
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
        assert json.loads(done.stdout) == expected[name], name
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


def write_previous_format(data_dir, name: str, frame: pd.DataFrame) -> None:
    """A format-3 store through the store's own writing path (the layout is the same; the ids are
    written as given, unqualified, as the previous version stored them)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(data_dir / "datasets.sqlite", isolation_level=None)
    for statement in TABLES:
        con.execute(statement)
    con.execute("BEGIN")
    replace_all(con, name, frame)
    con.execute("COMMIT")
    con.execute("PRAGMA user_version = 3")
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
    write_previous_format(data_dir, "d", raw(
        "2024-03-01T09:00:00Z,pr_created,shop,,,#5,,,,,ann\n"
        "2024-03-01T09:00:00Z,pr_created,shop,,,shop#5,,,,,ann\n"
        "2024-03-01T09:00:00Z,pr_created,shop,,,#6,,,,,ann\n"
        "2024-03-01T10:00:00Z,pr_created,shop,,,shop#6,,,,,ann\n"
        "2024-03-01T11:00:00Z,deploy,shop,v1,,,,success,feature,production,\n"))
    frame = store.load("d")
    err = capsys.readouterr().err
    assert sorted(frame["pr_id"]) == ["", "shop#5", "shop#6"] and list(frame["deploy_id"])[-1] == "shop@v1"
    assert str(frame.loc[frame["pr_id"] == "shop#6", "ts"].iloc[0]) == "2024-03-01 09:00:00+00:00"   # the earliest
    assert "d: not kept (stored event 4): second pr_created for the same pr_id" in err
    (entry,) = store.audit_log()
    assert entry.events == -2 and "1 events became duplicates, kept once" in entry.detail
    assert "1 in conflict, left out (in the copy)" in entry.detail
    assert len(pd.read_sql_query("SELECT * FROM pair_events", sqlite3.connect(data_dir / "datasets.sqlite"))) == 2


def test_a_store_without_datasets_is_not_copied(data_dir):
    write_previous_format(data_dir, "d", raw(""))
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
def test_a_process_killed_mid_migration_leaves_the_old_store_and_the_next_open_finishes(previous, where):
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
        assert json.loads(run_cli("--dataset", name, "--json").stdout) == expected[name]
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
