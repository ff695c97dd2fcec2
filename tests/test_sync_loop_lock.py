"""``sync --every`` runs on one host at a time per dataset: a PostgreSQL advisory lock held on a
connection of its own (SQLite: a lock file beside the datasets file); a second loop says who holds it,
waits, and takes over when the first ends or dies. Never do two loops run a pass together."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from fake_apis import FakeGitHub, wait_until
from metrics.store import SyncLoopLock
from metrics.store.loop_lock import holder_name


def test_a_second_lock_is_refused_with_the_holder_until_the_first_is_released(backend):
    first, second = SyncLoopLock(["shop"]), SyncLoopLock(["shop"])
    other = SyncLoopLock(["other"])
    try:
        assert first.take() == "" and first.held and first.take() == ""
        refused = second.take()
        assert refused == (f"another sync --every holds dataset 'shop' ({holder_name()}"
                           + (", from 127.0.0.1" if backend == "postgresql" else "")
                           + "): this one waits and takes over when it stops")
        assert not second.held
        assert other.take() == ""                       # another dataset's loop runs beside it
        first.release()
        assert not first.held and second.take() == "" and second.held
        assert first.take().startswith("another sync --every holds dataset 'shop'")
    finally:
        for lock in (first, second, other):
            lock.release()


def test_a_lock_over_several_datasets_takes_all_or_none(backend):
    holder, wide = SyncLoopLock(["b"]), SyncLoopLock(["a", "b", "c"])
    alone = SyncLoopLock(["a"])
    try:
        assert holder.take() == ""
        assert "dataset 'b'" in wide.take()
        assert alone.take() == ""                       # 'a', taken on the way to 'b', was given back
        alone.release()
        holder.release()
        assert wide.take() == ""
        assert "dataset 'a'" in alone.take()
    finally:
        for lock in (holder, wide, alone):
            lock.release()


def test_a_lock_whose_connection_dies_is_no_longer_held(backend, pg_cluster):
    if backend != "postgresql":
        pytest.skip("a lock file goes only with its process")
    lock = SyncLoopLock(["shop"])
    assert lock.take() == ""
    pg_cluster.restart()
    try:
        assert not lock.held                            # the loop takes it again before its next pass
        assert lock.take() == "" and lock.held
    finally:
        lock.release()


class CountingGitHub(FakeGitHub):
    """GitHub, each answer a little slow, counting the requests in flight at once (two passes running
    together would show as two)."""

    def __init__(self):
        super().__init__()
        self.in_flight = self.most_in_flight = 0
        self.counting = threading.Lock()

    def route(self, path, query):
        with self.counting:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.15)
            return super().route(path, query)
        finally:
            with self.counting:
                self.in_flight -= 1


def loop(gh, log) -> subprocess.Popen:
    command = [sys.executable, "-m", "metrics", "sync", "github", "--repo", "acme/shop", "--name", "shop",
               "--api-url", gh.url, "--since", "2024-02-01", "--every", "1m"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
                            env=dict(os.environ, PYTHONPATH=str(ROOT), GITHUB_TOKEN=gh.token))


def test_two_sync_loops_never_run_a_pass_together(backend, tmp_path):
    with CountingGitHub() as gh:
        gh.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        procs = [loop(gh, logs[0]), loop(gh, logs[1])]
        try:
            def text(i):
                return logs[i].read_text()
            assert wait_until(lambda: any("next sync in 1m" in text(i) for i in (0, 1)), 60), text(0) + text(1)
            first = 0 if "next sync in 1m" in text(0) else 1
            second = 1 - first
            assert wait_until(lambda: "another sync --every holds dataset 'shop'" in text(second), 30), text(second)
            assert f"pid {procs[first].pid}" in text(second)
            assert "github:acme/shop -> shop" not in text(second)
            asked = gh.paths().count("/repos/acme/shop/pulls")
            procs[first].send_signal(signal.SIGKILL)        # the first dies: its lock goes with it
            procs[first].wait(timeout=20)
            assert wait_until(lambda: "next sync in 1m" in text(second), 60), text(second)
            assert "took over the sync of shop" in text(second)
            assert gh.paths().count("/repos/acme/shop/pulls") == asked + 1
        finally:
            for proc in procs:
                proc.kill()
                proc.wait(timeout=20)
    assert gh.most_in_flight == 1
    assert text(second).count("another sync --every holds") == 1      # said once, not at every retry
