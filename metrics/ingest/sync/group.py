"""Syncing an organisation (GitHub ``org``) or a group (GitLab ``group``): every repository it holds,
each as its own source.

The provider lists the members (``SyncSpec.members``); each is synced exactly as if named alone
(``run.sync``: its own sync state under its own key, ``github:acme/shop``, so it is incremental per
repository and a stopped organisation sync resumes each repository where its stored pages end),
through one API client, so the rate limits are shared and waited out once. One progress line covers
the whole organisation. A repository that fails is one sentence naming it and the others are still
synced; an organisation the token cannot see is one sentence and nothing is stored.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from ... import store
from ...registry.source import source as registered
from ...teams import teams_path, teams_text, write_teams
from .config import Source, spoken
from .http import SyncError
from .providers import Members
from .run import client_for, sync, sync_ai_rules

UNAUTHORISED = 401                # a member failing so stops the whole sync (the token itself is wrong)


@dataclass
class GroupOutcome:
    """What one sync of an organisation did: each member's ``Outcome``, the members that failed
    (target -> sentence), and what became of the teams file ("" when not asked)."""

    source: Source
    members: Members
    outcomes: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    requests: int = 0
    waited: float = 0.0
    seconds: float = 0.0
    teams: str = ""
    warnings: list = field(default_factory=list)

    def line(self) -> str:
        """One line for the terminal: how many members were synced, what they added, what was left out."""
        synced, listed = len(self.outcomes), len(self.members.services)
        added = sum(o.added for o in self.outcomes)
        out = [f"{o} {why}" for why, o in self.members.left_out.items()]
        extra = f"; left out {spoken(out)}" if out else ""
        extra += f"; waited {self.waited:.0f} s on rate limits" if self.waited >= 1 else ""
        return (f"{self.source.key} -> {self.source.dataset}: {synced} of {listed} {self.members.noun} synced, "
                f"+{added} events from {self.requests} requests in {self.seconds:.1f} s{extra}")


def member_source(source: Source, target: str, service: str, original: str) -> Source:
    """The source of one member: the organisation's settings for ``target`` alone; ``service`` is
    its service in the dataset (``original`` is what its events call it: renamed before the ids
    are qualified, as the configuration's ``services`` are)."""
    spec = registered(source.provider).sync
    services = dict(source.services)
    if service != original:
        services[original] = source.services.get(service, service)
    return replace(source, target=target, services=services, options={**source.options, spec.group_option: None})


def sync_group(source: Source, *, full: bool = False, progress=None, environ=None, sleep=time.sleep,
               now: datetime | None = None, out=None) -> GroupOutcome:
    """Sync every member of ``source``'s organisation or group into its dataset, and with the
    ``teams`` option write the teams file (``out`` gets the diff of a file that differs). Raises
    SyncError of one sentence when the AI rules file cannot be used (before any request) or the
    organisation or its teams cannot be listed (both are listed before anything is stored, so
    nothing is stored then)."""
    spec = registered(source.provider).sync
    started = time.monotonic()
    state = {"done": 0, "total": 0, "what": ""}

    def notify(message: str) -> None:
        if progress:
            progress(state["done"], state["total"], f"{source.key}: {message}")

    client = client_for(source, environ, notify=notify, sleep=sleep)
    store.check_name(source.dataset)
    sync_ai_rules()                              # a rules file that cannot be used: one sentence, no request
    members = spec.members(client, source)
    result = GroupOutcome(source, members, warnings=list(members.warnings))
    found = spec.teams(client, source, members) if source.option("teams") else None   # before anything is stored
    state["total"] = len(members.services)
    for number, (target, service) in enumerate(members.services.items(), start=1):
        state["done"] = number - 1
        label = f"{members.noun} {number} of {len(members.services)}, {target}"

        def each(done, total, what, label=label):
            if progress:
                progress(state["done"], state["total"], f"{source.key}: {label}: {what.split(': ', 1)[-1]}")

        member = member_source(source, target, service, target.rsplit("/", 1)[-1])
        try:
            outcome = sync(member, full=full, progress=each, environ=environ, sleep=sleep, now=now, client=client)
        except SyncError as e:
            result.failed[target] = str(e)
            if e.status == UNAUTHORISED:
                break
            continue
        result.outcomes.append(outcome)
        result.warnings += [f"{target}: {w}" for w in outcome.warnings]
    if found is not None:
        result.teams = write_teams_of(source, found, out)
    result.requests, result.waited = client.requests, client.waited
    result.seconds = time.monotonic() - started
    return result


def write_teams_of(source: Source, found: dict, out) -> str:
    """Write the teams file from the provider's teams (``found``: team -> services, from
    ``SyncSpec.teams``): one sentence saying what became of it. A file that exists and differs is
    kept (its diff written to ``out``) unless the ``replace_teams`` option is on."""
    flag = registered(source.provider).sync.group_option.replace("_", "-")
    how = " --teams-from codeowners" if source.options.get("teams_from") == "codeowners" else ""
    text = teams_text(found, f"python -m metrics sync {source.provider} --{flag} {source.group} --teams{how}")
    return write_teams(teams_path(store.data_dir()), text, bool(source.option("replace_teams")), out)
