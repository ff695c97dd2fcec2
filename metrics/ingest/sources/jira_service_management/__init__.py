"""Jira Service Management incidents (Jira issue search JSON) -> incident events: the source's one
declaration. The reader and its rules are in ``reader``."""
from ....registry.source import Option, SourceSpec
from .reader import DEFAULT_ISSUE_TYPE, DEFAULT_SERVICE_FIELD, EVERY_TYPE, events_from_issues, jsm_reader

__all__ = ["SOURCE", "events_from_issues", "jsm_reader"]

SOURCE = SourceSpec(
    name="jira-service-management",
    title="Jira Service Management incidents (JSON)",
    describe=f"Jira issue search pages (`/rest/api/3/search/jql`): each issue of type `--issue-type` "
             f"({DEFAULT_ISSUE_TYPE}) -> `incident_start` at `created`, `incident_resolved` at `resolutiondate` "
             f"(done without one: `statuscategorychangedate`); id = issue key, service = `--service-field` "
             f"({DEFAULT_SERVICE_FIELD}); other issue types skipped",
    reader=jsm_reader,
    options=(
        Option("issue_type", f"the issue type that is an incident, a glob in any case (default {DEFAULT_ISSUE_TYPE}; "
                             f"'{EVERY_TYPE}' counts every issue)",
               default=DEFAULT_ISSUE_TYPE, metavar="TYPE"),
        Option("service_field", f"the issue field naming the service: a field id (components, customfield_10050) "
                                f"or, in pages saved with expand=names, its name (default {DEFAULT_SERVICE_FIELD})",
               default=DEFAULT_SERVICE_FIELD, metavar="FIELD"),
        Option("default_service", "the service of an incident whose service field is empty "
                                  "(--service sets every incident's)", metavar="NAME"),
    ),
)
