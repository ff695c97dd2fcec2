"""``python -m bench.latency``: seed change -> every visible figure updated, in headless Chromium.

For each size it starts ``python app.py`` on a free port, types 20+ new seeds (each a cold cache)
and times Enter -> the cards show the new seed and every graph of the tab has been re-plotted.
From the browser's Performance API it also reads the content callback's server time (request
sent to first byte) and its response size.
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"default": [], "1M": ["--services", "500", "--days", "365"]}

WAIT_FOR_NEW_PLOTS = """
const [expected, done] = arguments;
function ready() {
  const graphs = [...document.querySelectorAll('.metric-graph .js-plotly-plot')];
  const card = document.getElementById('kpi-deploys-value');
  return graphs.length > 0 && graphs.every(g => !g.__old && g._fullLayout) && card && !card.__old
         && document.getElementById('window-line').textContent.includes('seed ' + expected + ' ');
}
(function poll() { if (ready()) { done(performance.now()); } else { requestAnimationFrame(poll); } })();
"""
MARK_OLD = """
document.querySelectorAll('.metric-graph .js-plotly-plot').forEach(g => {
  g.__old = true;   // cleared when the graph is drawn anew (a new node) or redrawn in place (afterplot)
  if (!g.__listening) { g.on('plotly_afterplot', () => { g.__old = false; }); g.__listening = true; }
});
const card = document.getElementById('kpi-deploys-value'); if (card) card.__old = true;
performance.clearResourceTimings();
"""
CALLBACK_TIMINGS = """
return performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component'))
  .map(e => [e.responseStart - e.requestStart, e.encodedBodySize, e.transferSize]);
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT,
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


def measure(size: str, changes: int) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    proc, url = start(SIZES[size])
    driver = browser()
    try:
        driver.get(url)
        driver.execute_async_script(WAIT_FOR_NEW_PLOTS, 42)
        latencies, server, sizes = [], [], []
        for seed in range(1000, 1000 + changes):
            driver.execute_script(MARK_OLD)
            box = driver.find_element(By.ID, "seed-input")
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(str(seed))
            t0 = time.perf_counter()
            box.send_keys(Keys.ENTER)
            driver.execute_async_script(WAIT_FOR_NEW_PLOTS, seed)
            latencies.append((time.perf_counter() - t0) * 1000)
            timings = driver.execute_script(CALLBACK_TIMINGS)
            biggest = max(timings, key=lambda t: t[1])
            server.append(biggest[0])
            sizes.append(biggest[1])
        latencies.sort()
        return {"median_ms": statistics.median(latencies), "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
                "server_ms": statistics.median(server), "bytes": statistics.median(sizes), "max_bytes": max(sizes),
                "changes": changes}
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=20)


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.latency")
    p.add_argument("--changes", type=int, default=20, help="seed changes per size (default 20)")
    p.add_argument("--sizes", default="default,1M")
    args = p.parse_args()
    targets = {"default": 400, "1M": 2000}
    print("| size | seed changes | median | p95 | callback server time (median) | response (median / max) | target (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        r = measure(size, args.changes)
        label = "default (3 services, 14 days)" if size == "default" else "`--services 500 --days 365` (~1M events)"
        print(f"| {label} | {r['changes']} | {r['median_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['server_ms']:.0f} ms | "
              f"{r['bytes'] / 1024:.0f} KB / {r['max_bytes'] / 1024:.0f} KB | < {targets[size]} ms |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
