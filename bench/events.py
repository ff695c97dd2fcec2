"""``--events FILE --json`` side by side with DuckDB's native path on the same event CSV: DuckDB
reads the CSV into a table (``CREATE TABLE ... AS SELECT DISTINCT * FROM read_csv(...)``) and runs
the DORA numbers in SQL; this version (and a previous one, ``--previous PATH``) runs the whole
command. Whole processes, in turn (ours, DuckDB, ours, ...), CPU time (user + system) and peak RSS,
medians; the DORA numbers of both are printed and must agree.

    python -m bench.events [--events 1200000] [--repeat 5] [--previous ../old-checkout] [--csv big.csv]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .load import MAKE_FILES, ROOT

DUCKDB = r"""
import json, sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"CREATE TABLE raw AS SELECT DISTINCT * FROM read_csv('{sys.argv[1]}', all_varchar=true)")
con.execute('''CREATE TABLE ev AS SELECT TRY_CAST(ts AS TIMESTAMPTZ) AS t, lower(trim(kind)) AS kind,
  trim(service) AS service, trim(deploy_id) AS deploy_id, trim(incident_id) AS incident_id, trim(pr_id) AS pr_id,
  coalesce(nullif(lower(trim(status)), ''), 'success') AS status,
  coalesce(nullif(lower(trim(environment)), ''), 'production') AS env FROM raw WHERE t IS NOT NULL''')
con.execute("CREATE TABLE dep AS SELECT * FROM ev WHERE kind = 'deploy' AND env = 'production'")
one = lambda sql: con.execute(sql).fetchone()
out = dict(zip(("deployments", "successful_deployments"),
               one("SELECT count(*), count(*) FILTER (status = 'success') FROM dep")))
out["lead_time_hours_median"], = one('''
  WITH c AS (SELECT pr_id, service, t AS created FROM ev WHERE kind = 'pr_created'),
  m AS (SELECT pr_id, t AS merged, deploy_id FROM ev WHERE kind = 'pr_merged'),
  named AS (SELECT c.service, c.created, m.merged, d.t AS deployed FROM c JOIN m USING (pr_id)
            LEFT JOIN dep d ON d.deploy_id = m.deploy_id AND m.deploy_id <> ''),
  ok AS (SELECT service, t AS dt FROM dep WHERE status = 'success')
  SELECT median(epoch(coalesce(n.deployed, ok.dt) - n.created) / 3600) FROM named n
  ASOF LEFT JOIN ok ON n.service = ok.service AND ok.dt >= n.merged''')
out["change_failure_rate_pct"], = one('''
  WITH i AS (SELECT service, t, deploy_id FROM ev WHERE kind = 'incident_start'),
  s AS (SELECT service, t AS dt, deploy_id AS did FROM dep WHERE status = 'success'),
  att AS (SELECT CASE WHEN i.deploy_id <> '' THEN i.deploy_id
            WHEN s.dt IS NOT NULL AND i.t - s.dt <= INTERVAL 24 HOUR THEN s.did END AS d
          FROM i ASOF LEFT JOIN s ON i.service = s.service AND i.t > s.dt),
  failed AS (SELECT deploy_id FROM dep WHERE status = 'failed' UNION SELECT d FROM att WHERE d IS NOT NULL)
  SELECT 100.0 * count(*) FILTER (deploy_id IN (SELECT deploy_id FROM failed)) / count(*) FROM dep''')
out["mttr_minutes_median"], = one('''SELECT median(epoch(r.t - s.t) / 60) FROM
  (SELECT incident_id, t FROM ev WHERE kind = 'incident_start') s JOIN
  (SELECT incident_id, t FROM ev WHERE kind = 'incident_resolved') r USING (incident_id)''')
print(json.dumps(out))
"""
KEYS = ("deployments", "successful_deployments", "lead_time_hours_median", "change_failure_rate_pct", "mttr_minutes_median")


# a launcher whose only child is the command: its children's usage is that one process's
LAUNCH = ("import json, resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
          "use = resource.getrusage(resource.RUSAGE_CHILDREN); print(json.dumps({'rc': done.returncode, 'out': done.stdout, "
          "'err': done.stderr[-2000:], 'cpu': use.ru_utime + use.ru_stime, 'peak_mb': use.ru_maxrss / 1024}))")


def run(command: list[str], tree: Path) -> tuple[float, float, dict]:
    """One whole process: its CPU seconds (user + system), peak RSS in MB, and its DORA numbers."""
    done = subprocess.run([sys.executable, "-c", LAUNCH] + command, cwd=tree, capture_output=True, text=True,
                          timeout=3600, env=dict(os.environ, PYTHONPATH=str(tree)))
    got = json.loads(done.stdout)
    if got["rc"]:
        raise SystemExit(f"{' '.join(command)} failed:\n{got['err']}")
    out = json.loads(got["out"])
    return got["cpu"], got["peak_mb"], {k: out.get("dora", out).get(k) for k in KEYS}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.events")
    p.add_argument("--events", type=int, default=1_200_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--previous", type=Path, help="a checkout of an earlier version, measured beside this one")
    p.add_argument("--csv", type=Path, help="an event CSV to use (default: one generated like bench.load's)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-events-") as name:
        csv = args.csv.resolve() if args.csv else Path(name) / "events.csv"
        if not args.csv:
            code = MAKE_FILES.format(events=args.events, csv=csv, duckdb=Path(name) / "unused.duckdb")
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        ours = [sys.executable, "-m", "metrics", "--events", str(csv), "--json"]
        commands = {"this version": (ours, ROOT), "DuckDB": ([sys.executable, "-c", DUCKDB, str(csv)], ROOT)}
        if args.previous:
            commands["previous version"] = (ours, args.previous.resolve())
        runs = {label: [] for label in commands}
        for _ in range(args.repeat):                    # in turn, so a drift of the machine meets all alike
            for label, (command, tree) in commands.items():
                runs[label].append(run(command, tree))
    print(f"`--events FILE --json` on {csv.name}, whole processes, median of {args.repeat} (in turn)\n")
    print("| | CPU | peak RSS | " + " | ".join(KEYS) + " |")
    print("|---|---:|---:|" + "---:|" * len(KEYS))
    for label, got in runs.items():
        numbers = got[-1][2]
        print(f"| {label} | {statistics.median(r[0] for r in got):.2f} s | {statistics.median(r[1] for r in got):.0f} MB | "
              + " | ".join(f"{numbers[k]:.6g}" for k in KEYS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
