"""Provider objects fetched by a sync -> canonical events, exactly as ``import --from`` maps them.

The mapping itself lives with each source (``import`` and the webhooks use the same one); here the
sync only leaves out bots and renames services as its configuration says.

Bots: a pull request or merge request opened by a bot, and a review or note written by one, are
left out of every metric (lead time, review and activity numbers). A bot is a login ending
``[bot]``, an account of type ``Bot`` (GitHub) or flagged ``bot`` (GitLab), or a login the
configuration names. Deployments and incidents are kept whoever triggered them: a deployment made by
a CI bot is still a deployment.
"""
from __future__ import annotations

import pandas as pd

from ..report import LoadReport
from ..sources.github import events_from_github
from ..sources.gitlab import events_from_gitlab
from ..sources.opsgenie import events_from_opsgenie
from ..sources.pagerduty import events_from_pagerduty
from ..validate import normalize
from .config import Source


def _user(obj: dict) -> dict:
    for key in ("user", "author"):
        value = obj.get(key)
        if isinstance(value, dict):
            return value
    return {}


def is_bot(obj: dict, bots: tuple = ()) -> bool:
    """Whether ``obj`` (a PR, review, MR or note) was written by a bot."""
    user = _user(obj)
    login = str(user.get("login") or user.get("username") or "")
    return (login.lower().endswith("[bot]") or user.get("type") == "Bot" or user.get("bot") is True
            or login in bots)


def without_bots(objects: list, bots: tuple = ()) -> tuple[list, int]:
    """``objects`` less bots' pull requests (and the reviews of those PRs) and bots' reviews; the
    count left out."""
    people_kinds = [o for o in objects if isinstance(o, dict)]
    bot_prs = {str(o.get("number") or o.get("iid")) for o in people_kinds
               if ("merged_at" in o) and is_bot(o, bots)}
    kept = []
    for obj in objects:
        if not isinstance(obj, dict):
            kept.append(obj)
            continue
        is_pr = "merged_at" in obj
        is_review = "pull_request_url" in obj or "noteable_iid" in obj or "approved_by" in obj
        pr_of = str(obj.get("merge_request_iid") or obj.get("noteable_iid") or "")
        if "pull_request_url" in obj:
            pr_of = str(obj["pull_request_url"]).rstrip("/").rsplit("/", 1)[-1]
        if (is_pr or is_review) and is_bot(obj, bots):
            continue
        if is_review and pr_of in bot_prs:
            continue
        kept.append(obj)
    return kept, len(objects) - len(kept)


def events_of(source: Source, objects: list) -> tuple[pd.DataFrame, LoadReport]:
    """The events of ``objects`` fetched from ``source``, validated, with its services renamed."""
    kept, bots = without_bots(objects, source.bots)
    raw = {"github": lambda: events_from_github(kept, source.deploy_workflow, source.production),
           "gitlab": lambda: events_from_gitlab(kept, source.production),
           "pagerduty": lambda: events_from_pagerduty(kept),
           "opsgenie": lambda: events_from_opsgenie(kept)}[source.provider]()
    rows = raw.rows
    if source.service and len(rows):
        rows = rows.assign(service=source.service)
    frame, report = normalize(rows, raw.numbers, source=source.key, unit=raw.unit, parse_errors=raw.bad)
    report.skipped = dict(raw.skipped)
    if bots:
        report.skipped["pull requests and reviews by bots"] = bots
    if source.services and len(frame):
        frame["service"] = frame["service"].replace(source.services)
    return frame, report
