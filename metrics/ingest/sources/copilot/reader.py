"""GitHub Copilot's usage metrics reports -> the assistant's daily usage events.

GitHub's current Copilot usage metrics API (``GET /orgs/ORG/copilot/metrics/reports/organization-1-day
?day=DAY``, ``.../organization-28-day/latest``, and the enterprise's alike) answers with signed
``download_links`` to NDJSON report files; the old ``/copilot/metrics`` endpoints were retired. A
report file holds one record per organization or enterprise with its ``day_totals`` (one object a
day), or day records themselves (``day`` and the totals at the top). Each day's totals become
team-level events at the day's start (UTC), one per field of ``FIELDS`` the day carries (a field the
day lacks makes no event); ``--service`` names the team (default ``team``). Per-user records
(``user_login``) are skipped and counted: the organization's report holds the team's totals. A day
given by several records of one file (a report split in files, a 1-day and a 28-day report) takes
each field from the last record that gives it; a day given again is counted.
"""
from __future__ import annotations

from pathlib import Path

from .... import schema as s
from ...report import LoadError, RawRows
from ..common import count_skip, json_documents, raw_rows

TEAM_SERVICE = "team"
# report field (a path into a day's totals) -> event kind: the mapping docs/metrics.md's table shows
FIELDS = (
    (("daily_active_users",), s.AI_ACTIVE_USERS),
    (("weekly_active_users",), s.AI_WEEKLY_ACTIVE_USERS),
    (("code_generation_activity_count",), s.AI_SUGGESTIONS),
    (("code_acceptance_activity_count",), s.AI_ACCEPTANCES),
    (("pull_requests", "total_created_by_copilot"), s.AI_PRS_CREATED),
    (("pull_requests", "total_merged_created_by_copilot"), s.AI_PRS_MERGED),
    (("pull_requests", "total_reviewed_by_copilot"), s.AI_PRS_REVIEWED),
)
REPEATED = "days given again in the file (each field: the last record's number kept)"
PER_USER = "per-user records (the organization or enterprise report holds the team's totals)"


def copilot_reader(service: str = TEAM_SERVICE):
    """A reader of Copilot usage metrics report files (see the module's docstring)."""
    def read(text: str, path: Path) -> RawRows:
        docs = json_documents(text, path.name)
        if any(isinstance(d, dict) and "download_links" in d for d in docs):
            raise LoadError(f"{path.name} is the API's answer with download links, not a report: download the "
                            f"files its download_links name and import those")
        records = [r for d in docs for r in (d if isinstance(d, list) else [d])]
        return events_from_copilot(records, service)
    return read


def day_records(records: list) -> tuple[list, list, dict]:
    """The day objects of report records, each with its record's number: (numbers, days, skipped),
    plus the records that are not objects as (number, reason) in ``skipped["bad"]``."""
    numbers, days, skipped, bad = [], [], {}, []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            bad.append((number, f"not a JSON object ({type(record).__name__})"))
        elif "user_login" in record or "user_id" in record:
            count_skip(skipped, PER_USER)
        elif isinstance(record.get("day_totals"), list):
            for day in record["day_totals"]:
                if isinstance(day, dict):
                    numbers.append(number)
                    days.append(day)
                else:
                    bad.append((number, f"a day_totals item is not a JSON object ({type(day).__name__})"))
        elif "day" in record:
            numbers.append(number)
            days.append(record)
        else:
            bad.append((number, "neither a report record with day_totals nor a day record with day"))
    return numbers, days, {"skipped": skipped, "bad": bad}


def events_from_copilot(records: list, service: str = TEAM_SERVICE) -> RawRows:
    """Copilot usage report records as raw team-level events, numbered by record: the mapping
    ``import --from copilot`` and the live sync share."""
    numbers, days, found = day_records(records)
    skipped, bad = found["skipped"], found["bad"]
    kept, again = {}, set()                         # (day, kind) -> (record number, value, ts); days given again
    for number, totals in zip(numbers, days):
        stamp = totals.get("day")
        ts = f"{stamp}T00:00:00Z" if isinstance(stamp, str) and len(stamp) == 10 else stamp
        for path, kind in FIELDS:
            value = totals
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if value is None:
                continue
            key = (str(stamp), kind)
            if key in kept:
                again.add(str(stamp))
            kept[key] = (number, value, "" if ts is None else ts)
    for _ in again:
        count_skip(skipped, REPEATED)
    rows, row_numbers = [], []
    for (_, kind), (number, value, ts) in kept.items():
        rows.append({"ts": ts, "kind": kind, "service": service, "metric_value": value})
        row_numbers.append(number)
    return raw_rows(rows, row_numbers, bad, "record", skipped)
