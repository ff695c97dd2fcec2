"""Damaged data inside a valid datasets file (issue 26, item 9): a segment's BLOB overwritten,
truncated or missing, a row count that disagrees. Reading says which dataset and segment in one
sentence, writes are refused with it and store nothing, ``datasets --check`` finds every damaged
segment and ``--check --repair`` drops it, saying how many events are lost."""
from __future__ import annotations

import io
import os
import shutil
import sqlite3

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FIXTURES, run_cli
from helpers import deploys
from metrics import store
from metrics.cli import main
from metrics.store import StoreError

HAND = FIXTURES / "hand.csv"
HAND_EVENTS = 49                # the rows of hand.csv (50 lines, a header): segment 0
LATER = 3                       # segment 1: three deployments on 2024-03-01 00:00, 00:01, 00:02
REPAIR = "python -m metrics datasets --check --repair"


def sql(data_dir, statement: str, *params):
    """Run one statement on the datasets file directly, as damage would (committed at once)."""
    with sqlite3.connect(data_dir / "datasets.sqlite") as con:
        return con.execute(statement, params).fetchall()


def blob(data_dir, segment: int, name: str) -> bytes:
    return b"".join(r[0] for r in sql(data_dir, "SELECT data FROM segments WHERE dataset = 'hand' AND segment = ? "
                                                "AND name = ? ORDER BY part", segment, name))


def overwrite(data_dir, segment: int, name: str, data: bytes) -> None:
    sql(data_dir, "UPDATE segments SET data = ? WHERE dataset = 'hand' AND segment = ? AND name = ?", data, segment, name)


def state(data_dir) -> list:
    """Everything a write could change: the datasets' rows, their segments, the audit trail's length."""
    return [sql(data_dir, "SELECT * FROM datasets ORDER BY name"),
            sql(data_dir, "SELECT dataset, segment, name, part, length(data) FROM segments ORDER BY 1, 2, 3, 4"),
            sql(data_dir, "SELECT * FROM segment_sizes ORDER BY 1, 2"),
            sql(data_dir, "SELECT COUNT(*) FROM audit"), sql(data_dir, "SELECT * FROM generations ORDER BY 1")]


@pytest.fixture
def hand(data_dir):
    """Dataset ``hand``: hand.csv as segment 0 (49 events), three deployments as segment 1; and
    an undamaged dataset ``other``."""
    assert main(["import", "--from", "events", str(HAND), "--name", "hand"]) == 0
    assert store.append("hand", deploys(LATER, "later", "2024-03-01"))[:2] == (HAND_EVENTS + LATER, LATER)
    store.append("other", deploys(2, "o"))
    assert sql(data_dir, "SELECT segment, events FROM segment_sizes WHERE dataset = 'hand'") == [(0, 49), (1, 3)]
    return data_dir


def damage_events(d):
    overwrite(d, 0, "events", b"garbage, not an Arrow file")


def damage_events_same_length(d):
    data = bytearray(blob(d, 0, "events"))
    data[len(data) // 2] ^= 0xFF
    overwrite(d, 0, "events", bytes(data))


def truncate_events(d):
    overwrite(d, 0, "events", blob(d, 0, "events")[:-100])


def hashes_wrong_length(d):
    overwrite(d, 0, "hashes", blob(d, 0, "hashes")[:-8])


def hashes_unsorted(d):
    data = blob(d, 0, "hashes")
    overwrite(d, 0, "hashes", data[-8:] + data[:-8])


def hashes_changed_in_order(d):
    """The last row hash made the largest there is: still sorted, still 8 B an event (its checksum says it)."""
    overwrite(d, 0, "hashes", blob(d, 0, "hashes")[:-8] + (2 ** 63 - 1).to_bytes(8, "little"))


def damage_pairs(d):
    overwrite(d, 0, "pairs", b"\x00" * 64)


def missing_part(d):
    sql(d, "DELETE FROM segments WHERE dataset = 'hand' AND segment = 0 AND name = 'hashes'")


def size_disagrees(d):
    sql(d, "UPDATE segment_sizes SET events = events + 1 WHERE dataset = 'hand' AND segment = 0")


DAMAGE = [damage_events, damage_events_same_length, truncate_events, hashes_wrong_length, hashes_unsorted,
          hashes_changed_in_order, damage_pairs, missing_part, size_disagrees]
# an append finds every damage: it reads the hashes and pairs and checks the checksum of the events
# (a same-length change inside the events BLOB too, which only a read found before)
FOUND_BY_APPEND = DAMAGE
# what a read reads (the events, the BLOBs' lengths, the counts) finds all but a same-length change
# inside the row hashes, which it does not read
FOUND_BY_READ = [d for d in DAMAGE if d not in (hashes_unsorted, hashes_changed_in_order)]


def says_which(message: str) -> None:
    assert "'hand'" in message and "segment 0" in message and REPAIR in message, message
    assert "\n" not in message.strip() and "Traceback" not in message


@pytest.mark.parametrize("damage", FOUND_BY_READ, ids=lambda f: f.__name__)
def test_reading_a_damaged_dataset_names_it_and_its_segment(hand, damage):
    damage(hand)
    for read in (store.load, store.load_tables):
        with pytest.raises(StoreError) as e:
            read("hand")
        says_which(str(e.value))
    assert len(store.load("other")) == 2                    # the other dataset reads as before


def test_the_command_line_says_it_in_one_sentence(hand):
    damage_events(hand)
    done = run_cli("--dataset", "hand", "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    says_which(done.stderr)


@pytest.mark.parametrize("damage", FOUND_BY_APPEND, ids=lambda f: f.__name__)
def test_an_append_to_a_damaged_dataset_is_refused_and_stores_nothing(hand, damage):
    damage(hand)
    before = state(hand)
    with pytest.raises(StoreError) as e:
        store.append("hand", deploys(2, "new", "2024-04-01"))
    says_which(str(e.value))
    with pytest.raises(StoreError):
        store.append("hand", deploys(2, "new", "2024-04-01"), replace=False, action="sync")
    assert state(hand) == before
    assert store.append("other", deploys(1, "o2", "2024-04-01"))[:2] == (3, 1)     # another dataset takes writes


def test_an_import_into_a_damaged_dataset_exits_2(hand, tmp_path):
    damage_pairs(hand)
    path = tmp_path / "new.csv"
    deploys(2, "new", "2024-04-01").to_csv(path, index=False)
    before = state(hand)
    done = run_cli("import", "--from", "events", path, "--name", "hand")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    says_which(done.stderr.strip().splitlines()[-1])
    assert state(hand) == before


def test_a_replace_of_a_damaged_dataset_is_allowed(hand):
    """Replacing the dataset's events reads none of the stored ones: it is one way out."""
    damage_events(hand)
    assert store.append("hand", deploys(2, "new", "2024-04-01"), replace=True)[:2] == (2, 2)
    assert len(store.load("hand")) == 2


def check(*args) -> tuple[int, str]:
    out = io.StringIO()
    from metrics.cli import run_datasets
    return run_datasets(["--check", *args], out=out), out.getvalue()


def test_check_of_an_undamaged_store(hand):
    code, said = check()
    assert code == 0 and said.splitlines() == ["hand: ok (2 segments, 52 events)", "other: ok (1 segment, 2 events)"]
    assert check("--repair") == (0, said)
    assert len(store.load("hand")) == 52


def test_check_of_an_empty_store(data_dir):
    code, said = check()
    assert code == 0 and said.startswith("No datasets in")


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_check_names_the_damaged_segment(hand, damage):
    damage(hand)
    before = state(hand)
    code, said = check()
    lines = said.splitlines()
    assert code == 1
    assert lines[0].startswith("hand: damaged: segment 0 (49 events): ") and "other: ok (1 segment, 2 events)" in lines
    assert lines[-1].startswith(REPAIR) and state(hand) == before          # checking changes nothing


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_repair_drops_the_damaged_segment_and_says_what_is_lost(hand, damage):
    damage(hand)
    generation = sql(hand, "SELECT generation FROM generations WHERE dataset = 'hand'")[0][0]
    code, said = check("--repair")
    assert code == 1
    assert said.splitlines() == ["hand: dropped segment 0: 49 events lost", "hand: repaired: 3 events kept (was 52)",
                                 "other: ok (1 segment, 2 events)"]
    # what is left: segment 1's three deployments, 2024-03-01 00:00 to 00:02
    assert sql(hand, "SELECT events, first_ns, last_ns, segments FROM datasets WHERE name = 'hand'") == [
        (3, pd.Timestamp("2024-03-01T00:00Z").value, pd.Timestamp("2024-03-01T00:02Z").value, 1)]
    assert sql(hand, "SELECT DISTINCT segment FROM segments WHERE dataset = 'hand'") == [(1,)]
    assert sql(hand, "SELECT generation FROM generations WHERE dataset = 'hand'")[0][0] == generation + 1
    entry = store.audit_log(1, "hand")[0]
    assert (entry.action, entry.events) == ("repair", -49) and "segment 0" in entry.detail
    assert list(store.load("hand")["deploy_id"]) == ["api@later0", "api@later1", "api@later2"]
    assert check() == (0, "hand: ok (1 segment, 3 events)\nother: ok (1 segment, 2 events)\n")
    assert store.append("hand", deploys(2, "new", "2024-04-01"))[:2] == (5, 2)
    assert store.append("hand", deploys(LATER, "later", "2024-03-01"))[:2] == (5, 0)             # duplicates still found


def test_repair_of_the_later_segment_keeps_the_first(hand):
    overwrite(hand, 1, "events", b"garbage")
    code, said = check("--repair")
    assert code == 1 and said.splitlines()[:2] == ["hand: dropped segment 1: 3 events lost",
                                                   "hand: repaired: 49 events kept (was 52)"]
    assert len(store.load("hand")) == HAND_EVENTS
    assert sql(hand, "SELECT events, first_ns, last_ns FROM datasets WHERE name = 'hand'") == [
        (49, pd.Timestamp("2023-12-31T12:00Z").value, pd.Timestamp("2024-01-07T13:00Z").value)]


def test_a_dataset_count_that_disagrees_is_damage_the_repair_sets_right(hand):
    sql(hand, "UPDATE datasets SET events = events + 5 WHERE name = 'hand'")
    with pytest.raises(StoreError, match="'hand' is damaged"):
        store.append("hand", deploys(1, "n"))
    code, said = check()
    assert code == 1 and said.startswith("hand: damaged: the dataset says 57 events, its segments hold 52")
    code, said = check("--repair")
    assert code == 1 and said.startswith("hand: repaired: 52 events kept (was 57)\n")
    assert check()[0] == 0 and len(store.load("hand")) == 52


def test_repair_flag_needs_check(hand):
    assert main(["datasets", "--repair"]) == 2


def test_the_api_answers_503_with_the_sentence(hand):
    from dashboard.app import create_app
    damage_events(hand)
    reply = create_app().server.test_client().get("/api/v1/summary?data=hand")
    assert reply.status_code == 503
    says_which(reply.get_json()["error"])


def test_the_dashboard_shows_the_sentence(hand):
    from dashboard.callbacks import computed_or_problem
    from dashboard.data import Views
    from dashboard.state import View
    damage_events(hand)
    computed, problem = computed_or_problem(Views(), View(dataset="hand"))
    assert computed is None
    says_which(problem)


def test_a_file_of_the_previous_format_gets_its_checksums(hand):
    """Format 5 kept no checksums: opening such a file adds them, once, and finds no damage."""
    sums = state(hand)[1]
    sql(hand, "DELETE FROM segments WHERE name = 'sums'")
    sql(hand, "PRAGMA user_version = 5")
    store.forget_open_files()
    assert store.list_datasets()[0].events == 52
    assert state(hand)[1] == sums and check()[0] == 0
    damage_events_same_length(hand)
    assert check()[0] == 1


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A datasets file with dataset ``hand`` (two segments, as ``hand``), made once for the fuzz."""
    folder = tmp_path_factory.mktemp("pristine")
    old = os.environ.get("METRICS_DATA_DIR")
    os.environ["METRICS_DATA_DIR"] = str(folder)
    try:
        store.forget_open_files()
        assert main(["import", "--from", "events", str(HAND), "--name", "hand"]) == 0
        store.append("hand", deploys(LATER, "later", "2024-03-01"))
    finally:
        os.environ["METRICS_DATA_DIR"] = old or ""
    return folder


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=st.sampled_from([0, 1]), name=st.sampled_from(["events", "hashes", "pairs", "sums"]),
       where=st.floats(0, 1, exclude_max=True), junk=st.binary(min_size=1, max_size=16))
def test_fuzz_random_bytes_of_a_random_blob(pristine, tmp_path_factory, monkeypatch, segment, name, where, junk):
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(pristine / "datasets.sqlite", folder / "datasets.sqlite")
    monkeypatch.setenv("METRICS_DATA_DIR", str(folder))
    store.forget_open_files()
    data = bytearray(blob(folder, segment, name))
    at = int(where * len(data))
    data[at:at + len(junk)] = junk
    overwrite(folder, segment, name, bytes(data))
    try:
        frame = store.load("hand")
        assert len(frame) == HAND_EVENTS + LATER
    except StoreError as e:
        assert "'hand' is damaged" in str(e) and REPAIR in str(e)
    before = state(folder)
    try:
        total, added, _ = store.append("hand", deploys(2, "fuzz", "2024-04-01"))
        assert (total, added) == (HAND_EVENTS + LATER + 2, 2)
    except StoreError as e:
        assert "'hand' is damaged" in str(e)
        assert state(folder) == before
    code, said = check("--repair")
    assert code in (0, 1) and "Traceback" not in said
    assert check()[0] == 0                                  # after a repair, nothing is damaged
    store.load("hand")


def test_sums_damaged_alone_are_written_again_nothing_lost(hand):
    overwrite(hand, 0, "sums", b"\0" * 48)              # sums of the right size, all wrong
    with pytest.raises(StoreError, match="segment 0: its events BLOB holds 6,7.. bytes, 0 were written"):
        store.load("hand")
    assert main(["datasets", "--check"]) == 1
    code, said = check("--repair")
    assert code == 1 and said.splitlines()[1:] == ["hand: repaired: 52 events kept (was 52)",
                                                   "other: ok (1 segment, 2 events)"]
    assert said.startswith("hand: wrote segment 0's sums again (") and said.splitlines()[0].endswith(": nothing lost")
    assert len(store.load("hand")) == 52 and check()[0] == 0
    assert store.audit_log(1, "hand")[0].events == 0


def test_segments_of_no_dataset_are_found_and_dropped(hand):
    sql(hand, "DELETE FROM datasets WHERE name = 'other'")
    code, said = check()
    assert code == 1 and "other: damaged: its segments belong to no dataset" in said.splitlines()
    code, said = check("--repair")
    assert code == 1 and said.splitlines()[-1] == "other: dropped 1 segment of no dataset (2 events)"
    assert sql(hand, "SELECT COUNT(*) FROM segments WHERE dataset = 'other'") == [(0,)]
    assert check() == (0, "hand: ok (2 segments, 52 events)\n")
    assert store.audit_log(1, "other")[0].events == -2


def test_a_sync_and_a_webhook_into_a_damaged_dataset_store_nothing(hand):
    damage_events(hand)
    before = state(hand) + [sql(hand, "SELECT * FROM sync_state"), sql(hand, "SELECT * FROM deliveries"),
                            sql(hand, "SELECT * FROM sync_runs")]
    with pytest.raises(StoreError) as e:
        store.append_with_state("hand", deploys(2, "new", "2024-04-01"), "github", {"since": "2024-04-02"})
    says_which(str(e.value))
    with pytest.raises(StoreError) as e:
        store.deliver("hand", deploys(2, "new", "2024-04-01"), "github", "delivery-1")
    says_which(str(e.value))
    assert state(hand) + [sql(hand, "SELECT * FROM sync_state"), sql(hand, "SELECT * FROM deliveries"),
                          sql(hand, "SELECT * FROM sync_runs")] == before
