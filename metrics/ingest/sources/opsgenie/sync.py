"""Opsgenie's live sync: incidents created after the stored watermark, and the ones still open
fetched again until they are closed."""
from __future__ import annotations

from ....registry.source import Option, SyncSpec
from ...sync.http import Client, token_from
from ...sync.providers import PER_PAGE, Batch, later, parse_time, recheck_open, snapshot
from .reader import events_from_opsgenie

OPSGENIE_HOSTS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
DEFAULT_REGION = "us"
TOKEN = "OPSGENIE_API_KEY"


def auth(environ) -> dict:
    """The request headers: the key of ``OPSGENIE_API_KEY``."""
    return {"Authorization": f"GenieKey {token_from(environ, TOKEN, 'opsgenie')}"}


def api_url_for(options: dict) -> str:
    """The API of the account's ``region`` (us unless it says eu)."""
    return OPSGENIE_HOSTS[options.get("region") or DEFAULT_REGION]


def events(source, objects: list):
    """The synced incidents as raw rows, mapped as ``import --from opsgenie`` maps them."""
    return events_from_opsgenie(objects)


def opsgenie(client: Client, source, state: dict, now: str):
    """Batches of Opsgenie incidents (``/v1/incidents``, ``createdAt`` after the watermark, oldest
    first, following ``paging.next``); incidents still open are fetched again until closed."""
    objects, still_open = recheck_open(
        state, "incidents",
        lambda key: (client.get(f"v1/incidents/{key}", {"identifierType": "id"}).body or {}).get("data") or {},
        lambda incident: ([incident], str(incident.get("status")) not in ("resolved", "closed")))
    opened = state["open"]
    if objects:
        yield Batch(objects, snapshot(state), "open incidents")
    marks = state.setdefault("watermark", {})
    after = parse_time(marks.get("incidents") or source.since)
    query = f"createdAt>{int(after.timestamp() * 1000)}"
    reply = client.get("v1/incidents", {"query": query, "sort": "createdAt", "order": "asc", "limit": PER_PAGE,
                                        "offset": 0})
    page_no = 0
    while True:
        page_no += 1
        body = reply.body if isinstance(reply.body, dict) else {}
        incidents = [i for i in body.get("data", []) if isinstance(i, dict)]
        for incident in incidents:
            if str(incident.get("status")) not in ("resolved", "closed"):
                still_open.add(str(incident.get("id")))
            marks["incidents"] = later(marks.get("incidents"), incident.get("createdAt"))
        opened["incidents"] = sorted(still_open)
        yield Batch(incidents, snapshot(state), f"incidents page {page_no}")
        nxt = (body.get("paging") or {}).get("next")
        if not nxt or not incidents:
            return
        reply = client.get(nxt)


SYNC = SyncSpec(credentials=(TOKEN,), auth=auth, batches=opsgenie, events=events, api_url=OPSGENIE_HOSTS[DEFAULT_REGION],
                api_url_for=api_url_for,
                options=(Option("region", "the account's region", kind="choice", choices=tuple(OPSGENIE_HOSTS),
                                default=DEFAULT_REGION),))
