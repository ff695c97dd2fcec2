"""GitHub REST API objects (as ``gh api --paginate`` saves them) -> events."""
from __future__ import annotations

import re
from pathlib import Path

from .... import schema as s
from ...ai_facts import pr_fact
from ...report import RawRows
from ..common import (DEFAULT_DEPLOY_PATTERN, as_dict, count_skip, environment_of, items_of, json_documents, matches,
                     outcome_of, raw_rows)


def _repo_of_url(url) -> str:
    """The repository name in a GitHub / GitLab API or web URL (``.../repos/OWNER/NAME/...``)."""
    match = re.search(r"/repos/[^/]+/([^/]+)", str(url or ""))
    return match.group(1) if match else ""


def service_of_repository(repository) -> str:
    """The service of a GitHub repository object's events: its ``name`` (``checkout`` for
    acme/checkout), as ``import --from github``, the sync and the webhooks all name it; "" when the
    object has none."""
    name = as_dict(repository).get("name")
    return name if isinstance(name, str) else ""


# a merged pull request's size: the fields of the single-PR object (``GET /repos/O/R/pulls/N`` and the
# webhooks' ``pull_request``; the list ``GET /pulls`` leaves them out), one per ``schema.PR_SIZE_KINDS``
SIZE_FIELDS = ("additions", "deletions", "changed_files")


def first_commit_date(pr: dict):
    """The date of a PR object's ``first_commit`` (the earliest-authored commit of ``GET
    /repos/O/R/pulls/N/commits``, as the sync attaches it): its ``commit.author.date``; None when
    the object carries none."""
    commit = as_dict(as_dict(pr.get("first_commit")).get("commit"))
    return as_dict(commit.get("author")).get("date") or None


def pr_ai_fact(number: int, pr: dict, service: str) -> dict:
    """A merged pull request object's facts for the AI rules (``ai_facts.pr_fact``; an open PR's may
    still change, and the store keeps a PR's first verdict): its labels' names,
    ``user.login``, ``head.ref``, and the messages of the commits it carries (``commit_messages``,
    as the sync attaches those of ``GET /pulls/N/commits``, and its ``first_commit``'s)."""
    messages = [as_dict(as_dict(pr.get("first_commit")).get("commit")).get("message")]
    messages += pr.get("commit_messages") if isinstance(pr.get("commit_messages"), list) else []
    labels = [as_dict(label).get("name") if isinstance(label, dict) else label for label in pr.get("labels") or []] \
        if isinstance(pr.get("labels"), list) else []
    return pr_fact(number, pr.get("created_at"), service, f"#{pr['number']}", messages, labels,
                   as_dict(pr.get("user")).get("login"), as_dict(pr.get("head")).get("ref"))


def pr_sizes(pr: dict) -> list[tuple]:
    """(kind, value) of each size a PR object carries (``SIZE_FIELDS``; as given: the checks refuse a
    value that is not a whole number >= 0)."""
    return [(kind, pr[field]) for kind, field in zip(s.PR_SIZE_KINDS, SIZE_FIELDS, strict=True)
            if pr.get(field) is not None]


def github_reader(deploy_workflow: str = DEFAULT_DEPLOY_PATTERN, production: str = s.PRODUCTION,
                  releases: bool = False, incident_label: str | None = None):
    """A reader of GitHub REST API JSON as ``gh api --paginate`` saves it; one file may mix them.

    - pull requests (``/pulls?state=all``): ``pr_created`` at ``created_at``, and ``pr_merged`` at
      ``merged_at`` when merged; ``pr_id`` "#number", author the user's login; one with a
      ``first_commit`` (``first_commit_date``) ``pr_first_commit``; a merged one whose object
      carries ``additions``, ``deletions``, ``changed_files`` (``/pulls/N``, not the list) also
      ``pr_lines_added``, ``pr_lines_removed``, ``pr_files_changed`` at ``merged_at``;
    - reviews (``/pulls/N/reviews``): ``pr_reviewed`` at ``submitted_at`` (pending reviews skipped);
    - deployment statuses (``/deployments/ID/statuses``): a deploy at the deployment's first final
      status, ``success`` or ``failed`` (failure, error); its environment, ``production`` when it
      equals ``production``; deployment objects carry no outcome and are skipped;
    - Actions workflow runs (``/actions/runs``): completed runs of workflows whose name or file
      matches ``deploy_workflow`` (a glob, case-insensitive) are deploys at ``updated_at``,
      ``success`` or ``failed`` (failure, timed_out); others are skipped;
    - deployments (``/deployments``) whose statuses are not in the export: a successful deploy at
      ``created_at`` (said in the load report: the list carries no outcome);
    - releases (``/releases``), with ``releases``: a deploy at ``published_at``, ``deploy_id`` the
      tag (drafts skipped; a prerelease is not production);
    - issues (``/issues?state=all``) labelled ``incident_label``: an incident from ``created_at``
      to ``closed_at``.
    Service: the repository's name. Numbered by record.
    """
    def read_github(text: str, path: Path) -> RawRows:
        records = items_of(json_documents(text, path.name), "workflow_runs", path.name, "GitHub")
        return events_from_github(records, deploy_workflow, production, releases, incident_label)

    return read_github


def events_from_github(records: list, deploy_workflow: str = DEFAULT_DEPLOY_PATTERN,
                       production: str = s.PRODUCTION, releases: bool = False,
                       incident_label: str | None = None) -> RawRows:
    """GitHub REST API objects (pull requests, reviews, deployments and their statuses, workflow
    runs, releases, issues; any mix) as raw event rows, numbered by record: the mapping
    ``import --from github``, the live sync and the webhooks share (see ``github_reader``)."""
    rows, numbers, bad, skipped, warnings, facts = [], [], [], {}, [], []
    final_status: dict = {}          # deployment id -> (time, state, environment, repo, number)
    deployments: dict = {}           # deployment id -> (created, environment, repo, number): the list's objects

    def add(number, **row):
        rows.append(row)
        numbers.append(number)

    for number, r in enumerate(records, start=1):
        if not isinstance(r, dict):
            bad.append((number, f"not a JSON object ({type(r).__name__})"))
        elif "merged_at" in r and "number" in r:                        # a pull request
            base = {"service": service_of_repository(as_dict(r.get("base")).get("repo")) or _repo_of_url(r.get("url")),
                    "pr_id": f"#{r['number']}"}
            add(number, **base, ts=r.get("created_at") or "", kind=s.PR_CREATED,
                author=as_dict(r.get("user")).get("login", ""))
            if first_commit_date(r):
                add(number, **base, ts=first_commit_date(r), kind=s.PR_FIRST_COMMIT)
            if r.get("merged_at"):
                add(number, **base, ts=r["merged_at"], kind=s.PR_MERGED)
                facts.append(pr_ai_fact(number, r, base["service"]))
                for kind, value in pr_sizes(r):
                    add(number, **base, ts=r["merged_at"], kind=kind, metric_value=value)
        elif "pull_request_url" in r:                                  # a review
            if not r.get("submitted_at"):
                count_skip(skipped, "pending reviews (not submitted)")
                continue
            pr = re.search(r"/pulls/(\d+)", str(r["pull_request_url"]))
            add(number, service=_repo_of_url(r["pull_request_url"]), ts=r["submitted_at"], kind=s.PR_REVIEWED,
                pr_id=f"#{pr.group(1)}" if pr else "", author=as_dict(r.get("user")).get("login", ""))
        elif "deployment_url" in r and "state" in r:                   # a deployment status
            state = str(r.get("state"))
            if outcome_of(state) is None:
                count_skip(skipped, f"deployment statuses that are not final ({state})")
                continue
            deployment = str(r["deployment_url"]).rstrip("/").rsplit("/", 1)[-1]
            seen, when = final_status.get(deployment), str(r.get("created_at") or "")
            if seen is not None:
                count_skip(skipped, "later final statuses of a deployment (its first one counts)")
                if seen[0] <= when:
                    continue
            final_status[deployment] = (when, state, r.get("environment"),
                                        _repo_of_url(r.get("repository_url") or r["deployment_url"]), number)
        elif "statuses_url" in r and "sha" in r:                       # a deployment
            deployments[str(r.get("id"))] = (str(r.get("created_at") or ""), r.get("environment"),
                                             _repo_of_url(r.get("repository_url") or r.get("url")), number)
        elif "tag_name" in r and "published_at" in r:                  # a release
            if not releases:
                count_skip(skipped, "releases (--releases-as-deployments counts them as deployments)")
            elif not r.get("published_at") or r.get("draft"):
                count_skip(skipped, "draft releases (not published)")
            else:
                add(number, ts=r["published_at"], kind=s.DEPLOY, deploy_id=str(r["tag_name"]),
                    service=_repo_of_url(r.get("url")),
                    environment="prerelease" if r.get("prerelease") else s.PRODUCTION)
        elif "number" in r and "labels" in r and "state" in r:         # an issue
            labels = {str(as_dict(label).get("name") or label).lower() for label in r.get("labels") or []}
            if "pull_request" in r:
                count_skip(skipped, "issues that are pull requests (their PR objects count)")
            elif not incident_label or incident_label.lower() not in labels:
                count_skip(skipped, "issues without the incident label (--incident-label)")
            else:
                base = {"service": _repo_of_url(r.get("url")), "incident_id": f"issue-{r['number']}"}
                add(number, **base, ts=r.get("created_at") or "", kind=s.INCIDENT_START)
                if r.get("closed_at"):
                    add(number, **base, ts=r["closed_at"], kind=s.INCIDENT_RESOLVED)
        elif "workflow_id" in r and "conclusion" in r:                 # an Actions workflow run
            workflow_file = str(r.get("path") or "").split("@")[0].rsplit("/", 1)[-1]
            if not matches(deploy_workflow, r.get("name") or "", workflow_file):
                count_skip(skipped, f"workflow runs not matching --deploy-workflow {deploy_workflow!r}")
                continue
            conclusion = str(r.get("conclusion") or r.get("status") or "")
            if outcome_of(conclusion) is None:
                count_skip(skipped, f"deployment workflow runs with no outcome ({conclusion})")
                continue
            add(number, ts=r.get("updated_at") or "", kind=s.DEPLOY, deploy_id=f"run-{r.get('id')}",
                service=service_of_repository(r.get("repository")), status=outcome_of(conclusion))
        else:
            bad.append((number, "not a GitHub pull request, review, deployment, workflow run, release or issue"))
    for deployment, (when, state, environment, repo, number) in final_status.items():
        add(number, ts=when, kind=s.DEPLOY, service=repo, deploy_id=deployment,
            status=outcome_of(state), environment=environment_of(environment, production))
    alone = {k: v for k, v in deployments.items() if k not in final_status}
    for deployment, (when, environment, repo, number) in alone.items():
        add(number, ts=when, kind=s.DEPLOY, service=repo, deploy_id=deployment, status="success",
            environment=environment_of(environment, production))
    if alone:
        warnings.append(f"{len(alone)} deployment(s) came without statuses: counted as successful at their creation "
                        f"(import their statuses, gh api repos/OWNER/REPO/deployments/ID/statuses, for failures)")
    return raw_rows(rows, numbers, bad, "record", skipped, warnings, facts)
