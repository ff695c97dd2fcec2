"""incident.io incidents -> incident events (``incident-io``).

Fixtures written by hand from the incident.io API documentation:
- List incidents V2, https://docs.incident.io/api-reference/incidents-v2/list (``GET /v2/incidents``:
  incidents[], pagination_meta {after, page_size, total_record_count}; at most 250 a page) and
  https://api-docs.incident.io/tag/Incidents-V2 (status categories triage, declined, merged,
  canceled, live, learning, closed);
- the incident object (IncidentV2): id, reference "INC-123", created_at, mode (standard,
  retrospective, test, tutorial), incident_status {category, name, ...}, incident_timestamp_values
  [{incident_timestamp {id, name, rank}, value {value}}] (value left out when the timestamp is not
  set), custom_field_entries [{custom_field {id, name, field_type, ...}, values [{value_catalog_entry
  {name, ...} | value_option {value} | value_text}]}];
- incident timestamps, https://docs.incident.io/api-reference/incident-timestamps-v2 and the
  lifecycle, https://help.incident.io/en/articles/6541971-incident-lifecycle (timestamps are set by
  status transitions or by hand; organisations rename and add them).
"""
import json

from hypothesis import given, strategies as st

from api_exports import rejections, write
from conftest import FIXTURES
from incident_source_checks import FUZZ, json_values, load_or_sentence
from incident_source_checks import events as sorted_events
from metrics.ingest import load_events
from metrics.registry.source import source

PAGES = FIXTURES / "incident_io" / "incidents_pages.json"
NAME = "incident-io"


def reader(**options):
    return source(NAME).make_reader(**options)


def events(frame) -> list:
    return sorted_events(frame, ("incident_id", "ts"))


def incident(reference: str, category: str = "closed", created: str = "2025-06-02T10:00:00Z", mode: str = "standard",
             stamps: dict | None = None, services=("api",)) -> dict:
    """One incident as GET /v2/incidents lists it (the fields the reader reads, and a few beside them)."""
    return {"id": "01JV" + reference, "reference": reference, "name": "Something is wrong", "mode": mode,
            "created_at": created, "updated_at": created, "visibility": "public",
            "incident_status": {"category": category, "id": "01S", "name": category.title(), "rank": 1},
            "incident_timestamp_values": [{"incident_timestamp": {"id": "01T" + n[:3], "name": n, "rank": 1},
                                           "value": {"value": v}} for n, v in (stamps or {}).items()],
            "custom_field_entries": [{"custom_field": {"id": "01F", "name": "Affected services", "field_type": "multi_select",
                                                       "description": "", "options": []},
                                      "values": [{"value_catalog_entry": {"id": "01C", "name": s, "aliases": []}}
                                                 for s in services]}]}


def test_the_declaration():
    spec = source(NAME)
    assert (spec.title, spec.upload) == ("incident.io incidents (JSON)", True)
    assert [(o.name, o.command_flag, o.default) for o in spec.options] == [
        ("service_field", "--service-field", "Affected services"), ("default_service", "--default-service", None),
        ("start_timestamp", "--start-timestamp", "Reported at"), ("resolved_timestamp", "--resolved-timestamp", "Resolved at")]


def test_incident_pages_become_incident_events():
    frame, report = load_events([PAGES], reader=reader())
    # three pages of GET /v2/incidents (pagination_meta.after on the first two); the recovery time of this file
    # end to end is in test_incident_sources.py
    assert events(frame) == [
        ("INC-41", "incident_start", "2025-05-05 09:00:00+00:00", "checkout"),      # "Reported at", not created_at
        ("INC-41", "incident_resolved", "2025-05-05 09:40:00+00:00", "checkout"),   # closed: "Resolved at", 40 min
        ("INC-42", "incident_start", "2025-05-06 13:00:00+00:00", "search"),        # 14:00+01:00
        ("INC-42", "incident_resolved", "2025-05-06 14:30:00+00:00", "search"),     # learning (post-incident): 90 min
        ("INC-45", "incident_start", "2025-05-08 08:00:00+00:00", "checkout"),      # live: open
        ("INC-46", "incident_start", "2025-05-09 22:00:00+00:00", "search"),        # retrospective, written 05-20
        ("INC-46", "incident_resolved", "2025-05-10 00:00:00+00:00", "search"),     # 120 min
        ("INC-49", "incident_start", "2025-05-11 10:00:00+00:00", "checkout"),
        ("INC-50", "incident_start", "2025-05-12 10:00:00+00:00", "search")]
    assert report.skipped == {"declined incidents (status category declined: not incidents)": 1,      # INC-43
                              "triage incidents (status category triage: not incidents)": 1,          # INC-44
                              "test incidents (mode test: practice, not incidents)": 1,               # INC-47
                              "merged incidents (status category merged: not incidents)": 1,          # INC-48
                              "canceled incidents (status category canceled: not incidents)": 1}      # INC-51
    assert rejections(report) == [
        ("incident 9", "incident_resolved before its incident_start"),              # INC-49: resolved 09:30 < 10:00
        ("incident 10", "learning, but its 'Resolved at' timestamp is not set (its start is kept; the "
                        "resolved-timestamp option names another)"),                # INC-50
        ("incident 12", "missing required field service"), ("incident 12", "missing required field service")]  # INC-52
    assert (report.rows_read, report.accepted, report.open_incidents) == (13, 9, 3)  # INC-45, 49, 50 open


def test_the_service_field_and_the_default_service():
    team, _ = load_events([PAGES], reader=reader(service_field="affected team"))
    assert set(team["service"]) == {"Product"}                                      # a single-select option's value
    by_id, _ = load_events([PAGES], reader=reader(service_field="01hxfield0affectedservices"))
    default, _ = load_events([PAGES], reader=reader())
    assert events(by_id) == events(default)                                         # the field's id, any case
    frame, report = load_events([PAGES], reader=reader(default_service="platform"))
    assert [e for e in events(frame) if e[0] == "INC-52"] == [
        ("INC-52", "incident_start", "2025-05-13 10:00:00+00:00", "platform"),
        ("INC-52", "incident_resolved", "2025-05-13 10:15:00+00:00", "platform")]
    assert dict(zip(frame["incident_id"], frame["service"]))["INC-41"] == "checkout"    # the field still comes first
    frame, report = load_events([PAGES], reader=reader(), service="shop")           # --service: every event's
    assert set(frame["service"]) == {"shop"} and "INC-52" in set(frame["incident_id"])


def test_the_timestamps_an_incident_starts_and_ends_at():
    same, _ = load_events([PAGES], reader=reader(start_timestamp="REPORTED AT", resolved_timestamp=" resolved at"))
    default, _ = load_events([PAGES], reader=reader())
    assert events(same) == events(default)                                          # names in any case
    frame, report = load_events([PAGES], reader=reader(start_timestamp="Accepted at", resolved_timestamp="Closed at"))
    timed = {(e[0], e[1]): e[2] for e in events(frame)}
    assert timed[("INC-41", "incident_start")] == "2025-05-05 09:02:11.123456+00:00"   # "Accepted at"
    assert timed[("INC-41", "incident_resolved")] == "2025-05-05 10:30:00+00:00"       # "Closed at"
    # INC-46 has no "Accepted at": it starts at created_at (05-20, when it was written down), after its closing
    assert timed[("INC-46", "incident_start")] == "2025-05-20 12:00:00+00:00"
    assert ("incident 6", "incident_resolved before its incident_start") not in rejections(report)  # same time: kept
    assert timed[("INC-46", "incident_resolved")] == "2025-05-20 12:00:00+00:00"
    assert ("incident 2", "learning, but its 'Closed at' timestamp is not set (its start is kept; the "
                          "resolved-timestamp option names another)") in rejections(report)


def test_one_incident_a_list_and_an_empty_page(tmp_path):
    one = write(tmp_path, "one.json", {"incident": incident("INC-1", stamps={"Reported at": "2025-06-02T10:00:00Z",
                                                                            "Resolved at": "2025-06-02T10:00:00Z"})})
    many = write(tmp_path, "many.json", [incident("INC-2", "paused"), incident("INC-3", "live", mode="retrospective")])
    empty = write(tmp_path, "empty.json", {"incidents": [], "pagination_meta": {"page_size": 25, "total_record_count": 0}})
    frame, report = load_events([one, many, empty], reader=reader())
    # resolved at the very time it was reported: 0 minutes, accepted; paused and live incidents are open
    assert events(frame) == [("INC-1", "incident_start", "2025-06-02 10:00:00+00:00", "api"),
                             ("INC-1", "incident_resolved", "2025-06-02 10:00:00+00:00", "api"),
                             ("INC-2", "incident_start", "2025-06-02 10:00:00+00:00", "api"),
                             ("INC-3", "incident_start", "2025-06-02 10:00:00+00:00", "api")]
    assert (report.rejected_count, report.open_incidents) == (0, 2)
    early = write(tmp_path, "early.json", [incident("INC-4", stamps={"Reported at": "2025-06-02T10:00:00Z",
                                                                     "Resolved at": "2025-06-02T09:59:59.999999Z"})])
    frame, report = load_events([early], reader=reader())
    assert rejections(report) == [("incident 1", "incident_resolved before its incident_start")]


def test_records_missing_what_they_need_are_rejected_with_their_reason(tmp_path):
    no_reference = incident("INC-7")
    del no_reference["reference"], no_reference["id"]
    no_time = incident("INC-8")
    del no_time["created_at"]
    odd_shapes = {**incident("INC-9", "live"), "incident_timestamp_values": 5, "custom_field_entries": {"a": 1}}
    page = {"incidents": ["INC-5", {"incident_status": None}, incident("INC-6", "resolved"), no_reference, no_time,
                          odd_shapes, incident("INC-10", "tutorial", mode="tutorial")]}
    frame, report = load_events([write(tmp_path, "page.json", page)], reader=reader(default_service="platform"))
    assert rejections(report) == [
        ("incident 1", "not a JSON object (str)"),
        ("incident 2", "no incident_status.category (not an incident.io incident)"),
        ("incident 3", "unknown incident_status.category 'resolved' (known: live, paused, learning, closed, triage, "
                       "declined, merged, canceled)"),
        ("incident 4", "no reference or id"),
        ("incident 5", "no created_at (and no 'Reported at' timestamp)")]
    # timestamps and custom fields of another shape are none: created_at, and the default service
    assert events(frame) == [("INC-9", "incident_start", "2025-06-02 10:00:00+00:00", "platform")]
    assert report.skipped == {"tutorial incidents (mode tutorial: practice, not incidents)": 1}


options = st.fixed_dictionaries({"service_field": st.sampled_from(["Affected services", "", "01F"]),
                                 "default_service": st.sampled_from([None, "platform"]),
                                 "start_timestamp": st.sampled_from(["Reported at", ""]),
                                 "resolved_timestamp": st.sampled_from(["Resolved at", "Closed at"])})


@FUZZ
@given(json_values(["incidents", "incident", "pagination_meta", "id", "reference", "created_at", "mode",
                    "incident_status", "category", "incident_timestamp_values", "incident_timestamp", "name", "value",
                    "custom_field_entries", "custom_field", "values", "value_catalog_entry", "value_option",
                    "value_text"],
                   ["2025-05-05T09:00:00Z", "closed", "live", "learning", "triage", "test", "Reported at", "Resolved at",
                    "Affected services"]), options)
def test_any_json_gives_a_report_or_a_sentence(tmp_path_factory, value, chosen):
    page = {"incidents": value if isinstance(value, list) else [value]}
    for doc in (value, page, {"incidents": [incident("INC-1"), value]}):
        load_or_sentence(tmp_path_factory.mktemp("j"), json.dumps(doc, allow_nan=True).encode(), reader(**chosen))


@FUZZ
@given(st.binary(max_size=300), options)
def test_any_bytes_give_a_report_or_a_sentence(tmp_path_factory, content, chosen):
    load_or_sentence(tmp_path_factory.mktemp("b"), content, reader(**chosen))
