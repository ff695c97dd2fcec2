"""PagerDuty's live sync: incidents by creation time from the stored watermark, and the ones still
open fetched again until they are resolved."""
from __future__ import annotations

from datetime import timedelta

from ....registry.source import Option, SyncSpec
from ...sync.http import Client, token_from
from ...sync.providers import PER_PAGE, Batch, iso, parse_time, recheck_open, snapshot
from .reader import events_from_pagerduty

API_URL = "https://api.pagerduty.com"
TOKEN = "PAGERDUTY_TOKEN"
PAGERDUTY_MAX_RANGE_DAYS = 179          # PagerDuty's incidents list spans at most 6 months per query


def auth(environ) -> dict:
    """The request headers: the token of ``PAGERDUTY_TOKEN`` and the API version."""
    return {"Authorization": f"Token token={token_from(environ, TOKEN, 'pagerduty')}",
            "Accept": "application/vnd.pagerduty+json;version=2"}


def events(source, objects: list):
    """The synced incidents as raw rows, mapped as ``import --from pagerduty`` maps them."""
    return events_from_pagerduty(objects)


def pagerduty(client: Client, source, state: dict, now: str):
    """Batches of PagerDuty incidents: ``/incidents`` by creation time from the watermark to now
    in ranges of at most 179 days, offset/limit pages while ``more``; incidents not resolved when
    last seen are fetched again (``/incidents/ID``) until they are."""
    objects, still_open = recheck_open(state, "incidents",
                                       lambda key: (client.get(f"incidents/{key}").body or {}).get("incident") or {},
                                       lambda incident: ([incident], incident.get("status") != "resolved"))
    opened = state["open"]
    if objects:
        yield Batch(objects, snapshot(state), "open incidents")
    marks = state.setdefault("watermark", {})
    start = parse_time(marks.get("incidents") or source.since)
    end = parse_time(now)
    while start < end:
        stop = min(start + timedelta(days=PAGERDUTY_MAX_RANGE_DAYS), end)
        offset, page_no = 0, 0
        while True:
            page_no += 1
            params = {"since": iso(start), "until": iso(stop), "limit": PER_PAGE, "offset": offset,
                      "time_zone": "UTC", "sort_by": "created_at:asc", "service_ids[]": list(source.option("service_ids")) or None}
            body = client.get("incidents", params).body or {}
            incidents = [i for i in body.get("incidents", []) if isinstance(i, dict)]
            for incident in incidents:
                if incident.get("status") != "resolved":
                    still_open.add(str(incident.get("id")))
            opened["incidents"] = sorted(still_open)
            more = bool(body.get("more")) and incidents
            if not more:
                marks["incidents"] = iso(stop)
            yield Batch(incidents, snapshot(state), f"incidents {iso(start)[:10]} page {page_no}")
            if not more:
                break
            offset += len(incidents)
        start = stop


SYNC = SyncSpec(credentials=(TOKEN,), auth=auth, batches=pagerduty, events=events, api_url=API_URL,
                options=(Option("service_ids", "only incidents of this service, repeatable", default_help="every service",
                                kind="repeat", default=(), metavar="ID", flag="--service-id"),),
                key_option="service_ids")
