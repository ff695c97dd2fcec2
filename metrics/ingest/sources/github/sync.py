"""GitHub's live sync: pull requests and reviews, deployments and statuses, Actions workflow runs,
page by page from the stored state (``metrics.ingest.sync.providers`` walks and keeps it)."""
from __future__ import annotations


from ....registry.source import Option, SyncSpec
from ...sync import codeowners
from ...sync.http import Client, token_from
from ...sync.providers import (PER_PAGE, Batch, Members, NewestFirstWalk, archived_option, chosen_members, forks_option,
                               iso, listed, pages, parse_time, pattern_option, recheck_open, snapshot, teams_options,
                               text_field)
from ..common import DEPLOY_WORKFLOW_OPTION, PRODUCTION_OPTION, as_dict
from .reader import SIZE_FIELDS, events_from_github, first_commit_date

API_URL = "https://api.github.com"
TOKEN = "GITHUB_TOKEN"


def auth(environ) -> dict:
    """The request headers: the token of ``GITHUB_TOKEN`` and the API version."""
    return {"Authorization": f"Bearer {token_from(environ, TOKEN, 'github')}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28"}


def repository(value) -> str:
    """The ``repo`` to sync, OWNER/NAME, or a ValueError saying so."""
    if not isinstance(value, str) or value.count("/") != 1 or not all(value.split("/")):
        raise ValueError(f"repo must be OWNER/NAME, got {value!r}")
    return value


def organisation(value) -> str:
    """The ``org`` to sync (its login), or a ValueError saying so."""
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise ValueError(f"org must be the organisation's name (acme), got {value!r}")
    return value.strip()


def members(client: Client, source) -> Members:
    """The repositories of the source's organisation (``GET /orgs/ORG/repos?type=all``, every page):
    archived ones and forks left out unless ``include_archived`` / ``include_forks``, the others
    matching ``repo_pattern``; each repository's service is its name (as its events say)."""
    org = source.option("org")
    title = f"organisation {org!r}"
    repos = listed(client, pages(client, f"orgs/{org}/repos", {"type": "all", "per_page": PER_PAGE}), title,
                   "repositories")
    candidates = []
    for repo in repos:
        full_name, name = text_field(repo, "full_name", title, "repositories"), text_field(repo, "name", title,
                                                                                              "repositories")
        why = ("archived" if repo.get("archived") is True and not source.option("include_archived") else
               "forked" if repo.get("fork") is True and not source.option("include_forks") else "")
        candidates.append((full_name, name, name, why))
    return chosen_members(title, "repositories", candidates, source.option("repo_pattern"))


CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")   # GitHub's order: the first found counts


def teams(client: Client, source, chosen: Members) -> dict:
    """The organisation's teams -> the services of the synced repositories each may access
    (``GET /orgs/ORG/teams``, by slug, then ``GET /orgs/ORG/teams/SLUG/repos``; a team with none of
    them is left out); with ``teams_from = "codeowners"``, the owners in each repository's
    CODEOWNERS instead (``metrics.ingest.sync.codeowners``)."""
    org = source.option("org")
    title = f"organisation {org!r}"
    if source.option("teams_from") == "codeowners":
        return codeowners.teams_of({target: codeowners_file(client, target) for target in chosen.services},
                                   chosen.services, source.service_paths)
    found = {}
    for team in listed(client, pages(client, f"orgs/{org}/teams", {"per_page": PER_PAGE}), title, "teams"):
        slug = text_field(team, "slug", title, "teams")
        repos = listed(client, pages(client, f"orgs/{org}/teams/{slug}/repos", {"per_page": PER_PAGE}),
                       f"{title}'s team {slug!r}", "repositories")
        owned = {text_field(r, "full_name", title, "team repositories") for r in repos} & set(chosen.services)
        if owned:
            found[slug] = sorted({chosen.services[target] for target in owned})
    return found


def codeowners_file(client: Client, target: str) -> str | None:
    """The repository's CODEOWNERS text (``GET /repos/O/R/contents/PATH``, base64), the first of
    ``CODEOWNERS_PATHS`` it has; None when it has none."""
    return codeowners.first_file(lambda path: client.get(f"repos/{target}/contents/{path}").body, CODEOWNERS_PATHS,
                                 target)


def events(source, objects: list):
    """The synced objects as raw rows, mapped as ``import --from github`` maps them."""
    return events_from_github(objects, source.option("deploy_workflow"), source.option("production"))


def github(client: Client, source, state: dict, now: str):
    """Batches of GitHub objects for the source's repository (``target``, OWNER/NAME), as ``import --from
    github`` reads them.

    Pull requests: ``/pulls?state=all&sort=updated&direction=desc``, newest update first, down to
    the watermark; each with its submitted reviews, and a merged one with its size and first commit
    (``merged_pull``). Deployments: ``/deployments`` (newest first)
    down to the watermark, each with its statuses; a deployment with no final status yet is kept
    open and its statuses fetched again next time. Workflow runs: ``/actions/runs?created>=``
    (completed ones; unfinished runs are kept open)."""
    base = f"repos/{source.target}"
    yield from _github_pulls(client, base, state, source, now)
    yield from _github_deployments(client, base, state, source, now)
    yield from _github_runs(client, base, state, source, now)


def _github_pulls(client, base, state, source, now):
    def take(pr) -> list:
        """A pull request (with the paths it changes, in a monorepo) and its reviews."""
        if source.service_paths:              # a monorepo: the paths each PR changes
            pr = {**pr, "changed_paths": [f.get("filename") for page in
                                          pages(client, f"{base}/pulls/{pr.get('number')}/files", {"per_page": PER_PAGE})
                                          for f in (page.body or []) if isinstance(f, dict)]}
        if pr.get("merged_at"):
            pr = merged_pull(client, base, pr)
        objects = [pr]
        for review_page in pages(client, f"{base}/pulls/{pr.get('number')}/reviews", {"per_page": PER_PAGE}):
            objects += [r for r in (review_page.body or []) if isinstance(r, dict)]
        return objects

    walk = NewestFirstWalk(state, "pulls", source.since, now)
    replies = pages(client, f"{base}/pulls", {"state": "all", "sort": "updated", "direction": "desc",
                                              "per_page": PER_PAGE})
    stamp = lambda pr: (pr.get("updated_at"), pr.get("number"))  # noqa: E731
    for page_no, objects in enumerate(walk.pages(replies, stamp, take), 1):
        yield Batch(objects, snapshot(state), f"pull requests page {page_no}")


def merged_pull(client: Client, base: str, pr: dict) -> dict:
    """A merged pull request of the list with what its stages and size need: ``additions``,
    ``deletions``, ``changed_files`` of the single PR (``GET /pulls/N``: the list leaves them out) and,
    as ``first_commit``, the earliest-authored of its commits (``GET /pulls/N/commits``, every page;
    GitHub lists at most 250), and as ``commit_messages`` their messages (for the AI rules'
    trailers). Asked once per merged PR (a merged PR does not change after)."""
    number = pr.get("number")
    single = client.get(f"{base}/pulls/{number}").body
    single = single if isinstance(single, dict) else {}
    dated = [(parse_time(first_commit_date({"first_commit": c})), c)
             for page in pages(client, f"{base}/pulls/{number}/commits", {"per_page": PER_PAGE})
             for c in (page.body or []) if isinstance(c, dict)]
    first = min((d for d in dated if d[0] is not None), key=lambda d: d[0], default=(None, None))[1]
    messages = [as_dict(c.get("commit")).get("message") for _, c in dated]
    return {**pr, **{field: single[field] for field in SIZE_FIELDS if field in single},
            **({"first_commit": first} if first else {}),
            "commit_messages": [m for m in messages if isinstance(m, str)]}


def _deployment_statuses(client, base, deployment: dict) -> tuple[list, bool]:
    """A deployment's statuses (the objects mapping reads), and whether it is still open (no
    final status yet)."""
    statuses = []
    for page in pages(client, f"{base}/deployments/{deployment.get('id')}/statuses", {"per_page": PER_PAGE}):
        statuses += [{**s, "deployment_ref": deployment.get("ref")} for s in (page.body or []) if isinstance(s, dict)]
    return statuses, not any(str(s.get("state")) in ("success", "failure", "error") for s in statuses)


def _github_deployments(client, base, state, source, now):
    # re-check deployments that had no final status at the last sync
    objects, still_open = recheck_open(state, "deployments",
                                       lambda key: client.get(f"{base}/deployments/{key}").body or {},
                                       lambda deployment: _deployment_statuses(client, base, deployment))
    opened = state["open"]
    if objects:
        yield Batch(objects, snapshot(state), "open deployments")

    def take(deployment) -> list:
        statuses, is_open = _deployment_statuses(client, base, deployment)
        (still_open.add if is_open else still_open.discard)(str(deployment.get("id")))
        return statuses

    walk = NewestFirstWalk(state, "deployments", source.since, now)
    replies = pages(client, f"{base}/deployments", {"per_page": PER_PAGE})
    for page_no, objects in enumerate(walk.pages(replies, lambda d: (d.get("created_at"), d.get("id")), take), 1):
        opened["deployments"] = sorted(still_open)
        yield Batch(objects, snapshot(state), f"deployments page {page_no}")


def _github_runs(client, base, state, source, now):
    objects, still_open = recheck_open(state, "runs", lambda key: client.get(f"{base}/actions/runs/{key}").body or {},
                                       lambda run: ([run], False) if run.get("status") == "completed" else ([], True))
    opened = state["open"]
    if objects:
        yield Batch(objects, snapshot(state), "open workflow runs")
    walk = NewestFirstWalk(state, "runs", source.since, now)
    floor = (parse_time(state.get("watermark", {}).get("runs")) or parse_time(source.since))
    page_no = 0
    for reply in pages(client, f"{base}/actions/runs", {"per_page": PER_PAGE, "created": f">={iso(floor)}"}):
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
        yield Batch(objects, snapshot(state), f"workflow runs page {page_no}")
        if done:
            return


SYNC = SyncSpec(credentials=(TOKEN,), auth=auth, batches=github, events=events, api_url=API_URL,
                target=Option("repo", "the repository", metavar="OWNER/NAME", check=repository), target_required=True,
                options=(DEPLOY_WORKFLOW_OPTION, PRODUCTION_OPTION,
                         Option("org", "every repository of the organisation, each its own service (instead of --repo)",
                                metavar="ORG", check=organisation),
                         pattern_option("org", "repositories"), archived_option("org", "repositories"),
                         forks_option("org", "repositories"), *teams_options("org", "its teams and their repositories"),
                         Option("teams_from", "with --teams: where the teams come from: the organisation's teams, or "
                                "the owners in each repository's CODEOWNERS (a monorepo's: by its service_paths)",
                                kind="choice", choices=("teams", "codeowners"), default="teams", needs="teams")),
                monorepo=True, group_option="org", members=members, teams=teams)
