"""Azure DevOps REST API JSON (api-version 7.1, saved page after page) -> events.

Which time a review gets: a reviewer's ``vote`` in the pull request list carries no time of its
own. The pull request's comment threads (``pullRequests/ID/threads``) record every vote as a
system thread (``CodeReviewThreadType`` ``VoteUpdate``) with its ``publishedDate``; when a pull
request's threads are in the same file, each non-zero vote there is a review at that time (a vote
reset to 0 is not). Without them, each reviewer's non-zero final vote is a review at the pull
request's ``closedDate``: the latest the vote can have been cast before the merge, so the review
wait is not made shorter than it was.
"""
from __future__ import annotations

import re

from .... import schema as s
from ...report import RawRows
from ..common import DEFAULT_DEPLOY_PATTERN, as_dict, matches
from ..api_records import Events, first_missing, not_this_tool, pages_reader, pr_key, text_at

KINDS = "pull request, comment thread, pipeline run or environment deployment record"
THREAD_OF = re.compile(r"/repositories/([^/?#]+)/pullrequests/(\d+)/threads", re.IGNORECASE)
RUN_STATUS = {"succeeded": "success", "failed": "failed"}             # pipeline runs' RunResult
JOB_SUCCEEDED = ("succeeded", "succeededWithIssues")                  # environment records' TaskResult
RECORD = "environment deployment record"


def azure_devops_reader(deploy_workflow: str = DEFAULT_DEPLOY_PATTERN):
    """A reader of Azure DevOps REST API JSON, pages one after another as saved (``{"count": N,
    "value": [...]}`` each); one file may mix pull requests, their comment threads, pipeline runs
    and environment deployment records (see ``events_from_azure_devops``)."""
    return pages_reader("value", "Azure DevOps", events_from_azure_devops, deploy_workflow=deploy_workflow)


def kind_of(record) -> str:
    """Which Azure DevOps object a record is ("" for none)."""
    if not isinstance(record, dict):
        return ""
    if "pullRequestId" in record:
        return "pull request"
    if "comments" in record and "publishedDate" in record:
        return "thread"
    if "environmentId" in record:
        return RECORD
    if isinstance(record.get("pipeline"), dict) and "state" in record:
        return "pipeline run"
    return ""


def events_from_azure_devops(records: list, deploy_workflow: str = DEFAULT_DEPLOY_PATTERN,
                             name: str = "the file") -> RawRows:
    """Azure DevOps objects as raw event rows, numbered by record:

    - a pull request (``_apis/git/pullrequests``): ``pr_created`` at ``creationDate`` and, when
      ``completed``, ``pr_merged`` at ``closedDate``; an abandoned one is skipped; ``pr_id``
      ``REPO#ID``, service the repository's name, author the creator's ``uniqueName``;
    - its reviews: see the module's docstring (group reviewers are skipped: their members vote);
    - a pipeline run (``_apis/pipelines/ID/runs``) of a pipeline whose name matches
      ``deploy_workflow``: ``deploy`` at ``finishedDate``, succeeded -> success, failed -> failed,
      canceled or unfinished runs skipped;
    - environment deployment records (``environments/ID/environmentdeploymentrecords``): one
      ``deploy`` per run (``owner.id``) at its jobs' last ``finishTime``; the last attempt of each
      job decides: failed if one failed, success if all succeeded (or succeeded with issues),
      skipped otherwise (canceled, skipped, unfinished); a run with records in the file is not
      counted again from its pipeline run.
    Deployments: ``deploy_id`` ``run-ID``, service the pipeline's (definition's) name, environment
    production. A file none of whose records is one of these is a LoadError naming ``name``."""
    kinds = [kind_of(r) for r in records]
    if records and not any(kinds):
        raise not_this_tool(name, "Azure DevOps", KINDS)
    events = Events()
    numbered = list(enumerate(records, start=1))
    threads = _threads_by_pull_request(events, numbered, kinds)
    recorded_runs = _environment_deployments(events, [(n, r) for n, r in numbered if kinds[n - 1] == RECORD])
    for number, r in numbered:
        kind = kinds[number - 1]
        if kind == "pull request":
            _pull_request(events, number, r, threads.get(number))
        elif kind == "pipeline run":
            _pipeline_run(events, number, r, deploy_workflow, recorded_runs)
        elif not kind:
            events.reject(number, f"not a JSON object ({type(r).__name__})" if not isinstance(r, dict)
                          else f"not an Azure DevOps {KINDS}")
    return events.result()


def _person(identity) -> str:
    """Who an identity is: its ``uniqueName`` (the sign-in name), else its ``displayName``."""
    return text_at(identity, "uniqueName") or text_at(identity, "displayName")


def _property(thread: dict, key: str) -> str:
    """A thread property's value (``properties.KEY.$value``) as text."""
    return text_at(as_dict(thread.get("properties")).get(key), "$value")


def _vote(value) -> int | None:
    """A vote (10, 5, 0, -5, -10; a number or its text), or None when it is not a whole number."""
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _threads_by_pull_request(events: Events, numbered: list, kinds: list) -> dict:
    """Each pull request's comment threads in the file: the PR's record number -> [(number, thread)].
    A thread is placed by its ``_links.self`` (``.../repositories/REPO/pullRequests/ID/threads/N``,
    REPO the repository's id or name); one that names no pull request of the file is rejected."""
    placed: dict = {}
    for number, r in numbered:
        if kinds[number - 1] == "pull request":
            for repository in (text_at(r, "repository.id"), text_at(r, "repository.name")):
                if repository:
                    placed.setdefault((repository.lower(), text_at(r, "pullRequestId")), number)
    threads: dict = {}
    for number, r in numbered:
        if kinds[number - 1] != "thread":
            continue
        link = THREAD_OF.search(text_at(r, "_links.self.href"))
        if not link:
            events.reject(number, "comment thread that names no pull request (no _links.self)")
        elif (link.group(1).lower(), link.group(2)) not in placed:
            events.reject(number, f"comment thread of pull request {link.group(2)}, which is not in this file "
                                  f"(save a pull request's threads in the same file as the pull request)")
        else:
            threads.setdefault(placed[(link.group(1).lower(), link.group(2))], []).append((number, r))
    return threads


def _pull_request(events: Events, number: int, r: dict, threads: list | None) -> None:
    lacking = first_missing(r, "pullRequestId", "repository.name", "creationDate")
    status = text_at(r, "status")
    if not lacking and status == "completed" and not text_at(r, "closedDate"):
        lacking = "closedDate"
    if lacking:
        events.reject(number, f"pull request without {lacking}")
        for thread_number, _ in threads or ():
            events.reject(thread_number, "comment thread of a rejected pull request")
        return
    if status == "abandoned":
        events.skip("abandoned pull requests (closed without merging)")
        for _ in threads or ():
            events.skip("comment threads of abandoned pull requests")
        return
    repository, closed = text_at(r, "repository.name"), text_at(r, "closedDate")
    base = {"service": repository, "pr_id": pr_key(repository, text_at(r, "pullRequestId"))}
    events.add(number, **base, ts=text_at(r, "creationDate"), kind=s.PR_CREATED, author=_person(r.get("createdBy")))
    if status == "completed":
        events.add(number, **base, ts=closed, kind=s.PR_MERGED)
        listed = lambda key: r[key] if isinstance(r.get(key), list) else []  # noqa: E731
        events.pr_facts(number, text_at(r, "creationDate"), repository, base["pr_id"],
                        messages=[text_at(c, "comment") for c in listed("commits")],
                        labels=[text_at(label, "name") for label in listed("labels")], author=_person(r.get("createdBy")),
                        branch=text_at(r, "sourceRefName").removeprefix("refs/heads/"))
    reviewers = [v for v in r["reviewers"] if isinstance(v, dict)] if isinstance(r.get("reviewers"), list) else []
    if threads is not None:
        for thread_number, thread in threads:
            _vote_thread(events, thread_number, thread, base, reviewers)
        return
    for reviewer in reviewers:
        vote = _vote(reviewer.get("vote"))
        if vote is None:
            events.skip("reviewers without a readable vote")
        elif vote == 0:
            continue                                      # a reviewer who has not voted: no review
        elif reviewer.get("isContainer") is True:
            events.skip("group reviewers' votes (their members' own votes count)")
        elif status != "completed":
            events.skip("votes on pull requests not completed whose threads are not in the file (a vote has no time)")
        else:
            events.add(number, **base, ts=closed, kind=s.PR_REVIEWED, author=_person(reviewer))


def _vote_thread(events: Events, number: int, thread: dict, base: dict, reviewers: list) -> None:
    """A pull request's comment thread: a review when it records a non-zero vote."""
    if _property(thread, "CodeReviewThreadType") != "VoteUpdate":
        events.skip("comment threads other than votes")
        return
    vote = _vote(_property(thread, "CodeReviewVoteResult"))
    if vote is None:
        events.reject(number, "vote thread without a readable CodeReviewVoteResult")
    elif vote == 0:
        events.skip("votes reset to 0 (no vote)")
    else:
        events.add(number, **base, ts=text_at(thread, "publishedDate"), kind=s.PR_REVIEWED,
                   author=_voter(thread, reviewers))


def _voter(thread: dict, reviewers: list) -> str:
    """Who cast a thread's vote: the identity it names (``CodeReviewVotedByIdentity``, a key of its
    ``identities``), else the reviewer of that ``CodeReviewVotedByTfId``, else the display name."""
    identity = as_dict(thread.get("identities")).get(_property(thread, "CodeReviewVotedByIdentity"))
    if _person(identity):
        return _person(identity)
    voter_id = _property(thread, "CodeReviewVotedByTfId").lower()
    same = [v for v in reviewers if voter_id and text_at(v, "id").lower() == voter_id]
    return _person(same[0]) if same and _person(same[0]) else _property(thread, "CodeReviewVotedByDisplayName")


def _pipeline_run(events: Events, number: int, r: dict, deploy_workflow: str, recorded_runs: set) -> None:
    lacking = first_missing(r, "id", "pipeline.name")
    if lacking:
        events.reject(number, f"pipeline run without {lacking}")
        return
    pipeline, state, result = text_at(r, "pipeline.name"), text_at(r, "state"), text_at(r, "result")
    if not matches(deploy_workflow, pipeline):
        events.skip(f"pipeline runs not matching --deploy-workflow {deploy_workflow!r}")
    elif text_at(r, "id") in recorded_runs:
        events.skip("pipeline runs whose environment deployment records are in the file (the records count)")
    elif state != "completed":
        events.skip(f"deployment pipeline runs not completed ({state or 'no state'})")
    elif result not in RUN_STATUS:
        events.skip(f"deployment pipeline runs canceled or with no result ({result or 'none'})")
    else:
        events.add(number, ts=text_at(r, "finishedDate"), kind=s.DEPLOY, service=pipeline,
                   deploy_id=f"run-{text_at(r, 'id')}", status=RUN_STATUS[result])


def _whole(text: str) -> int:
    """An attempt number (1 when it is not one)."""
    return int(text) if text.isdigit() else 1


def _latest(times: list) -> str:
    """The latest of ISO 8601 times as given ("" when none is readable)."""
    import pandas as pd
    parsed = pd.to_datetime(pd.Series(times, dtype=object), utc=True, format="ISO8601", errors="coerce")
    return times[int(parsed.idxmax())] if parsed.notna().any() else next((t for t in times if t), "")


def _environment_deployments(events: Events, numbered: list) -> set:
    """Environment deployment records as one deploy per run; returns the runs (``owner.id``) seen."""
    runs: dict = {}
    for number, r in numbered:
        lacking = first_missing(r, "owner.id", "definition.name")
        if lacking:
            events.reject(number, f"environment deployment record without {lacking}")
        else:
            runs.setdefault(text_at(r, "owner.id"), []).append((number, r))
    for run, records in runs.items():
        last_attempt: dict = {}                           # (stage, job) -> (attempt, number, record)
        for number, r in records:
            job = (text_at(r, "stageName"), text_at(r, "jobName"))
            attempt = (_whole(text_at(r, "stageAttempt")), _whole(text_at(r, "jobAttempt")))
            if job not in last_attempt or attempt >= last_attempt[job][0]:
                last_attempt[job] = (attempt, number, r)
        for _ in range(len(records) - len(last_attempt)):
            events.skip("earlier attempts of a deployment job (its last attempt counts)")
        jobs = list(last_attempt.values())
        results = [text_at(r, "result") for _, _, r in jobs]
        if "failed" in results:
            status = "failed"
        elif all(result in JOB_SUCCEEDED for result in results):
            status = "success"
        else:
            events.skip("environment deployments canceled, skipped or unfinished")
            continue
        finished = _latest([text_at(r, "finishTime") for _, _, r in jobs])
        number, r = next((n, r) for _, n, r in jobs if text_at(r, "finishTime") == finished)
        events.add(number, ts=finished, kind=s.DEPLOY, service=text_at(r, "definition.name"),
                   deploy_id=f"run-{run}", status=status)
    environments = sorted({text_at(r, "environmentId") for _, r in numbered} - {""})
    if len(environments) > 1:
        events.warnings.append(f"records of {len(environments)} environments ({', '.join(environments)}) are in one "
                               f"file and each counts as a production deployment: import the production "
                               f"environment's records only")
    return set(runs)
