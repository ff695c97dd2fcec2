"""Stored datasets: import, re-import without duplicates, list, delete, summarise, atomic writes."""
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import ROOT, run_cli
from metrics import generate_events

HAND = ROOT / "tests" / "fixtures" / "hand.csv"




def test_import_summarise_and_re_import_without_duplicates(backend):
    first = run_cli("import", "--from", "events", HAND, "--name", "team-a")
    assert first.returncode == 0 and "Dataset team-a: 49 events (+49;" in first.stdout
    again = run_cli("import", "--from", "events", HAND, "--name", "team-a")
    assert "Dataset team-a: 49 events (+0; 49 already stored" in again.stdout
    from_store = json.loads(run_cli("--dataset", "team-a", "--start", "2024-01-01", "--json").stdout)
    from_file = json.loads(run_cli("--events", HAND, "--start", "2024-01-01", "--json").stdout)
    assert from_store == from_file
    listing = run_cli("datasets").stdout
    assert "team-a\t49 events\t2023-12-31 12:00 to 2024-01-07 13:00 UTC" in listing


def test_service_override_replace_and_delete(backend, tmp_path):
    run_cli("import", "--from", "events", HAND, "--name", "x", "--service", "shop")
    from metrics.store import load
    assert set(load("x")["service"]) == {"shop"}
    small = tmp_path / "small.csv"
    small.write_text("ts,kind,service\n2024-02-01T00:00:00Z,deploy,api\n")
    replaced = run_cli("import", "--from", "events", small, "--name", "x", "--replace")
    assert "Dataset x: 1 events" in replaced.stdout
    assert run_cli("datasets", "--delete", "x").stdout.startswith("Deleted dataset x (1 events)")
    gone = run_cli("--dataset", "x")
    assert gone.returncode == 2 and "no dataset named 'x'" in gone.stderr


def test_conflicts_with_stored_events_are_reported(backend, tmp_path):
    run_cli("import", "--from", "events", HAND, "--name", "d")
    clash = tmp_path / "clash.csv"
    clash.write_text("ts,kind,service,incident_id\n2024-01-01T01:30:00Z,incident_start,api,i1\n")
    p = run_cli("import", "--from", "events", clash, "--name", "d")
    # the stored i1 started at 02:00; a second start for i1 is not stored (stored events always win)
    assert "not stored (imported event 1): second incident_start for the same incident_id (one is already stored)" \
        in p.stderr
    assert "Dataset d: 49 events (+0; 0 already stored, 1 in conflict" in p.stdout


@pytest.mark.parametrize("args, message", [
    (["import", "--from", "events", str(HAND), "--name", "../etc"], "dataset names are"),
    (["import", "--from", "jira", str(HAND), "--name", "a"], "invalid choice"),
    (["import", "--from", "git", str(HAND), "--name", "a"], "not a directory"),
    (["import", "--from", "events", "/no/such.csv", "--name", "a"], "no such file"),
    (["datasets", "--delete", "never"], "no dataset named 'never'"),
])
def test_bad_store_commands(backend, args, message):
    p = run_cli(*args)
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr


def test_size_limit_gives_a_clear_message(backend, monkeypatch):
    monkeypatch.setenv("METRICS_MAX_DATASET_EVENTS", "10")
    p = run_cli("import", "--from", "events", HAND, "--name", "big")
    assert p.returncode == 2 and "over the limit of 10" in p.stderr


def test_killing_an_import_midway_leaves_the_previous_state(backend, tmp_path):
    big = tmp_path / "big.csv"
    generate_events(200, 42, services=75, end="2026-11-22").to_csv(big, index=False)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "metrics", "import", "--from", "events", str(big), "--name", "keep", "--replace"]

    def stored() -> str:
        return dict(line.split("\t")[:2] for line in run_cli("datasets").stdout.splitlines() if "\t" in line)["keep"]

    # one whole import, timed: storing is its last part, after reading and validating the file
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    complete = stored()
    assert int(complete.split()[0]) > 50_000
    for share in (0.5, 0.65, 0.75, 0.85, 0.92, 0.97):
        run_cli("import", "--from", "events", HAND, "--name", "keep", "--replace")
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * share)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # the whole previous dataset or the whole new one, never a part
        assert stored() in ("49 events", complete), (share, stored())


def test_datasets_stored_a_row_per_event_move_to_columns(data_dir):
    """A data directory written before the columnar store is read, moved once, and gives the same numbers."""
    import sqlite3
    from metrics import load_events
    from metrics.store import TEXT_COLUMNS, list_datasets, load
    frame, _ = load_events([HAND])
    data_dir.mkdir(parents=True)
    con = sqlite3.connect(data_dir / "datasets.sqlite")
    con.execute("CREATE TABLE events (dataset TEXT NOT NULL, ts INTEGER NOT NULL, metric_value REAL, "
                + ", ".join(f"{c} TEXT NOT NULL" for c in TEXT_COLUMNS) + ")")
    rows = [("old", int(r.ts.value), None if r.metric_value != r.metric_value else r.metric_value,
             *[getattr(r, c) for c in TEXT_COLUMNS]) for r in frame.itertuples()]
    con.executemany(f"INSERT INTO events VALUES ({', '.join('?' * (3 + len(TEXT_COLUMNS)))})", rows)
    con.commit()
    con.close()
    assert [(d.name, d.events) for d in list_datasets()] == [("old", 49)]
    pd.testing.assert_frame_equal(load("old"), frame, check_dtype=False)
    tables = sqlite3.connect(data_dir / "datasets.sqlite").execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert "events" not in {t for (t,) in tables}
    from_store = json.loads(run_cli("--dataset", "old", "--json").stdout)
    assert from_store == json.loads(run_cli("--events", HAND, "--json").stdout)


def test_a_process_killed_inside_the_write_leaves_the_previous_state(backend):
    """Deterministic: the writer kills itself after half of the new dataset's columns are written,
    inside the transaction; the whole previous dataset is still there."""
    run_cli("import", "--from", "events", HAND, "--name", "keep")
    script = (
        "import os, signal\n"
        "from metrics import generate_events, normalize, store\n"
        "frame, _ = normalize(generate_events(30, 7, end='2026-11-22').astype(str))\n"
        "def progress(done, total, what):\n"
        "    if done == total // 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "store.save('keep', frame, replace=True, progress=progress)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == -signal.SIGKILL
    assert "keep\t49 events" in run_cli("datasets").stdout
    assert json.loads(run_cli("--dataset", "keep", "--json").stdout) == json.loads(run_cli("--events", HAND, "--json").stdout)


def test_events_imported_in_codes_and_the_same_events_as_a_frame_are_one_set(backend):
    """The command line stores an import kept in codes, a sync or webhook stores a frame: an event
    hashes alike either way, so each finds the other's events already stored."""
    from metrics import normalize, store
    frame, _ = normalize(pd.read_csv(HAND, dtype=str, keep_default_na=False))
    done = run_cli("import", "--from", "events", HAND, "--name", "both")
    assert done.returncode == 0 and "Dataset both: 49 events (+49;" in done.stdout
    total, added, report = store.append("both", frame)
    assert (total, added, report.duplicates) == (49, 0, 49)
    store.append("frame-first", frame)
    again = run_cli("import", "--from", "events", HAND, "--name", "frame-first")
    assert "Dataset frame-first: 49 events (+0; 49 already stored" in again.stdout
    pd.testing.assert_frame_equal(store.load("both"), store.load("frame-first"))


def test_segments_are_joined_onto_the_first_segments_texts():
    """Three segments' text columns joined: the first's codes and texts kept, the later ones' texts
    mapped onto them, and texts new to the first appended in order of appearance (worked by hand)."""
    import numpy as np
    from metrics.store.codec import TEXT_COLUMNS, joined

    def segment(ts, services):
        texts = list(dict.fromkeys(services))
        return {"ts": np.array(ts, dtype=np.int64), "metric_value": np.zeros(len(ts)),
                **{c: (np.zeros(len(ts), dtype=np.int32), np.array([""], dtype=object)) for c in TEXT_COLUMNS},
                "service": (np.array([texts.index(x) for x in services], dtype=np.int32), np.array(texts, dtype=object))}

    out = joined([segment([1, 2, 3], ["api", "web", "api"]), segment([4, 5], ["db", "web"]),
                  segment([6, 7, 8], ["web", "queue", "db"])])
    codes, texts = out["service"]
    assert texts.tolist() == ["api", "web", "db", "queue"]
    assert codes.tolist() == [0, 1, 0, 2, 1, 1, 3, 2]
    assert texts[codes].tolist() == ["api", "web", "api", "db", "web", "web", "queue", "db"]
    assert out["ts"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
