"""Acting on the numbers: alerts, weekly digests and their schedule (issue 28).

``file``: the alerts file (``alerts.toml``: ``[[alert]]``, ``[notifiers]``, ``[[digest]]``,
``[schedule]``), read and checked (``read_alerts``, ``AlertsError``). ``notify``: delivery through
Apprise (``Target``, ``send``, ``shown``: a URL as scheme and host only). ``check``: each alert's
value, state (ok, firing, unknown), hysteresis and messages (``run_check``). ``digest``: a team's
weekly summary as text and HTML (``build_digest``). ``schedule``: the cron loop (``Scheduler``)."""
from __future__ import annotations

from ..lazy import names_from

__all__ = ["AlertsError", "Alert", "AlertsFile", "alerts_path", "read_alerts", "run_check", "states_lines",
           "check_at_start"]

__getattr__ = names_from(__name__, {"file": ("AlertsError", "Alert", "AlertsFile", "alerts_path", "read_alerts"),
                                    "check": ("run_check",), "states": ("states_lines", "check_at_start")})
