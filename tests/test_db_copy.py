"""``python -m metrics db copy --to URL`` / ``--from URL``: everything in a SQLite store into a
PostgreSQL database and back (events, sync state and last runs, webhook deliveries, annotations,
the audit trail, sessions, users, API tokens), counts checked; refusals and bad URLs as one sentence, exit 2."""
import json
import string
from contextlib import contextmanager
from urllib.parse import quote

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import run_cli
from helpers import ev
from metrics import store, tokens, users
from metrics.cli.commands import main
from metrics.ingest import normalize
from metrics.store import copy, database
from metrics.store.annotations import add_annotation

PASSWORD = "Sesame-Pw-9q"               # never printed: every sentence is checked for it


def frame(rows):
    return normalize(pd.DataFrame(rows))[0]


ALPHA = [ev("2024-01-01T10:00:00Z", "deploy", deploy_id="d1", status="success"),
         ev("2024-01-02T10:00:00Z", "deploy", deploy_id="d2", status="failed"),
         ev("2024-01-02T11:00:00Z", "incident_start", incident_id="i1"),
         ev("2024-01-02T13:00:00Z", "incident_resolved", incident_id="i1"),
         ev("2024-01-03T09:00:00Z", "pr_created", pr_id="p1", author="ann"),
         ev("2024-01-03T12:00:00Z", "pr_merged", pr_id="p1", author="ann")]
BETA = [ev("2024-02-01T00:00:00Z", "deploy", service="web", deploy_id="w1", status="success"),
        ev("2024-02-01T00:00:00Z", "deploy", service="web", deploy_id="w2", status="success")]


def fill(data_dir):
    """A SQLite store with two datasets, sync state, a last run, a webhook delivery, audit entries, a
    session, a users file and a tokens file; what the store's tables hold, read back by hand."""
    store.append_with_state("alpha", frame(ALPHA), "github", {"cursor": "c-42", "open": ["p9"]}, who="cli:ann")
    store.record_sync_run("alpha", "github", {"at": "2024-01-04T00:00:00Z", "added": 6, "error": ""})
    store.deliver("beta", frame(BETA), "github", "delivery-1", who="webhook:github")
    add_annotation("alpha", "2024-01-02", "migrated CI", "api", who="token:bot")
    add_annotation("beta", "2024-02-01", "new region", who="cli:ann")
    store.record_audit("user add", "ann (editor)", who="cli:root")
    store.begin_session("ann", 3600)
    users.add(users.users_path(data_dir), "ann", "editor", "a long password 1")
    tokens.create(tokens.tokens_path(data_dir), "ci")
    store.keep_alert_states({"alpha CFR": {"state": "firing", "value": 50.0, "fired": [1704200000000000000]},
                             "beta rate": {"state": "unknown", "value": None, "pending": []}})
    return stored_rows()


def stored_rows():
    """What the current store holds besides events, through its connection (either backend)."""
    from metrics.store.connection import reading
    with reading() as con:
        return {table: [tuple(r) for r in con.execute(
                    f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns)}").fetchall()]
                for table, (columns, _) in copy.TABLES.items()}


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The events in one order (a store keeps a dataset's events as a set: PostgreSQL gives them in
    the order its table holds them)."""
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def holds_the_same(frames: dict, rows: dict) -> None:
    """The current store holds these events, and these rows (its audit trail: them and the copy's entries)."""
    for name, expected in frames.items():
        pd.testing.assert_frame_equal(in_order(store.load(name)), in_order(expected))
    now = stored_rows()
    for table in ("sync_state", "sync_runs", "deliveries", "annotations", "sessions", "alert_states"):
        assert now[table] == rows[table], table
    assert [r for r in now["audit"] if r[2] != copy.ACTION] == rows["audit"]


def cli(capsys, *args):
    """``python -m metrics ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str, *names: str) -> None:
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert PASSWORD not in err and quote(PASSWORD, safe="") not in err
    for name in names:
        assert name in err


def with_password(url: str) -> str:
    """The cluster's URL with its password replaced by ``PASSWORD`` (a wrong one)."""
    head, _, tail = url.partition("@")
    return head.rsplit(":", 1)[0] + ":" + PASSWORD + "@" + tail


def test_sqlite_to_postgresql_and_back_keeps_everything(data_dir, pg_url, tmp_path, monkeypatch, capsys):
    # needs the events helper's PostgreSQL events (append, load) and the state helper's audit/documents
    before = fill(data_dir)
    source_frames = {name: store.load(name) for name in ("alpha", "beta")}
    users_json = json.loads(users.users_path(data_dir).read_text())
    tokens_json = json.loads(tokens.tokens_path(data_dir).read_text())

    to = run_cli("db", "copy", "--to", pg_url)          # the one subprocess: the command as users run it
    assert to.returncode == 0, to.stderr
    assert "dataset alpha: events" in to.stdout and "audit entries" in to.stdout
    db = database.parse(pg_url)
    assert db.password not in to.stdout + to.stderr
    with database.use(db):
        assert {i.name: i.events for i in store.list_datasets()} == {"alpha": 6, "beta": 2}
        on_postgres = stored_rows()
    for table in ("sync_state", "sync_runs", "deliveries", "annotations", "sessions", "alert_states"):
        assert on_postgres[table] == before[table], table
    assert len(before["alert_states"]) == 2 and "alert states" in to.stdout
    copied = [r for r in on_postgres["audit"] if r[2] != copy.ACTION]
    assert copied == before["audit"]                    # original times, who, action, dataset, events, details
    assert sorted(r[3] for r in on_postgres["audit"] if r[2] == copy.ACTION) == ["", "alpha", "beta"]

    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "fresh"))
    store.forget_open_files()
    code, out, err = cli(capsys, "db", "copy", "--from", pg_url)
    assert code == 0, err
    holds_the_same(source_frames, before)
    assert json.loads(users.users_path(tmp_path / "fresh").read_text()) == users_json
    assert json.loads(tokens.tokens_path(tmp_path / "fresh").read_text()) == tokens_json
    assert store.sync_state("alpha", "github") == {"cursor": "c-42", "open": ["p9"]}


def test_a_count_that_differs_is_an_error_and_nothing_is_kept(data_dir, pg_url, monkeypatch, capsys):
    # needs the events helper's PostgreSQL events
    fill(data_dir)
    real = copy.append

    def loses_one(name, frame, **kw):
        return real(name, frame.iloc[:-1] if name == "beta" else frame, **kw)
    monkeypatch.setattr(copy, "append", loses_one)
    code, out, err = cli(capsys, "db", "copy", "--to", pg_url)
    assert code == 2
    one_sentence(err, "dataset beta: events: 2 in the source, 1 in the target", "nothing was kept")
    with database.use(database.parse(pg_url)):
        assert store.list_datasets() == []
        rows = stored_rows()
    assert rows["sync_state"] == rows["deliveries"] == rows["sessions"] == []


def test_a_failure_midway_removes_the_datasets_already_copied(data_dir, pg_url, monkeypatch, capsys):
    # needs the events helper's PostgreSQL events
    fill(data_dir)
    real = copy.append

    def fails_on_beta(name, frame, **kw):
        if name == "beta":
            raise store.StoreError("the disk is full")
        return real(name, frame, **kw)
    monkeypatch.setattr(copy, "append", fails_on_beta)
    code, out, err = cli(capsys, "db", "copy", "--to", pg_url)
    assert code == 2 and err == "error: the disk is full\n"
    with database.use(database.parse(pg_url)):
        assert store.list_datasets() == []
        assert stored_rows()["sync_state"] == []


def test_a_target_with_datasets_is_refused_by_name(data_dir, pg_url, capsys):
    store.append("kept", frame(BETA))
    code, out, err = cli(capsys, "db", "copy", "--from", pg_url)
    assert code == 2 and out == ""
    one_sentence(err, str(data_dir), "already holds datasets (kept)")
    assert store.list_datasets()[0].events == 2


def test_an_empty_postgresql_database_copies_into_the_store(data_dir, pg_url, capsys):
    users.add(users.users_path(data_dir), "bob", "viewer", "a long password 2")   # the source has none: kept
    code, out, err = cli(capsys, "db", "copy", "--from", pg_url)
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"Copied {database.parse(pg_url).where()} into {data_dir}")
    assert "audit entries" in out and store.list_datasets() == []
    assert [e.action for e in store.audit_log()] == [copy.ACTION]
    assert users.read(users.users_path(data_dir)).keys() == {"bob"}


def test_a_target_with_alert_states_is_refused(data_dir, pg_url, capsys):
    fill(data_dir)
    with database.use(database.parse(pg_url)):
        store.keep_alert_states({"theirs": {"state": "ok"}})
    code, out, err = cli(capsys, "db", "copy", "--to", pg_url)
    assert code == 2
    one_sentence(err, "already holds alert states")


def test_a_store_is_not_copied_onto_itself(monkeypatch, capsys):
    url = "postgresql://me@127.0.0.1:1/same"
    monkeypatch.setenv("METRICS_DATABASE_URL", url)
    code, out, err = cli(capsys, "db", "copy", "--to", "postgresql://other@127.0.0.1:1/same")
    assert code == 2
    one_sentence(err, "the source and the target are the same store", "'same' on 127.0.0.1:1")


def test_connection_failures_name_host_and_database_never_the_password(pg_url, pg_cluster, capsys):
    wrong = with_password(pg_url)
    code, _, err = cli(capsys, "db", "copy", "--to", wrong)
    assert code == 2
    one_sentence(err, "refused the password", f"on {pg_cluster.host}:{pg_cluster.port}")
    missing = pg_cluster.url("no_such_database")
    code, _, err = cli(capsys, "db", "copy", "--from", missing)
    assert code == 2
    one_sentence(err, "'no_such_database'", "does not exist")
    closed = run_cli("db", "copy", "--to", f"postgresql://u:{PASSWORD}@127.0.0.1:1/far")
    assert closed.returncode == 2 and closed.stdout == ""
    one_sentence(closed.stderr, "cannot reach PostgreSQL database 'far' on 127.0.0.1:1")


PIECES = st.sampled_from(["postgresql://", "postgres://", "mysql://", "", "://", "u", f"u:{PASSWORD}@", f":{PASSWORD}@",
                          "@", "h", "127.0.0.1", ":", ":99999", ":x", "/", "/db", "/a/b", "?", "?sslmode=require",
                          "?zz=1", "%", "[", "]", "#", " "])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(PIECES, max_size=8), noise=st.text(string.printable, max_size=6))
def test_a_bad_url_is_one_sentence_and_exit_2(pieces, noise, capsys):
    url = "".join(pieces) + noise.replace(PASSWORD[:3], "")
    try:
        database.parse(url)
    except store.StoreError:
        pass
    else:
        return                          # a well-formed URL: the connection's sentences are tested above
    for option in ("--to", "--from"):
        code, out, err = cli(capsys, "db", "copy", f"{option}={url}")
        assert code == 2 and out == ""
        one_sentence(err, f"the URL of {option}")


@pytest.fixture
def two_sqlite_stores(tmp_path, monkeypatch):
    """``copy.copy`` between two SQLite data directories (runs without PostgreSQL): the store
    "a" or "b" is the file under that directory, the users and tokens files beside it."""
    real_use = database.use

    @contextmanager
    def use(where):
        with monkeypatch.context() as m:
            m.setenv("METRICS_DATA_DIR", str(tmp_path / where))
            with real_use(database.SQLITE):
                yield
    monkeypatch.setattr(database, "use", use)
    monkeypatch.setattr(copy, "same_store", lambda a, b: a == b)

    class Beside:                       # the file of the data directory in use
        def __init__(self, name):
            self.name = name

        def __fspath__(self):
            return str(store.data_dir() / self.name)
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "a"))
    return {"users": Beside("users.json"), "api-tokens": Beside("api-tokens.json")}


def test_everything_is_copied_between_two_sqlite_stores(two_sqlite_stores, tmp_path, monkeypatch):
    before = fill(tmp_path / "a")
    frames = {name: store.load(name) for name in ("alpha", "beta")}
    copied = copy.copy("a", "b", two_sqlite_stores, who="cli:mover")
    assert {c.what: (c.source, c.target) for c in copied.counts} == {
        "dataset alpha: events": (6, 6), "dataset beta: events": (2, 2), "sync state": (1, 1), "sync runs": (2, 2),
        "deliveries": (1, 1), "annotations": (2, 2), "audit entries": (5, 5), "sign-in sessions": (1, 1),
        "alert states": (2, 2), "users entries": (1, 1), "api-tokens entries": (1, 1)}
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "b"))
    holds_the_same(frames, before)
    assert [(e.who, e.dataset, e.events) for e in store.audit_log() if e.action == copy.ACTION] == [
        ("cli:mover", "", 8), ("cli:mover", "beta", 2), ("cli:mover", "alpha", 6)]
    for name in ("users.json", "api-tokens.json"):
        assert (tmp_path / "b" / name).read_text() == (tmp_path / "a" / name).read_text()
        assert (tmp_path / "b" / name).stat().st_mode & 0o777 == 0o600
    with pytest.raises(store.StoreError, match=r"b/datasets.sqlite already holds datasets \(alpha, beta\) and its "
                                               r"own users and its own api-tokens: a copy goes into a store without"):
        copy.copy("a", "b", two_sqlite_stores)


@pytest.mark.parametrize("broken", ["count", "write"])
def test_a_failed_copy_leaves_the_target_as_it_was(two_sqlite_stores, tmp_path, monkeypatch, broken):
    fill(tmp_path / "a")
    real = copy.append

    def append(name, frame, **kw):
        if name == "beta" and broken == "write":
            raise store.StoreError("the disk is full")
        return real(name, frame.iloc[:-1] if name == "beta" else frame, **kw)
    monkeypatch.setattr(copy, "append", append)
    message = "the disk is full" if broken == "write" else \
        r"does not match .* \(dataset beta: events: 2 in the source, 1 in the target\): nothing was kept"
    with pytest.raises(store.StoreError, match=message):
        copy.copy("a", "b", two_sqlite_stores)
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "b"))
    assert store.list_datasets() == []
    assert {table: rows for table, rows in stored_rows().items() if table != "audit"} == {
        "sync_state": [], "sync_runs": [], "deliveries": [], "annotations": [], "sessions": [], "alert_states": []}
    assert sorted(p.name for p in (tmp_path / "b").iterdir() if p.suffix == ".json") == []


def test_what_a_deleted_dataset_left_in_the_target_gives_way(two_sqlite_stores, tmp_path, monkeypatch):
    before = fill(tmp_path / "a")
    with database.use("b"):
        store.deliver("beta", frame(BETA[:1]), "github", "delivery-old")
        store.delete("beta")            # its webhook deliveries stay behind
    copy.copy("a", "b", two_sqlite_stores)
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "b"))
    assert stored_rows()["deliveries"] == before["deliveries"]


def test_a_document_this_version_does_not_know_is_refused_not_dropped(pg_url, capsys):
    from metrics.store.connection import writing
    with database.use(database.parse(pg_url)), writing() as con:
        con.execute("INSERT INTO documents (name, body, updated_ns) VALUES (?, ?, ?)", ("teams", "{}", 1))
    code, out, err = cli(capsys, "db", "copy", "--from", pg_url)
    assert code == 2
    one_sentence(err, "holds documents this version cannot copy (teams; it copies users, api-tokens)")
