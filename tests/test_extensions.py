"""The built-in extension patterns (docs/metrics.md, "Extension patterns"), worked out by hand.

Window: 2024-01-01 (Monday) to 2024-01-08, 7 days of which 5 are working days; team of 8.
Production deployments: 01-01 api success and api failed, 01-02 web success, 01-03 api success
(4, 3 successful); a staging deploy on 01-04 is no deployment.
Incidents: i1 api 01-01 10:00-10:30 (30 min); i2 web 01-02 10:00-13:00 (180 min); i3 api 01-04
10:00-11:30 (90 min); i4 web 01-07 23:30, open (30 min before the window's end); i5 api 01-05
00:00, open (3 days at the end).
On call 8 h (01-02) + 4 h (01-06) = 12 h; toil 120 min; incident response 60 min; platform
hours 4; infrastructure cost 500 + 250.50 USD.
"""
import numpy as np
import pytest

from components.figures import deployment_success_rate
from metrics import Window, analyze, load_events, tables_from_frame
from metrics.builtin import METRICS
from metrics.compute.extensions import sla_compliance, success_rate
from metrics.series import bucketed
from metrics.compute.pvm import Assumptions

WINDOW = Window.between("2024-01-01", "2024-01-08")
HEADER = "ts,kind,service,deploy_id,incident_id,pr_id,metric_value,status,change_type,environment,author\n"
ROWS = """\
2024-01-01T09:00:00Z,deploy,api,d1,,,,success,,production,
2024-01-01T09:30:00Z,deploy,api,d2,,,,failed,,production,
2024-01-02T09:00:00Z,deploy,web,d3,,,,success,,production,
2024-01-03T09:00:00Z,deploy,api,d4,,,,,,,
2024-01-04T09:00:00Z,deploy,api,s1,,,,success,,staging,
2024-01-01T10:00:00Z,incident_start,api,,i1,,,,,,
2024-01-01T10:30:00Z,incident_resolved,api,,i1,,,,,,
2024-01-02T10:00:00Z,incident_start,web,,i2,,,,,,
2024-01-02T13:00:00Z,incident_resolved,web,,i2,,,,,,
2024-01-04T10:00:00Z,incident_start,api,,i3,,,,,,
2024-01-04T11:30:00Z,incident_resolved,api,,i3,,,,,,
2024-01-07T23:30:00Z,incident_start,web,,i4,,,,,,
2024-01-05T00:00:00Z,incident_start,api,,i5,,,,,,
2024-01-02T18:00:00Z,on_call_hours,team,,,,8,,,,
2024-01-06T18:00:00Z,on_call_hours,team,,,,4,,,,
2024-01-03T12:00:00Z,toil,team,,,,120,,,,
2024-01-01T12:00:00Z,incident_response,team,,,,60,,,,
2024-01-01T08:00:00Z,platform_investment_hour,platform,,,,4,,,,
2024-01-01T00:00:00Z,infra_cost,platform,,,,500,,,,
2024-01-05T00:00:00Z,infra_cost,platform,,,,250.50,,,,
"""


def load(tmp_path, rows=ROWS):
    path = tmp_path / "events.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return load_events([path])


@pytest.fixture
def tables(tmp_path):
    frame, report = load(tmp_path)
    assert report.rejected_count == 0 and report.unknown_kinds == {}
    return tables_from_frame(frame)


def test_deployments_per_developer(tables, tmp_path):
    # no PR names an author: 3 successful production deployments / the 8 developers assumed; / 3 assumed
    an = analyze(tables, WINDOW, sla={"*": 60})
    assert an.details["deploys_per_developer"] == pytest.approx(3 / 8)
    assert (an.details["developers"], an.details["developers_from"]) == (8, "assumption")
    assert analyze(tables, WINDOW, Assumptions(team_size=3), sla={"*": 60}).details["deploys_per_developer"] == 1.0
    # PRs with authors: ann (twice) and bob created in the window, cy on 12-31 (before it), one without an
    # author, dan at the window's end (outside) -> 2 distinct authors in the window, whatever the team size assumed: 3 / 2
    authored = ROWS + """\
2024-01-01T08:00:00Z,pr_created,api,,,#1,,,,,ann
2024-01-02T08:00:00Z,pr_created,api,,,#2,,,,,ann
2024-01-08T00:00:00Z,pr_created,web,,,#6,,,,,dan
2024-01-07T23:59:59Z,pr_created,web,,,#3,,,,,bob
2023-12-31T23:59:59Z,pr_created,web,,,#4,,,,,cy
2024-01-03T08:00:00Z,pr_created,web,,,#5,,,,,
"""
    frame, report = load(tmp_path, authored)
    assert report.rejected_count == 0
    an = analyze(tables_from_frame(frame), WINDOW, Assumptions(team_size=3), sla={"*": 60})
    assert (an.details["developers"], an.details["developers_from"]) == (2, "authors")
    assert an.details["deploys_per_developer"] == pytest.approx(3 / 2)
    # the card says what it divided by (issue 23, item 5: never a synthetic default team unsaid)
    card = next(spec for spec in METRICS if spec.key == "deploys_per_developer")
    assert card.footnote(an) == "3 successful deploys / 2 PR authors in the window"
    assumed = card.footnote(analyze(tables, WINDOW, sla={"*": 60}))
    assert assumed.startswith("3 successful deploys / 8 developers, an assumption: the data names no PR authors")


def test_deployment_success_rate_per_day(tables):
    daily = analyze(tables, WINDOW, sla={"*": 60}).daily
    # 01-01: 1 of 2; 01-02: 1 of 1; 01-03: 1 of 1 (status empty = success); no deployments after
    expected = [50.0, 100.0, 100.0, np.nan, np.nan, np.nan, np.nan]
    np.testing.assert_array_equal(success_rate(daily["deployments"], daily["successful_deployments"]), expected)
    # the chart draws the same numbers, a gap where there were no deployments
    b = bucketed(daily, "day")
    rate = success_rate(b["deployments"], b["successful_deployments"])
    assert list(deployment_success_rate(b, rate, "light").data[0].y) == [50.0, 100.0, 100.0, None, None, None, None]


def test_the_dora_tabs_success_rate_chart_is_the_metrics_function(tables):
    """The DORA tab's chart draws ``metrics.compute.extensions.success_rate``: 1 of 2, 1 of 1, 1 of 1, then gaps."""
    from components.panels import figures
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS
    an = analyze(tables, WINDOW, sla={"*": 60})
    _, charts = TAB_VIEWS["dora"](Computed(an, an, "", "", ("api", "web")), "light")
    chart = figures(charts)["success-rate"]
    assert list(chart.data[0].y) == [50.0, 100.0, 100.0, None, None, None, None]
    assert [list(c) for c in chart.data[0].customdata[:2]] == [["2024-01-01", "1", "2"], ["2024-01-02", "1", "1"]]


def test_no_success_rate_from_deployments_that_carry_no_status(tmp_path):
    """Git tags carry no status: every deployment reads as a success. With no deployment marked
    failed anywhere in the data the chart says why it is not drawn, never 100 % (issue 23, item 1)."""
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS
    from test_components import find
    frame, _ = load(tmp_path, ROWS.replace(",failed,", ",success,"))
    an = analyze(tables_from_frame(frame), WINDOW, sla={"*": 60})
    _, charts = TAB_VIEWS["dora"](Computed(an, an, "", "", ("api", "web")), "light")
    empty = find(charts, "empty-success-rate")
    assert empty is not None and "No deployment in this dataset is marked failed" in str(empty.children)


def test_success_rate_per_week_from_the_summed_counts():
    """Over 120 days the chart draws weeks from the summed counts, not the mean of daily rates.
    Wed 2024-01-03 .. Tue 2024-01-16, deployments 2, 0, 4, 1, 1 | 3, 0, 0, 0, 2, 0, 0 | 1, 1 and
    successful 1, 0, 4, 1, 0 | 3, 0, 0, 0, 1, 0, 0 | 0, 1:
    week of Jan 01 (5 days): 6 of 8 = 75 %; week of Jan 08: 4 of 5 = 80 %; week of Jan 15 (2 days): 1 of 2 = 50 %
    (the mean of the first week's daily rates would be (50 + 100 + 100 + 0) / 4 = 62.5 %)."""
    import pandas as pd
    daily = pd.DataFrame({"date": pd.date_range("2024-01-03", periods=14, freq="D", tz="UTC"),
                          "deployments": [2, 0, 4, 1, 1, 3, 0, 0, 0, 2, 0, 0, 1, 1],
                          "successful_deployments": [1, 0, 4, 1, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1]})
    b = bucketed(daily, "week")
    assert [f"{d:%Y-%m-%d}" for d in b["start"]] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert list(b["days"]) == [5, 7, 2]
    rate = success_rate(b["deployments"], b["successful_deployments"])
    assert list(rate) == [75.0, 80.0, 50.0]
    figure = deployment_success_rate(b, rate, "light", "week")
    assert list(figure.data[0].y) == [75.0, 80.0, 50.0] and figure.layout.title.text == "Deployment success rate per week"
    assert figure.data[0].customdata[0][0] == "week of Jan 01, 2024 (5 d in the window)"


def test_sla_compliance_per_service_targets(tables):
    d = analyze(tables, WINDOW, sla={"api": 60, "*": 120}).details
    # i1 30 <= 60 met; i2 180 > 120 breach; i3 90 > 60 breach; i4 open 30 min < 120: not judged yet;
    # i5 open 3 days > 60: breach -> 1 of 4
    assert (d["sla_met"], d["sla_judged"], d["sla_open_breaches"]) == (1, 4, 1)
    assert d["sla_compliance_pct"] == 25.0


def test_sla_from_the_setting(tables, monkeypatch):
    monkeypatch.setenv("METRICS_SLA_MINUTES", "api=60, *=200")
    d = analyze(tables, WINDOW).details
    # now i2 (180 <= 200) is met too: 2 of 4
    assert (d["sla_met"], d["sla_judged"], d["sla_compliance_pct"]) == (2, 4, 50.0)
    assert d["sla_targets"] == {"*": 200.0, "api": 60.0}
    monkeypatch.delenv("METRICS_SLA_MINUTES")
    # the default, 60 min for every service: i1 met; i2, i3, i5 breaches; i4 (30 min open) not judged
    an = analyze(tables, WINDOW)
    assert an.details["sla_compliance_pct"] == 25.0
    # nobody set it: the card says the target is the default and where to set it (issue 23, item 1)
    sla = next(spec for spec in METRICS if spec.key == "sla_compliance_pct")
    assert sla.footnote(an) == ("1 of 4 incidents within target (1 open past it) · target 60 min every service, "
                                "the default: set METRICS_SLA_MINUTES")
    monkeypatch.setenv("METRICS_SLA_MINUTES", "60")           # the same target, chosen: no longer "the default"
    assert sla.footnote(analyze(tables, WINDOW)).endswith("· target 60 min every service")


def test_sla_boundary_and_bad_setting(tables, monkeypatch):
    # a recovery exactly at its target is within it: i1 (30 min, api 30) and i2 (web, any) met;
    # i3 (90 > 30) and i5 (open 3 days) breaches; i4 not judged
    inc = analyze(tables, WINDOW, sla={"*": 60}).tables.incidents
    got = sla_compliance(inc, tables.services, WINDOW.end_ns, {"api": 30, "*": 1e6})
    assert (got["sla_met"], got["sla_judged"]) == (2, 4)
    monkeypatch.setenv("METRICS_SLA_MINUTES", "api=soon")
    d = analyze(tables, WINDOW).details
    assert d["sla_compliance_pct"] is None
    assert d["sla_problem"] == "METRICS_SLA_MINUTES for api must be a number between 0 and 1e+07, got 'soon'."


def test_on_call_burden_in_dtr(tables):
    an = analyze(tables, WINDOW, sla={"*": 60})
    p, d = an.summary["pvm"], an.details
    # toil = 60 response + 120 toil + 12 h x 60 on call = 900 min; capacity 8 x 8 h x 5 days x 60 = 19200
    assert p["toil_minutes"] == 900.0 and p["feature_minutes"] == 18300.0
    assert p["dtr_pct"] == pytest.approx(900 / 18300 * 100)
    assert d["on_call_hours"] == 12.0
    assert d["on_call_hours_per_developer_week"] == pytest.approx(12 / 8 / 1)
    assert d["on_call_share_of_toil_pct"] == pytest.approx(80.0)
    # without on call: 180 / (19200 - 180) x 100
    assert d["on_call_dtr_points"] == pytest.approx(900 / 18300 * 100 - 180 / 19020 * 100)
    assert list(an.daily["on_call_hours"]) == [0, 8, 0, 0, 0, 4, 0]


def test_infrastructure_cost_in_vcr(tables):
    p = analyze(tables, WINDOW, sla={"*": 60}).summary["pvm"]
    # cost = (4 platform h + 180 min / 60 + 12 on-call h) x 150 + 750.50 infrastructure = 3600.50
    assert p["total_cost_usd"] == pytest.approx(3600.5)
    assert p["total_value_usd"] == 600.0
    assert p["vcr_pct"] == pytest.approx(600 / 3600.5 * 100)


@pytest.mark.parametrize("row, reason", [
    ("2024-01-02T00:00:00Z,on_call_hours,team,,,,-1,,,,", "on-call hours must be >= 0"),
    ("2024-01-02T00:00:00Z,on_call_hours,team,,,,,,,,", "missing metric_value (required for on_call_hours)"),
    ("2024-01-02T00:00:00Z,infra_cost,platform,,,,-5,,,,", "infrastructure cost must be >= 0"),
])
def test_new_kinds_are_validated(tmp_path, row, reason):
    _, report = load(tmp_path, row + "\n")
    assert report.rejected_count == 1
    assert report.rejected["reason"].iloc[0].startswith(reason)


def test_on_call_plugin_matches_the_built_in(tables):
    from test_plugins import EXAMPLES

    from metrics.plugins import evaluate, load_plugins, window_events
    customs = {c.spec.name: c for c in load_plugins(str(EXAMPLES / "on_call_burden.py"))}
    an = analyze(tables, WINDOW, sla={"*": 60})
    events = window_events(an.tables, WINDOW)
    assert evaluate(customs["on_call_share_of_toil"], events).headline == pytest.approx(80.0)
    assert an.details["on_call_share_of_toil_pct"] == pytest.approx(80.0)
    weekly = evaluate(customs["on_call_hours_per_week"], events)
    # 8 h on Tuesday 01-02 and 4 h on Saturday 01-06: one ISO week, Monday 01-01
    assert weekly.frame["on-call hours"].tolist() == [12.0]
    assert str(weekly.frame["period"].iloc[0]) == "2024-01-01 00:00:00+00:00"
