"""What every live connector shares: batches, resumable walks, the sync state and its pages.

What each API is asked lives with its source (``metrics/ingest/sources/<name>/sync.py``, declared
by its ``SyncSpec``). Every provider is a generator of ``Batch``es: the provider objects of one page (pull requests and
their reviews, deployments and their statuses, incidents...) and the sync state that holds once
those objects are stored. The caller stores each batch's events and its state in one transaction,
so a sync killed at any point resumes from the last stored batch and loses nothing.

The state of a source is a small JSON object:
- ``watermark``: per stream, the newest ``updated_at`` (or creation time) fully collected; the next
  sync asks only for what changed since (newest first, stopping at the watermark);
- ``walk``: per stream, the walk under way (when it started, how far down it has stored and the
  ids stored at that time), so a resumed walk skips what it already stored, and nothing else;
- ``open``: ids still open when last seen (deployments without a final status, unfinished workflow
  runs, unresolved incidents), fetched again on every sync until they close.

An organisation (GitHub) or a group (GitLab) is many such sources: its provider lists the
``Members`` (``SyncSpec.members``), and each member is synced with its own state, as if named
alone (``metrics.ingest.sync.run``).
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ...registry.source import Option
from .config import spoken
from .http import Client, SyncError

PER_PAGE = 100


@dataclass
class Batch:
    """One page's provider objects, which mapping turns into events, and the state once stored."""

    objects: list
    state: dict
    what: str = ""                                  # for the progress line: "pull requests page 3"
    warnings: tuple = ()                            # about the source as a whole, said after the sync's line


@dataclass
class Members:
    """What an organisation or group holds to sync. ``services``: each member target to sync
    (``acme/shop``) -> its service (``shop``), in the order synced; ``listed``: how many the group
    lists; ``left_out``: those not synced, by reason; ``title`` names the group in sentences
    ("organisation 'acme'"), ``noun`` what it holds ("repositories"); ``warnings`` are said after
    the sync's line."""

    title: str
    noun: str
    services: dict
    listed: int = 0
    left_out: dict = field(default_factory=dict)
    warnings: tuple = ()


def pattern_option(group: str, noun: str, named: str = "name") -> Option:
    """The ``repo_pattern`` option of a source whose ``group`` option names many targets (``named``:
    what the glob is matched against)."""
    return Option("repo_pattern", f"with --{group.replace('_', '-')}: only the {noun} whose {named} matches this "
                  "glob (case ignored)", metavar="GLOB", needs=group)


def archived_option(group: str, noun: str) -> Option:
    """The ``include_archived`` option of a source whose ``group`` option names many targets."""
    return Option("include_archived", f"with --{group.replace('_', '-')}: archived {noun} too", kind="flag",
                  default=False, needs=group)


def forks_option(group: str, noun: str) -> Option:
    """The ``include_forks`` option of a source whose ``group`` option names many targets."""
    return Option("include_forks", f"with --{group.replace('_', '-')}: forks among the {noun} too", kind="flag",
                  default=False, needs=group)


def teams_options(group: str, teams_are: str) -> tuple:
    """The ``teams`` and ``replace_teams`` options of a source whose ``group`` option names many
    targets (``teams_are`` says where its teams come from)."""
    return (Option("teams", f"with --{group.replace('_', '-')}: write the teams file from {teams_are} (a file "
                   "with other teams is shown as a diff and kept)", kind="flag", default=False, needs=group),
            Option("replace_teams", "with --teams: replace a teams file that differs (hand edits are lost)",
                   kind="flag", default=False, needs="teams"))


def listed(client: Client, replies, title: str, noun: str) -> list:
    """Every item of a listing's pages (``replies``), or SyncError of one sentence naming ``title``:
    the token cannot see it (401, 403, 404), a reply is not JSON, or a page is not a list of objects."""
    items = []
    try:
        for reply in replies:
            if not isinstance(reply.body, list) or not all(isinstance(i, dict) for i in reply.body):
                items = None
                break
            items += reply.body
    except SyncError as e:
        if e.status in (401, 403, 404):
            raise SyncError(f"{title} is not visible to the token (the API answered {e.status}): check the name, "
                            f"the API URL and that the token may read it", e.status) from None
        raise SyncError(f"{title}: {e}", e.status) from None
    if items is None:
        raise SyncError(f"{title}: the API's list of {noun} is not a list of objects; check the API URL")
    return items


def text_field(item: dict, key: str, title: str, noun: str) -> str:
    """``item[key]`` when it is non-empty text, else SyncError of one sentence (a malformed listing)."""
    value = item.get(key)
    if not isinstance(value, str) or not value.strip("/"):
        raise SyncError(f"{title}: an item of its {noun} has no {key} as text ({str(value)[:40]!r}); check the API URL")
    return value


def chosen_members(title: str, noun: str, candidates, pattern: str | None) -> Members:
    """The members to sync among ``candidates``, (target, service, name the pattern matches,
    why it is left out or "") each: those not left out whose name matches ``pattern`` (a glob, case
    ignored; every name without one), sorted by target. SyncError of one sentence when none is
    left; two members of one service name take their name (``a/api``, ``b/api``), said."""
    candidates = sorted(candidates, key=lambda c: c[0].lower())
    left_out: dict = {}
    kept = []
    for target, service, name, why in candidates:
        if not why and pattern and not fnmatch.fnmatchcase(name.lower(), pattern.lower()):
            why = f"not matching {pattern!r}"
        if why:
            left_out[why] = left_out.get(why, 0) + 1
        else:
            kept.append((target, service, name))
    left_out = dict(sorted(left_out.items()))
    if not kept:
        detail = ", ".join(f"{count} {why}" for why, count in left_out.items())
        raise SyncError(f"{title} has no {noun[:-3] + 'y' if noun.endswith('ies') else noun[:-1]} to sync "
                        f"({f'of the {len(candidates)} it lists: {detail}' if candidates else 'it lists none'})")
    shared = {service for service in (s for _, s, _ in kept) if sum(s == service for _, s, _ in kept) > 1}
    services = {target: name if service in shared else service for target, service, name in kept}
    warnings = tuple(f"{title}: {spoken([t for t, s, _ in kept if s == service])} share the name {service!r}; "
                     f"each is the service of its path under the group ({', '.join(services[t] for t, s, _ in kept if s == service)})"
                     for service in sorted(shared))
    return Members(title, noun, services, len(candidates), left_out, warnings)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def later(a: str | None, b: str | None) -> str | None:
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
        over). The watermark is inclusive, so items updated in the same second are not missed.
        What the walk has stored is skipped: strictly inside (stored down to, started), and at
        either end only the items stored there by id (an item of the second a page ended in may
        begin the next page; one of the second the walk started in may have been updated after the
        first page was read: both are taken)."""
        moment = parse_time(stamp)
        if moment is None:
            return "take"
        if moment < self.floor:
            return "stop"
        if moment == self.floor and str(ident) in self.state.get("watermark_ids", {}).get(self.stream, []):
            return "skip"
        started, down_to = parse_time(self.walk["started"]), parse_time(self.walk["stored_down_to"])
        if down_to is not None and down_to < moment < started:
            return "skip"
        if moment == down_to and str(ident) in self.walk.get("bottom_ids", []):
            return "skip"
        if moment == started == parse_time(self.walk.get("newest")) and str(ident) in self.walk.get("newest_ids", []):
            return "skip"
        return "take"

    def stored(self, items) -> None:
        """A page is stored down to its oldest item's time (the ids stored at it: ``bottom_ids``);
        ``items`` are (time, id) pairs."""
        items = [(t, str(i)) for t, i in items if parse_time(t) is not None]
        if not items:
            return
        oldest = min((t for t, _ in items), key=parse_time)
        newest = max((t for t, _ in items), key=parse_time)
        down_to = parse_time(self.walk["stored_down_to"])
        if down_to is None or parse_time(oldest) < down_to:
            self.walk["stored_down_to"], self.walk["bottom_ids"] = oldest, []
        if parse_time(oldest) == parse_time(self.walk["stored_down_to"]):
            self.walk.setdefault("bottom_ids", []).extend(i for t, i in items if parse_time(t) == parse_time(oldest))
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
        (older than the watermark, empty, or without a next page) finishes the walk first. A page
        that is not a list of objects is SyncError of one sentence (nothing of it stored)."""
        for reply in replies:
            items = reply.body if reply.body is not None else []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise SyncError(f"{Client._where(reply.url)} answered a page that is not a list of objects; "
                                f"check the API URL")
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


def snapshot(state: dict) -> dict:
    """A deep copy of the sync state (a batch keeps the state as it was when its objects were fetched)."""
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


def pages(client: Client, path: str, params: dict):
    """Replies following ``Link: rel="next"`` (GitHub, GitLab keyset)."""
    reply = client.get(path, params)
    while True:
        yield reply
        nxt = reply.link("next")
        if not nxt:
            return
        reply = client.get(nxt)
