"""GitLab REST API objects -> events."""
from __future__ import annotations

import re
from pathlib import Path

from .... import schema as s
from ...ai_facts import pr_fact
from ...report import RawRows
from ..common import (as_dict, count_skip, environment_of, items_of, json_documents, raw_rows)


def _gitlab_project(url) -> str:
    """The project name in a GitLab web URL (``https://host/group/project/-/merge_requests/1``)."""
    match = re.search(r"https?://[^/]+/(?:[^/]+/)*?([^/]+)/(?:-/)?(?:merge_requests|pipelines|jobs|commit)/", str(url or ""))
    return match.group(1) if match else ""


def diff_size(changes) -> tuple[int, int, int] | None:
    """(lines added, lines removed, files changed) of a merge request's ``changes`` (``GET
    /merge_requests/:iid/changes``' list, or the items of ``/merge_requests/:iid/diffs`` the sync
    attaches): each item is a file changed, its ``diff``'s lines starting ``+`` and ``-`` its lines
    (GitLab's diff text has no file header); a file whose diff GitLab leaves empty (binary, too
    large) is a file with 0 lines. None when there is no such list."""
    if not isinstance(changes, list):
        return None
    files = [c for c in changes if isinstance(c, dict)]
    lines = [line for c in files for line in str(c.get("diff") or "").split("\n")]
    return (sum(line.startswith("+") for line in lines), sum(line.startswith("-") for line in lines), len(files))


def first_commit_date(mr: dict):
    """The ``authored_date`` of a merge request's ``first_commit`` (the earliest-authored commit of
    ``GET /merge_requests/:iid/commits``, as the sync attaches it); None when it carries none."""
    return as_dict(mr.get("first_commit")).get("authored_date") or None


def label_names(labels) -> list:
    """The names of a merge request's ``labels``: texts (the API's default), or objects' ``title``
    or ``name`` (``with_labels_details``, and the hooks' ``labels``)."""
    if not isinstance(labels, list):
        return []
    return [as_dict(label).get("title") or as_dict(label).get("name") if isinstance(label, dict) else label
            for label in labels]


def mr_ai_fact(number: int, mr: dict, service: str) -> dict:
    """A merged merge request object's facts for the AI rules (``ai_facts.pr_fact``; an open one's
    may still change, and the store keeps a PR's first verdict): its labels,
    ``author.username``, ``source_branch``, and the messages of the commits it carries
    (``commit_messages``, as the sync attaches those of ``/merge_requests/:iid/commits``, and its
    ``first_commit``'s)."""
    messages = [as_dict(mr.get("first_commit")).get("message")]
    messages += mr.get("commit_messages") if isinstance(mr.get("commit_messages"), list) else []
    return pr_fact(number, mr.get("created_at"), service, f"!{mr['iid']}", messages, label_names(mr.get("labels")),
                   as_dict(mr.get("author")).get("username"), mr.get("source_branch"))


def gitlab_reader(production: str = s.PRODUCTION):
    """A reader of GitLab REST API JSON (one file may mix them):

    - merge requests (``/projects/:id/merge_requests?state=all``): ``pr_created`` at
      ``created_at``, and ``pr_merged`` at ``merged_at`` when merged; ``pr_id`` "!iid"; a merged one
      with its ``changes`` (``/merge_requests/:iid/changes``) also its size at ``merged_at``
      (``diff_size``), one with a ``first_commit`` its ``pr_first_commit`` (``first_commit_date``);
    - deployments (``/projects/:id/deployments``): status success or failed is a deploy at
      ``finished_at`` (else ``updated_at``), environment ``production`` when its name equals
      ``production``; created, running, canceled and blocked ones are skipped.
    Service: the project's name from the MR's ``web_url`` (deployments: their pipeline's or
    job's ``web_url``; one created through the API, ``deployable: null``, takes the one project
    the export's other records name). Numbered by record.
    """
    def read_gitlab(text: str, path: Path) -> RawRows:
        records = items_of(json_documents(text, path.name), "items", path.name, "GitLab")
        return events_from_gitlab(records, production)

    return read_gitlab


def _project_of(r: dict) -> str:
    """The project a record names: its ``project_path`` (the sync's), its URL's or its deployable's."""
    deployable = as_dict(r.get("deployable"))
    return (str(r.get("project_path") or "") or _gitlab_project(r.get("web_url"))
            or _gitlab_project(as_dict(deployable.get("pipeline")).get("web_url")) or _gitlab_project(deployable.get("web_url")))


def export_project(records: list) -> tuple[str, list]:
    """The one project the records name ("" when none or several), and the projects named, sorted."""
    named = sorted({_project_of(r) for r in records if isinstance(r, dict)} - {""})
    return (named[0] if len(named) == 1 else ""), named


def events_from_gitlab(records: list, production: str = s.PRODUCTION) -> RawRows:
    """GitLab REST API objects (merge requests, their notes, deployments; any mix) as raw event
    rows, numbered by record: the mapping ``import --from gitlab``, the live sync and the webhooks
    share. A merge request's note (``/merge_requests/:iid/notes``) is a review: written by a person,
    or the system note "approved this merge request"; other system notes are skipped. A deployment
    created through the API (``deployable: null``) takes the one project the other records name."""
    rows, numbers, bad, skipped, unplaced, facts = [], [], [], {}, 0, []
    project, projects = export_project(records)
    for number, r in enumerate(records, start=1):
        if not isinstance(r, dict):
            bad.append((number, f"not a JSON object ({type(r).__name__})"))
        elif "iid" in r and "merged_at" in r:                            # a merge request
            base = {"service": _gitlab_project(r.get("web_url")), "pr_id": f"!{r['iid']}"}
            rows.append({**base, "ts": r.get("created_at") or "", "kind": s.PR_CREATED,
                         "author": as_dict(r.get("author")).get("username", "")})
            numbers.append(number)
            first = first_commit_date(r)
            if first:
                rows.append({**base, "ts": first, "kind": s.PR_FIRST_COMMIT})
                numbers.append(number)
            if r.get("merged_at"):
                rows.append({**base, "ts": r["merged_at"], "kind": s.PR_MERGED})
                numbers.append(number)
                facts.append(mr_ai_fact(number, r, base["service"]))
                for kind, value in zip(s.PR_SIZE_KINDS, diff_size(r.get("changes")) or (), strict=False):
                    rows.append({**base, "ts": r["merged_at"], "kind": kind, "metric_value": value})
                    numbers.append(number)
        elif r.get("noteable_type") == "MergeRequest" and "body" in r:          # a note on a merge request
            author = as_dict(r.get("author"))
            body = str(r.get("body") or "")
            if r.get("system") and not body.lower().startswith("approved"):
                count_skip(skipped, "system notes other than approvals")
                continue
            iid = r.get("noteable_iid")
            rows.append({"ts": r.get("created_at") or "", "kind": s.PR_REVIEWED, "pr_id": f"!{iid}" if iid else "",
                         "service": str(r.get("project_path") or ""), "author": author.get("username", "")})
            numbers.append(number)
        elif "approved_by" in r:                                           # an MR's approvals
            count_skip(skipped, "approval lists (they carry no time; the approval's system note does)")
        elif "deployable" in r or ("environment" in r and "sha" in r and "status" in r):   # a deployment
            status = str(r.get("status") or "")
            if status not in s.STATUSES:
                count_skip(skipped, f"deployments that did not finish ({status})")
                continue
            service = _project_of(r) or project
            unplaced += not service
            rows.append({"ts": r.get("finished_at") or r.get("updated_at") or "", "kind": s.DEPLOY,
                         "service": service, "deploy_id": str(r.get("id", "")), "status": status,
                         "environment": environment_of(as_dict(r.get("environment")).get("name"), production)})
            numbers.append(number)
        else:
            bad.append((number, "not a GitLab merge request, note or deployment"))
    warnings = [f"{unplaced} deployment(s) created through the API (deployable null) name no project, and the export "
                f"names {'several (' + ', '.join(projects) + ')' if projects else 'none'}: give --service "
                f"(without it they are rejected)"] if unplaced else []
    return raw_rows(rows, numbers, bad, "record", skipped, warnings, facts)
