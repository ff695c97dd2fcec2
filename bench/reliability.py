"""Reliability, measured: ``gunicorn -w 2`` on 127.0.0.1 under a bounded load, with a worker killed
midway, then every kind of bad input the tests fuzz, sent over HTTP. Prints a table for the README.

    python -m bench.reliability [--users 64] [--requests 800] [--bad 600]

Loopback only; every loop is bounded in count and time; the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, body=None, headers=None, timeout=60) -> int:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            reply.read()
            return reply.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
        return 0                                          # no answer (a worker killed mid-request)


def main_callback_body(dependencies, search: str) -> dict:
    main = next(d for d in dependencies if "url.search" in d["output"] and "tab-content.children" in d["output"])
    outputs = []
    for output in main["output"].strip(".").split("..."):
        if output.startswith("{"):
            outputs.append([])
        else:
            element, prop = output.rsplit(".", 1)
            outputs.append({"id": element, "property": prop})
    values = {"search": search}
    entry = lambda spec: {"id": spec["id"], "property": spec["property"], "value": values.get(spec["property"])}  # noqa: E731
    return {"output": main["output"], "outputs": outputs, "inputs": [entry(i) for i in main["inputs"]],
            "state": [entry(s) for s in main["state"]], "changedPropIds": []}


def bad_inputs(rng: random.Random, count: int, base_body: dict) -> list[tuple[str, object]]:
    """(path, body or None) pairs: broken links, malformed and mistyped callback bodies, API queries."""
    junk = [urllib.parse.quote(j) for j in
            ("-1", "1e400", "\x00", "<script>", "9" * 50, "", "null", "[]", "../../etc", "2024-02-30", "\u202e")]
    names = ["seed", "days", "from", "to", "data", "service", "tab", "team", "services", "rate", "value", "devs"]
    out = []
    for _ in range(count):
        choice = rng.random()
        if choice < 0.3:
            query = "&".join(f"{rng.choice(names)}={rng.choice(junk)}" for _ in range(rng.randint(1, 4)))
            out.append(("/?" + query, None))
        elif choice < 0.5:
            out.append(("/_dash-update-component", rng.choice([[], {}, "x", 5, None, {"output": 1}, {"output": "x"}])))
        elif choice < 0.85:
            body = json.loads(json.dumps(base_body))
            for item in body["inputs"] + body["state"]:
                if rng.random() < 0.5:
                    item["value"] = rng.choice([{"a": [1]}, [1, "x"], -1, 1e308, "\x00", True, "?" * 5000, None])
            out.append(("/_dash-update-component", body))
        else:
            query = "&".join(f"{rng.choice(names)}={rng.choice(junk)}" for _ in range(rng.randint(1, 3)))
            out.append(("/api/v1/summary?" + query, None))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.reliability")
    p.add_argument("--users", type=int, default=64)
    p.add_argument("--requests", type=int, default=800)
    p.add_argument("--bad", type=int, default=600)
    args = p.parse_args(argv)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="bench-reliability-")
    env = dict(os.environ, METRICS_DATA_DIR=data, PYTHONPATH=str(ROOT))
    log_file = open(Path(data) / "server.log", "w+b")          # a file, not a pipe: a full pipe would block the server
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--timeout", "120"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    started = time.monotonic()
    try:
        while request(base + "/health", timeout=2) != 200:
            if time.monotonic() - started > 60 or server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.3)
        dependencies = json.loads(urllib.request.urlopen(base + "/_dash-dependencies", timeout=30).read())
        rng = random.Random(7)
        statuses, lock = [], threading.Lock()
        killed = {"done": False}

        def user(i):
            if time.monotonic() - started > DEADLINE_SECONDS:
                return
            kind = i % 3
            if kind == 0:
                code = request(base + "/")
            elif kind == 1:
                code = request(base + "/_dash-layout")
            else:
                code = request(base + "/_dash-update-component",
                               main_callback_body(dependencies, f"?seed={rng.randint(0, 10**6)}&days=14"))
            with lock:
                statuses.append(code)
                if len(statuses) == args.requests // 2 and not killed["done"]:
                    workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
                    if workers:
                        os.kill(int(workers[0]), signal.SIGKILL)
                        killed["done"] = True

        load_started = time.monotonic()
        with ThreadPoolExecutor(args.users) as pool:
            list(pool.map(user, range(args.requests)))
        load_seconds = time.monotonic() - load_started
        base_body = main_callback_body(dependencies, "?seed=1")
        misbehaved = 0
        bad = bad_inputs(rng, args.bad, base_body)
        for path, body in bad:
            code = request(base + path, body)
            if code >= 500 or code == 0:
                misbehaved += 1
        health = request(base + "/health")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log_file.seek(0)
        err = log_file.read()
        log_file.close()
    tracebacks = err.decode(errors="replace").count("Traceback")
    lost = sum(1 for c in statuses if c == 0)
    errors = sum(1 for c in statuses if c >= 500)
    print(f"gunicorn -w 2 on 127.0.0.1, {args.users} concurrent users, one worker killed (SIGKILL) midway\n")
    print("| what | figure |")
    print("|---|---:|")
    print(f"| requests under load (page, layout, a new view's callback) | {len(statuses):,} in {load_seconds:.1f} s |")
    print(f"| answered 5xx | {errors} |")
    print(f"| not answered (in flight on the killed worker) | {lost} |")
    print(f"| workers killed and replaced | {1 if killed['done'] else 0} |")
    print(f"| bad inputs sent (links, callback bodies, API queries) | {len(bad):,} |")
    print(f"| bad inputs that got a 5xx or no answer (misbehaved) | {misbehaved} |")
    print(f"| /health after all of it | {health} |")
    print(f"| tracebacks in the server log (each logged cause of a refused request counts) | {tracebacks} |")
    return 0 if misbehaved == 0 and health == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
