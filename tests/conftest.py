import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from postgres_cluster import ClusterError, start_cluster

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT))

try:   # dash_duo's servers count up from one port in every process: two test runs at once would collide
    from dash.testing.application_runners import BaseDashRunner
    BaseDashRunner._next_port = 20000 + os.getpid() % 20000
except ImportError:
    pass


def run_cli(*args, module="metrics", timeout=120):
    """Run ``python -m metrics ARGS`` (or another module) and return the completed process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, *map(str, args)] if module is None else [sys.executable, "-m", module, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """Every test stores datasets in a directory of its own (never the project's ./data), in the
    SQLite file unless it asks for PostgreSQL (``backend``, ``pg_url``)."""
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "datasets"))
    for setting in ("METRICS_DATABASE_URL", "METRICS_DATABASE_PASSWORD_FILE", "METRICS_DATABASE_POOL"):
        monkeypatch.delenv(setting, raising=False)
    return tmp_path / "datasets"


@pytest.fixture
def data_dir(isolated_data_dir):
    """The test's own data directory (``METRICS_DATA_DIR``), under its name in the store's tests."""
    return isolated_data_dir


@pytest.fixture
def fixtures():
    return FIXTURES


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster for the session, started when a test first asks for it and
    removed at the end. Fails (never skips) when PostgreSQL is missing: CI must run these tests."""
    directory = Path(tempfile.mkdtemp(prefix="metrics-pg-"))   # under /tmp: the postgres user reaches it
    try:
        cluster = start_cluster(directory)
    except ClusterError as error:
        shutil.rmtree(directory, ignore_errors=True)
        problem = str(error)
    else:
        problem = None
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch, isolated_data_dir):
    """Run the test once on each store: the SQLite file, then a fresh PostgreSQL database
    (``METRICS_DATABASE_URL`` set to it); the backend's name."""
    from metrics import store
    if request.param == "postgresql":
        monkeypatch.setenv("METRICS_DATABASE_URL", request.getfixturevalue("pg_url"))
    store.forget_open_files()
    yield request.param
    store.forget_open_files()           # this test's pools closed before its database is dropped


@pytest.fixture
def pg(pg_url, monkeypatch):
    """The store on a fresh PostgreSQL database (``METRICS_DATABASE_URL`` set to it); its URL."""
    from metrics import store
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    store.forget_open_files()
    yield pg_url
    store.forget_open_files()


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a fresh, empty PostgreSQL database of this test's own, dropped afterwards."""
    name = f"test_{secrets.token_hex(6)}"
    url = pg_cluster.create_database(name)
    yield url
    if not pg_cluster.running():   # a test that stopped the server (a restart mid-import) and failed
        pg_cluster.start()
    pg_cluster.drop_database(name)
