"""Jira Service Management incidents, read from the Jira Cloud platform's issue search -> incident events.

JSM keeps incidents as Jira issues (work type "Incident"), so the file is what the issue search
returns, saved page after page: ``GET /rest/api/3/search/jql`` (``{"issues": [...],
"nextPageToken": "...", "isLast": false}``), the older ``GET /rest/api/3/search`` (``{"startAt": 0,
"maxResults": 50, "total": 120, "issues": [...]}``; ``/rest/api/2/...`` is the same shape), one
issue (``GET /rest/api/3/issue/KEY``), or a JSON list of issues. Ask for the fields it reads:
``fields=created,resolutiondate,status,issuetype,statuscategorychangedate`` plus the service field
(``expand=names`` lets ``service_field`` be the field's name instead of its id).

Each issue of the incident type starts at ``fields.created``; it is resolved at
``fields.resolutiondate``, or, when its status category is done but Jira recorded no resolution
(a workflow that sets none), at ``fields.statuscategorychangedate`` (when it entered the done
category). ``incident_id`` is the issue key. The service is the value of ``service_field`` (a field
id such as ``components`` or ``customfield_10050``, or its name): a text, an object's ``name``,
``value`` or ``displayName`` (a component, a select option, a user), or the first of a list of them.

Not read: the JSM Incident REST API (``/jsm/incidents/cloudId/{cloudId}/v1/incident/{issueID}``,
beta) returns one incident at a time with no creation or resolution time; JSM's own "Affected
services" field holds service ids (``ari:cloud:graph::service/...``), not names, so it cannot name
a service here (use components or a select field).
"""
from __future__ import annotations

from pathlib import Path

from .... import schema as s
from ...report import LoadError, RawRows
from ..common import as_dict, count_skip, json_documents, matches, raw_rows

DEFAULT_ISSUE_TYPE = "Incident"        # JSM's IT service management template names its incident work type so
DEFAULT_SERVICE_FIELD = "components"   # a system field of every Jira project, whose values carry names
EVERY_TYPE = "*"                       # issue_type that counts every issue (and needs no issuetype field)
DONE = "done"                          # the status category key of a finished issue
NAME_KEYS = ("name", "value", "displayName")   # component / version, select option, user


def jsm_reader(issue_type: str = DEFAULT_ISSUE_TYPE, service_field: str = DEFAULT_SERVICE_FIELD,
               default_service: str | None = None):
    """A reader of Jira issue search results holding JSM incidents (see the module's docstring):
    issues whose type matches ``issue_type`` (a glob, any case) are incidents, others are skipped
    and counted; the service comes from ``service_field``, else ``default_service``."""
    def read(text: str, path: Path) -> RawRows:
        issues, names = issues_of(json_documents(text, path.name), path.name)
        return events_from_issues(issues, issue_type, field_id(service_field, names), default_service)
    return read


def is_issue(value) -> bool:
    return isinstance(value, dict) and "key" in value and "fields" in value


def issues_of(docs: list, name: str) -> tuple[list, dict]:
    """The issues of every saved page (or single issue, or list of issues) and the field names the
    pages carry (``expand=names``: field id -> name); LoadError when a document is none of these (a
    page or list holding no issue at all is another tool's)."""
    issues, names = [], {}
    for doc in docs:
        listed = doc.get("issues") if isinstance(doc, dict) else doc
        if is_issue(doc):
            issues.append(doc)
        elif isinstance(listed, list) and (not listed or any(is_issue(i) for i in listed)):
            issues.extend(listed)
            names.update({k: v for k, v in as_dict(as_dict(doc).get("names")).items() if isinstance(v, str)})
        elif isinstance(doc, dict) and isinstance(doc.get("errorMessages"), list):
            said = "; ".join(str(m) for m in doc["errorMessages"][:2])[:200]
            raise LoadError(f"{name}: a Jira error response, not search results ({said or 'no message'})")
        else:
            raise LoadError(f"{name}: not Jira issue search results (expected pages with a list under 'issues', "
                            f"an issue with 'key' and 'fields', or a list of issues)")
    return issues, names


def field_id(field: str, names: dict) -> str:
    """The id of the field ``field`` names: itself when it is an id, else the id whose name it is
    (any case), as the pages' ``names`` give them; unchanged when no page names it."""
    if field in names:
        return field
    wanted = field.strip().lower()
    return next((fid for fid, label in names.items() if label.strip().lower() == wanted), field)


def service_name(value) -> str:
    """A field's value as a service name: a text, an object's name / value / displayName, or the
    first of a list of those that gives one; "" when it gives none."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = next((item[k] for k in NAME_KEYS if isinstance(item.get(k), str) and item[k].strip()), "")
        if isinstance(item, str) and item.strip():
            return item.strip()
    return ""


def events_from_issues(issues: list, issue_type: str = DEFAULT_ISSUE_TYPE, service_field: str = DEFAULT_SERVICE_FIELD,
                       default_service: str | None = None) -> RawRows:
    """Jira issues as raw incident events, numbered by issue (see the module's docstring)."""
    rows, numbers, bad, skipped = [], [], [], {}
    for number, issue in enumerate(issues, start=1):
        fields = issue.get("fields") if isinstance(issue, dict) else None
        key = issue.get("key") if isinstance(issue, dict) else None
        if not isinstance(fields, dict) or not isinstance(key, str) or not key.strip():
            bad.append((number, "not a Jira issue (no 'key' text or no 'fields' object)"))
            continue
        if issue_type != EVERY_TYPE:
            type_name = as_dict(fields.get("issuetype")).get("name")
            if not isinstance(type_name, str):
                bad.append((number, f"no fields.issuetype to tell whether it is of type {issue_type!r} "
                                    f"(add issuetype to the search's fields, or count every issue with '{EVERY_TYPE}')"))
                continue
            if not matches(issue_type, type_name):
                count_skip(skipped, f"issues not of type {issue_type} ({type_name[:40]})")
                continue
        if fields.get("created") in (None, ""):
            bad.append((number, "no fields.created (search with fields=created,resolutiondate,status,issuetype "
                                "and the service field)"))
            continue
        base = {"service": service_name(fields.get(service_field)) or default_service or "", "incident_id": key.strip()}
        rows.append({**base, "ts": fields["created"], "kind": s.INCIDENT_START})
        numbers.append(number)
        resolved = fields.get("resolutiondate")
        done = as_dict(as_dict(fields.get("status")).get("statusCategory")).get("key") == DONE
        if resolved in (None, "") and done:
            resolved = fields.get("statuscategorychangedate")
            if resolved in (None, ""):
                bad.append((number, "done, but neither fields.resolutiondate nor fields.statuscategorychangedate "
                                    "says when (its start is kept; add them to the search's fields)"))
                continue
        if resolved not in (None, ""):
            rows.append({**base, "ts": resolved, "kind": s.INCIDENT_RESOLVED})
            numbers.append(number)
    return raw_rows(rows, numbers, bad, "issue", skipped)
