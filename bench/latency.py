"""``python -m bench.latency``: seed change -> every visible figure updated, in headless Chromium.

For each size it starts ``python app.py`` on a free port, types 20+ new seeds (each a cold cache)
and times Enter -> the cards show the new seed and every graph of the tab has been re-plotted.
From the browser's Performance API it also reads the content callback's server time (request
sent to first byte) and its response size. Then it times the JSON API at the same size:
``/api/v1/summary`` for new seeds (a cold cache each) and ``/api/v1/teams``.

Every size runs against a data directory of its own holding a teams file (``teams_file``): the
"teams" sizes open the Teams tab, which compares every team of that file. ``--checkout DIR``
measures the app of another checkout of the project (an earlier version) with this same bench,
so two versions are measured side by side.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Size:
    """A measured size: the app's arguments, the tab it opens on, its label and target (median ms)."""

    args: tuple
    label: str
    target_ms: int
    tab: str = "dora"


SIZES = {
    "default": Size((), "default (3 services, 14 days)", 400),
    "1M": Size(("--services", "500", "--days", "365"), "`--services 500 --days 365` (~1M events)", 2000),
    "300": Size(("--services", "300", "--days", "510"), "`--services 300 --days 510` (~1M events)", 2000),
    "300-teams": Size(("--services", "300", "--days", "510"),
                      "`--services 300 --days 510`, Teams tab (31 teams)", 2000, tab="teams"),
}


def teams_file(teams: int = 31) -> str:
    """A teams file for the synthetic services (checkout, payments, search, service-004 ...
    service-NNN): a team per leading pair of digits, about ten services each (31 teams at 300
    services); the first also owns the three named services."""
    return "".join(f"[teams.team-{k:02d}]\nservices = "
                   f"{json.dumps((['checkout', 'payments', 'search'] if k == 0 else []) + [f'service-{k:02d}*'])}\n"
                   for k in range(teams))


WAIT_FOR_NEW_PLOTS = """
const [expected, cardId, done] = arguments;
function ready() {
  const graphs = [...document.querySelectorAll('.metric-graph .js-plotly-plot')];
  const card = document.querySelector(cardId);
  return graphs.length > 0 && graphs.every(g => !g.__old && g._fullLayout) && card && !card.__old
         && document.getElementById('window-line').textContent.includes('seed ' + expected + ' ');
}
(function poll() { if (ready()) { done(performance.now()); } else { requestAnimationFrame(poll); } })();
"""
MARK_OLD = """
const cardId = arguments[0];
document.querySelectorAll('.metric-graph .js-plotly-plot').forEach(g => {
  g.__old = true;   // cleared when the graph is drawn anew (a new node) or redrawn in place (afterplot)
  if (!g.__listening) { g.on('plotly_afterplot', () => { g.__old = false; }); g.__listening = true; }
});
const card = document.querySelector(cardId); if (card) card.__old = true;
performance.clearResourceTimings();
"""
CALLBACK_TIMINGS = """
return performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component'))
  .map(e => [e.responseStart - e.requestStart, e.encodedBodySize, e.transferSize]);
"""
# the element whose redrawing (a new node) says the content is there: a card, or the Teams table's
# first cell (this version's DataTable; "#team-0-deploys-value": the plain table of earlier ones)
READY_CARD = {"dora": "#kpi-deploys-value", "teams": "#teams-table td, #team-0-deploys-value"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, checkout: Path = ROOT, data_dir: str | None = None) -> tuple[subprocess.Popen, str]:
    """``python app.py ARGS`` of ``checkout`` on a free port (its data directory ``data_dir``)."""
    port = free_port()
    env = dict(os.environ, **({"METRICS_DATA_DIR": data_dir} if data_dir else {}))
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=checkout, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the app did not start")


def browser():
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--window-size=1366,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    driver.set_script_timeout(60)
    return driver


def api_times(url: str, seeds) -> dict:
    """Median wall time of ``/api/v1/summary`` for each new seed (a cold cache), and of ``/api/v1/teams``."""
    summary, teams = [], []
    for seed in seeds:
        for path, times in ((f"/api/v1/summary?seed={seed}", summary), ("/api/v1/teams", teams)):
            t0 = time.perf_counter()
            with urllib.request.urlopen(url + path, timeout=120) as answer:
                answer.read()
            times.append((time.perf_counter() - t0) * 1000)
    return {"api_summary_ms": statistics.median(summary), "api_teams_ms": statistics.median(teams)}


def measure(size: Size, changes: int, checkout: Path = ROOT) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    card = READY_CARD[size.tab]
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as data_dir:
        Path(data_dir, "teams.toml").write_text(teams_file(), encoding="utf-8")
        proc, url = start(size.args, checkout, data_dir)
        driver = browser()
        try:
            driver.get(f"{url}/?tab={size.tab}")
            driver.execute_async_script(WAIT_FOR_NEW_PLOTS, 42, card)
            latencies, server, sizes = [], [], []
            for seed in range(1000, 1000 + changes):
                driver.execute_script(MARK_OLD, card)
                box = driver.find_element(By.ID, "seed-input")
                box.send_keys(Keys.CONTROL, "a")
                box.send_keys(str(seed))
                t0 = time.perf_counter()
                box.send_keys(Keys.ENTER)
                driver.execute_async_script(WAIT_FOR_NEW_PLOTS, seed, card)
                latencies.append((time.perf_counter() - t0) * 1000)
                timings = driver.execute_script(CALLBACK_TIMINGS)
                biggest = max(timings, key=lambda t: t[1])
                server.append(biggest[0])
                sizes.append(biggest[1])
            latencies.sort()
            api = api_times(url, range(5000, 5000 + max(5, changes // 4))) if size.tab == "dora" else {}
            return {"median_ms": statistics.median(latencies), "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
                    "server_ms": statistics.median(server), "bytes": statistics.median(sizes),
                    "max_bytes": max(sizes), "changes": changes, **api}
        finally:
            driver.quit()
            proc.terminate()
            proc.wait(timeout=20)


def version(checkout: Path) -> str:
    """The measured checkout's commit (short hash), or its path when git cannot say."""
    found = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return (found.stdout.strip() + (" (with uncommitted changes)" if dirty else "")) if found.returncode == 0 \
        else str(checkout)


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.latency")
    p.add_argument("--changes", type=int, default=20, help="seed changes per size (default 20)")
    p.add_argument("--sizes", default="default,1M", help=f"comma-separated, of: {', '.join(SIZES)} (default default,1M)")
    p.add_argument("--checkout", type=Path, default=ROOT,
                   help="measure the app of this checkout of the project (default: this one)")
    args = p.parse_args()
    unknown = [s for s in args.sizes.split(",") if s not in SIZES]
    if unknown:
        p.error(f"unknown size {unknown[0]!r} (sizes: {', '.join(SIZES)})")
    if not (args.checkout / "app.py").is_file():
        p.error(f"{args.checkout} is not a checkout of this project (no app.py)")
    print(f"version {version(args.checkout)}")
    print("| size | seed changes | median | p95 | callback server time (median) | response (median / max) | target (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    apis = []
    for name in args.sizes.split(","):
        size = SIZES[name]
        r = measure(size, args.changes, args.checkout)
        print(f"| {size.label} | {r['changes']} | {r['median_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['server_ms']:.0f} ms | "
              f"{r['bytes'] / 1024:.0f} KB / {r['max_bytes'] / 1024:.0f} KB | < {size.target_ms} ms |", flush=True)
        if "api_summary_ms" in r:
            apis.append((size, r))
    if apis:
        print("\n| size | `/api/v1/summary`, new seed (median) | `/api/v1/teams` (median) | target |")
        print("|---|---:|---:|---:|")
        for size, r in apis:
            print(f"| {size.label} | {r['api_summary_ms']:.0f} ms | {r['api_teams_ms']:.0f} ms | < {size.target_ms} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
