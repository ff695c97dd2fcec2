"""What each live connector fetches, page by page, and how it picks up where the last sync stopped.

Every provider is a generator of ``Batch``es: the provider objects of one page (pull requests and
their reviews, deployments and their statuses, incidents...) and the sync state that holds once
those objects are stored. The caller stores each batch's events and its state in one transaction,
so a sync killed at any point resumes from the last stored batch and loses nothing.

The state of a source is a small JSON object:
- ``watermark``: per stream, the newest ``updated_at`` (or creation time) fully collected; the next
  sync asks only for what changed since (newest first, stopping at the watermark);
- ``walk``: per stream, the walk under way (when it started, how far down it has stored), so a
  resumed walk skips what it already stored;
- ``open``: ids still open when last seen (deployments without a final status, unfinished workflow
  runs, unresolved incidents), fetched again on every sync until they close.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .http import Client, SyncError

PER_PAGE = 100
PAGERDUTY_MAX_RANGE_DAYS = 179          # PagerDuty's incidents list spans at most 6 months per query
OPSGENIE_HOSTS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}


@dataclass
class Batch:
    """One page's provider objects, which mapping turns into events, and the state once stored."""

    objects: list
    state: dict
    what: str = ""                                  # for the progress line: "pull requests page 3"


@dataclass
class Options:
    """Where and what to fetch; ``since`` bounds the first sync's backfill (ISO date-time, UTC)."""

    since: str
    full: bool = False
    deploy_workflow: str = "*deploy*"
    service_ids: tuple = ()
    extra: dict = field(default_factory=dict)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _later(a: str | None, b: str | None) -> str | None:
    """The later of two ISO times (either may be missing)."""
    ta, tb = parse_time(a), parse_time(b)
    if ta is None:
        return b if tb is not None else None
    return a if tb is None or ta >= tb else b


class NewestFirstWalk:
    """A walk over a list sorted newest first by ``key`` (``updated_at``), stopping at the
    watermark, resumable: items between where a killed walk started and where it stopped are
    skipped, so a resumed walk fetches their details only once."""

    def __init__(self, state: dict, stream: str, floor: str, now: str):
        self.state, self.stream = state, stream
        walks = state.setdefault("walk", {})
        self.walk = walks.get(stream) or {"started": now, "stored_down_to": None, "newest": None}
        walks[stream] = self.walk
        self.floor = parse_time(state.get("watermark", {}).get(stream) or floor)

    def keep(self, stamp, ident=None) -> str:
        """``"take"`` (fetch and store it), ``"skip"`` (stored already: by the walk being resumed, or
        the item the watermark was taken from) or ``"stop"`` (older than the watermark: the walk is
        over). The watermark is inclusive, so items updated in the same second are not missed."""
        moment = parse_time(stamp)
        if moment is None:
            return "take"
        if moment < self.floor:
            return "stop"
        if moment == self.floor and str(ident) in self.state.get("watermark_ids", {}).get(self.stream, []):
            return "skip"
        started, down_to = parse_time(self.walk["started"]), parse_time(self.walk["stored_down_to"])
        if down_to is not None and down_to <= moment <= started:
            return "skip"
        return "take"

    def stored(self, items) -> None:
        """A page is stored down to its oldest item's time; ``items`` are (time, id) pairs."""
        items = [(t, str(i)) for t, i in items if parse_time(t) is not None]
        if not items:
            return
        oldest = min((t for t, _ in items), key=parse_time)
        newest = max((t for t, _ in items), key=parse_time)
        self.walk["stored_down_to"] = oldest if self.walk["stored_down_to"] is None else \
            min(oldest, self.walk["stored_down_to"], key=parse_time)
        if self.walk["newest"] is None or parse_time(newest) > parse_time(self.walk["newest"]):
            self.walk["newest"], self.walk["newest_ids"] = newest, []
        if parse_time(newest) == parse_time(self.walk["newest"]):
            self.walk.setdefault("newest_ids", []).extend(i for t, i in items if parse_time(t) == parse_time(newest))

    def finish(self) -> None:
        """The walk reached the watermark: the newest time seen (and the items at it) become the
        next watermark."""
        newest = self.walk.get("newest")
        marks = self.state.setdefault("watermark", {})
        ids = self.state.setdefault("watermark_ids", {})
        if newest is not None and (marks.get(self.stream) is None or
                                   parse_time(newest) > parse_time(marks[self.stream])):
            marks[self.stream], ids[self.stream] = newest, sorted(set(self.walk.get("newest_ids", [])))
        elif newest is not None and parse_time(newest) == parse_time(marks[self.stream]):
            ids[self.stream] = sorted(set(ids.get(self.stream, [])) | set(self.walk.get("newest_ids", [])))
        marks.setdefault(self.stream, self.walk["started"] if newest is None else newest)
        self.state["walk"].pop(self.stream, None)

    def pages(self, replies, stamp, take):
        """Each page's objects, walking ``replies`` (pages of a list, newest first) down to the
        watermark: ``stamp(item)`` is an item's (time, id), ``take(item)`` the objects to store
        for an item not stored yet. A page is yielded once the walk has recorded it; the last one
        (older than the watermark, empty, or without a next page) finishes the walk first."""
        for reply in replies:
            items = reply.body if isinstance(reply.body, list) else []
            objects, stamps, stop = [], [], False
            for item in items:
                when, ident = stamp(item)
                verdict = self.keep(when, ident)
                if verdict == "stop":
                    stop = True
                    break
                stamps.append((when, ident))
                if verdict == "take":
                    objects += take(item)
            self.stored(stamps)
            done = stop or not items or not reply.link("next")
            if done:
                self.finish()
            yield objects
            if done:
                return


def _copy(state: dict) -> dict:
    import json
    return json.loads(json.dumps(state))


def recheck_open(state: dict, stream: str, fetch, settle) -> tuple[list, set]:
    """Fetch again each id of ``stream`` still open at the last sync (``state["open"][stream]``):
    ``fetch(id)`` gets the object (an id the API no longer knows, a SyncError, was deleted since
    and is dropped), ``settle(object)`` gives (the objects to map, whether it is still open).
    Returns the objects and the set of ids still open, which the state keeps (the walk that
    follows adds the newly open ones to it)."""
    opened = state.setdefault("open", {})
    still_open = set(opened.get(stream, []))
    objects = []
    for key in sorted(still_open):
        try:
            found = fetch(key)
        except SyncError:
            still_open.discard(key)
            continue
        found, is_open = settle(found)
        if not is_open:
            still_open.discard(key)
        objects += found
    opened[stream] = sorted(still_open)
    return objects, still_open


# ---------------------------------------------------------------------------------------------
# GitHub: pull requests and reviews, deployments and statuses, Actions workflow runs


def github(client: Client, repo: str, state: dict, options: Options, now: str):
    """Batches of GitHub objects for ``repo`` (OWNER/NAME), as ``import --from github`` reads them.

    Pull requests: ``/pulls?state=all&sort=updated&direction=desc``, newest update first, down to
    the watermark; each with its submitted reviews. Deployments: ``/deployments`` (newest first)
    down to the watermark, each with its statuses; a deployment with no final status yet is kept
    open and its statuses fetched again next time. Workflow runs: ``/actions/runs?created>=``
    (completed ones; unfinished runs are kept open)."""
    base = f"repos/{repo}"
    yield from _github_pulls(client, base, state, options, now)
    yield from _github_deployments(client, base, state, options, now)
    yield from _github_runs(client, base, state, options, now)


def _pages(client: Client, path: str, params: dict):
    """Replies following ``Link: rel="next"`` (GitHub, GitLab keyset)."""
    reply = client.get(path, params)
    while True:
        yield reply
        nxt = reply.link("next")
        if not nxt:
            return
        reply = client.get(nxt)


def _github_pulls(client, base, state, options, now):
    def take(pr) -> list:
        """A pull request (with the paths it changes, in a monorepo) and its reviews."""
        if options.extra.get("pr_files"):              # a monorepo: the paths each PR changes
            pr = {**pr, "changed_paths": [f.get("filename") for page in
                                          _pages(client, f"{base}/pulls/{pr.get('number')}/files", {"per_page": PER_PAGE})
                                          for f in (page.body or []) if isinstance(f, dict)]}
        objects = [pr]
        for review_page in _pages(client, f"{base}/pulls/{pr.get('number')}/reviews", {"per_page": PER_PAGE}):
            objects += [r for r in (review_page.body or []) if isinstance(r, dict)]
        return objects

    walk = NewestFirstWalk(state, "pulls", options.since, now)
    replies = _pages(client, f"{base}/pulls", {"state": "all", "sort": "updated", "direction": "desc", "per_page": PER_PAGE})
    for page_no, objects in enumerate(walk.pages(replies, lambda pr: (pr.get("updated_at"), pr.get("number")), take), 1):
        yield Batch(objects, _copy(state), f"pull requests page {page_no}")


def _deployment_statuses(client, base, deployment: dict) -> tuple[list, bool]:
    """A deployment's statuses (the objects mapping reads), and whether it is still open (no
    final status yet)."""
    statuses = []
    for page in _pages(client, f"{base}/deployments/{deployment.get('id')}/statuses", {"per_page": PER_PAGE}):
        statuses += [{**s, "deployment_ref": deployment.get("ref")} for s in (page.body or []) if isinstance(s, dict)]
    return statuses, not any(str(s.get("state")) in ("success", "failure", "error") for s in statuses)


def _github_deployments(client, base, state, options, now):
    # re-check deployments that had no final status at the last sync
    objects, still_open = recheck_open(state, "deployments", lambda key: client.get(f"{base}/deployments/{key}").body or {},
                                       lambda deployment: _deployment_statuses(client, base, deployment))
    opened = state["open"]
    if objects:
        yield Batch(objects, _copy(state), "open deployments")
    def take(deployment) -> list:
        statuses, is_open = _deployment_statuses(client, base, deployment)
        (still_open.add if is_open else still_open.discard)(str(deployment.get("id")))
        return statuses

    walk = NewestFirstWalk(state, "deployments", options.since, now)
    replies = _pages(client, f"{base}/deployments", {"per_page": PER_PAGE})
    for page_no, objects in enumerate(walk.pages(replies, lambda d: (d.get("created_at"), d.get("id")), take), 1):
        opened["deployments"] = sorted(still_open)
        yield Batch(objects, _copy(state), f"deployments page {page_no}")


def _github_runs(client, base, state, options, now):
    objects, still_open = recheck_open(state, "runs", lambda key: client.get(f"{base}/actions/runs/{key}").body or {},
                                       lambda run: ([run], False) if run.get("status") == "completed" else ([], True))
    opened = state["open"]
    if objects:
        yield Batch(objects, _copy(state), "open workflow runs")
    walk = NewestFirstWalk(state, "runs", options.since, now)
    floor = (parse_time(state.get("watermark", {}).get("runs")) or parse_time(options.since))
    page_no = 0
    for reply in _pages(client, f"{base}/actions/runs", {"per_page": PER_PAGE, "created": f">={iso(floor)}"}):
        page_no += 1
        runs = (reply.body or {}).get("workflow_runs", []) if isinstance(reply.body, dict) else []
        objects, stamps = [], []
        for run in runs:
            if not isinstance(run, dict) or walk.keep(run.get("created_at"), run.get("id")) != "take":
                continue
            stamps.append((run.get("created_at"), run.get("id")))
            if run.get("status") == "completed":
                objects.append(run)
            else:
                still_open.add(str(run.get("id")))
        opened["runs"] = sorted(still_open)
        walk.stored(stamps)
        done = not runs or not reply.link("next")
        if done:
            walk.finish()
        yield Batch(objects, _copy(state), f"workflow runs page {page_no}")
        if done:
            return


# ---------------------------------------------------------------------------------------------
# GitLab: merge requests with approvals and notes, deployments


def _gitlab_pages(client: Client, path: str, params: dict):
    """Replies following GitLab's ``X-Next-Page`` (offset) or ``Link`` (keyset) pagination."""
    reply = client.get(path, params)
    while True:
        yield reply
        nxt = reply.link("next")
        if nxt:
            reply = client.get(nxt)
            continue
        page = reply.headers.get("x-next-page", "").strip()
        if not page:
            return
        reply = client.get(path, {**params, "page": page})


def gitlab_changed_paths(client: Client, base: str, iid) -> list:
    """The paths a merge request changes (``/merge_requests/:iid/diffs``, every page): each file's
    ``new_path`` and ``old_path`` (a rename touches both). No ``per_page``: the API's 20 a page, as
    some GitLab versions answer 500 to larger pages of this endpoint."""
    return sorted({p for page in _gitlab_pages(client, f"{base}/merge_requests/{iid}/diffs", {})
                   for d in (page.body if isinstance(page.body, list) else []) if isinstance(d, dict)
                   for p in (d.get("new_path"), d.get("old_path")) if isinstance(p, str) and p})


def gitlab(client: Client, project: str, state: dict, options: Options, now: str):
    """Batches of GitLab objects for ``project`` (numeric id or ``group/name``): merge requests
    (``order_by=updated_at``, ``updated_after`` the watermark) each with its approvals and notes,
    and deployments (``order_by=updated_at``, ``updated_after``; unfinished ones are caught again
    when they update). A monorepo (``extra["pr_files"]``): each merged MR also carries
    ``changed_paths``; an MR not merged carries none (it is placed when it merges)."""
    base = f"projects/{urllib.parse.quote(str(project), safe='')}"
    info = client.get(base).body or {}
    project_name = info.get("path") or str(project).rsplit("/", 1)[-1]
    for stream, path, extra in (("merge_requests", "merge_requests", {"state": "all"}),
                                ("deployments", "deployments", {})):
        marks = state.setdefault("watermark", {})
        after = marks.get(stream) or options.since
        newest = after
        page_no = 0
        for reply in _gitlab_pages(client, f"{base}/{path}", {**extra, "order_by": "updated_at", "sort": "asc",
                                                             "updated_after": after, "per_page": PER_PAGE}):
            page_no += 1
            items = [i for i in (reply.body or []) if isinstance(i, dict)] if isinstance(reply.body, list) else []
            objects = []
            for item in items:
                item.setdefault("project_path", project_name)
                objects.append(item)
                if stream == "merge_requests":
                    iid = item.get("iid")
                    if options.extra.get("pr_files") and item.get("merged_at"):
                        item["changed_paths"] = gitlab_changed_paths(client, base, iid)
                    approvals = client.get(f"{base}/merge_requests/{iid}/approvals").body
                    if isinstance(approvals, dict):
                        objects.append({**approvals, "merge_request_iid": iid, "project_path": project_name})
                    for notes in _gitlab_pages(client, f"{base}/merge_requests/{iid}/notes", {"per_page": PER_PAGE}):
                        objects += [{**n, "noteable_iid": n.get("noteable_iid", iid), "project_path": project_name}
                                    for n in (notes.body or []) if isinstance(n, dict)]
                newest = _later(newest, item.get("updated_at"))
            # ascending by update: everything up to this page's newest is stored with this batch
            marks[stream] = newest
            yield Batch(objects, _copy(state), f"{stream.replace('_', ' ')} page {page_no}")


# ---------------------------------------------------------------------------------------------
# PagerDuty and Opsgenie: incidents


def pagerduty(client: Client, state: dict, options: Options, now: str):
    """Batches of PagerDuty incidents: ``/incidents`` by creation time from the watermark to now
    in ranges of at most 179 days, offset/limit pages while ``more``; incidents not resolved when
    last seen are fetched again (``/incidents/ID``) until they are."""
    objects, still_open = recheck_open(state, "incidents",
                                       lambda key: (client.get(f"incidents/{key}").body or {}).get("incident") or {},
                                       lambda incident: ([incident], incident.get("status") != "resolved"))
    opened = state["open"]
    if objects:
        yield Batch(objects, _copy(state), "open incidents")
    marks = state.setdefault("watermark", {})
    start = parse_time(marks.get("incidents") or options.since)
    end = parse_time(now)
    while start < end:
        stop = min(start + timedelta(days=PAGERDUTY_MAX_RANGE_DAYS), end)
        offset, page_no = 0, 0
        while True:
            page_no += 1
            params = {"since": iso(start), "until": iso(stop), "limit": PER_PAGE, "offset": offset,
                      "time_zone": "UTC", "sort_by": "created_at:asc", "service_ids[]": list(options.service_ids) or None}
            body = client.get("incidents", params).body or {}
            incidents = [i for i in body.get("incidents", []) if isinstance(i, dict)]
            for incident in incidents:
                if incident.get("status") != "resolved":
                    still_open.add(str(incident.get("id")))
            opened["incidents"] = sorted(still_open)
            more = bool(body.get("more")) and incidents
            if not more:
                marks["incidents"] = iso(stop)
            yield Batch(incidents, _copy(state), f"incidents {iso(start)[:10]} page {page_no}")
            if not more:
                break
            offset += len(incidents)
        start = stop


def opsgenie(client: Client, state: dict, options: Options, now: str):
    """Batches of Opsgenie incidents (``/v1/incidents``, ``createdAt`` after the watermark, oldest
    first, following ``paging.next``); incidents still open are fetched again until closed."""
    objects, still_open = recheck_open(
        state, "incidents", lambda key: (client.get(f"v1/incidents/{key}", {"identifierType": "id"}).body or {}).get("data") or {},
        lambda incident: ([incident], str(incident.get("status")) not in ("resolved", "closed")))
    opened = state["open"]
    if objects:
        yield Batch(objects, _copy(state), "open incidents")
    marks = state.setdefault("watermark", {})
    after = parse_time(marks.get("incidents") or options.since)
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
            marks["incidents"] = _later(marks.get("incidents"), incident.get("createdAt"))
        opened["incidents"] = sorted(still_open)
        yield Batch(incidents, _copy(state), f"incidents page {page_no}")
        nxt = (body.get("paging") or {}).get("next")
        if not nxt or not incidents:
            return
        reply = client.get(nxt)
