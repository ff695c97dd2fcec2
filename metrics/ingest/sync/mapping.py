"""Provider objects fetched by a sync -> canonical events, exactly as ``import --from`` maps them.

The mapping itself lives with each source (``import`` and the webhooks use the same one); here the
sync only leaves out bots and renames services as its configuration says.

Bots: a pull request or merge request opened by a bot, and a review or note written by one, are
left out of every metric (lead time, review and activity numbers). A bot is a login ending
``[bot]``, an account of type ``Bot`` (GitHub) or flagged ``bot`` (GitLab), or a login the
configuration names. Deployments and incidents are kept whoever triggered them: a deployment made by
a CI bot is still a deployment. An AI assistant's bot account (``Copilot``, ``devin-ai-integration[bot]``:
the AI rules' ``bots``) is not left out: its PRs are the assistant's work, counted and marked
AI-assisted; a login the configuration names as a bot is left out all the same.
"""
from __future__ import annotations

import fnmatch

import numpy as np
import pandas as pd

from ... import schema as s
from ...ai_rules import AiRules, assistant_bots
from ..ai_facts import with_ai_events
from ..report import LoadReport
from ...registry.source import source as registered
from ..sources.git.reader import services_touched
from ..validate import normalize
from .config import Source


def _user(obj: dict) -> dict:
    for key in ("user", "author"):
        value = obj.get(key)
        if isinstance(value, dict):
            return value
    return {}


def is_bot(obj: dict, bots: tuple = (), assistants: frozenset = frozenset()) -> bool:
    """Whether ``obj`` (a PR, review, MR or note) was written by a bot: one the configuration names,
    or one that looks like a bot and is none of ``assistants`` (lower-cased logins of AI assistants,
    whose PRs are kept: ``ai_rules.assistant_bots``)."""
    user = _user(obj)
    login = str(user.get("login") or user.get("username") or "")
    looks = login.lower().endswith("[bot]") or user.get("type") == "Bot" or user.get("bot") is True
    return login in bots or (looks and login.lower() not in assistants)


def without_bots(objects: list, bots: tuple = (), assistants: frozenset = frozenset()) -> tuple[list, int]:
    """``objects`` less bots' pull requests (and the reviews of those PRs) and bots' reviews; the
    count left out. A PR opened by an AI assistant's bot account (``assistants``, see ``is_bot``) is
    kept; a review by one is not (automatic reviews, such as Gemini Code Assist's, are no human's pickup)."""
    people_kinds = [o for o in objects if isinstance(o, dict)]
    bot_prs = {str(o.get("number") or o.get("iid")) for o in people_kinds
               if ("merged_at" in o) and is_bot(o, bots, assistants)}
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
        if (is_pr and is_bot(obj, bots, assistants)) or (is_review and not is_pr and is_bot(obj, bots)):
            continue
        if is_review and pr_of in bot_prs:
            continue
        kept.append(obj)
    return kept, len(objects) - len(kept)


def changed_paths(objects: list) -> dict:
    """PR id -> the paths it changes: GitHub PRs as ``#N``, GitLab MRs as ``!IID`` (None for an MR
    whose paths were not fetched: one not merged)."""
    return {**{f"#{o['number']}": o.get("changed_paths") or [] for o in objects
               if isinstance(o, dict) and "merged_at" in o and "number" in o},
            **{f"!{o['iid']}": o.get("changed_paths") for o in objects
               if isinstance(o, dict) and "merged_at" in o and "iid" in o and "number" not in o}}


def deploy_refs(objects: list) -> dict:
    """Deploy id -> the ref it deployed: a GitHub deployment status's ``deployment_ref``, a workflow
    run's ``head_branch`` (``run-ID``), a GitLab deployment's ``ref``."""
    return {**{str(o["deployment_url"]).rstrip("/").rsplit("/", 1)[-1]: o.get("deployment_ref") for o in objects
               if isinstance(o, dict) and "deployment_url" in o},
            **{f"run-{o.get('id')}": o.get("head_branch") for o in objects if isinstance(o, dict) and "workflow_id" in o},
            **{str(o.get("id", "")): o.get("ref") for o in objects if isinstance(o, dict) and "merged_at" not in o
               and ("deployable" in o or ("environment" in o and "sha" in o and "status" in o))}}


def by_service(rows: pd.DataFrame, objects: list, service_paths: dict, tag_patterns: dict,
               what: str = "pull request") -> tuple[pd.DataFrame, dict]:
    """A monorepo's raw rows (GitHub or GitLab), one per service they belong to, and what was left
    out by reason (``what`` names a PR in the reasons: "pull request", "merge request").

    A PR's rows (created, reviewed, merged) go to every service whose ``service_paths`` its files
    touch (an MR not merged goes nowhere yet); a deployment or run to every service whose
    ``tag_patterns`` match its ref (``ref``, a run's ``head_branch``), or to every service without
    patterns. Ids stay local (``#N``, ``!IID``, the deployment's id): the ids rule qualifies them
    with each row's service (``api#N``, ``api@ID``) when the events are validated. Other rows stay
    as they are."""
    paths, refs = changed_paths(objects), deploy_refs(objects)
    column = lambda name: rows[name].fillna("").astype(str).to_numpy() if name in rows else np.full(len(rows), "")  # noqa: E731
    kind, pr_id, deploy_id, service = column("kind"), column("pr_id"), column("deploy_id"), column("service")
    pr_rows, deploy_rows = np.isin(kind, s.PR_KINDS), kind == s.DEPLOY
    unmerged = pr_rows & np.isin(pr_id, [p for p, changed in paths.items() if changed is None])

    def deployed(ref) -> list:
        return [svc for svc, globs in tag_patterns.items() if any(fnmatch.fnmatchcase(str(ref or ""), g) for g in globs)] \
            if tag_patterns else list(service_paths)

    owners = pd.Series([services_touched(paths.get(p) or [], service_paths) if is_pr else deployed(refs.get(d)) if is_deploy
                        else [svc] for p, d, svc, is_pr, is_deploy in zip(pr_id, deploy_id, service, pr_rows, deploy_rows)],
                       index=rows.index, dtype=object)
    left = {}
    for mask, reason in ((pr_rows & ~unmerged, f"{what} events touching no service_paths path"),
                         (unmerged, f"events of {what}s not merged yet (placed when they merge, by the paths they change)"),
                         (deploy_rows, "deployments whose ref matches no tag_patterns")):
        dropped = int((owners[mask].map(len) == 0).sum())
        if dropped:
            left[reason] = dropped
    out = rows.assign(owner=owners).explode("owner").dropna(subset=["owner"])
    return out.assign(service=out["owner"]).drop(columns=["owner"]), left


def events_of(source: Source, objects: list, ai_rules: AiRules | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """The events of ``objects`` fetched from ``source``, its services renamed, validated; with
    ``ai_rules``, a ``pr_ai_assisted`` event per PR (``ai_facts.with_ai_events``), and a PR whose
    author is one of the rules' assistants' bot accounts is kept (it is the assistant's work, not a
    bot's chore; its reviews too)."""
    kept, bots = without_bots(objects, source.bots, assistant_bots(ai_rules))
    spec = registered(source.provider).sync
    raw = with_ai_events(spec.events(source, kept), ai_rules)
    rows, numbers, left = raw.rows, raw.numbers, {}
    if source.service and len(rows):
        rows = rows.assign(service=source.service)
    if source.service_paths and len(rows):
        rows, left = by_service(rows.reset_index(drop=True), kept, source.service_paths, source.tag_patterns,
                                spec.change_name)
        numbers = np.asarray(raw.numbers)[rows.index.to_numpy()]
        rows = rows.reset_index(drop=True)
    if source.services and len(rows) and "service" in rows:   # before validation: ids are qualified with the final service
        rows = rows.assign(service=rows["service"].replace(source.services))
    frame, report = normalize(rows, numbers, source=source.key, unit=raw.unit, parse_errors=raw.bad)
    report.skipped = {**raw.skipped, **left}
    report.warnings = list(raw.warnings)
    if bots:
        report.skipped["pull requests and reviews by bots"] = bots
    return frame, report
