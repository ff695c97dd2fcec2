"""GitLab's live sync: merge requests with their approvals and notes, and deployments, from the
stored watermark (``updated_after``)."""
from __future__ import annotations

import urllib.parse

from ....registry.source import Option, SyncSpec
from ...sync import codeowners
from ...sync.http import Client, token_from
from ...sync.providers import (PER_PAGE, Batch, Members, archived_option, chosen_members, forks_option, later, listed,
                               parse_time, pattern_option, snapshot, teams_options, text_field)
from ..common import PRODUCTION_OPTION
from .reader import events_from_gitlab

API_URL = "https://gitlab.com/api/v4"
TOKEN = "GITLAB_TOKEN"


def auth(environ) -> dict:
    """The request headers: the token of ``GITLAB_TOKEN``."""
    return {"PRIVATE-TOKEN": token_from(environ, TOKEN, "gitlab")}


def project_of(value) -> str:
    """The ``project`` to sync (its id or its path), or a ValueError saying so."""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip("/"):
        raise ValueError("project must be the project's id or its path (group/name)")
    return value


def group_of(value) -> str:
    """The ``group`` to sync (its id or full path), or a ValueError saying so."""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip("/"):
        raise ValueError("group must be the group's id or its full path (acme or acme/platform)")
    return value.strip("/")


def group_projects(client: Client, source) -> list:
    """Every project of the source's group and its subgroups (``GET /groups/:id/projects`` with
    ``include_subgroups=true``, every page), or SyncError of one sentence."""
    group = source.option("group")
    return listed(client, gitlab_pages(client, f"groups/{urllib.parse.quote(group, safe='')}/projects",
                                       {"include_subgroups": "true", "order_by": "path", "sort": "asc",
                                        "per_page": PER_PAGE}),
                  f"group {group!r}", "projects")


def relative_path(project: dict, group: str) -> str:
    """A project's path under the group (``sub/api`` for ``acme/sub/api`` in ``acme``)."""
    full = text_field(project, "path_with_namespace", f"group {group!r}", "projects")
    return full[len(group) + 1:] if full.lower().startswith(group.lower() + "/") else full


def members(client: Client, source) -> Members:
    """The projects of the source's group and its subgroups: archived ones and forks
    (``forked_from_project``) left out unless ``include_archived`` / ``include_forks``, the others
    whose path under the group matches ``repo_pattern``; each project's service is its path (as its
    events say), or its path under the group when two share one."""
    group = source.option("group")
    candidates = []
    for project in group_projects(client, source):
        why = ("archived" if project.get("archived") is True and not source.option("include_archived") else
               "forked" if isinstance(project.get("forked_from_project"), dict) and not source.option("include_forks")
               else "")
        path = text_field(project, "path", f"group {group!r}", "projects")
        candidates.append((text_field(project, "path_with_namespace", f"group {group!r}", "projects"), path,
                           relative_path(project, group), why))
    return chosen_members(f"group {group!r}", "projects", candidates, source.option("repo_pattern"))


CODEOWNERS_PATHS = ("CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")     # GitLab's order: the first found counts


def teams(client: Client, source, chosen: Members) -> dict:
    """A team per subgroup of the group (its path under the group, ``/`` as ``-``): the services of
    the synced projects under it, its own subgroups' included; with ``teams_from = "codeowners"``,
    the owners in each project's CODEOWNERS instead (``metrics.ingest.sync.codeowners``)."""
    group = source.option("group")
    if source.option("teams_from") == "codeowners":
        return codeowners.teams_of({target: codeowners_file(client, target) for target in chosen.services},
                                   chosen.services, source.service_paths)
    found: dict = {}
    for target, service in chosen.services.items():
        parts = relative_path({"path_with_namespace": target}, group).split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            found.setdefault("-".join(parts[:depth]), set()).add(service)
    return {name: sorted(services) for name, services in sorted(found.items())}


def codeowners_file(client: Client, target: str) -> str | None:
    """The project's CODEOWNERS text on its default branch (``GET /projects/:id`` for the branch, then
    ``GET /projects/:id/repository/files/:path?ref=BRANCH``, base64), the first of
    ``CODEOWNERS_PATHS`` it has; None when it has none (or no branch)."""
    base = f"projects/{urllib.parse.quote(target, safe='')}"
    info = client.get(base).body
    branch = info.get("default_branch") if isinstance(info, dict) else None
    if not isinstance(branch, str) or not branch:
        return None
    return codeowners.first_file(lambda path: client.get(f"{base}/repository/files/{urllib.parse.quote(path, safe='')}",
                                                         {"ref": branch}).body, CODEOWNERS_PATHS, target)


def events(source, objects: list):
    """The synced objects as raw rows, mapped as ``import --from gitlab`` maps them."""
    return events_from_gitlab(objects, source.option("production"))


def gitlab_pages(client: Client, path: str, params: dict):
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


def merge_request_diffs(client: Client, base: str, iid) -> list:
    """The files a merge request changes (``/merge_requests/:iid/diffs``, every page). No
    ``per_page``: the API's 20 a page, as some GitLab versions answer 500 to larger pages of this
    endpoint."""
    return [d for page in gitlab_pages(client, f"{base}/merge_requests/{iid}/diffs", {})
            for d in (page.body if isinstance(page.body, list) else []) if isinstance(d, dict)]


def changed_paths(diffs: list) -> list:
    """The paths of a merge request's ``diffs``: each file's ``new_path`` and ``old_path`` (a rename
    touches both)."""
    return sorted({p for d in diffs for p in (d.get("new_path"), d.get("old_path")) if isinstance(p, str) and p})


def merge_request_commits(client: Client, base: str, iid) -> tuple[dict | None, list]:
    """The earliest-authored commit of a merge request (``/merge_requests/:iid/commits``, every
    page, by ``authored_date``; None when it lists none with a readable date), and the messages of
    all its commits (for the AI rules' trailers)."""
    commits = [c for page in gitlab_pages(client, f"{base}/merge_requests/{iid}/commits", {"per_page": PER_PAGE})
               for c in (page.body if isinstance(page.body, list) else []) if isinstance(c, dict)]
    dated = [(parse_time(c.get("authored_date")), c) for c in commits]
    first = min((d for d in dated if d[0] is not None), key=lambda d: d[0], default=(None, None))[1]
    return first, [c["message"] for c in commits if isinstance(c.get("message"), str)]


def gitlab(client: Client, source, state: dict, now: str):
    """Batches of GitLab objects for the source's project (``target``: numeric id or ``group/name``):
    merge requests (``order_by=updated_at``, ``updated_after`` the watermark) each with its
    approvals and notes, and deployments (``order_by=updated_at``, ``updated_after``; unfinished
    ones are caught again when they update). Each merged MR also carries its ``changes`` (the items
    of ``/diffs``: its size), ``first_commit`` and ``commit_messages`` (``merge_request_commits``); in a monorepo
    (``service_paths``) its ``changed_paths``; an MR not merged carries none (it is placed when it
    merges)."""
    project = source.target
    base = f"projects/{urllib.parse.quote(str(project), safe='')}"
    info = client.get(base).body or {}
    project_name = info.get("path") or str(project).rsplit("/", 1)[-1]
    for stream, path, extra in (("merge_requests", "merge_requests", {"state": "all"}),
                                ("deployments", "deployments", {})):
        marks = state.setdefault("watermark", {})
        after = marks.get(stream) or source.since
        newest = after
        page_no = 0
        for reply in gitlab_pages(client, f"{base}/{path}", {**extra, "order_by": "updated_at", "sort": "asc",
                                                             "updated_after": after, "per_page": PER_PAGE}):
            page_no += 1
            items = [i for i in (reply.body or []) if isinstance(i, dict)] if isinstance(reply.body, list) else []
            objects = []
            for item in items:
                item.setdefault("project_path", project_name)
                objects.append(item)
                if stream == "merge_requests":
                    iid = item.get("iid")
                    if item.get("merged_at"):         # its size and first commit; a monorepo's paths
                        diffs = merge_request_diffs(client, base, iid)
                        item["changes"] = diffs
                        if source.service_paths:
                            item["changed_paths"] = changed_paths(diffs)
                        commit, item["commit_messages"] = merge_request_commits(client, base, iid)
                        if commit:
                            item["first_commit"] = commit
                    approvals = client.get(f"{base}/merge_requests/{iid}/approvals").body
                    if isinstance(approvals, dict):
                        objects.append({**approvals, "merge_request_iid": iid, "project_path": project_name})
                    for notes in gitlab_pages(client, f"{base}/merge_requests/{iid}/notes", {"per_page": PER_PAGE}):
                        objects += [{**n, "noteable_iid": n.get("noteable_iid", iid), "project_path": project_name}
                                    for n in (notes.body or []) if isinstance(n, dict)]
                newest = later(newest, item.get("updated_at"))
            # ascending by update: everything up to this page's newest is stored with this batch
            marks[stream] = newest
            yield Batch(objects, snapshot(state), f"{stream.replace('_', ' ')} page {page_no}")


SYNC = SyncSpec(credentials=(TOKEN,), auth=auth, batches=gitlab, events=events, api_url=API_URL,
                target=Option("project", "the project's id or path (group/name)", metavar="ID|PATH", check=project_of),
                target_required=True, monorepo=True, change_name="merge request",
                options=(PRODUCTION_OPTION,
                         Option("group", "every project of the group and its subgroups, each its own service (instead "
                                "of --project)", metavar="ID|PATH", check=group_of),
                         pattern_option("group", "projects", "path under the group"), archived_option("group", "projects"),
                         forks_option("group", "projects"), *teams_options("group", "its subgroups"),
                         Option("teams_from", "with --teams: where the teams come from: a team per subgroup, or the "
                                "owners in each project's CODEOWNERS (a monorepo's: by its service paths)",
                                kind="choice", choices=("subgroups", "codeowners"), default="subgroups",
                                needs="teams")),
                group_option="group", members=members, teams=teams)
