"""``python -m metrics schedule [--file FILE]``: run the syncs, alert checks and digests of the alerts
file on their cron schedule ([schedule] alerts and sync, each [[digest]]'s cron), until stopped;
one scheduler at a time per store (``store.SchedulerLock``: a second one waits and takes over)."""
from __future__ import annotations

import signal
import sys
import time

from ..console import Parser, UsageError


def parser() -> Parser:
    p = Parser(prog="python -m metrics schedule",
               description="Run the syncs, alert checks and digests of the alerts file (METRICS_ALERTS, default "
                           "alerts.toml in the data directory) on their cron schedule (UTC), until stopped.")
    p.add_argument("--file", metavar="FILE", help="the alerts file (default METRICS_ALERTS or alerts.toml in the data directory)")
    return p


def jobs_of(config, out) -> list:
    """The jobs the alerts file ``config`` schedules: the syncs, the alert checks, each digest."""
    from ..alerting.schedule import Job
    jobs = []
    if config.schedule.sync:
        jobs.append(Job(f"sync --config {config.schedule.sync_config}", config.schedule.sync,
                        lambda now_ns: sync_job(config.schedule.sync_config, out)))
    if config.schedule.alerts:
        jobs.append(Job("alerts check", config.schedule.alerts, lambda now_ns: alerts_job(config.path, now_ns, out)))
    for digest in config.digests:
        if digest.cron:
            jobs.append(Job(f"digest --team {digest.team} --dataset {digest.dataset}", digest.cron,
                            lambda now_ns, d=digest: digest_job(config, d, now_ns, out)))
    return jobs


def sync_job(path, out) -> int:
    from ..ingest.sync.config import ConfigError, read_config
    from .sync import run_once
    try:
        return run_once(read_config(path), False, out)
    except (ConfigError, UsageError) as e:
        print(f"  error: {e}", file=out)
        return 2


def alerts_job(path, now_ns: int, out) -> int:
    from .. import store
    from ..alerting.check import run_check
    from ..alerting.file import AlertsError
    try:
        return run_check(path, now_ns=now_ns, out=out)
    except (AlertsError, store.StoreError) as e:
        print(f"  error: {e}", file=out)
        return 2


def digest_job(config, digest, now_ns: int, out) -> int:
    from .. import store
    from ..alerting.check import read_teams_here
    from ..alerting.digest import digest_of, send_digest
    from ..alerting.file import AlertsError
    from ..teams import TeamsError
    try:
        built = digest_of(config, read_teams_here(), digest.team, digest.dataset, now_ns)
    except (AlertsError, TeamsError, store.StoreError) as e:
        print(f"  error: {e}", file=out)
        return 2
    return send_digest(built, digest.targets, False, out)


def run_schedule(argv, out=None, clock=time.time, sleep=time.sleep, until: float | None = None) -> int:
    """``python -m metrics schedule``: 0 when stopped (SIGTERM, Ctrl+C, or the clock past ``until``:
    tests); 2 for a file that cannot be used or schedules nothing."""
    out = sys.stdout if out is None else out
    args = parser().parse_args(argv)
    from .. import store
    from ..alerting.check import read_teams_here
    from ..alerting.file import AlertsError, alerts_path, read_alerts
    from ..alerting.schedule import run_jobs
    from .sync import hold
    try:
        config = read_alerts(args.file or alerts_path(store.data_dir()), read_teams_here(), required=True)
    except AlertsError as e:
        raise UsageError(str(e)) from None
    jobs = jobs_of(config, out)
    if not jobs:
        raise UsageError(f"the alerts file {config.path} schedules nothing: give [schedule] alerts = \"CRON\", "
                         f"sync = \"CRON\" with sync_config, or a [[digest]] with cron = \"CRON\"")
    stop: list = []
    if until is None:
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    lock = store.SchedulerLock()
    try:
        if not hold(lock, out, sleep, stop):
            return 0
        print("scheduled (UTC): " + "; ".join(f"{job.name} at {job.cron!r}" for job in jobs), file=out)
        run_jobs(jobs, clock, sleep, stop, out, until, held=lambda: lock.held)
    except KeyboardInterrupt:
        print("schedule stopped", file=out)
    finally:
        lock.release()
    return 0
