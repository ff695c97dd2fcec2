"""PagerDuty's incidents API (``GET /incidents`` pages) -> incident events."""
from __future__ import annotations

from pathlib import Path

from .... import schema as s
from ...report import RawRows
from ..common import (as_dict, count_skip, items_of, json_documents, raw_rows)


def pagerduty_reader(urgency: str | None = None):
    """A reader of PagerDuty incidents API JSON (``GET /incidents`` pages): each incident starts at
    ``created_at`` and, when its status is resolved, is resolved at ``resolved_at`` (or
    ``last_status_change_at``). Service: the incident's service summary (or id). With ``urgency``
    ("high" or "low"), incidents of the other urgency are skipped (many teams count only high-urgency
    pages as incidents). Numbered by incident."""
    def read(text: str, path: Path) -> RawRows:
        return read_pagerduty(text, path, urgency)
    return read


def read_pagerduty(text: str, path: Path, urgency: str | None = None) -> RawRows:
    """PagerDuty incidents, every urgency unless ``urgency`` is given (see ``pagerduty_reader``)."""
    docs = json_documents(text, path.name)
    # one incident (GET /incidents/ID: {"incident": {...}}) and Analytics raw incidents ({"data": [...]})
    singles = [d["incident"] for d in docs if isinstance(d, dict) and isinstance(d.get("incident"), dict)]
    analytics = [i for d in docs if isinstance(d, dict) and isinstance(d.get("data"), list) for i in d["data"]]
    pages = [d for d in docs if not (isinstance(d, dict) and (isinstance(d.get("incident"), dict)
                                                              or isinstance(d.get("data"), list)))]
    incidents = singles + [_from_analytics(i) for i in analytics] + \
        (items_of(pages, "incidents", path.name, "PagerDuty") if pages else [])
    return events_from_pagerduty(incidents, urgency)


def _from_analytics(raw) -> dict:
    """An Analytics raw incident (``POST /analytics/raw/incidents``) in the incidents API's shape:
    ``created_at``, ``resolved_at``, ``service_name`` / ``service_id``, ``urgency``."""
    if not isinstance(raw, dict):
        return raw
    return {"id": raw.get("id"), "created_at": raw.get("created_at"), "urgency": raw.get("urgency"),
            "status": "resolved" if raw.get("resolved_at") else "triggered", "resolved_at": raw.get("resolved_at"),
            "service": {"id": raw.get("service_id"), "summary": raw.get("service_name")}}


def events_from_pagerduty(incidents: list, urgency: str | None = None) -> RawRows:
    """PagerDuty incident objects as raw incident events, numbered by incident: the mapping
    ``import --from pagerduty``, the live sync and the webhooks share."""
    rows, numbers, bad, skipped = [], [], [], {}
    for number, inc in enumerate(incidents, start=1):
        if not isinstance(inc, dict):
            bad.append((number, f"not a JSON object ({type(inc).__name__})"))
            continue
        if urgency and inc.get("urgency") != urgency:
            count_skip(skipped, f"incidents not of --urgency {urgency} ({inc.get('urgency') or 'none'})")
            continue
        service = as_dict(inc.get("service"))
        base = {"service": service.get("summary") or service.get("id") or "",
                "incident_id": str(inc.get("id") or inc.get("incident_number") or "")}
        rows.append({**base, "ts": inc.get("created_at") or "", "kind": s.INCIDENT_START})
        numbers.append(number)
        if inc.get("status") == "resolved":
            rows.append({**base, "ts": inc.get("resolved_at") or inc.get("last_status_change_at") or "",
                         "kind": s.INCIDENT_RESOLVED})
            numbers.append(number)
    return raw_rows(rows, numbers, bad, "incident", skipped)
