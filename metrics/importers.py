"""Readers that turn other tools' exports into the canonical events of METRICS.md section 1.

Each reader has the signature of ``events.read_events_file``: file text in; raw rows, their
record numbers, unreadable records and the unit that numbers them out. ``events.load_events``
then validates them exactly like an event file, with the same load report.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as s
from .events import LoadError


def json_documents(text: str, name: str) -> list:
    """Every JSON document in the text: one, or several written one after another (as paginating
    exports save them)."""
    decoder, docs, at = json.JSONDecoder(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return docs
        try:
            doc, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as e:
            raise LoadError(f"{name}: invalid JSON at line {e.lineno} ({e.msg})") from None
        docs.append(doc)


def _items(docs: list, key: str, name: str) -> list:
    """The objects under ``key`` of every page, or the objects themselves when a document is a list of them."""
    items = []
    for doc in docs:
        for part in doc if isinstance(doc, list) else [doc]:
            if isinstance(part, dict) and isinstance(part.get(key), list):
                items.extend(part[key])
            elif isinstance(part, dict) and key not in part:
                items.append(part)
            else:
                raise LoadError(f"{name}: expected PagerDuty pages with an '{key}' array, or a list of {key}")
    return items


def read_pagerduty(text: str, path: Path) -> tuple[pd.DataFrame, np.ndarray, list, str]:
    """PagerDuty incidents API JSON (``GET /incidents`` pages): each incident starts at
    ``created_at`` and, when its status is resolved, is resolved at ``resolved_at`` (or
    ``last_status_change_at``). Service: the incident's service summary (or id). Numbered by incident."""
    incidents = _items(json_documents(text, path.name), "incidents", path.name)
    rows, numbers, bad = [], [], []
    for number, inc in enumerate(incidents, start=1):
        if not isinstance(inc, dict):
            bad.append((number, f"not a JSON object ({type(inc).__name__})"))
            continue
        service = inc.get("service") if isinstance(inc.get("service"), dict) else {}
        base = {"service": service.get("summary") or service.get("id") or "",
                "incident_id": str(inc.get("id") or inc.get("incident_number") or "")}
        rows.append({**base, "ts": inc.get("created_at") or "", "kind": s.INCIDENT_START})
        numbers.append(number)
        if inc.get("status") == "resolved":
            rows.append({**base, "ts": inc.get("resolved_at") or inc.get("last_status_change_at") or "",
                         "kind": s.INCIDENT_RESOLVED})
            numbers.append(number)
    raw = pd.DataFrame(rows) if rows else pd.DataFrame({c: [] for c in s.COLUMNS})
    return raw, np.asarray(numbers, dtype=np.int64), bad, "incident"


READERS = {"pagerduty": read_pagerduty}
