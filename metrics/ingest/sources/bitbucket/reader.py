"""Bitbucket Cloud REST API JSON (``/2.0``, paginated ``{"values": [...], "next": ...}`` pages
saved one after another) -> events.

Which time a merge gets: a pull request has no ``merged_on``. Its activity log
(``pullrequests/ID/activity``) records the merge as an ``update`` whose ``state`` is ``MERGED``,
with its ``date``: when a merged pull request's activity is in the same file, that date is the
merge. Without it, the pull request's ``updated_on`` is (the last change of a merged pull request
is usually the merge, but a comment after the merge moves it later; the load report says how many
merges were dated so).
"""
from __future__ import annotations

import re

from .... import schema as s
from ...report import RawRows
from ..common import as_dict, environment_of
from ..api_records import Events, first_missing, not_this_tool, pages_reader, pr_key, text_at

KINDS = "pull request, pull request activity, deployment or environment"
REVIEWS = ("approval", "changes_requested")               # activity entries that are reviews
CLOSED_UNMERGED = ("DECLINED", "SUPERSEDED")
DEPLOY_STATUS = {"SUCCESSFUL": "success", "FAILED": "failed"}
DEPLOYMENT_LINKS = ("release.url", "state.url", "release.commit.links.self.href", "release.commit.links.html.href")
# a repository in an API URL (/2.0/repositories/WORKSPACE/SLUG/...) or a web URL (bitbucket.org/WORKSPACE/SLUG/...)
REPOSITORY_IN = re.compile(r"/2\.0/repositories/[^/?#]+/([^/?#]+)|//bitbucket\.org/[^/?#]+/([^/?#]+)")


def bitbucket_reader(production: str = s.PRODUCTION):
    """A reader of Bitbucket Cloud REST API JSON, pages one after another as saved; one file may mix
    pull requests, their activity, deployments and environments (see ``events_from_bitbucket``)."""
    return pages_reader("values", "Bitbucket Cloud", events_from_bitbucket, production=production)


def kind_of(record) -> str:
    """Which Bitbucket Cloud object a record is ("" for none)."""
    if not isinstance(record, dict):
        return ""
    kind = record.get("type")
    if kind == "pullrequest" or ("created_on" in record and "destination" in record):
        return "pull request"
    if "pull_request" in record:
        return "activity"
    if kind == "deployment" or ("release" in record and "environment" in record and "state" in record):
        return "deployment"
    if kind == "deployment_environment" or "environment_type" in record:
        return "environment"
    return ""


def events_from_bitbucket(records: list, production: str = s.PRODUCTION, name: str = "the file") -> RawRows:
    """Bitbucket Cloud objects as raw event rows, numbered by record:

    - a pull request (``pullrequests?state=MERGED``, or any state): ``pr_created`` at ``created_on``
      and, when ``MERGED``, ``pr_merged`` at the merge (see the module's docstring); declined and
      superseded ones are skipped; ``pr_id`` ``SLUG#ID``, service the destination repository's slug,
      author the ``nickname``;
    - activity (``pullrequests/ID/activity``): an ``approval`` or a ``changes_requested`` is a
      ``pr_reviewed`` at its ``date``; the merge ``update`` dates the merge; comments and other
      updates are skipped;
    - a deployment (``deployments/``): ``COMPLETED`` with status ``SUCCESSFUL`` or ``FAILED`` is a
      ``deploy`` at ``state.completion_date`` (stopped and unfinished ones skipped), ``deploy_id``
      its uuid, service the repository in its release's or state's URL; its environment is
      production when the environment's name or type (``environment_type.name``) is
      ``production``; an environment named only by uuid takes its name from the environments
      (``environments/``) in the file, else the deployment is rejected.
    A file none of whose records is one of these is a LoadError naming ``name``."""
    kinds = [kind_of(r) for r in records]
    if records and not any(kinds):
        raise not_this_tool(name, "Bitbucket Cloud", KINDS)
    events = Events()
    numbered = list(enumerate(records, start=1))
    merges, environments, used = {}, {}, set()
    for number, r in numbered:
        if kinds[number - 1] == "activity" and text_at(r, "update.state").upper() == "MERGED" and _pull_of(r):
            merges.setdefault(_key(*_pull_of(r)), text_at(r, "update.date"))
        elif kinds[number - 1] == "environment" and text_at(r, "uuid"):
            environments[text_at(r, "uuid")] = (text_at(r, "name"), text_at(r, "environment_type.name"))
    undated = 0
    for number, r in numbered:
        kind = kinds[number - 1]
        if kind == "pull request":
            undated += _pull_request(events, number, r, merges, used)
        elif kind == "activity":
            _activity(events, number, r)
        elif kind == "deployment":
            _deployment(events, number, r, environments, production)
        elif kind == "environment":
            events.skip("environments (they name the deployments' environments)")
        else:
            events.reject(number, f"not a JSON object ({type(r).__name__})" if not isinstance(r, dict)
                          else f"not a Bitbucket Cloud {KINDS}")
    for _ in set(merges) - used:
        events.skip("merge updates of pull requests not merged in this file (a pull request's own file dates its merge)")
    if undated:
        events.warnings.append(f"{undated} merged pull request(s) came without their activity: merged at updated_on, "
                               f"which a later comment moves (save each one's activity, pullrequests/ID/activity, "
                               f"in the same file for the merge's own time)")
    return events.result()


def _slug_in(url: str) -> str:
    """The repository slug in a Bitbucket API or web URL ("" when it names none)."""
    found = REPOSITORY_IN.search(url)
    return (found.group(1) or found.group(2)) if found else ""


def _person(user) -> str:
    """Who a Bitbucket account is: its ``nickname``, else its ``display_name``."""
    return text_at(user, "nickname") or text_at(user, "display_name")


def _slug_of_pull(r: dict) -> str:
    """A pull request's repository slug: the destination's ``full_name`` (WORKSPACE/SLUG), else its
    own link's, else the destination's ``name``."""
    full_name = text_at(r, "destination.repository.full_name")
    return (full_name.rsplit("/", 1)[-1] if full_name else "") or _slug_in(text_at(r, "links.self.href")) \
        or text_at(r, "destination.repository.name")


def _pull_of(r: dict) -> tuple | None:
    """The pull request an activity entry is about: (slug, id) from its ``pull_request``, or None."""
    pull = as_dict(r.get("pull_request"))
    slug = _slug_in(text_at(pull, "links.self.href")) or _slug_in(text_at(pull, "links.html.href"))
    return (slug, text_at(pull, "id")) if slug and text_at(pull, "id") else None


def _key(slug: str, number: str) -> tuple:
    return slug.lower(), number


def _pull_request(events: Events, number: int, r: dict, merges: dict, used: set) -> int:
    """A pull request's events; 1 when its merge is dated by ``updated_on`` (a merge dated by its
    activity's merge update adds the pull request's key to ``used``)."""
    slug, state = _slug_of_pull(r), text_at(r, "state").upper()
    key = _key(slug, text_at(r, "id"))
    lacking = first_missing(r, "id", "created_on") or ("" if slug else "destination.repository.full_name")
    if not lacking and state == "MERGED" and key not in merges and not text_at(r, "updated_on"):
        lacking = "updated_on"
    if lacking:
        events.reject(number, f"pull request without {lacking}")
    elif state in CLOSED_UNMERGED:
        events.skip("declined or superseded pull requests (closed without merging)")
    elif state not in ("OPEN", "MERGED"):
        events.reject(number, f"pull request in state {state or 'none'!r} (OPEN, MERGED, DECLINED or SUPERSEDED)")
    else:
        base = {"service": slug, "pr_id": pr_key(slug, text_at(r, "id"))}
        events.add(number, **base, ts=text_at(r, "created_on"), kind=s.PR_CREATED, author=_person(r.get("author")))
        if state == "MERGED":
            events.pr_facts(number, text_at(r, "created_on"), slug, base["pr_id"], author=_person(r.get("author")),
                            branch=text_at(r, "source.branch.name"))
            events.add(number, **base, ts=merges.get(key) or text_at(r, "updated_on"), kind=s.PR_MERGED)
            if key in merges:
                used.add(key)
            return int(key not in merges)
    return 0


def _activity(events: Events, number: int, r: dict) -> None:
    pull = _pull_of(r)
    review = next((entry for entry in REVIEWS if isinstance(r.get(entry), dict)), None)
    if pull is None:
        events.reject(number, "activity entry whose pull_request names no repository and id (links.self)")
    elif review:
        events.add(number, service=pull[0], pr_id=pr_key(*pull), ts=text_at(r[review], "date"),
                   kind=s.PR_REVIEWED, author=_person(r[review].get("user")))
    elif isinstance(r.get("update"), dict):
        if text_at(r, "update.state").upper() != "MERGED":   # the merge's update dates its pull request's merge
            events.skip("pull request updates other than the merge")
    elif isinstance(r.get("comment"), dict):
        events.skip("comments (approvals and change requests are the reviews)")
    elif any(isinstance(value, dict) for key, value in r.items() if key != "pull_request"):
        events.skip("other activity (tasks, attachments)")
    else:
        events.reject(number, "activity entry that is not an approval, change request, update or comment")


def _deployment(events: Events, number: int, r: dict, environments: dict, production: str) -> None:
    lacking = first_missing(r, "uuid", "state.name")
    if lacking:
        events.reject(number, f"deployment without {lacking}")
        return
    state, outcome = text_at(r, "state.name").upper(), text_at(r, "state.status.name").upper()
    if state != "COMPLETED":
        events.skip(f"deployments not completed ({state})")
        return
    if outcome not in DEPLOY_STATUS:
        events.skip(f"deployments stopped or with no outcome ({outcome or 'none'})")
        return
    uuid = text_at(r, "environment.uuid")
    named, kind = environments.get(uuid, ("", ""))
    environment = text_at(r, "environment.name") or named
    if not environment:
        events.reject(number, f"deployment to environment {uuid or '(none)'}, which this file does not name (save "
                              f"the environments, environments/, in the same file as the deployments)")
        return
    slugs = [_slug_in(text_at(r, path)) for path in DEPLOYMENT_LINKS]
    service = next((slug for slug in slugs if slug), "")
    events.add(number, ts=text_at(r, "state.completion_date"), kind=s.DEPLOY, service=service,
               deploy_id=text_at(r, "uuid"), status=DEPLOY_STATUS[outcome],
               environment=s.PRODUCTION if kind.lower() == production.lower() else environment_of(environment, production))
