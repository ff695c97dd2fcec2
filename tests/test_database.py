"""Choosing the store's database: METRICS_DATABASE_URL's parsing and its one-sentence refusals
(never the password), the oldest PostgreSQL, schema revisions newer than the code (both backends),
``python -m metrics db upgrade|status``."""
import socket
import sqlite3

import psycopg
import pytest
from hypothesis import given, settings, strategies as st

from conftest import run_cli
from metrics import store
from metrics.store import database, schema_version
from metrics.store.postgres.connection import check_server_version


def test_a_url_names_host_port_database_user_and_password():
    db = database.parse("postgresql://ana:s%40cret@db.example.org:6543/metrics?sslmode=require")
    assert (db.host, db.port, db.name, db.user, db.password) == ("db.example.org", 6543, "metrics", "ana", "s@cret")
    assert db.options == (("sslmode", "require"),)
    assert db.where() == "PostgreSQL database 'metrics' on db.example.org:6543"
    assert "s@cret" not in repr(db) and "cret" not in db.where()
    assert database.parse("postgres://ana@db/m").port == 5432


def test_the_password_may_come_from_a_file(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("from-the-file\n")
    assert database.parse("postgresql://ana@db/m", str(secret)).password == "from-the-file"
    assert database.parse("postgresql://ana:in-url@db/m", str(secret)).password == "in-url"
    with pytest.raises(store.StoreError, match=r"cannot read the password of database 'm' on db:5432 from "
                                               r"METRICS_DATABASE_PASSWORD_FILE"):
        database.parse("postgresql://ana@db/m", str(tmp_path / "missing"))


@pytest.mark.parametrize("url, problem", [
    ("mysql://ana:pw@db/m", "must start with postgresql:// (it starts with mysql://)"),
    ("db/m", "must start with postgresql:// (it starts with no scheme)"),
    ("postgresql://ana:pw@/m", "names no host"),
    ("postgresql://ana:pw@db:5432/", "names no database on db:5432"),
    ("postgresql://db:5432/m", "names no user for database 'm' on db:5432"),
    ("postgresql://ana:pw@db:99999/m", "is not a URL with a valid port"),
    ("postgresql://ana:pw@db/m?sslmode=require&host=evil", "has options this product does not pass on (host;"),
])
def test_a_wrong_url_is_one_sentence_without_the_password(url, problem):
    with pytest.raises(store.StoreError) as caught:
        database.parse(url)
    assert problem in str(caught.value) and "pw" not in str(caught.value).replace("postgresql://USER[:PASSWORD]", "")
    assert str(caught.value).startswith("METRICS_DATABASE_URL ")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=12))
def test_any_url_is_a_database_or_one_sentence_never_the_password(url, password):
    """Whatever the URL, its sentence is the same whichever password it holds (so it says nothing of
    it: a plain ``not in`` fails when the password is a word the sentence holds anyway, 'postgr')."""
    def sentence(secret):
        try:
            database.parse(url.replace("@", f":{secret}@", 1) if "@" in url else url)
        except store.StoreError as e:
            return str(e)
        return None
    said = sentence(password)
    assert said == sentence("q" * len(password))
    assert said is None or "\n" not in said


def test_the_pool_size_is_checked(monkeypatch):
    monkeypatch.setenv("METRICS_DATABASE_POOL", "0")
    with pytest.raises(store.StoreError, match="1 to 100; got '0'"):
        database.pool_size()
    monkeypatch.setenv("METRICS_DATABASE_POOL", "7")
    assert database.pool_size() == 7


def test_a_server_older_than_13_is_refused_by_name():
    db = database.parse("postgresql://ana@db/m")
    check_server_version(130000, db)             # 13.0: accepted
    with pytest.raises(store.StoreError, match=r"runs PostgreSQL 12\.17, older than 13"):
        check_server_version(120017, db)
    with pytest.raises(store.StoreError, match=r"runs PostgreSQL 9\.6, older than 13"):
        check_server_version(90624, db)


def test_use_chooses_the_store_for_a_block(monkeypatch, pg_url):
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    assert database.configured().name == pg_url.rsplit("/", 1)[1]
    with database.use(database.SQLITE):
        assert database.configured() is None
        assert store.where().endswith("datasets.sqlite")
    assert store.where().startswith("PostgreSQL database ")


def test_a_fresh_postgresql_database_is_made_current_on_first_use(monkeypatch, pg_url):
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    assert store.health() == ""
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == schema_version.HEAD
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'public'")}
    assert {"datasets", "events", "sync_state", "sync_runs", "deliveries", "audit", "sessions", "documents",
            "deployments", "incidents", "pull_requests"} <= tables
    store.forget_open_files()


def test_a_postgresql_schema_newer_than_the_code_is_refused_and_left_alone(monkeypatch, pg_url):
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    assert store.health() == ""
    store.forget_open_files()
    with psycopg.connect(pg_url) as con:
        con.execute("UPDATE alembic_version SET version_num = '29991231_0001'")
    problem = store.health()
    assert "has schema revision 29991231_0001, newer than this version of the product knows" in problem
    assert f"(up to {schema_version.HEAD})" in problem
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "29991231_0001"
    store.forget_open_files()


def test_another_programs_tables_are_refused(monkeypatch, pg_url):
    with psycopg.connect(pg_url) as con:
        con.execute("CREATE TABLE events (id int)")
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    assert "holds tables named like this product's (events) that it did not make" in store.health()
    store.forget_open_files()


def test_a_sqlite_file_of_a_newer_format_or_revision_is_refused(data_dir):
    assert store.list_datasets() == []
    path = store.store_path()
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == schema_version.HEAD
        con.execute("UPDATE alembic_version SET version_num = '29991231_0001'")
    store.forget_open_files()
    with pytest.raises(store.StoreError, match="has schema revision 29991231_0001, newer than this version"):
        store.list_datasets()
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = ?", (schema_version.HEAD,))
        con.execute("PRAGMA user_version = 99")
    store.forget_open_files()
    with pytest.raises(store.StoreError, match=r"is of format 99, newer than this version of the product knows"):
        store.list_datasets()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 99       # left as it was


def test_the_known_revisions_are_alembics_own():
    from alembic.script import ScriptDirectory
    scripts = ScriptDirectory.from_config(schema_version.config(None))
    assert scripts.get_current_head() == schema_version.HEAD
    assert [s.revision for s in reversed(list(scripts.walk_revisions()))] == list(schema_version.KNOWN)


def test_a_sqlite_file_gets_every_later_revisions_tables_when_opened(tmp_path, monkeypatch):
    """Revision 20261207_0002's SQLite statements are those ``migrations.TABLES`` runs on opening;
    a file stamped at the first revision (before 0002) is opened at the head, with the new tables."""
    import importlib.util
    from metrics.store import migrations
    spec = importlib.util.spec_from_file_location("r2", schema_version.REVISIONS / "versions" / "20261207_0002_alerts_annotations.py")
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    assert set(revision.SQLITE) <= set(migrations.TABLES)
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path))
    store.list_datasets()
    path = store.store_path()
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE alert_states")
        con.execute("DROP TABLE annotations")
        con.execute("UPDATE alembic_version SET version_num = '20261207_0001'")
    from metrics.store import connection
    connection.forget_open_files()
    store.list_datasets()
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == schema_version.HEAD
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alert_states", "annotations"} <= tables


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_db_upgrade_and_status_on_both_backends_and_the_refusals(monkeypatch, pg_url, pg_cluster, data_dir):
    done = run_cli("db", "upgrade")
    assert done.returncode == 0 and f"datasets.sqlite: schema at revision {schema_version.HEAD}" in done.stdout
    wrong = pg_url.replace(f":{pg_cluster.password}@", ":not-the-password@")
    for url, sentence in [
        (pg_url, None),
        (wrong, "refused the password of user 'postgres'"),
        (pg_url.rsplit("/", 1)[0] + "/no_such_db", "PostgreSQL database 'no_such_db' on 127.0.0.1:"),
        (f"postgresql://postgres:x@127.0.0.1:{closed_port()}/m", "cannot reach PostgreSQL database 'm' on 127.0.0.1:"),
    ]:
        monkeypatch.setenv("METRICS_DATABASE_URL", url)
        done = run_cli("db", "upgrade" if sentence is None else "status")
        if sentence is None:
            assert done.returncode == 0 and f"schema at revision {schema_version.HEAD}" in done.stdout
            continue
        assert done.returncode == 2, done.stderr
        assert sentence in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert pg_cluster.password not in done.stderr and "not-the-password" not in done.stderr


def test_a_server_does_not_start_on_a_store_it_can_never_use(monkeypatch, pg_url, data_dir):
    monkeypatch.setenv("METRICS_DATABASE_URL", "mysql://ana:pw@db/m")
    done = run_cli("-c", "import app", module=None)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: METRICS_DATABASE_URL must start with postgresql:// (it starts with mysql://); "
                                   "the form is postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]")
    with psycopg.connect(pg_url) as con:
        con.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        con.execute("INSERT INTO alembic_version VALUES ('29991231_0001')")
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    done = run_cli("-c", "import app", module=None)
    assert done.returncode == 2 and "newer than this version of the product knows" in done.stderr
    monkeypatch.setenv("METRICS_DATABASE_URL", f"postgresql://postgres:x@127.0.0.1:{closed_port()}/m")
    done = run_cli("-c", "import app; print('started')", module=None)      # not answering now: starts, warns
    assert done.returncode == 0 and done.stdout.strip() == "started"
    assert done.stderr.startswith("warning: cannot reach PostgreSQL database 'm' on 127.0.0.1:")
    assert "(/health answers 503 until it does)" in done.stderr


def documented(table_heading: str) -> list[list[str]]:
    """The rows of the table under ``table_heading`` in docs/deploy.md: each row's first cell's names."""
    from conftest import ROOT
    lines = (ROOT / "docs" / "deploy.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {table_heading}"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append(cells)
    return rows


def test_the_documented_events_table_and_views_are_the_databases(monkeypatch, pg_url):
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    assert store.health() == ""
    store.forget_open_files()
    with psycopg.connect(pg_url) as con:
        def columns(relation):
            return [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                                              "ORDER BY ordinal_position", (relation,))]
        stored = columns("events")
        said = [name.strip("`") for row in documented("`events` column") for name in row[0].split(", ")]
        assert sorted(said) == sorted(stored)
        for view, what in documented("view"):
            assert what.split(": ", 1)[1].replace("`", "").split(", ") == columns(view.strip("`")), view


@pytest.mark.parametrize("url", ["postgresql://u:12/cd@h/db", "postgresql://u:9999#x@h/db", "postgresql://u:1?2@h/db",
                                 "postgresql://ana:a/b@db.example.org/m"])
def test_a_password_holding_a_slash_hash_or_question_mark_is_never_shown(url):
    with pytest.raises(store.StoreError) as caught:
        database.parse(url)
    password = url.split("://")[1].split("@")[0].split(":", 1)[1]
    assert password not in str(caught.value) and "%2F" in str(caught.value)


def test_the_index_of_local_deployment_ids_is_the_expression_window_reads_use():
    from importlib import import_module
    revision = import_module("metrics.store.revisions.versions.20261207_0001_shared_store")
    from metrics.store.postgres.window import LOCAL_DEPLOY_ID
    assert revision.LOCAL_DEPLOY_ID == LOCAL_DEPLOY_ID


def test_a_rotated_password_replaces_the_pool(monkeypatch, pg_url, pg_cluster, tmp_path):
    from metrics.store.postgres import connection
    secret = tmp_path / "password"
    secret.write_text(pg_cluster.password)
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url.replace(f":{pg_cluster.password}@", "@"))
    monkeypatch.setenv("METRICS_DATABASE_PASSWORD_FILE", str(secret))
    assert store.health() == "" and store.list_datasets() == []
    first = connection.engine(database.configured())
    assert connection.engine(database.configured()) is first          # kept while the password stays
    secret.write_text("not-the-password")
    assert "refused the password of user 'postgres'" in store.health()
    assert connection.engine(database.configured().__class__(**{**database.configured().__dict__,
                                                                "password": pg_cluster.password})) is first
    with psycopg.connect(pg_url) as con:                                # the password rotated on the server
        con.execute("ALTER USER postgres PASSWORD 'rotated-password'")
    try:
        secret.write_text("rotated-password")
        assert store.list_datasets() == [] and connection.engine(database.configured()) is not first
        assert first.pool.checkedout() == 0 and first.pool.checkedin() == 0      # its connections closed
    finally:
        with psycopg.connect(pg_url.replace(f":{pg_cluster.password}@", ":rotated-password@")) as con:
            con.execute(f"ALTER USER postgres PASSWORD '{pg_cluster.password}'")
        store.forget_open_files()


def test_a_driver_message_holding_the_password_is_said_without_it():
    """Belt and braces: should a driver's message ever quote the password, the sentence hides it."""
    from metrics.store.postgres.connection import explain
    db = database.parse("postgresql://ana:Open-Sesame-42@db.example.org/m")
    said = str(explain(psycopg.OperationalError("could not connect with password Open-Sesame-42: timeout"), db))
    assert "Open-Sesame-42" not in said and "***" in said
    assert said.startswith("cannot reach PostgreSQL database 'm' on db.example.org:5432")
