"""PagerDuty incidents API exports -> incident events (fixtures from the API documentation)."""
import json

import pytest

from conftest import FIXTURES, run_cli
from metrics.ingest import LoadError, load_events
from metrics.registry.source import source
from metrics.ingest.sources.common import json_documents
from metrics.ingest.sources.pagerduty.reader import read_pagerduty

PAGERDUTY = FIXTURES / "pagerduty_incidents.json"




def test_pagerduty_incidents_become_incident_events():
    frame, report = load_events([PAGERDUTY], reader=read_pagerduty)
    starts = frame[frame["kind"] == "incident_start"].set_index("incident_id")
    ends = frame[frame["kind"] == "incident_resolved"].set_index("incident_id")
    assert list(starts.index) == ["PT4KHLK", "PT4KHLL", "PT4KHLM", "PT4KHLN"]
    assert dict(starts["service"]) == {"PT4KHLK": "My Mail Service", "PT4KHLL": "My Mail Service",
                                       "PT4KHLM": "Checkout", "PT4KHLN": "Checkout"}
    # resolved_at when given, else last_status_change_at for a resolved incident; others stay open
    assert {k: str(v) for k, v in ends["ts"].items()} == {"PT4KHLK": "2015-10-06 21:38:23+00:00",
                                                          "PT4KHLL": "2015-10-07 11:30:00+00:00"}
    assert report.open_incidents == 2
    assert report.rejected.to_dict("records") == [
        {"source": "pagerduty_incidents.json", "row": "incident 5", "reason": "missing required field ts"}]


def test_pagerduty_import_gives_recovery_times(data_dir):
    p = run_cli("import", "--from", "pagerduty", PAGERDUTY, "--name", "pd")
    assert p.returncode == 0 and "Dataset pd: 6 events" in p.stdout
    d = json.loads(run_cli("--dataset", "pd", "--start", "2015-10-06", "--json").stdout)["dora"]
    # 21:30:42 -> 21:38:23 is 461 s = 7.6833 min; 10:00 -> 11:30 is 90 min; two still open
    assert (d["incidents"], d["open_incidents"], d["unattributed_incidents"]) == (4, 2, 4)
    assert d["mttr_minutes_mean"] == pytest.approx((461 / 60 + 90) / 2, abs=1e-4)
    assert d["mttr_minutes_median"] == pytest.approx((461 / 60 + 90) / 2, abs=1e-4)


def test_concatenated_pages_and_bad_exports(tmp_path):
    assert json_documents('{"a": 1}\n{"b": 2} [3]', "x") == [{"a": 1}, {"b": 2}, [3]]
    with pytest.raises(LoadError, match="invalid JSON"):
        json_documents('{"a": 1} {oops', "x")
    bad = tmp_path / "x.json"
    bad.write_text('{"incidents": 3}')
    with pytest.raises(LoadError, match="expected PagerDuty pages"):
        load_events([bad], reader=read_pagerduty)


def test_pagerduty_urgency_filter(data_dir):
    frame, report = load_events([PAGERDUTY], reader=source("pagerduty").make_reader(urgency="high"))
    # PT4KHLL is low urgency; PT4KHLO has none: both skipped and counted
    assert sorted(set(frame["incident_id"])) == ["PT4KHLK", "PT4KHLM", "PT4KHLN"]
    assert report.skipped == {"incidents not of --urgency high (low)": 1, "incidents not of --urgency high (none)": 1}
    run_cli("import", "--from", "pagerduty", PAGERDUTY, "--name", "pd", "--urgency", "high")
    d = json.loads(run_cli("--dataset", "pd", "--json").stdout)["dora"]
    # only PT4KHLK is resolved: 21:30:42 -> 21:38:23 = 461 s
    assert (d["incidents"], d["mttr_minutes_mean"]) == (3, pytest.approx(461 / 60, abs=1e-4))




def test_a_single_incident_and_analytics_raw_incidents(tmp_path):
    single = {"incident": {"id": "Q1", "created_at": "2024-03-01T10:00:00Z", "status": "resolved",
                           "resolved_at": "2024-03-01T10:30:00Z", "urgency": "high",
                           "service": {"id": "P1", "summary": "Checkout"}}}
    analytics = {"data": [{"id": "Q2", "created_at": "2024-03-02T10:00:00Z", "resolved_at": "2024-03-02T12:00:00Z",
                           "service_id": "P1", "service_name": "Checkout", "urgency": "high"},
                          {"id": "Q3", "created_at": "2024-03-03T10:00:00Z", "resolved_at": None,
                           "service_id": "P1", "service_name": "Checkout", "urgency": "low"}],
                 "ending": "2024-03-31T00:00:00Z", "starting": "2024-03-01T00:00:00Z"}
    (tmp_path / "one.json").write_text(json.dumps(single))
    (tmp_path / "raw.json").write_text(json.dumps(analytics))
    frame, report = load_events([tmp_path / "one.json", tmp_path / "raw.json"], reader=source("pagerduty").make_reader())
    assert report.rejected_count == 0
    kinds = sorted(zip(frame["incident_id"], frame["kind"]))
    assert kinds == [("Q1", "incident_resolved"), ("Q1", "incident_start"), ("Q2", "incident_resolved"),
                     ("Q2", "incident_start"), ("Q3", "incident_start")]
    assert set(frame["service"]) == {"Checkout"}
