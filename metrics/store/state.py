"""Sync and webhook state kept with each dataset: each source's sync state (watermarks, open
items) and last run, and webhook deliveries, each stored exactly once."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pandas as pd

from .. import schema as s
from ..ingest import LoadReport
from . import merge
from .connection import reading, writing
from .errors import check_name


# each source's sync state and last run: one row per (dataset, source), the newest kept (both backends)
KEEP_STATE = ("INSERT INTO sync_state VALUES (?, ?, ?) ON CONFLICT (dataset, source) "
              "DO UPDATE SET state = excluded.state")
KEEP_RUN = "INSERT INTO sync_runs VALUES (?, ?, ?) ON CONFLICT (dataset, source) DO UPDATE SET run = excluded.run"


def claim(con, name: str, source: str, key: str, at_ns: int) -> bool:
    """Store the delivery ``key`` of ``source`` into ``name`` inside the caller's write
    transaction: True when this call stored it, False when it was stored before. The table's
    primary key decides: on PostgreSQL a second host inserting the same key at the same moment
    waits for the first's transaction, then finds the key taken and inserts nothing."""
    return con.execute("INSERT INTO deliveries VALUES (?, ?, ?, ?) ON CONFLICT (dataset, source, delivery) DO NOTHING",
                       (name, source, key, at_ns)).rowcount == 1


@dataclass(frozen=True)
class Delivered:
    """What ``deliver`` did with one webhook delivery."""
    total: int              # events in the dataset after the delivery
    added: int
    repeated: bool          # the delivery id was stored before: nothing was added
    report: LoadReport


def deliver(name: str, frame: pd.DataFrame, source: str, delivery_id: str, once: str = "",
            who: str | None = None, skipped: dict | None = None) -> Delivered:
    """Store a webhook delivery's events exactly once, in one transaction: the delivery id is
    claimed first (``claim``), so a delivery id seen before (by this host or another at the same
    moment) adds nothing; ``once`` (a deployment's key) lets only its first delivery's deployments
    count. The source's totals (deliveries, events added, skipped by reason) are kept with the
    dataset, shown like a sync's last run; the audit trail records the write as ``who``."""
    incoming = merge.prepare(name, frame)
    skipped = dict(skipped or {})
    with writing() as con:
        now = time.time_ns()
        if delivery_id and not claim(con, name, source, delivery_id, now):
            row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
            return Delivered(row[0] if row else 0, 0, True, incoming.report)
        if once and not claim(con, name, source, "once:" + once, now):
            later = incoming.kinds() == s.DEPLOY
            if later.any():
                reason = "later final statuses of a deployment (its first one counts)"
                skipped[reason] = skipped.get(reason, 0) + int(later.sum())
                incoming.keep(~later)
        total, added, report = merge.write(con, name, incoming, who=who, action="webhook",
                                           detail=f"{source} delivery {delivery_id}".strip())
        key = f"webhook:{source}"
        previous = con.execute("SELECT run FROM sync_runs WHERE dataset = ? AND source = ?", (name, key)).fetchone()
        totals = json.loads(previous[0]) if previous else {"deliveries": 0, "added": 0, "skipped": {}, "rejected": 0}
        totals["deliveries"] += 1
        totals["added"] += added
        totals["rejected"] += report.rejected_count
        for reason, count in skipped.items():
            totals["skipped"][reason] = totals["skipped"].get(reason, 0) + count
        totals.update(at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now / 1e9)), error="")
        con.execute(KEEP_RUN, (name, key, json.dumps(totals)))
    report.skipped = skipped
    return Delivered(total, added, False, report)


def sync_state(name: str, source: str) -> dict:
    """The stored sync state of ``source`` for dataset ``name`` ({} before its first sync)."""
    check_name(name)
    with reading() as con:
        row = con.execute("SELECT state FROM sync_state WHERE dataset = ? AND source = ?", (name, source)).fetchone()
    return json.loads(row[0]) if row else {}


def append_with_state(name: str, frame: pd.DataFrame, source: str, state: dict, who: str | None = None) -> int:
    """Add ``frame``'s events to dataset ``name`` and store ``source``'s sync ``state`` in the same
    transaction (both or neither); returns the events added."""
    incoming = merge.prepare(name, frame)
    with writing() as con:
        _, added, _ = merge.write(con, name, incoming, who=who, action="sync", detail=source)
        con.execute(KEEP_STATE, (name, source, json.dumps(state)))
    return added


def record_sync_run(name: str, source: str, run: dict) -> None:
    """Keep how ``source``'s last sync of ``name`` went (time, events added, error)."""
    check_name(name)
    with writing() as con:
        con.execute(KEEP_RUN, (name, source, json.dumps(run)))


def sync_runs(name: str) -> list[tuple[str, str]]:
    """(source, last run as JSON) of every source synced into ``name``."""
    check_name(name)
    with reading() as con:
        return con.execute("SELECT source, run FROM sync_runs WHERE dataset = ? ORDER BY source", (name,)).fetchall()
