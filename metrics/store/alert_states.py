"""Each alert's state, kept in the store (table ``alert_states``, both backends): one row an alert,
named as the alerts file names it, its body JSON (what ``metrics.alerting.check`` keeps: the state,
the value, since when, the deliveries still to retry, when it fired)."""
from __future__ import annotations

import json
import time

from .connection import reading, writing

KEEP = ("INSERT INTO alert_states (alert, body, updated_ns) VALUES (?, ?, ?) ON CONFLICT (alert) "
        "DO UPDATE SET body = excluded.body, updated_ns = excluded.updated_ns")


def alert_states() -> dict[str, dict]:
    """Every kept alert state: alert name -> its body (a dict)."""
    with reading() as con:
        rows = con.execute("SELECT alert, body FROM alert_states ORDER BY alert").fetchall()
    return {name: json.loads(body) for name, body in rows}


def keep_alert_states(states: dict[str, dict]) -> None:
    """Store the states of ``states`` (alert name -> body), in one transaction."""
    if not states:
        return
    now = time.time_ns()
    with writing() as con:
        con.executemany(KEEP, [(name, json.dumps(body, sort_keys=True), now) for name, body in states.items()])
