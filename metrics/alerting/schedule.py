"""The schedule's loop (``python -m metrics schedule``): jobs, each with a cron expression (UTC),
run when due; the clock and the wait are given, so a test runs a week in a moment."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from .. import defaults


@dataclass
class Job:
    """A job: its name in the output, its cron expression and what it runs (``run(now_ns)``: an exit
    code). ``due``: the next time it runs (seconds since the epoch)."""

    name: str
    cron: str
    run: Callable[[int], int]
    due: float = 0.0

    def plan(self, after: float) -> None:
        """Set ``due`` to the first time the cron expression names after ``after`` (seconds)."""
        from croniter import croniter
        self.due = croniter(self.cron, datetime.fromtimestamp(after, tz=timezone.utc)).get_next(float)


def run_jobs(jobs: list[Job], clock: Callable[[], float], sleep: Callable[[float], None], stop: list, out,
             until: float | None = None, held: Callable[[], bool] = lambda: True) -> None:
    """Run each job whenever it is due until ``stop`` holds something (or the clock passes ``until``):
    a job that fails says so in one line and runs again at its next time; between jobs the loop waits
    at most ``defaults.SCHEDULE_TICK_S``. ``held()``: whether this process still holds the schedule's
    lock (when it does not, the loop ends)."""
    start = clock()
    for job in jobs:
        job.plan(start)
    while not stop and (until is None or clock() < until):
        now = clock()
        for job in sorted((j for j in jobs if j.due <= now), key=lambda j: j.due):
            if not held():
                print("the schedule's lock was lost: stopping", file=out)
                return
            stamp = datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            print(f"{stamp} {job.name}", file=out)
            try:
                code = job.run(int(now * 1e9))
            except Exception as e:           # one job's failure never stops the others
                print(f"  {job.name} failed: {type(e).__name__}: {e}"[:500], file=out)
                code = 2
            if code:
                print(f"  {job.name} ended with exit code {code}; it runs again at its next time", file=out)
            job.plan(now)
        following = min((j.due for j in jobs), default=now + defaults.SCHEDULE_TICK_S)
        sleep(max(0.0, min(following - clock(), defaults.SCHEDULE_TICK_S)))
