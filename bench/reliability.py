"""Reliability, measured: ``gunicorn -w 2`` on 127.0.0.1 under a bounded load, with a worker killed
midway, then every kind of bad input the tests fuzz, sent over HTTP; once without sign-in and once
with it (``METRICS_AUTH=basic``, every request carrying a signed-in session), where it also copies
session cookies and checks that every worker refuses the copies once the session is signed out
(the form's sign-out, and ``python -m metrics users sign-out NAME``). Prints a table for the README.

    python -m bench.reliability [--users 64] [--requests 800] [--bad 600] [--mode both|none|basic]

Loopback only; every loop is bounded in count and time; the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import random
import re
import secrets
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
MODES = {"none": "no sign-in", "basic": "sign-in (basic)"}
COPIES = 24                 # requests made with each copied cookie (spread over both workers)
PASSWORD = "bench-password-1"
# gunicorn's access log: which worker (pid) answered which request, with what status
ACCESS_FORMAT = "%(p)s %(s)s %(U)s %(q)s"


COOKIE: dict = {}          # the signed-in session every request of the sign-in mode carries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, body=None, headers=None, timeout=60) -> int:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **COOKIE, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            reply.read()
            return reply.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout):
        return 0                                          # no answer (a worker killed mid-request)


def main_callback_body(dependencies, search: str) -> dict:
    """The main callback's request body, as the page sends it for the link ``search``."""
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


def sign_in(base: str, name: str) -> tuple:
    """Sign ``name`` in through the form, as a browser does: (its opener, its cookie as a header)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=60).read().decode()
    csrf = re.search(r"name='csrf' value='([^']+)'", page).group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode(
        {"username": name, "password": PASSWORD, "csrf": csrf, "next": "/"}).encode(), timeout=60).read()
    return opener, {"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)}


def sign_out(base: str, opener) -> None:
    """The sign-out form, posted with its token."""
    page = opener.open(base + "/logout", timeout=60).read().decode()
    csrf = re.search(r"name='csrf' value='([^']+)'", page).group(1)
    opener.open(base + "/logout", data=urllib.parse.urlencode({"csrf": csrf}).encode(), timeout=60).read()


def copies_answered(base: str, cookies: list, tag: str) -> list[int]:
    """Each copied cookie sent ``COPIES`` times (tagged in the access log): the statuses."""
    return [request(f"{base}/_dash-layout?bench={tag}", headers=cookie) for cookie in cookies for _ in range(COPIES)]


def revocation(base: str, env: dict) -> dict:
    """Sign in, copy the cookie, sign out: the copies' statuses before and after; then two
    sessions of another user ended by ``users sign-out NAME`` (a process of its own)."""
    opener, cookie = sign_in(base, "bench")
    before = copies_answered(base, [cookie], "copy-before")
    sign_out(base, opener)
    after = copies_answered(base, [cookie], "copy-after-sign-out")
    sessions = [sign_in(base, "bench2")[1] for _ in range(2)]
    before += copies_answered(base, sessions, "copy-before")
    subprocess.run([sys.executable, "-m", "metrics", "users", "sign-out", "bench2"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    everywhere = copies_answered(base, sessions, "copy-after-users-sign-out")
    return {"copy-before": before, "copy-after-sign-out": after, "copy-after-users-sign-out": everywhere}


def workers_answering(access_log: Path, tag: str) -> set:
    """The worker pids that answered the requests tagged ``tag``, from gunicorn's access log."""
    pids = set()
    for line in access_log.read_text(errors="replace").splitlines():
        pid, _, _, query = (line.split(" ", 3) + ["", "", "", ""])[:4]
        if query == f"bench={tag}":
            pids.add(pid)
    return pids


def run_mode(args, mode: str) -> dict:
    """The load, the killed worker and the bad inputs against one server in ``mode``: its figures."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="bench-reliability-")
    env = dict(os.environ, METRICS_DATA_DIR=data, PYTHONPATH=str(ROOT), METRICS_AUTH=mode)
    if mode != "none":
        env["METRICS_SECRET_KEY"] = secrets.token_hex(32)
        for name in ("bench", "bench2"):
            subprocess.run([sys.executable, "-m", "metrics", "users", "add", name, "--role", "editor", "--password-stdin"],
                           cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    access_log = Path(data) / "access.log"
    log_file = open(Path(data) / "server.log", "w+b")          # a file, not a pipe: a full pipe would block the server
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--timeout", "120", "--access-logfile", str(access_log),
                               "--access-logformat", ACCESS_FORMAT],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    started = time.monotonic()
    figures: dict = {}
    COOKIE.clear()
    try:
        while request(base + "/health", timeout=2) != 200:
            if time.monotonic() - started > 60 or server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.3)
        if mode != "none":
            COOKIE.update(sign_in(base, "bench")[1])
        dependencies = json.loads(urllib.request.urlopen(urllib.request.Request(
            base + "/_dash-dependencies", headers=COOKIE), timeout=30).read())
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
        figures["load_seconds"] = time.monotonic() - load_started
        base_body = main_callback_body(dependencies, "?seed=1")
        misbehaved = 0
        bad = bad_inputs(rng, args.bad, base_body)
        for path, body in bad:
            code = request(base + path, body)
            if code >= 500 or code == 0:
                misbehaved += 1
        figures.update(bad=len(bad), misbehaved=misbehaved, health=request(base + "/health"))
        if mode != "none":
            COOKIE.clear()
            figures["revocation"] = revocation(base, env)
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
        COOKIE.clear()
    figures.update(statuses=statuses, killed=killed["done"], tracebacks=err.decode(errors="replace").count("Traceback"))
    if mode != "none":
        for tag in ("copy-before", "copy-after-sign-out", "copy-after-users-sign-out"):
            figures[tag] = workers_answering(access_log, tag)
    return figures


def main(argv=None) -> int:
    """Run the load, the killed worker, the bad inputs (and the sign-out copies) in each mode; print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.reliability")
    p.add_argument("--users", type=int, default=64)
    p.add_argument("--requests", type=int, default=800)
    p.add_argument("--bad", type=int, default=600)
    p.add_argument("--mode", choices=("both", *MODES), default="both",
                   help="without sign-in, with it (METRICS_AUTH=basic), or both (default)")
    args = p.parse_args(argv)
    modes = list(MODES) if args.mode == "both" else [args.mode]
    results = {mode: run_mode(args, mode) for mode in modes}
    cells = lambda row: " | ".join(row(results[m]) for m in modes)  # noqa: E731
    print(f"gunicorn -w 2 on 127.0.0.1, {args.users} concurrent users, one worker killed (SIGKILL) midway\n")
    print("| what | " + " | ".join(MODES[m] for m in modes) + " |")
    print("|---|" + "---:|" * len(modes))
    print("| requests under load (page, layout, a new view's callback) | "
          + cells(lambda r: f"{len(r['statuses']):,} in {r['load_seconds']:.1f} s") + " |")
    print("| answered 5xx | " + cells(lambda r: str(sum(1 for c in r["statuses"] if c >= 500))) + " |")
    print("| not answered (in flight on the killed worker) | "
          + cells(lambda r: str(sum(1 for c in r["statuses"] if c == 0))) + " |")
    print("| workers killed and replaced | " + cells(lambda r: str(int(r["killed"]))) + " |")
    print("| bad inputs sent (links, callback bodies, API queries) | " + cells(lambda r: f"{r['bad']:,}") + " |")
    print("| bad inputs that got a 5xx or no answer (misbehaved) | " + cells(lambda r: str(r["misbehaved"])) + " |")
    print("| /health after all of it | " + cells(lambda r: str(r["health"])) + " |")
    print("| tracebacks in the server log (each logged cause of a refused request counts) | "
          + cells(lambda r: str(r["tracebacks"])) + " |")
    revoked_ok = True
    for label, tag in (("copied session cookies answered before sign-out", "copy-before"),
                       ("copies refused (401) after the form's sign-out", "copy-after-sign-out"),
                       ("copies refused (401) after `users sign-out NAME`", "copy-after-users-sign-out")):
        row = []
        for m in modes:
            if m == "none":
                row.append("-")
                continue
            statuses, pids = results[m]["revocation"][tag], results[m][tag]
            answered = sum(1 for c in statuses if c == (200 if tag == "copy-before" else 401))
            ok = answered == len(statuses) and len(pids) == 2
            revoked_ok &= ok
            row.append(f"{answered} of {len(statuses)}, by {len(pids)} worker{'s' if len(pids) != 1 else ''}")
        print(f"| {label} | " + " | ".join(row) + " |")
    healthy = all(r["misbehaved"] == 0 and r["health"] == 200 for r in results.values())
    return 0 if healthy and revoked_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
