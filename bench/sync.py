"""How long a sync takes: 10,000 pull requests (each with a review), 500 deployments with their
statuses and 500 workflow runs, from a GitHub API served on 127.0.0.1 (tests/fake_apis.py), then
a second sync after 20 PRs changed; and an organisation of 50 repositories (``sync github --org``,
each with 20 PRs and 2 deployments), synced twice. Prints a table for the README.

    python -m bench.sync [--prs 10000] [--org-repos 50]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_apis import FakeGitHub, FakeGitHubOrg  # noqa: E402


def fill(gh: FakeGitHub, prs: int, deployments: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for n in range(1, prs + 1):
        created = start + timedelta(minutes=7 * n)
        merged = created + timedelta(hours=5)
        gh.add_pull(n, created.strftime("%Y-%m-%dT%H:%M:%SZ"), merged.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    merged=merged.strftime("%Y-%m-%dT%H:%M:%SZ"))
        gh.add_review(n, (created + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for d in range(1, deployments + 1):
        at = start + timedelta(hours=3 * d)
        gh.add_deployment(d, at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        gh.add_status(d, "success", (at + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        gh.add_run(10_000 + d, "Deploy", at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   (at + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ"))


def organisation(repos: int, prs: int = 20, deployments: int = 2) -> list:
    """An organisation of ``repos`` repositories (``prs`` PRs with a review each and ``deployments``
    deployments each; their PR numbers overlap) synced twice: the first sync's and the second's
    (nothing changed) requests, events added and wall time."""
    from metrics.ingest.sync.config import source_of
    from metrics.ingest.sync.group import sync_group
    rows = []
    with FakeGitHubOrg("acme") as org:
        for r in range(repos):
            fill(org.add_repo(f"service-{r:03d}"), prs, deployments)
        source = source_of({"type": "github", "org": "acme", "dataset": "bench-org", "api_url": org.url,
                            "since": "2023-12-01"}, "bench")
        env = {"GITHUB_TOKEN": org.token}
        for name, day in (("first sync (backfill)", 1), ("second sync (nothing changed)", 2)):
            t = time.perf_counter()
            result = sync_group(source, environ=env, now=datetime(2025, 1, day, tzinfo=timezone.utc))
            rows.append((f"organisation of {repos} repositories: {name}", result.requests,
                         sum(o.added for o in result.outcomes), time.perf_counter() - t))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sync")
    p.add_argument("--prs", type=int, default=10_000)
    p.add_argument("--deployments", type=int, default=500)
    p.add_argument("--org-repos", type=int, default=50, help="repositories of the organisation (0: none)")
    args = p.parse_args(argv)
    os.environ["METRICS_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-sync-")
    from metrics import store
    from metrics.ingest.sync.config import source_of
    from metrics.ingest.sync.run import sync

    rows = []
    with FakeGitHub() as gh:
        fill(gh, args.prs, args.deployments)
        source = source_of({"type": "github", "repo": "acme/shop", "dataset": "bench", "api_url": gh.url,
                            "since": "2023-12-01"}, "bench")
        env = {"GITHUB_TOKEN": gh.token}
        now = datetime(2025, 1, 1, tzinfo=timezone.utc)
        t = time.perf_counter()
        first = sync(source, environ=env, now=now)
        rows.append(("first sync (backfill)", first.requests, first.added, time.perf_counter() - t))
        for pr in gh.pulls[-20:]:
            pr["updated_at"] = "2025-01-02T00:00:00Z"
        t = time.perf_counter()
        second = sync(source, environ=env, now=datetime(2025, 1, 3, tzinfo=timezone.utc))
        rows.append(("second sync (20 PRs changed)", second.requests, second.added, time.perf_counter() - t))
        total = len(store.load("bench"))
    rows += organisation(args.org_repos) if args.org_repos else []
    print(f"GitHub sync from a local API: {args.prs:,} PRs with a review each, {args.deployments} deployments "
          f"with statuses, {args.deployments} workflow runs; {total:,} events stored\n")
    print("| sync | requests | events added | wall time |")
    print("|---|---:|---:|---:|")
    for name, requests, added, seconds in rows:
        print(f"| {name} | {requests:,} | {added:,} | {seconds:.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
