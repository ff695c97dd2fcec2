"""``python -m bench.window --database URL``: a 30-day view of a 10M-event PostgreSQL dataset reads only
its window (issue 25's target: rows read, and under 1 s).

Builds the dataset ``bench10m`` once in the database (plain SQL, ``generate_series``: 10M events over
``--days`` days, deployments, incidents and PRs whose pairs cross days, team events), then, for the
dataset's last 30 days and for a window in its middle, times the facts (``store.dataset_facts``), the
window's rows (``store.load_window``: the rows fetched are counted) and the view's two analyses,
and prints them as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import time

NAME = "bench10m"
T0 = 1_600_000_000 * 10**9 // 86_400_000_000_000 * 86_400_000_000_000     # a UTC midnight in 2020
# one event a step; kinds by the step's place in a cycle of 20; an incident is resolved 10,001 steps (about a
# day at 10M over 1,000 days) after its start, a PR reviewed 4 steps and merged 608 after its creation
BUILD = """
INSERT INTO events (dataset, ts_ns, kind, service, deploy_id, incident_id, pr_id, metric_value, status, change_type,
                    environment, author, row_hash)
SELECT %(name)s, %(t0)s::bigint + g * %(step)s::bigint, k.kind, 'svc' || (g / 20 %% 300),
       CASE WHEN k.kind = 'deploy' THEN 'svc' || (g / 20 %% 300) || '@d' || g ELSE '' END,
       CASE WHEN k.kind = 'incident_start' THEN 'i' || g WHEN k.kind = 'incident_resolved' THEN 'i' || (g - 10001)
            ELSE '' END,
       CASE WHEN k.kind = 'pr_created' THEN 'p' || g WHEN k.kind = 'pr_reviewed' THEN 'p' || (g - 4)
            WHEN k.kind = 'pr_merged' THEN 'p' || (g - 608) ELSE '' END,
       CASE WHEN k.kind IN ('toil', 'platform_investment_hour') THEN 1.0 END,
       CASE WHEN k.kind = 'deploy' AND g %% 97 = 0 THEN 'failed' ELSE '' END,
       CASE WHEN k.kind = 'deploy' AND g %% 89 = 0 THEN 'hotfix' ELSE '' END, '',
       CASE WHEN k.kind = 'pr_created' THEN 'dev' || (g %% 50) ELSE '' END, g
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g,
     LATERAL (SELECT CASE
         WHEN g %% 200 = 7 THEN 'incident_start' WHEN g %% 200 = 8 AND g > 10001 THEN 'incident_resolved'
         WHEN g %% 20 < 6 THEN 'deploy' WHEN g %% 20 < 10 THEN 'pr_created' WHEN g %% 20 < 14 THEN 'pr_reviewed'
         WHEN g %% 20 < 18 AND g >= 608 THEN 'pr_merged' WHEN g %% 20 = 18 THEN 'toil'
         ELSE 'platform_investment_hour' END AS kind) k"""


def build(events: int, days: int) -> None:
    """The dataset, unless it is there already (in chunks of a million rows, one transaction each)."""
    from metrics.store.connection import reading, writing
    with reading() as con:
        if con.execute("SELECT 1 FROM datasets WHERE name = ?", (NAME,)).fetchone():
            return
    step = days * 86_400_000_000_000 // events
    chunk = 1_000_000
    for lo in range(0, events, chunk):
        with writing() as con:
            con.raw.execute(BUILD, {"name": NAME, "t0": T0, "step": step, "lo": lo, "hi": min(lo + chunk, events) - 1})
    with writing() as con:
        con.execute("INSERT INTO datasets (name, events, first_ns, last_ns) SELECT ?, count(*), min(ts_ns), max(ts_ns) "
                    "FROM events WHERE dataset = ?", (NAME, NAME))
        con.execute("INSERT INTO generations (dataset, generation) VALUES (?, 1)", (NAME,))
        con.raw.execute("ANALYZE events")


def view(window) -> dict:
    """Time a dataset view of ``window``: facts, the window's rows, the two analyses."""
    from metrics import analyze, store
    from metrics.reach import reach
    from metrics.store.connection import reading
    from metrics.store.postgres.window import read_window
    started = time.perf_counter()
    facts = store.dataset_facts(NAME)
    facts_s = time.perf_counter() - started
    rows = reach(window)
    with reading() as con:
        fetched = len(read_window(con, NAME, rows)["ts"])
    started = time.perf_counter()
    tables = store.load_window(NAME, rows)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    analyze(tables, window, present=facts.present)
    analyze(tables, window.previous(), present=facts.present)
    analyze_s = time.perf_counter() - started
    with reading() as con:
        in_range = con.execute("SELECT count(*) FROM events WHERE dataset = ? AND ts_ns >= ? AND ts_ns < ?",
                               (NAME, rows.start_ns, rows.end_ns)).fetchone()[0]
    return {"window": [str(window.start.date()), str(window.end.date())], "rows_read": fetched,
            "rows_in_range": in_range, "facts_s": round(facts_s, 3), "load_window_s": round(load_s, 3),
            "analyze_both_periods_s": round(analyze_s, 3),
            "view_s": round(facts_s + load_s + analyze_s, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.window", description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="postgresql://USER:PASSWORD@HOST:PORT/DB")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=1_000)
    args = parser.parse_args(argv)
    os.environ["METRICS_DATABASE_URL"] = args.database
    from metrics import store
    from metrics.window import Window
    started = time.perf_counter()
    build(args.events, args.days)
    built_s = time.perf_counter() - started
    first, last = store.dataset_facts(NAME).span
    end = Window.covering(first, last).end_ns
    day = 86_400_000_000_000
    results = [view(Window(end - 30 * day, end)), view(Window(end - 500 * day, end - 470 * day))]
    print(json.dumps({"events": store.list_datasets()[0].events, "build_s": round(built_s, 1), "views": results},
                     indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
