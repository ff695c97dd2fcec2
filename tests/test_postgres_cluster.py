"""The throwaway PostgreSQL cluster the store's tests run on (tests/postgres_cluster.py): it answers on
loopback with a checked password, creates and drops databases, keeps its rows across a stop and a
start, and says one sentence (never hangs) when something is missing or broken."""
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

import postgres_cluster
from postgres_cluster import Cluster, ClusterError, PostgresNotFound, find_binaries, start_cluster


def rows(url, query, *params):
    with psycopg.connect(url, connect_timeout=10) as connection:
        return connection.execute(query, params).fetchall()


def test_a_test_database_answers_on_loopback_as_a_supported_version(pg_url, pg_cluster):
    parts = urlsplit(pg_url)
    assert (parts.scheme, parts.hostname, parts.port, parts.username) == (
        "postgresql", "127.0.0.1", pg_cluster.port, "postgres")
    assert parts.path.startswith("/test_")
    assert rows(pg_url, "SELECT current_database(), current_user") == [(parts.path[1:], "postgres")]
    assert rows(pg_url, "SHOW listen_addresses") == [("127.0.0.1",)]
    assert rows(pg_url, "SHOW server_encoding") == [("UTF8",)]
    assert int(rows(pg_url, "SHOW server_version_num")[0][0]) >= 130000


def test_each_test_gets_an_empty_database_of_its_own(pg_url):
    assert rows(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    with psycopg.connect(pg_url, connect_timeout=10) as connection:
        connection.execute("CREATE TABLE mine (n int)")   # dropped with the database after the test


def test_create_and_drop_a_database_even_with_a_client_connected(pg_cluster):
    url = pg_cluster.create_database("harness_check")
    assert url == pg_cluster.url("harness_check")
    lingering = psycopg.connect(url, connect_timeout=10)
    try:
        assert lingering.execute("SELECT 1").fetchone() == (1,)
        pg_cluster.drop_database("harness_check")   # WITH (FORCE): the open connection does not block it
    finally:
        lingering.close()
    assert rows(pg_cluster.admin_url, "SELECT count(*) FROM pg_database WHERE datname = 'harness_check'") == [(0,)]
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(url, connect_timeout=10)
    pg_cluster.drop_database("harness_check")   # dropping what is gone does nothing


def test_stop_and_start_keep_committed_rows_on_the_same_port(pg_cluster, pg_url):
    with psycopg.connect(pg_url, connect_timeout=10) as connection:
        connection.execute("CREATE TABLE kept (n int)")
        connection.execute("INSERT INTO kept SELECT generate_series(1, 1000)")
    port = pg_cluster.port
    pg_cluster.stop("immediate")   # as if the server crashed: committed rows must survive even that
    assert not pg_cluster.running()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg_url, connect_timeout=5)
    pg_cluster.stop()   # stopping a stopped cluster does nothing
    pg_cluster.start()
    assert pg_cluster.running() and pg_cluster.port == port
    assert rows(pg_url, "SELECT count(*), sum(n) FROM kept") == [(1000, 500500)]
    pg_cluster.restart()
    assert rows(pg_url, "SELECT count(*) FROM kept") == [(1000,)]


def test_a_wrong_password_is_refused_by_scram(pg_cluster, pg_url):
    wrong = pg_url.replace(pg_cluster.password, pg_cluster.password[:-1] + "x", 1)
    assert wrong != pg_url
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=10)
    without = pg_url.replace(":" + pg_cluster.password + "@", "@", 1)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(without, connect_timeout=10)
    methods = rows(pg_url, "SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE type = 'host'")
    assert methods == [("scram-sha-256",)]
    stored = rows(pg_url, "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'")[0][0]
    assert stored.startswith("SCRAM-SHA-256$") and pg_cluster.password not in stored


def fake_binaries(root, *versions):
    for version in versions:
        directory = root / version / "bin"
        directory.mkdir(parents=True)
        for tool in ("initdb", "pg_ctl", "postgres"):
            (directory / tool).write_text("#!/bin/sh\n")
            (directory / tool).chmod(0o755)


def test_the_newest_debian_version_is_used_when_path_has_none(tmp_path, monkeypatch):
    fake_binaries(tmp_path, "9.6", "13", "16")
    (tmp_path / "17" / "bin").mkdir(parents=True)   # a version without the server is not a candidate
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(postgres_cluster, "DEBIAN_BINARIES", tmp_path)
    assert find_binaries() == tmp_path / "16" / "bin"


def test_path_comes_before_the_debian_versions(tmp_path, monkeypatch):
    fake_binaries(tmp_path / "debian", "16")
    fake_binaries(tmp_path / "path", "own")
    monkeypatch.setenv("PATH", str(tmp_path / "path" / "own" / "bin"))
    monkeypatch.setattr(postgres_cluster, "DEBIAN_BINARIES", tmp_path / "debian")
    assert find_binaries() == tmp_path / "path" / "own" / "bin"


def test_missing_postgresql_says_to_run_make_postgres(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(postgres_cluster, "DEBIAN_BINARIES", tmp_path / "nothing")
    with pytest.raises(PostgresNotFound, match=r"run `make postgres`"):
        start_cluster(tmp_path / "cluster")
    assert not (tmp_path / "cluster").exists()


def test_a_server_that_cannot_start_is_one_sentence_with_its_log(pg_cluster):
    directory = Path(tempfile.mkdtemp(prefix="metrics-pg-"))
    try:
        cluster = start_cluster(directory)
        cluster.stop()
        with open(cluster.data / "postgresql.conf", "a") as configuration:
            configuration.write(f"port = {pg_cluster.port}\n")   # taken by the session's cluster
        with pytest.raises(ClusterError) as failure:
            cluster.start()
        message = str(failure.value)
        assert message.startswith("pg_ctl start") and message.endswith(").")
        assert "\n" not in message and "server log:" in message and cluster.password not in message
        assert not cluster.running()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    with pytest.raises(ClusterError, match="not empty"):
        start_cluster(Path(__file__).parent)


def test_a_command_that_hangs_is_stopped_by_its_timeout(tmp_path):
    (tmp_path / "pg_ctl").write_text("#!/bin/sh\nexec sleep 30\n")
    (tmp_path / "pg_ctl").chmod(0o755)
    cluster = Cluster(tmp_path, tmp_path, 1, "secret", as_postgres_user=False)
    with pytest.raises(ClusterError, match=r"pg_ctl status did not finish within 1 s"):
        cluster.run("pg_ctl", "status", timeout=1)


def test_a_directory_the_server_cannot_reach_is_refused_by_name(tmp_path):
    if os.geteuid() != 0:   # the server runs as we do: pytest's private tmp_path is fine
        start_cluster(tmp_path / "cluster").remove()
        return
    with pytest.raises(ClusterError, match=r"the postgres user cannot reach .*: use a directory under /tmp"):
        start_cluster(tmp_path / "cluster")   # pytest's base directory is private to root
