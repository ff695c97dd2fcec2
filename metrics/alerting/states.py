"""Each alert's kept state in words (``alerts list``), and the check a server makes of the alerts
file when it starts (a broken file is a notice on the page, never a failed start)."""
from __future__ import annotations

import pandas as pd


def when(ns) -> str:
    """A time kept in a state body (ns) as ``2026-12-07 09:15 UTC``, "never" for none."""
    return "never" if not ns else pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%d %H:%M UTC")


def states_lines(path=None) -> list[str]:
    """One line per alert of the file: its state, value, since when, its last change notified, the
    deliveries waiting to be retried, and its condition and scope."""
    from .. import store
    from .check import read_teams_here
    from .file import alerts_path, read_alerts
    config = read_alerts(path or alerts_path(store.data_dir()), read_teams_here(), required=True)
    states = store.alert_states()
    lines = []
    for alert in config.alerts:
        body = states.get(alert.name)
        if body is None:
            lines.append(f"{alert.name}: not checked yet | {alert.condition} | {alert.scope}")
            continue
        value = "n/a" if body.get("value") is None else f"{body['value']:,.2f}"
        pending = len(body.get("pending", []))
        lines.append(f"{alert.name}: {body['state']} ({value}) since {when(body.get('since'))} | last change "
                     f"{when(body.get('changed'))} | {alert.condition} | {alert.scope}"
                     + (f" | {pending} deliveries to retry" if pending else ""))
    return lines or ["no alerts in the alerts file"]


def check_at_start(data_dir) -> str | None:
    """Why the alerts file (``METRICS_ALERTS`` or alerts.toml in ``data_dir``) cannot be used, or None
    when it can (or does not exist): the dashboard shows it as a notice."""
    from ..teams import TeamsError, read_teams, teams_path
    from .file import AlertsError, alerts_path, read_alerts
    try:
        read_alerts(alerts_path(data_dir), read_teams(teams_path(data_dir)))
    except (AlertsError, TeamsError) as e:
        return str(e)
    except Exception as e:            # never a failed start: any other failure is said on the page too
        return f"the alerts file cannot be checked ({type(e).__name__})"
    return None
