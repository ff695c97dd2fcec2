"""Argo CD's live sync: ``GET {api_url}/api/v1/applications`` (or one application), each
application's history entries newer than the last sync's."""
from __future__ import annotations

import copy
import urllib.parse

from ...report import LoadError, RawRows
from ...sync.http import Client, SyncError
from ...sync.providers import Batch, parse_time
from ..common import as_dict
from .reader import applications_of, counts_as_production, events_from_argocd, history_id, unmatched_production

TOKEN = "ARGOCD_TOKEN"


def argocd_auth(environ) -> dict:
    """The request headers: ``Authorization: Bearer`` the token in ``ARGOCD_TOKEN`` (SyncError
    saying to set it when it is missing)."""
    token = str(environ.get(TOKEN, "")).strip()
    if not token:
        raise SyncError(f"set {TOKEN} in the environment to sync from argocd (tokens are never taken on the command line)")
    return {"Authorization": f"Bearer {token}"}


def argocd_batches(client: Client, source, state: dict, now: str):
    """One batch: every application (or the one ``source.target`` names) with only the history
    entries deployed since the last sync. The state keeps, per application, the newest
    ``deployedAt`` collected and the ids deployed at that very time (``deployed``), so entries of
    the same second are neither missed nor taken twice; the first sync starts at ``source.since``.

    The batch warns of syncs Argo CD dropped from an application's history before they were collected
    (it keeps the newest ``revisionHistoryLimit``, 10 by default) and of a ``--production`` that no
    synced application matches (judged on every application, not only those with new syncs)."""
    path = f"api/v1/applications/{urllib.parse.quote(source.target, safe='')}" if source.target else "api/v1/applications"
    body = client.get(path).body
    try:
        apps = applications_of([body], client.url(path))
    except LoadError:
        raise SyncError(f"{client.url(path)} did not answer with Argo CD applications") from None
    marks = state.setdefault("deployed", {})
    floor = parse_time(source.since)
    objects, warnings = [], []
    for app in apps:
        name = as_dict(as_dict(app).get("metadata")).get("name")
        history = as_dict(as_dict(app).get("status")).get("history")
        if isinstance(name, str) and not history:
            continue                                    # never synced: nothing to collect yet
        if not isinstance(name, str) or not isinstance(history, list):
            objects.append(app)                         # the mapping rejects it, saying why
            continue
        lost = dropped(history, marks.get(name))
        if lost:
            warnings.append(dropped_warning(name, *lost))
        new = [h for h in history if is_new(h, marks.get(name), floor)]
        marks[name] = newest_mark(history, marks.get(name))
        if new:
            objects.append({**app, "status": {**app["status"], "history": new}})
    synced = [app for app in apps if isinstance(app, dict) and as_dict(app.get("status")).get("history")]
    production = source.option("production")
    if production and synced and not any(counts_as_production(app, production) for app in synced):
        warnings.append(unmatched_production(production))
    yield Batch(objects, copy.deepcopy(state), f"{len(objects)} applications with new syncs", tuple(warnings))


def dropped(history: list, mark: dict | None) -> tuple[int, int] | None:
    """The first and last id of the syncs that left ``history`` after ``mark`` was taken and before
    they were collected, or None. Argo CD numbers an application's syncs one after another, so when
    the oldest id kept is more than one past the highest collected, the ids between are lost."""
    collected = [int(i) for i in (mark or {}).get("ids", ()) if str(i).isdigit()]
    kept = [int(i) for i in (history_id(h) for h in history if isinstance(h, dict)) if i is not None]
    if collected and kept and min(kept) > max(collected) + 1:
        return max(collected) + 1, min(kept) - 1
    return None


def dropped_warning(name: str, first: int, last: int) -> str:
    """The warning for an application's syncs ``first`` to ``last`` lost from its history."""
    count = last - first + 1
    which = f"1 sync (history id {first}) was" if count == 1 else f"{count} syncs (history ids {first} to {last}) were"
    return (f"application {name[:60]!r}: {which} dropped from Argo CD's history before this sync (it keeps the last "
            f"revisionHistoryLimit syncs, 10 by default) and cannot be collected: sync more often")


def is_new(entry, mark: dict | None, floor) -> bool:
    """Whether a history entry is yet to be collected: deployed after the mark (or at it, with an id
    not collected), at or after ``floor``. An entry without a readable time goes to the mapping,
    which rejects it with its reason."""
    moment = parse_time(entry.get("deployedAt")) if isinstance(entry, dict) else None
    if moment is None:
        return True
    if floor is not None and moment < floor:
        return False
    at = parse_time(mark["at"]) if mark else None
    return at is None or moment > at or (moment == at and history_id(entry) not in mark["ids"])


def newest_mark(history: list, mark: dict | None) -> dict | None:
    """The newest ``deployedAt`` of ``history`` and the ids deployed then (an entry of that time no
    longer in the history cannot come back), or the old mark when it is newer."""
    stamped = [(parse_time(h.get("deployedAt")), history_id(h)) for h in history if isinstance(h, dict)]
    stamped = [(t, i) for t, i in stamped if t is not None and i is not None]
    if not stamped:
        return mark
    newest = max(t for t, _ in stamped)
    at = parse_time(mark["at"]) if mark else None
    if at is not None and at > newest:
        return mark
    return {"at": newest.isoformat(), "ids": sorted({i for t, i in stamped if t == newest})}


def argocd_events(source, objects: list) -> RawRows:
    """The events of fetched applications, as ``import --from argocd --production`` maps them. The
    mapping's warning about ``--production`` is left to the batch: these are only the applications
    with new syncs."""
    return events_from_argocd(objects, source.option("production") or None)._replace(warnings=())
