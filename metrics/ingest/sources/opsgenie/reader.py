"""Opsgenie incidents and alerts (``GET /v1/incidents``, ``GET /v2/alerts``; list pages
``{"data": [...], "paging": {...}}`` or one object ``{"data": {...}}``) -> incident events.

Timing comes from the ISO timestamps only (the alert report's durations have no documented unit):
an incident or alert starts at ``createdAt``; when its status is ``resolved`` or ``closed`` it
is resolved at ``updatedAt``, its last change (for a closed item, its closing). Service: the
incident's first impacted service, or the alert's ``entity``, else its ``source``
(``--service`` sets it for every event).
"""
from __future__ import annotations

from pathlib import Path

from .... import schema as s
from ...report import LoadError, RawRows
from ..common import count_skip, items_of, json_documents, raw_rows

CLOSED = ("resolved", "closed")


def opsgenie_reader():
    """A reader of Opsgenie incident or alert exports (see the module's docstring)."""
    def read_opsgenie(text: str, path: Path) -> RawRows:
        docs = json_documents(text, path.name)
        singles = [d["data"] for d in docs if isinstance(d, dict) and isinstance(d.get("data"), dict)]
        listed = [d for d in docs if not (isinstance(d, dict) and isinstance(d.get("data"), dict))]
        try:
            records = singles + items_of(listed, "data", path.name, "Opsgenie")
        except LoadError:
            raise LoadError(f"{path.name}: expected Opsgenie pages with a list under 'data', "
                            f"or an object under 'data'") from None
        return events_from_opsgenie(records)
    return read_opsgenie


def events_from_opsgenie(records: list) -> RawRows:
    """Opsgenie incident or alert objects as raw incident events, numbered by record: the mapping
    ``import --from opsgenie`` and the live sync share."""
    rows, numbers, bad, skipped = [], [], [], {}
    for number, r in enumerate(records, start=1):
        if not isinstance(r, dict):
            bad.append((number, f"not a JSON object ({type(r).__name__})"))
            continue
        if "createdAt" not in r or "status" not in r:
            bad.append((number, "not an Opsgenie incident or alert (no createdAt or status)"))
            continue
        services = r.get("impactedServices")
        service = (services[0] if isinstance(services, list) and services else "") or r.get("entity") or \
            r.get("source") or ""
        base = {"service": str(service), "incident_id": str(r.get("id") or r.get("tinyId") or "")}
        rows.append({**base, "ts": r.get("createdAt") or "", "kind": s.INCIDENT_START})
        numbers.append(number)
        if str(r.get("status")).lower() in CLOSED:
            rows.append({**base, "ts": r.get("updatedAt") or "", "kind": s.INCIDENT_RESOLVED})
            numbers.append(number)
        else:
            count_skip(skipped, "open incidents and alerts (their start is stored; no resolution yet)")
    return raw_rows(rows, numbers, bad, "record", skipped)
