"""Readers that turn other tools' exports into the canonical events of METRICS.md section 1.

Each reader has the signature of ``events.read_events_file``: file text (or, for git, the path)
in; ``events.RawRows`` out. ``events.load_events`` then validates the rows exactly like an event
file, with the same load report. ``reader_for(source, **options)`` picks one by name.

Records that are valid but are not events (an open pull request's merge, a CI workflow run that
is not a deployment, a CDEvent type no metric uses) are counted in the report as skipped, by
reason; records that should be events but cannot be read are rejected with their number.
"""
from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as s
from .events import LoadError, RawRows, read_events_file

DEFAULT_DEPLOY_PATTERN = "*deploy*"


def json_documents(text: str, name: str) -> list:
    """Every JSON document in the text: one, or several written one after another (as paginating
    exports save them)."""
    decoder, docs, at = json.JSONDecoder(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return docs
        try:
            doc, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as e:
            raise LoadError(f"{name}: invalid JSON at line {e.lineno} ({e.msg})") from None
        docs.append(doc)


def _items(docs: list, key: str, name: str, what: str) -> list:
    """The objects under ``key`` of every page, or the objects themselves when a document is a list of them."""
    items = []
    for doc in docs:
        for part in doc if isinstance(doc, list) else [doc]:
            if isinstance(part, dict) and isinstance(part.get(key), list):
                items.extend(part[key])
            elif isinstance(part, dict) and key not in part:
                items.append(part)
            else:
                raise LoadError(f"{name}: expected {what} pages with a list under '{key}', or a list of {key}")
    return items


def _rows(rows: list, numbers: list, bad: list, unit: str, skipped: dict | None = None) -> RawRows:
    raw = pd.DataFrame(rows) if rows else pd.DataFrame({c: [] for c in s.COLUMNS})
    return RawRows(raw, np.asarray(numbers, dtype=np.int64), bad, unit, skipped or {})


def _skip(skipped: dict, reason: str) -> None:
    skipped[reason] = skipped.get(reason, 0) + 1


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _matches(pattern: str, *names: str) -> bool:
    """Whether any of ``names`` matches the glob ``pattern``, ignoring case."""
    return any(fnmatch.fnmatchcase(str(n).lower(), pattern.lower()) for n in names)


def _outcome(value: str) -> str | None:
    """A CI or deployment outcome as a deploy status: ``success``, ``failed`` (failure, error,
    timed_out), or None when it is not a final outcome (cancelled, skipped, in_progress ...)."""
    return "success" if value == "success" else "failed" if value in ("failure", "error", "timed_out") else None


def _is_production(environment: str, production: str) -> str:
    """The environment as stored: ``production`` when it names the production environment."""
    environment = str(environment or "").strip()
    return s.PRODUCTION if environment.lower() == production.lower() else environment


# ---------------------------------------------------------------------------------------------
# PagerDuty


def pagerduty_reader(urgency: str | None = None):
    """A reader of PagerDuty incidents API JSON (``GET /incidents`` pages): each incident starts at
    ``created_at`` and, when its status is resolved, is resolved at ``resolved_at`` (or
    ``last_status_change_at``). Service: the incident's service summary (or id). With ``urgency``
    ("high" or "low"), incidents of the other urgency are skipped (many teams count only high-urgency
    pages as incidents). Numbered by incident."""
    def read(text: str, path: Path) -> RawRows:
        return read_pagerduty(text, path, urgency)
    return read


def read_pagerduty(text: str, path: Path, urgency: str | None = None) -> RawRows:
    """PagerDuty incidents, every urgency unless ``urgency`` is given (see ``pagerduty_reader``)."""
    incidents = _items(json_documents(text, path.name), "incidents", path.name, "PagerDuty")
    rows, numbers, bad, skipped = [], [], [], {}
    for number, inc in enumerate(incidents, start=1):
        if not isinstance(inc, dict):
            bad.append((number, f"not a JSON object ({type(inc).__name__})"))
            continue
        if urgency and inc.get("urgency") != urgency:
            _skip(skipped, f"incidents not of --urgency {urgency} ({inc.get('urgency') or 'none'})")
            continue
        service = _dict(inc.get("service"))
        base = {"service": service.get("summary") or service.get("id") or "",
                "incident_id": str(inc.get("id") or inc.get("incident_number") or "")}
        rows.append({**base, "ts": inc.get("created_at") or "", "kind": s.INCIDENT_START})
        numbers.append(number)
        if inc.get("status") == "resolved":
            rows.append({**base, "ts": inc.get("resolved_at") or inc.get("last_status_change_at") or "",
                         "kind": s.INCIDENT_RESOLVED})
            numbers.append(number)
    return _rows(rows, numbers, bad, "incident", skipped)


# ---------------------------------------------------------------------------------------------
# A local git repository

MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+)\b")
SQUASH_SUBJECT = re.compile(r"\(#(\d+)\)\s*$")


def _git(repo: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    """The output of ``git -C repo ARGS``: a LoadError with git's own message when it fails, or
    "" when ``check`` is off."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, encoding="utf-8",
                              errors="replace", check=False, input=stdin)
    except FileNotFoundError:
        raise LoadError("git is not installed (the git importer runs it to read the repository)") from None
    if done.returncode and check:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise LoadError(f"{repo}: {message}")
    return done.stdout if not done.returncode else ""


def _iso(unix_seconds) -> str:
    return pd.Timestamp(int(unix_seconds), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _claim(start: str, parents: dict, owner: dict, label: str) -> list[str]:
    """Give ``label`` to every commit reachable from ``start`` that has no owner yet; return them."""
    claimed, stack = [], [start]
    while stack:
        commit = stack.pop()
        if commit in owner or commit not in parents:
            continue
        owner[commit] = label
        claimed.append(commit)
        stack.extend(parents[commit])
    return claimed


def _git_tags(repo: Path, tag_pattern: str, skipped: dict) -> list[tuple]:
    """(name, object type, tagger date, commit) of every tag matching ``tag_pattern``."""
    out = _git(repo, "for-each-ref", "refs/tags",
               "--format=%(refname:strip=2)%1f%(objecttype)%1f%(taggerdate:unix)%1f%(*objectname)%1f%(objectname)")
    tags = []
    for line in out.splitlines():
        name, kind, tagger_date, target, obj = line.split("\x1f")
        if not fnmatch.fnmatchcase(name, tag_pattern):
            _skip(skipped, f"tags not matching --tag-pattern {tag_pattern!r}")
            continue
        tags.append((name, kind, tagger_date, target if kind == "tag" else obj))
    return tags


def _git_commits(repo: Path, refs: list[str]) -> dict:
    """sha -> (parents, author time, committer time, author, subject) of every commit reachable from ``refs``."""
    if not refs:
        return {}
    # the refs go on stdin: a repository may have more tags than a command line holds
    log = _git(repo, "log", "--format=%H%x1f%P%x1f%at%x1f%ct%x1f%an%x1f%s", "--stdin", stdin="\n".join(refs) + "\n")
    commits = {}
    for line in log.splitlines():
        sha, parents, at, ct, author, subject = line.split("\x1f", 5)
        commits[sha] = (parents.split(), int(at), int(ct), author, subject)
    return commits


def _first_parent_history(head: str, commits: dict) -> list[str]:
    """HEAD's first-parent chain, oldest first."""
    chain = []
    while head in commits:
        chain.append(head)
        head = commits[head][0][0] if commits[head][0] else None
    return chain[::-1]


def git_reader(tag_pattern: str = "*"):
    """A reader of a local git repository (the path is the repository's directory).

    Deployments: tags matching ``tag_pattern`` (a glob; all tags by default), each at its tagger
    date (annotated) or its commit's committer date (lightweight), with the tag as ``deploy_id``.
    Merged PRs: on the first-parent history of HEAD, merge commits "Merge pull request #N ..." and
    squash commits whose subject ends "(#N)". A PR is merged at the commit's committer date and
    created at the earliest author date among its own commits (for a squash commit, its author
    date). Its ``deploy_id`` is the earliest-deployed matching tag that contains the merge, so
    lead time follows the history, not the clock. Service: the repository's directory name.
    """
    def read_git(text, path: Path) -> RawRows:
        repo = Path(path)
        if not repo.is_dir():
            raise LoadError(f"{repo}: not a directory (the git importer reads a repository's directory)")
        service = Path(_git(repo, "rev-parse", "--show-toplevel").strip()).name
        skipped: dict = {}
        tags = _git_tags(repo, tag_pattern, skipped)
        head = _git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()   # "" in a repository with no commits
        commits = _git_commits(repo, ([head] if head else []) + [commit for *_, commit in tags])
        parents = {sha: c[0] for sha, c in commits.items()}

        deploys = []                                         # (deploy time, tag, commit), earliest first
        for name, kind, tagger_date, commit in tags:
            if commit not in commits:
                _skip(skipped, "tags that do not point at a commit")
                continue
            deploys.append((int(tagger_date) if kind == "tag" and tagger_date else commits[commit][2], name, commit))
        deploys.sort()
        deployed_by: dict = {}                               # commit -> the first tag that contains it
        for _, name, commit in deploys:
            _claim(commit, parents, deployed_by, name)
        rows = [{"ts": _iso(when), "kind": s.DEPLOY, "service": service, "deploy_id": name} for when, name, _ in deploys]

        mainline = _first_parent_history(head, commits)
        pr_of: dict = {c: "mainline" for c in mainline}      # commit -> the merge that brought it in
        for sha in mainline:
            commit_parents, author_time, commit_time, author, subject = commits[sha]
            merge, squash = MERGE_SUBJECT.match(subject), SQUASH_SUBJECT.search(subject)
            if merge and len(commit_parents) > 1:
                own = _claim(commit_parents[1], parents, pr_of, sha)
                first = min(own, key=lambda c: commits[c][1]) if own else sha
                pr, created, first_author = merge.group(1), commits[first][1], commits[first][3]
            elif squash and len(commit_parents) <= 1:
                pr, created, first_author = squash.group(1), author_time, author
            else:
                continue
            base = {"service": service, "pr_id": f"#{pr}"}
            rows.append({**base, "ts": _iso(created), "kind": s.PR_CREATED, "author": first_author})
            rows.append({**base, "ts": _iso(commit_time), "kind": s.PR_MERGED, "deploy_id": deployed_by.get(sha, "")})
        return _rows(rows, range(1, len(rows) + 1), [], "event", skipped)

    read_git.reads_path = True
    return read_git


# ---------------------------------------------------------------------------------------------
# GitHub REST API exports (gh api --paginate ...)

def _repo_of_url(url) -> str:
    """The repository name in a GitHub / GitLab API or web URL (``.../repos/OWNER/NAME/...``)."""
    match = re.search(r"/repos/[^/]+/([^/]+)", str(url or ""))
    return match.group(1) if match else ""


def github_reader(deploy_workflow: str = DEFAULT_DEPLOY_PATTERN, production: str = s.PRODUCTION):
    """A reader of GitHub REST API JSON as ``gh api --paginate`` saves it; one file may mix them.

    - pull requests (``/pulls?state=all``): ``pr_created`` at ``created_at``, and ``pr_merged`` at
      ``merged_at`` when merged; ``pr_id`` "#number", author the user's login;
    - reviews (``/pulls/N/reviews``): ``pr_reviewed`` at ``submitted_at`` (pending reviews skipped);
    - deployment statuses (``/deployments/ID/statuses``): a deploy at the deployment's first final
      status, ``success`` or ``failed`` (failure, error); its environment, ``production`` when it
      equals ``production``; deployment objects carry no outcome and are skipped;
    - Actions workflow runs (``/actions/runs``): completed runs of workflows whose name or file
      matches ``deploy_workflow`` (a glob, case-insensitive) are deploys at ``updated_at``,
      ``success`` or ``failed`` (failure, timed_out); others are skipped.
    Service: the repository's name. Numbered by record.
    """
    def read_github(text: str, path: Path) -> RawRows:
        records = _items(json_documents(text, path.name), "workflow_runs", path.name, "GitHub")
        rows, numbers, bad, skipped = [], [], [], {}
        final_status: dict = {}          # deployment id -> (time, state, environment, repo, number)

        def add(number, **row):
            rows.append(row)
            numbers.append(number)

        for number, r in enumerate(records, start=1):
            if not isinstance(r, dict):
                bad.append((number, f"not a JSON object ({type(r).__name__})"))
            elif "merged_at" in r and "number" in r:                        # a pull request
                base = {"service": _dict(_dict(r.get("base")).get("repo")).get("name") or _repo_of_url(r.get("url")),
                        "pr_id": f"#{r['number']}"}
                add(number, **base, ts=r.get("created_at") or "", kind=s.PR_CREATED,
                    author=_dict(r.get("user")).get("login", ""))
                if r.get("merged_at"):
                    add(number, **base, ts=r["merged_at"], kind=s.PR_MERGED)
            elif "pull_request_url" in r:                                  # a review
                if not r.get("submitted_at"):
                    _skip(skipped, "pending reviews (not submitted)")
                    continue
                pr = re.search(r"/pulls/(\d+)", str(r["pull_request_url"]))
                add(number, service=_repo_of_url(r["pull_request_url"]), ts=r["submitted_at"], kind=s.PR_REVIEWED,
                    pr_id=f"#{pr.group(1)}" if pr else "", author=_dict(r.get("user")).get("login", ""))
            elif "deployment_url" in r and "state" in r:                   # a deployment status
                state = str(r.get("state"))
                if _outcome(state) is None:
                    _skip(skipped, f"deployment statuses that are not final ({state})")
                    continue
                deployment = str(r["deployment_url"]).rstrip("/").rsplit("/", 1)[-1]
                seen, when = final_status.get(deployment), str(r.get("created_at") or "")
                if seen is not None:
                    _skip(skipped, "later final statuses of a deployment (its first one counts)")
                    if seen[0] <= when:
                        continue
                final_status[deployment] = (when, state, r.get("environment"),
                                            _repo_of_url(r.get("repository_url") or r["deployment_url"]), number)
            elif "statuses_url" in r and "sha" in r:                       # a deployment
                _skip(skipped, "deployment objects (their outcome is in their statuses: "
                               "gh api repos/OWNER/REPO/deployments/ID/statuses)")
            elif "workflow_id" in r and "conclusion" in r:                 # an Actions workflow run
                workflow_file = str(r.get("path") or "").split("@")[0].rsplit("/", 1)[-1]
                if not _matches(deploy_workflow, r.get("name") or "", workflow_file):
                    _skip(skipped, f"workflow runs not matching --deploy-workflow {deploy_workflow!r}")
                    continue
                conclusion = str(r.get("conclusion") or r.get("status") or "")
                if _outcome(conclusion) is None:
                    _skip(skipped, f"deployment workflow runs with no outcome ({conclusion})")
                    continue
                add(number, ts=r.get("updated_at") or "", kind=s.DEPLOY, deploy_id=f"run-{r.get('id')}",
                    service=_dict(r.get("repository")).get("name", ""), status=_outcome(conclusion))
            else:
                bad.append((number, "not a GitHub pull request, review, deployment status or workflow run"))
        for deployment, (when, state, environment, repo, number) in final_status.items():
            add(number, ts=when, kind=s.DEPLOY, service=repo, deploy_id=deployment,
                status=_outcome(state), environment=_is_production(environment, production))
        return _rows(rows, numbers, bad, "record", skipped)

    return read_github


# ---------------------------------------------------------------------------------------------
# GitLab REST API exports


def _gitlab_project(url) -> str:
    """The project name in a GitLab web URL (``https://host/group/project/-/merge_requests/1``)."""
    match = re.search(r"https?://[^/]+/(?:[^/]+/)*?([^/]+)/(?:-/)?(?:merge_requests|pipelines|jobs|commit)/", str(url or ""))
    return match.group(1) if match else ""


def gitlab_reader(production: str = s.PRODUCTION):
    """A reader of GitLab REST API JSON (one file may mix them):

    - merge requests (``/projects/:id/merge_requests?state=all``): ``pr_created`` at
      ``created_at``, and ``pr_merged`` at ``merged_at`` when merged; ``pr_id`` "!iid";
    - deployments (``/projects/:id/deployments``): status success or failed is a deploy at
      ``finished_at`` (else ``updated_at``), environment ``production`` when its name equals
      ``production``; created, running, canceled and blocked ones are skipped.
    Service: the project's name from the MR's ``web_url`` (deployments: their pipeline's or
    job's ``web_url``). Numbered by record.
    """
    def read_gitlab(text: str, path: Path) -> RawRows:
        records = _items(json_documents(text, path.name), "items", path.name, "GitLab")
        rows, numbers, bad, skipped = [], [], [], {}
        for number, r in enumerate(records, start=1):
            if not isinstance(r, dict):
                bad.append((number, f"not a JSON object ({type(r).__name__})"))
            elif "iid" in r and "merged_at" in r:                            # a merge request
                base = {"service": _gitlab_project(r.get("web_url")), "pr_id": f"!{r['iid']}"}
                rows.append({**base, "ts": r.get("created_at") or "", "kind": s.PR_CREATED,
                             "author": _dict(r.get("author")).get("username", "")})
                numbers.append(number)
                if r.get("merged_at"):
                    rows.append({**base, "ts": r["merged_at"], "kind": s.PR_MERGED})
                    numbers.append(number)
            elif "deployable" in r or ("environment" in r and "sha" in r and "status" in r):   # a deployment
                status = str(r.get("status") or "")
                if status not in s.STATUSES:
                    _skip(skipped, f"deployments that did not finish ({status})")
                    continue
                deployable = _dict(r.get("deployable"))
                service = _gitlab_project(_dict(deployable.get("pipeline")).get("web_url")) or \
                    _gitlab_project(deployable.get("web_url"))
                rows.append({"ts": r.get("finished_at") or r.get("updated_at") or "", "kind": s.DEPLOY,
                             "service": service, "deploy_id": str(r.get("id", "")), "status": status,
                             "environment": _is_production(_dict(r.get("environment")).get("name"), production)})
                numbers.append(number)
            else:
                bad.append((number, "not a GitLab merge request or deployment"))
        return _rows(rows, numbers, bad, "record", skipped)

    return read_gitlab


# ---------------------------------------------------------------------------------------------
# CDEvents v0.4 / v0.5 (JSON, NDJSON; bare or CloudEvents-wrapped)

CDEVENT_TYPE = re.compile(r"^dev\.cdevents\.([a-z]+)\.([a-z]+)\.\d")
CDEVENT_KINDS = {("change", "created"): s.PR_CREATED, ("change", "reviewed"): s.PR_REVIEWED,
                 ("change", "merged"): s.PR_MERGED, ("service", "deployed"): s.DEPLOY,
                 ("service", "upgraded"): s.DEPLOY, ("service", "rolledback"): s.DEPLOY,
                 ("pipelinerun", "finished"): s.DEPLOY, ("incident", "detected"): s.INCIDENT_START,
                 ("incident", "resolved"): s.INCIDENT_RESOLVED}


def _last_segment(ref: dict) -> str:
    """A repository / service reference's name: its ``name``, else the last segment of its ``id``."""
    return str(ref.get("name") or str(ref.get("id") or "").rstrip("/").rsplit("/", 1)[-1])


def cdevents_reader(deploy_pipeline: str = DEFAULT_DEPLOY_PATTERN, production: str = s.PRODUCTION):
    """A reader of CDEvents v0.4 / v0.5 as JSON (one event, an array, or several documents) or
    NDJSON, each bare (``context`` + ``subject``) or wrapped in a CloudEvent (``data``):

    - ``change.created`` / ``reviewed`` / ``merged`` -> ``pr_created`` / ``pr_reviewed`` /
      ``pr_merged``, ``pr_id`` the subject id, service the repository's name;
    - ``service.deployed`` / ``upgraded`` -> a deploy; ``service.rolledback`` -> a deploy with
      change_type ``rollback``; service the subject id, environment its ``environment.id``
      (``production`` when it equals ``production``);
    - ``pipelinerun.finished`` of a pipeline whose name matches ``deploy_pipeline`` -> a deploy,
      ``success`` or ``failed`` (outcome failure or error), service the pipeline's name;
    - ``incident.detected`` / ``resolved`` -> ``incident_start`` / ``incident_resolved``,
      ``incident_id`` the subject id, service the content's service.
    Time: the context's ``timestamp`` (a CloudEvent's ``time`` when that is missing). Other types
    are skipped. Numbered by event.
    """
    def read_cdevents(text: str, path: Path) -> RawRows:
        try:
            docs = json_documents(text, path.name)
        except LoadError:
            docs = []
            for line in text.splitlines():          # NDJSON with a bad line: read the others
                if line.strip():
                    try:
                        docs.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        docs.append(ValueError(f"invalid JSON ({e.msg})"))
        events = [e for d in docs for e in (d if isinstance(d, list) else [d])]
        rows, numbers, bad, skipped = [], [], [], {}
        for number, e in enumerate(events, start=1):
            if isinstance(e, ValueError):
                bad.append((number, str(e)))
                continue
            if not isinstance(e, dict):
                bad.append((number, f"not a JSON object ({type(e).__name__})"))
                continue
            body = e.get("data") if isinstance(e.get("data"), dict) and "specversion" in e else e
            context, subject = _dict(body.get("context")), _dict(body.get("subject"))
            event_type = str(context.get("type") or e.get("type") or "")
            match = CDEVENT_TYPE.match(event_type)
            if not match:
                bad.append((number, f"not a CDEvent (type {event_type!r})"))
                continue
            kind = CDEVENT_KINDS.get((match.group(1), match.group(2)))
            if kind is None:
                _skip(skipped, f"CDEvents not used by the metrics ({match.group(1)}.{match.group(2)})")
                continue
            content = _dict(subject.get("content"))
            row = {"ts": context.get("timestamp") or e.get("time") or "", "kind": kind}
            subject_id = str(subject.get("id") or "")
            if match.group(1) == "change":
                row.update(service=_last_segment(_dict(content.get("repository"))), pr_id=subject_id)
            elif match.group(1) == "service":
                row.update(service=subject_id, deploy_id=str(context.get("id") or ""),
                           environment=_is_production(_dict(content.get("environment")).get("id"), production),
                           change_type="rollback" if match.group(2) == "rolledback" else "")
            elif match.group(1) == "pipelinerun":
                name = str(content.get("pipelineName") or "")
                if not _matches(deploy_pipeline, name):
                    _skip(skipped, f"pipeline runs not matching --deploy-workflow {deploy_pipeline!r}")
                    continue
                outcome = str(content.get("outcome") or "")
                # an outcome that is not final stays as it is, and validation rejects it with its value
                row.update(service=name, deploy_id=subject_id, status=_outcome(outcome) or outcome)
            else:
                row.update(service=_last_segment(_dict(content.get("service"))), incident_id=subject_id)
            rows.append(row)
            numbers.append(number)
        return _rows(rows, numbers, bad, "event", skipped)

    return read_cdevents


SOURCES = ("events", "git", "github", "gitlab", "pagerduty", "cdevents")


def reader_for(source: str, tag_pattern: str = "*", deploy_workflow: str = DEFAULT_DEPLOY_PATTERN,
               production: str = s.PRODUCTION, urgency: str | None = None):
    """The reader of a source named in ``SOURCES``, with its options."""
    return {"events": lambda: read_events_file,
            "git": lambda: git_reader(tag_pattern),
            "github": lambda: github_reader(deploy_workflow, production),
            "gitlab": lambda: gitlab_reader(production),
            "pagerduty": lambda: pagerduty_reader(urgency),
            "cdevents": lambda: cdevents_reader(deploy_workflow, production)}[source]()
