"""What every incident source read from files must do, checked source by source
(``jira-service-management``, ``incident-io``): a file that is not the tool's JSON is one sentence
naming the file, and its hand-made fixture gives the recovery time worked out by hand, end to end
(tables, then ``analyze``). The fixtures and the documentation they follow are cited in
test_source_jira_service_management.py and test_source_incident_io.py."""
import pytest

from api_exports import write
from conftest import FIXTURES
from metrics import analyze, tables_from_frame
from metrics.ingest import LoadError, load_events
from metrics.registry.source import source
from metrics.window import Window

JSM, INCIDENT_IO = "jira-service-management", "incident-io"
NOT_JIRA, NOT_INCIDENT_IO = "not Jira issue search results", "not incident.io incidents"


@pytest.mark.parametrize("name, content, said", [
    (JSM, '{"incidents": [], "limit": 25}', NOT_JIRA),                                          # a PagerDuty page
    (JSM, '[{"ts": "2025-01-01T00:00:00Z", "kind": "deploy", "service": "api"}]', NOT_JIRA),    # canonical events
    (JSM, '{"summary": "Mia create this incident", "status": {"id": "1", "name": "Open"}, '
          '"affectedServices": {"fieldId": "customfield_10003", "value": []}}', NOT_JIRA),      # the JSM Incident API
    (JSM, '{"errorMessages": ["Field \'projet\' does not exist or you do not have permission to view it."], '
          '"errors": {}}', "a Jira error response, not search results (Field 'projet' does not exist"),
    (JSM, '"issues"', NOT_JIRA),
    (JSM, '{"issues": [1, {"id": "10001"}], "isLast": true}', NOT_JIRA),                       # holds no issue at all
    (JSM, '{"issues": [] } {oops', "invalid JSON at line 1"),
    (INCIDENT_IO, '{"incidents": [{"id": "PT4KHLK", "status": "resolved", "created_at": "2015-10-06T21:30:42Z"}], '
                  '"limit": 25}', NOT_INCIDENT_IO),                                             # a PagerDuty page
    (INCIDENT_IO, '{"data": [], "paging": {}}', NOT_INCIDENT_IO),                               # Opsgenie
    (INCIDENT_IO, '[{"ts": "2025-01-01T00:00:00Z", "kind": "incident_start", "service": "api"}]', NOT_INCIDENT_IO),
    (INCIDENT_IO, '{"incident": "INC-1"}', NOT_INCIDENT_IO),
    (INCIDENT_IO, '3', NOT_INCIDENT_IO),
    (INCIDENT_IO, '{"incidents": []}\n{"incidents": [', "invalid JSON at line 2"),
])
def test_a_file_that_is_not_the_tools_json_is_one_sentence(tmp_path, name, content, said):
    with pytest.raises(LoadError) as e:
        load_events([write(tmp_path, "export.json", content)], reader=source(name).make_reader())
    assert str(e.value).startswith("export.json: ") and said in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("name, fixture, window, expected", [
    # resolved: ITSM-101 45 min, ITSM-102 100 min (21:30 -> 23:10 UTC), ITSM-105 30 min; ITSM-104 and ITSM-106
    # open; p95 of 30, 45, 100 by linear interpolation: index 0.95 x 2 = 1.9, so 45 + 0.9 x 55
    (JSM, "jira_service_management/search_jql_pages.json", ("2025-03-03", "2025-03-10"),
     {"incidents": 5, "open_incidents": 2, "mttr_minutes_median": 45.0, "mttr_minutes_mean": 175 / 3,
      "mttr_minutes_p95": 94.5}),
    # resolved: INC-41 40 min, INC-42 90 min, INC-46 120 min (22:00 -> 00:00); INC-45, INC-49 and INC-50 open;
    # p95 of 40, 90, 120: index 1.9, so 90 + 0.9 x 30
    (INCIDENT_IO, "incident_io/incidents_pages.json", ("2025-05-05", "2025-05-14"),
     {"incidents": 6, "open_incidents": 3, "mttr_minutes_median": 90.0, "mttr_minutes_mean": 250 / 3,
      "mttr_minutes_p95": 117.0}),
])
def test_recovery_time_end_to_end(name, fixture, window, expected):
    frame, report = load_events([FIXTURES / fixture], reader=source(name).make_reader())
    dora = analyze(tables_from_frame(frame), Window.between(*window)).summary["dora"]
    assert {key: dora[key] for key in expected} == pytest.approx(expected)
