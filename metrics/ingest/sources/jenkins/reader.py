"""Jenkins' remote access API (``/api/json``) -> deploy events, one per finished build of a
deployment job."""
from __future__ import annotations

import itertools
import re
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .... import schema as s
from ...report import RawRows
from ..api_records import recognised
from ..common import DEFAULT_DEPLOY_PATTERN, count_skip, json_documents, matches, raw_rows

OUTCOMES = {"SUCCESS": "success", "FAILURE": "failed", "UNSTABLE": "failed"}
NOT_OUTCOMES = ("ABORTED", "NOT_BUILT")                 # hudson.model.Result's other values
BUILD_LISTS = ("builds", "allBuilds")                   # a job's newest 100 builds, or all of them
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NOT_JENKINS = ("not Jenkins JSON (expected the /api/json of a job, with builds, or of a folder, a view or the "
               "root, with jobs)")
JOB_IN_URL = re.compile(r"(?:^|/)job/([^/]+)")


def jenkins_reader(deploy_workflow: str = DEFAULT_DEPLOY_PATTERN, service: str | None = None):
    """A reader of Jenkins' JSON API, one file or several documents one after another:

    - a job's ``/job/NAME/api/json?tree=builds[number,result,timestamp,duration,url]`` (or
      ``allBuilds[...]``, or one build's ``/job/NAME/N/api/json``): every build;
    - a folder's, a view's or the root's ``/api/json?tree=jobs[name,fullName,url,builds[...]]``:
      the builds of the jobs whose name or full name matches ``deploy_workflow`` (a glob, case
      ignored); folders listed inside are opened.

    A finished build is a deploy at its end (``timestamp`` + ``duration``, milliseconds since the
    epoch): SUCCESS ``success``, FAILURE and UNSTABLE ``failed``; ABORTED, NOT_BUILT and builds
    still running are skipped and counted. Service: ``service`` when given, else the job's name
    (from the job, or from the build's URL); deploy_id ``JOB#NUMBER`` with the job's full name
    (``folder/job#42``). Numbered by build."""
    def read_jenkins(text: str, path: Path) -> RawRows:
        return events_from_jenkins(jenkins_documents(json_documents(text, path.name), path.name),
                                   deploy_workflow, service)
    return read_jenkins


def is_jenkins(value) -> bool:
    """Whether ``value`` looks like Jenkins JSON: a job (with builds), a folder, view or root (with
    jobs), or one build."""
    return isinstance(value, dict) and (any(isinstance(value.get(k), list) for k in BUILD_LISTS + ("jobs",))
                                        or ("number" in value and ("result" in value or "timestamp" in value)))


def jenkins_documents(docs: list, name: str) -> list:
    """The Jenkins documents of a file (a JSON array's values each count as one, the others to be
    rejected one by one); LoadError naming the file when a document is not Jenkins'."""
    return recognised(docs, is_jenkins, name, NOT_JENKINS)


def whole(value) -> int | None:
    """A JSON number that is a whole number, as an int (never a bool), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def job_of_url(url) -> str:
    """The full name of the job in a Jenkins URL (``https://ci/job/team/job/deploy/42/`` ->
    ``team/deploy``), or ""."""
    try:
        path = urllib.parse.urlsplit(url).path if isinstance(url, str) else ""
    except ValueError:
        return ""
    return "/".join(urllib.parse.unquote(part) for part in JOB_IN_URL.findall(path))


def full_name_of(job: dict) -> str:
    """A job's full name: ``fullName``, else ``name``, else the one in its URL ("" when none says)."""
    for key in ("fullName", "name"):
        if isinstance(job.get(key), str) and job[key].strip():
            return job[key].strip()
    return job_of_url(job.get("url"))


def running(build: dict) -> bool:
    """Whether a build is still running: ``building``, or no result yet."""
    return build.get("building") is True or build.get("result") is None


def builds_of(job: dict):
    """A job's list of builds (``builds`` or ``allBuilds``), or None."""
    return next((job[k] for k in BUILD_LISTS if isinstance(job.get(k), list)), None)


def events_from_jenkins(documents: list, deploy_workflow: str = DEFAULT_DEPLOY_PATTERN,
                        service: str | None = None) -> RawRows:
    """Jenkins documents (jobs, folders, views, the root, builds) as raw deploy events, numbered by
    build: the mapping ``import --from jenkins`` and the live sync share (see ``jenkins_reader``)."""
    rows, numbers, bad, skipped = [], [], [], {}
    counter = itertools.count(1)

    def add_build(build, job: str) -> None:
        number = next(counter)
        if not isinstance(build, dict):
            bad.append((number, f"not a JSON object ({type(build).__name__})"))
            return
        ident = whole(build.get("number"))
        job = job or job_of_url(build.get("url"))
        label = f"{job or service or ''}#{ident}"
        result, start, duration = build.get("result"), whole(build.get("timestamp")), whole(build.get("duration"))
        if ident is None:
            bad.append((number, "a build without a number"))
        elif running(build):
            count_skip(skipped, "builds still running (no result yet)")
        elif result in NOT_OUTCOMES:
            count_skip(skipped, f"builds {result} (not a deployment outcome)")
        elif not isinstance(result, str) or result not in OUTCOMES:
            bad.append((number, f"build {label[:80]}: unknown result {str(result)[:30]!r}"))
        elif start is None:
            bad.append((number, f"build {label[:80]}: no timestamp (milliseconds since the epoch)"))
        elif duration is None or duration < 0:
            bad.append((number, f"build {label[:80]}: no duration (milliseconds)"))
        else:
            try:
                end = (EPOCH + timedelta(milliseconds=start + duration)).isoformat(timespec="milliseconds")
            except OverflowError:
                bad.append((number, f"build {label[:80]}: timestamp out of range ({start})"))
                return
            rows.append({"ts": end, "kind": s.DEPLOY, "service": service or job.rsplit("/", 1)[-1],
                         "deploy_id": label, "status": OUTCOMES[result]})
            numbers.append(number)

    todo = [(doc, True) for doc in reversed(documents)]          # (value, given in the file itself)
    while todo:
        value, top = todo.pop()
        if not isinstance(value, dict):
            bad.append((next(counter), f"not a JSON object ({type(value).__name__})"))
        elif isinstance(value.get("jobs"), list):                  # a folder, a view, the root
            todo.extend((job, False) for job in reversed(value["jobs"]))
        elif top and builds_of(value) is None:                     # one build
            add_build(value, "")
        elif builds_of(value) is None:
            count_skip(skipped, "jobs listed without builds (folders not expanded, or never built)")
        elif top or matches(deploy_workflow, value.get("name") or "", full_name_of(value)):
            for build in builds_of(value):
                add_build(build, full_name_of(value))
        else:
            for _ in builds_of(value):
                next(counter)
                count_skip(skipped, f"builds of jobs not matching --deploy-workflow {deploy_workflow!r}")
    return raw_rows(rows, numbers, bad, "build", skipped)
