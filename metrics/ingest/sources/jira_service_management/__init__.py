"""Jira Service Management incidents (Jira issue search JSON) -> incident events: the source's one
declaration. The reader and its rules are in ``reader``."""
from ....registry.source import Option, SourceSpec
from ..incident_options import DEFAULT_SERVICE, service_field
from .reader import DEFAULT_ISSUE_TYPE, DEFAULT_SERVICE_FIELD, EVERY_TYPE, jsm_reader

SOURCE = SourceSpec(
    name="jira-service-management",
    title="Jira Service Management incidents (JSON)",
    describe=f"Jira issue search pages (`/rest/api/3/search/jql`): each issue of type `--issue-type` "
             f"({DEFAULT_ISSUE_TYPE}) -> `incident_start` at `created`, `incident_resolved` at `resolutiondate` "
             f"(done without one: `statuscategorychangedate`); id = issue key, service = `--service-field` "
             f"({DEFAULT_SERVICE_FIELD}); other issue types skipped",
    reader=jsm_reader,
    options=(
        Option("issue_type", f"the issue type that is an incident, a glob in any case: '{EVERY_TYPE}' counts every "
                             f"issue",
               default=DEFAULT_ISSUE_TYPE, metavar="TYPE"),
        service_field(DEFAULT_SERVICE_FIELD, "an issue field's id (components, customfield_10050) or, in pages "
                                             "saved with expand=names, its name"),
        DEFAULT_SERVICE,
    ),
)
