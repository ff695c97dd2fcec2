"""Webhooks under load, measured: ``gunicorn app:server -w 2`` on 127.0.0.1 takes signed GitHub
deliveries from 50 concurrent senders; every delivery is sent twice (a redelivery), some with a
forged signature. Prints the reply times (p50, p95, max), what was stored and what was lost.

    python -m bench.webhooks [--senders 50] [--deliveries 1000]

Loopback only; bounded in count and time; the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bench.reliability import free_port, request

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"


def delivery(i: int) -> tuple[bytes, dict]:
    """The i-th signed ``pull_request`` (opened) delivery, a distinct PR of repository ``bench``."""
    payload = {"action": "opened", "number": i, "repository": {"name": "bench", "full_name": "acme/bench"},
               "pull_request": {"number": i, "created_at": f"2024-03-04T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:"
                                                         f"{i % 60:02d}Z",
                                "merged_at": None, "user": {"login": f"dev{i % 40}"},
                                "base": {"repo": {"name": "bench"}}}}
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": f"bench-{i}", "X-Hub-Signature-256": signature,
                  "Content-Type": "application/json"}


def post(url: str, body: bytes, headers: dict) -> tuple[int, float, dict]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as r:
            return r.status, time.perf_counter() - started, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, time.perf_counter() - started, {}
    except OSError:
        return 0, time.perf_counter() - started, {}


@contextmanager
def gunicorn(env: dict, tree: Path = ROOT, workers: int = 2):
    """``gunicorn app:server -w WORKERS`` of the checkout ``tree`` on a free loopback port with the
    environment ``env``, answering ``/health``: its URL. Stopped when the block ends."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "-w", str(workers), "-b",
                               f"127.0.0.1:{port}", "--timeout", "60"], cwd=tree, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while request(url + "/health", timeout=2) != 200:
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit(f"gunicorn in {tree} did not answer /health within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.webhooks")
    p.add_argument("--senders", type=int, default=50)
    p.add_argument("--deliveries", type=int, default=1000)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as data:
        env = dict(os.environ, PYTHONPATH=str(ROOT), METRICS_DATA_DIR=data, GITHUB_WEBHOOK_SECRET=SECRET)
        with gunicorn(env) as url:
            jobs = [delivery(i) for i in range(args.deliveries)]
            jobs += jobs[::2]                                    # every other delivery is redelivered
            forged = [(body, {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64})
                      for body, headers in jobs[:50]]
            started = time.perf_counter()
            with ThreadPoolExecutor(args.senders) as pool:
                results = list(pool.map(lambda job: post(url + "/webhooks/github/bench", *job), jobs + forged))
            wall = time.perf_counter() - started
        stored = subprocess.run([sys.executable, "-m", "metrics", "datasets"], cwd=ROOT, env=env, capture_output=True,
                                text=True).stdout
    genuine, fake = results[:len(jobs)], results[len(jobs):]
    times = sorted(t for _, t, _ in genuine)
    ok = sum(1 for status, _, _ in genuine if status == 200)
    repeated = sum(1 for status, _, body in genuine if status == 200 and body.get("repeated"))
    events = next((int(line.split("\t")[1].split()[0]) for line in stored.splitlines() if line.startswith("bench\t")), 0)
    print("| senders | deliveries (+ redeliveries) | 2xx | repeated | forged refused (401) | events stored | "
          "lost | p50 | p95 | max | wall |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.senders} | {args.deliveries} (+{len(jobs) - args.deliveries}) | {ok} | {repeated} | "
          f"{sum(1 for s, _, _ in fake if s == 401)}/{len(fake)} | {events} | {args.deliveries - events} | "
          f"{times[len(times) // 2] * 1000:.0f} ms | {times[int(len(times) * 0.95)] * 1000:.0f} ms | "
          f"{times[-1] * 1000:.0f} ms | {wall:.1f} s |")
    return 0 if events == args.deliveries and ok == len(jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
