"""GitHub Copilot's live sync (``sync copilot --org ORG``): the organization's daily usage metrics
reports, day by day from the stored watermark to yesterday.

For each day, ``GET /orgs/ORG/copilot/metrics/reports/organization-1-day?day=DAY`` answers with
``download_links``, signed URLs of the report's NDJSON files; each file is downloaded without the
token (the links are signed, and the token never goes to another host) and its records are mapped
as ``import --from copilot`` maps a file. Reports exist from 2025-10-10 and for a year back, so
the first day is the latest of those and ``since``. A day whose report is not ready yet (no links,
or a 404 after the first day) ends the sync there: the next sync asks for it again. The state keeps
``watermark.days``, the last day stored."""
from __future__ import annotations

import json
import urllib.parse
from datetime import date, timedelta

from ....registry.source import Option, SyncSpec
from ...sync.http import Client, SyncError, token_from
from ...sync.providers import Batch, parse_time, snapshot
from ..github.sync import API_URL, TOKEN, organisation
from .reader import events_from_copilot

FIRST_REPORT_DAY = date(2025, 10, 10)        # GitHub's first Copilot usage metrics report
HISTORY_DAYS = 365                           # how far back the reports go


def auth(environ) -> dict:
    """The request headers: the token of ``GITHUB_TOKEN`` and the API version."""
    return {"Authorization": f"Bearer {token_from(environ, TOKEN, 'copilot')}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28"}


def ndjson_array(raw: bytes) -> bytes:
    """An NDJSON file's lines as one JSON array (an empty line skipped), so the client decodes it
    as JSON; a line that is not JSON leaves the whole not JSON (the client says so)."""
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    return b"[" + b",".join(lines) + b"]"


class ReportFiles(Client):
    """A client of the signed report URLs: no token in its headers, each NDJSON file answered as a
    JSON array of its records; rate limits, retries and errors as every other request's."""

    def _send(self, url: str) -> tuple[int, dict, bytes]:
        status, headers, raw = super()._send(url)
        return status, headers, ndjson_array(raw) if status == 200 else raw


def first_day(since: str | None, today: date) -> date:
    """The first day to ask for: ``since``'s day, but not before the first report nor a year back."""
    moment = parse_time(since)
    start = moment.date() if moment is not None else FIRST_REPORT_DAY
    return max(start, FIRST_REPORT_DAY, today - timedelta(days=HISTORY_DAYS))


def copilot_batches(client: Client, source, state: dict, now: str):
    """A batch per day: the organization's 1-day report records (see the module's docstring)."""
    org = urllib.parse.quote(str(source.target), safe="")
    path = f"orgs/{org}/copilot/metrics/reports/organization-1-day"
    today = parse_time(now).date()
    marks = state.setdefault("watermark", {})
    done = marks.get("days")
    day = date.fromisoformat(done) + timedelta(days=1) if done else first_day(source.since, today)
    files = ReportFiles("", {}, notify=client.notify, sleep=client.sleep, clock=client.clock)
    asked = 0
    while day < today:
        try:
            body = client.get(path, {"day": day.isoformat()}).body
        except SyncError as e:
            if e.status == 404 and asked:
                return                              # not ready yet: asked again next time
            raise
        asked += 1
        links = body.get("download_links") if isinstance(body, dict) else None
        if not isinstance(links, list) or not all(isinstance(link, str) and link.startswith(("https://", "http://"))
                                                  for link in links):
            raise SyncError(f"{client.url(path)} did not answer with a report's download_links")
        if not links:
            return
        records = []
        for link in links:
            got = files.get(link).body
            records += got if isinstance(got, list) else [got]
        marks["days"] = day.isoformat()
        yield Batch(records, snapshot(state), f"report of {day.isoformat()}")
        day += timedelta(days=1)


def events(source, objects: list):
    """The synced report records as raw rows, mapped as ``import --from copilot`` maps them."""
    return events_from_copilot(objects)


SYNC = SyncSpec(credentials=(TOKEN,), auth=auth, batches=copilot_batches, events=events, api_url=API_URL,
                target=Option("org", "the organisation whose Copilot usage reports are synced", metavar="ORG",
                              check=organisation),
                target_required=True)
