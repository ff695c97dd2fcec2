"""incident.io incidents (``GET /v2/incidents`` pages) -> incident events.

The file is what the API returns, saved page after page (``{"incidents": [...], "pagination_meta":
{"after": "...", "page_size": 25, "total_record_count": 238}}``), one incident (``GET
/v2/incidents/{id}``: ``{"incident": {...}}``), or a JSON list of incidents.

An incident starts at its ``start_timestamp`` (default "Reported at": when it was reported; set by
hand on a retrospective incident, whose ``created_at`` is the day it was written down), else at
``created_at``. Its ``incident_status.category`` says what it is: ``live`` and ``paused`` are open
(a start only); ``learning`` (the post-incident flow: impact over) and ``closed`` are resolved, at
its ``resolved_timestamp`` (default "Resolved at"); ``triage``, ``declined``, ``merged`` and
``canceled`` are not incidents (never accepted, or counted under another) and are skipped and
counted, as are ``mode`` ``test`` and ``tutorial`` incidents. Timestamps are the incident's
``incident_timestamp_values`` (``{"incident_timestamp": {"name": ...}, "value": {"value": ...}}``),
found by name in any case: organisations rename and add them. ``incident_id`` is the reference
("INC-123"), else the id. The service is the first value of the custom field ``service_field``
(default "Affected services", the catalog-backed field incident.io's service catalog fills; its
name in any case, or its id): a catalog entry's name, an option's value, or a text.
"""
from __future__ import annotations

from pathlib import Path

from .... import schema as s
from ...report import LoadError, RawRows
from ..common import as_dict, count_skip, json_documents, raw_rows

DEFAULT_SERVICE_FIELD = "Affected services"
DEFAULT_START_TIMESTAMP = "Reported at"
DEFAULT_RESOLVED_TIMESTAMP = "Resolved at"
OPEN = ("live", "paused")                                    # incident_status.category of an open incident
RESOLVED = ("learning", "closed")                            # ... of one whose impact is over
NOT_INCIDENTS = ("triage", "declined", "merged", "canceled")  # ... of what never became an incident of its own
NOT_REAL = ("test", "tutorial")                              # mode of a practice incident


def incident_io_reader(service_field: str = DEFAULT_SERVICE_FIELD, default_service: str | None = None,
                       start_timestamp: str = DEFAULT_START_TIMESTAMP,
                       resolved_timestamp: str = DEFAULT_RESOLVED_TIMESTAMP):
    """A reader of incident.io incident pages (see the module's docstring)."""
    def read(text: str, path: Path) -> RawRows:
        return events_from_incidents(incidents_of(json_documents(text, path.name), path.name), service_field,
                                     default_service, start_timestamp, resolved_timestamp)
    return read


def is_incident(value) -> bool:
    return isinstance(value, dict) and "incident_status" in value


def incidents_of(docs: list, name: str) -> list:
    """The incidents of every saved page (or single incident, or list of incidents); LoadError when a
    document is none of these (a page or list holding no incident at all is another tool's)."""
    incidents = []
    for doc in docs:
        listed = doc.get("incidents") if isinstance(doc, dict) else doc
        if isinstance(doc, dict) and is_incident(doc.get("incident")):
            incidents.append(doc["incident"])
        elif isinstance(listed, list) and (not listed or any(is_incident(i) for i in listed)):
            incidents.extend(listed)
        else:
            raise LoadError(f"{name}: not incident.io incidents (expected GET /v2/incidents pages with a list "
                            f"under 'incidents', an object under 'incident', or a list of incidents)")
    return incidents


def listed(value) -> list:
    """``value`` when it is a JSON list, else none (a field left out, null or of another shape)."""
    return value if isinstance(value, list) else []


def timestamps(incident: dict) -> dict:
    """The incident's timestamps that have a value: lower-cased name -> value (the first of a name)."""
    found = {}
    for entry in listed(incident.get("incident_timestamp_values")):
        entry = as_dict(entry)
        name, value = as_dict(entry.get("incident_timestamp")).get("name"), as_dict(entry.get("value")).get("value")
        if isinstance(name, str) and value not in (None, ""):
            found.setdefault(name.strip().lower(), value)
    return found


def service_of(incident: dict, field: str) -> str:
    """The first value of the custom field ``field`` (its name in any case, or its id) that names
    something: a catalog entry's name, an option's value or a text; "" when none does."""
    wanted = field.strip().lower()
    for entry in listed(incident.get("custom_field_entries")):
        custom = as_dict(as_dict(entry).get("custom_field"))
        if wanted not in (str(custom.get("name", "")).strip().lower(), str(custom.get("id", "")).strip().lower()):
            continue
        for value in listed(as_dict(entry).get("values")):
            value = as_dict(value)
            for name in (as_dict(value.get("value_catalog_entry")).get("name"),
                         as_dict(value.get("value_option")).get("value"), value.get("value_text")):
                if isinstance(name, str) and name.strip():
                    return name.strip()
    return ""


def events_from_incidents(incidents: list, service_field: str = DEFAULT_SERVICE_FIELD,
                          default_service: str | None = None, start_timestamp: str = DEFAULT_START_TIMESTAMP,
                          resolved_timestamp: str = DEFAULT_RESOLVED_TIMESTAMP) -> RawRows:
    """incident.io incident objects as raw incident events, numbered by incident (see the module's docstring)."""
    rows, numbers, bad, skipped = [], [], [], {}
    for number, inc in enumerate(incidents, start=1):
        if not isinstance(inc, dict):
            bad.append((number, f"not a JSON object ({type(inc).__name__})"))
            continue
        mode = inc.get("mode")
        if mode in NOT_REAL:
            count_skip(skipped, f"{mode} incidents (mode {mode}: practice, not incidents)")
            continue
        category = as_dict(inc.get("incident_status")).get("category")
        if not isinstance(category, str):
            bad.append((number, "no incident_status.category (not an incident.io incident)"))
            continue
        category = category.strip().lower()
        if category in NOT_INCIDENTS:
            count_skip(skipped, f"{category} incidents (status category {category}: not incidents)")
            continue
        if category not in OPEN + RESOLVED:
            bad.append((number, f"unknown incident_status.category {category[:40]!r} "
                                f"(known: {', '.join(OPEN + RESOLVED + NOT_INCIDENTS)})"))
            continue
        reference = inc.get("reference") or inc.get("id")
        stamps = timestamps(inc)
        start = stamps.get(start_timestamp.strip().lower(), inc.get("created_at"))
        if not isinstance(reference, str) or not reference.strip():
            bad.append((number, "no reference or id"))
            continue
        if start in (None, ""):
            bad.append((number, f"no created_at (and no {start_timestamp.strip()!r} timestamp)"))
            continue
        base = {"service": service_of(inc, service_field) or default_service or "", "incident_id": reference.strip()}
        rows.append({**base, "ts": start, "kind": s.INCIDENT_START})
        numbers.append(number)
        if category in RESOLVED:
            resolved = stamps.get(resolved_timestamp.strip().lower())
            if resolved is None:
                bad.append((number, f"{category}, but its {resolved_timestamp!r} timestamp is not set (its start is "
                                    f"kept; the resolved-timestamp option names another)"))
                continue
            rows.append({**base, "ts": resolved, "kind": s.INCIDENT_RESOLVED})
            numbers.append(number)
    return raw_rows(rows, numbers, bad, "incident", skipped)
