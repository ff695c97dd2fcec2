"""Jenkins' live sync: the builds of the deployment jobs (or of the one job the target names), newest
first, down to the highest build number the last sync collected; builds still running are asked
for again until they finish.

The state of a source: per job (by full name), ``highest`` (the highest build number collected) and
``open`` (builds that were running); ``walk``, per job, the walk under way: ``top`` (the highest
number when it started), ``down_to`` (the lowest it stored) and ``newest`` (the highest it stored),
so a walk killed half-way skips what it stored when it is resumed."""
from __future__ import annotations

import base64
import copy
import urllib.parse

from ...report import RawRows
from ...sync.http import Client, SyncError
from ...sync.providers import Batch, parse_time
from ..common import as_dict, matches
from .reader import events_from_jenkins, running, whole

USER, TOKEN = "JENKINS_USER", "JENKINS_TOKEN"
BUILD_FIELDS = "number,result,timestamp,duration,url,building"
JOB_FIELDS = "jobs[name,fullName,url,jobs[name]]"       # a job listed with jobs of its own is a folder
PER_PAGE = 100


def jenkins_auth(environ) -> dict:
    """The request headers: HTTP Basic with ``JENKINS_USER`` and the API token in ``JENKINS_TOKEN``
    (SyncError naming the one to set when one is missing)."""
    values = {name: str(environ.get(name, "")).strip() for name in (USER, TOKEN)}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SyncError(f"set {' and '.join(missing)} in the environment to sync from jenkins "
                        f"(tokens are never taken on the command line)")
    pair = f"{values[USER]}:{values[TOKEN]}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


def job_path(full_name: str) -> str:
    """The URL path of a job by its full name: ``team/deploy`` -> ``job/team/job/deploy/``."""
    return "".join(f"job/{urllib.parse.quote(part, safe='')}/" for part in full_name.split("/") if part)


def target_full_name(target: str) -> str:
    """The full name a target names: ``team/deploy``, or the path ``job/team/job/deploy``."""
    parts = [p for p in str(target).strip().split("/") if p]
    if parts and parts[0] == "job":
        parts = [urllib.parse.unquote(p) for p in parts[1::2]]
    return "/".join(parts)


def deploy_jobs(client: Client, pattern: str) -> list[str]:
    """The full names of the jobs matching ``pattern`` (name or full name), every folder opened."""
    found, folders, opened = [], [""], set()
    while folders:
        folder = folders.pop(0)
        path = f"{job_path(folder)}api/json"
        body = client.get(path, {"tree": JOB_FIELDS}).body
        if not isinstance(body, dict) or not isinstance(body.get("jobs"), list):
            raise SyncError(f"{client.url(path)} did not answer with Jenkins jobs")
        for job in body["jobs"]:
            name = as_dict(job).get("name")
            if not isinstance(name, str) or not name:
                continue
            full = job["fullName"] if isinstance(job.get("fullName"), str) else f"{folder}/{name}".strip("/")
            if isinstance(job.get("jobs"), list):
                if full not in opened:
                    opened.add(full)
                    folders.append(full)
            elif matches(pattern, name, full):
                found.append(full)
    return found


def jenkins_batches(client: Client, source, state: dict, now: str):
    """Batches of builds, job by job: the deployment jobs (its option ``deploy_workflow``) or the one
    job ``source.target`` names; each job's builds as a job document (``name``, ``fullName``,
    ``builds``), as ``import --from jenkins`` reads a job's file. The first sync starts at
    ``source.since`` (by the build's start)."""
    since = parse_time(source.since)
    floor = int(since.timestamp() * 1000) if since else None
    jobs = [target_full_name(source.target)] if source.target else deploy_jobs(client, source.option("deploy_workflow"))
    for full in jobs:
        yield from job_batches(client, full, state, floor, named=bool(source.target))


def job_batches(client: Client, full: str, state: dict, floor: int | None, named: bool):
    """One job's batches: its builds that finished since they were seen running, then its new
    builds page by page (``allBuilds[...]{M,N}``, newest first)."""
    path = job_path(full)
    job = state.setdefault("jobs", {}).setdefault(full, {"highest": 0, "open": []})
    still_open, finished = set(job["open"]), []
    for number in sorted(still_open):
        try:
            build = client.get(f"{path}{number}/api/json", {"tree": BUILD_FIELDS}).body
        except SyncError as e:
            if "answered 404" not in str(e):
                raise
            still_open.discard(number)                  # deleted since (Jenkins discards old builds)
            continue
        if isinstance(build, dict) and not running(build):
            still_open.discard(number)
            finished.append(build)
    job["open"] = sorted(still_open)
    if finished:
        yield Batch([job_document(full, finished)], copy.deepcopy(state), f"{full}: builds finished since")
    walks = state.setdefault("walk", {})
    walk = walks.get(full) or {"top": None, "down_to": None, "newest": None}
    start = 0
    while True:
        body = client.get(f"{path}api/json", {"tree": f"allBuilds[{BUILD_FIELDS}]{{{start},{start + PER_PAGE}}}"}).body
        page = as_dict(body).get("allBuilds")
        if not isinstance(page, list):
            if named:
                raise SyncError(f"{client.url(path + 'api/json')} lists no builds (is {full!r} a folder?): name a job, "
                                f"or name none to sync every job matching deploy_workflow")
            page = []
        taken, stored, stop = [], [], False
        for build in page:
            number = whole(as_dict(build).get("number"))
            if number is None:
                taken.append(build)                     # the mapping rejects it, saying why
                continue
            if number <= job["highest"]:
                stop = True
                break
            if walk["down_to"] is not None and walk["down_to"] <= number <= walk["top"]:
                continue                                # stored by this walk, or by a killed one
            if floor is not None and (whole(build.get("timestamp")) or 0) < floor:
                stop = True
                break
            stored.append(number)
            if running(build):
                still_open.add(number)
            else:
                taken.append(build)
        if stored:
            walk["top"] = walk["top"] if walk["top"] is not None else max(stored)
            walk["down_to"] = min(stored + ([walk["down_to"]] if walk["down_to"] is not None else []))
            walk["newest"] = max(stored + ([walk["newest"]] if walk["newest"] is not None else []))
        job["open"] = sorted(still_open)
        done = stop or len(page) < PER_PAGE
        if done:
            job["highest"] = max(job["highest"], walk["newest"] or 0)
            walks.pop(full, None)
        else:
            walks[full] = walk
        yield Batch([job_document(full, taken)], copy.deepcopy(state), f"{full}: builds {start + 1}-{start + len(page)}")
        if done:
            return
        start += PER_PAGE


def job_document(full: str, builds: list) -> dict:
    """Builds of one job as its ``/api/json`` document: every build is the job's."""
    return {"name": full.rsplit("/", 1)[-1], "fullName": full, "builds": builds}


def jenkins_events(source, objects: list) -> RawRows:
    """The events of fetched builds, as ``import --from jenkins`` maps a job's file."""
    return events_from_jenkins(objects, source.option("deploy_workflow"), source.option("service") or None)
