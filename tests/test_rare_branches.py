"""Rare branches of the metrics core, each with a hand-computed test: rollbacks as rework, a custom
workweek in DTR's capacity, toil reaching capacity, an incident linked to a deployment days before
the window, the change from a negative or zero previous value, PagerDuty's two resolution times,
the developers of a window without PR authors. Issue 26, "The tests themselves"."""
import json
from pathlib import Path

import pytest

from components.kpi import change, delta_line
from components.teams import CHANGE_TONES, metric_cells
from conftest import run_cli
from helpers import analysis_of, ev
from metrics.ingest.sources.pagerduty.reader import read_pagerduty

PROD = {"environment": "production"}


def deploy(ts, deploy_id, service="api", **fields):
    return ev(ts, "deploy", service, deploy_id=deploy_id, **{**PROD, **fields})


# --- rework: change types -------------------------------------------------------------------------

def test_production_rollback_and_hotfix_are_rework_a_staging_rollback_is_no_deployment():
    """METRICS.md section 3: rework if the change type is hotfix or rollback. r1 a production
    rollback (2024-01-02), f1 a feature (01-03), r2 a rollback to staging (01-04: not a deployment at
    all), h1 a production hotfix (01-05). Deployments 3; rework r1 and h1: 2 / 3 = 66.67 %. A rollback
    is rework, not a failure: CFR 0 / 3 = 0 % (no failed status, no incident; the data has incidents
    elsewhere, so CFR is measured)."""
    rows = [deploy("2024-01-02T10:00:00Z", "r1", change_type="rollback"), deploy("2024-01-03T10:00:00Z", "f1"),
            deploy("2024-01-04T10:00:00Z", "r2", change_type="rollback", environment="staging"),
            deploy("2024-01-05T10:00:00Z", "h1", change_type="hotfix"),
            ev("2023-11-01T10:00:00Z", "incident_start", incident_id="old")]
    an = analysis_of(rows)
    d = an.summary["dora"]
    assert d["deployments"] == 3 and d["rework_rate_pct"] == pytest.approx(200 / 3)
    assert dict(zip(an.deployments["deploy_id"], an.deployments["rework"])) == {"api@r1": True, "api@f1": False,
                                                                                  "api@h1": True}
    assert d["change_failure_rate_pct"] == 0.0


def test_rollbacks_alone_make_rework_measurable():
    """Without incident data, rework needs deployments marked hotfix or rollback (docs: "needs
    `deploy`, `incident_start` or `rework deploy`"): one rollback of two deployments is 50 %, not n/a."""
    an = analysis_of([deploy("2024-01-02T10:00:00Z", "a", change_type="rollback"), deploy("2024-01-03T10:00:00Z", "b")])
    assert an.summary["dora"]["rework_rate_pct"] == 50.0


# --- DTR: the workweek and toil reaching capacity -------------------------------------------------

TOIL = [ev("2024-01-02T10:00:00Z", "toil", "team", metric_value=60),
        ev("2024-01-03T10:00:00Z", "incident_response", "team", metric_value=30)]


@pytest.mark.parametrize("workweek, days", [("Mon Tue Wed Thu Fri Sat", 6), ("Sat Sun", 2), ("Mon Tue Wed Thu Fri", 5)])
def test_dtr_capacity_counts_the_days_of_a_custom_workweek(workweek, days):
    """METRICS.md section 5: capacity = team size x working hours x working days x 60. The window
    2024-01-01 (Monday) to 01-08 holds each weekday once: 6 working days Monday-Saturday, 2 for
    "Sat Sun", 5 by default. Toil 60 + 30 = 90 min; capacity 8 x 8 x days x 60; DTR = 90 / (capacity
    - 90) x 100 (6 days: 90 / 22950 = 0.392 %)."""
    p = analysis_of(TOIL, workweek=workweek).summary["pvm"]
    capacity = 8 * 8 * days * 60
    assert p["feature_minutes"] == capacity - 90
    assert p["dtr_pct"] == pytest.approx(90 / (capacity - 90) * 100)


def test_workweek_on_the_command_line(tmp_path):
    """``--workweek "Sat Sun"`` reaches DTR: 2 working days in 2024-01-01..01-08, capacity
    8 x 8 x 2 x 60 = 7680 min, feature 7680 - 90 = 7590, DTR 90 / 7590 = 1.186 %."""
    events = tmp_path / "toil.csv"
    events.write_text("ts,kind,service,metric_value\n2024-01-02T10:00:00Z,toil,team,60\n"
                      "2024-01-03T10:00:00Z,incident_response,team,30\n")
    p = run_cli("--events", events, "--start", "2024-01-01", "--end", "2024-01-08", "--workweek", "Sat Sun", "--json")
    assert p.returncode == 0, p.stderr
    pvm = json.loads(p.stdout)["pvm"]
    assert pvm["feature_minutes"] == 7590 and pvm["dtr_pct"] == pytest.approx(90 / 7590 * 100)


@pytest.mark.parametrize("toil, feature", [(60, 0.0), (90, -30.0)])
def test_dtr_is_na_once_toil_reaches_capacity(toil, feature):
    """docs/metrics.md: "When toil reaches capacity, DTR is n/a". One developer, 1 h a day, Mondays
    only: capacity 1 x 1 x 1 x 60 = 60 min (one Monday, 2024-01-01). Toil 60: feature 0; toil 90:
    feature -30. DTR n/a either way, never a negative or infinite ratio."""
    rows = [ev("2024-01-02T10:00:00Z", "toil", "team", metric_value=toil)]
    p = analysis_of(rows, team_size=1, hours_per_day=1, workweek="Mon").summary["pvm"]
    assert p["feature_minutes"] == feature and p["dtr_pct"] is None


# --- attribution: an explicit link far before the window ------------------------------------------

def test_incident_linked_by_id_to_a_deployment_days_before_the_window():
    """METRICS.md section 2: "a deployment before the window may still be the one an incident ...
    inside it is linked to". d0 on 2023-12-25, 7 days before the window (far beyond the 24 h the
    inferred attribution looks back); i1 2024-01-02 10:00-10:30 names d0: explicit, attributed.
    d0 is not a deployment of the window: CFR counts d1 (2024-01-03) only, 0 / 1 = 0 %; no
    unattributed incident; the failed deployment recovery counts i1: 30 min."""
    rows = [deploy("2023-12-25T10:00:00Z", "d0"), deploy("2024-01-03T10:00:00Z", "d1"),
            ev("2024-01-02T10:00:00Z", "incident_start", incident_id="i1", deploy_id="d0"),
            ev("2024-01-02T10:30:00Z", "incident_resolved", incident_id="i1")]
    an = analysis_of(rows)
    row = an.incidents.iloc[0]
    assert (row["deploy_id"], row["attribution"], row["reason"]) == ("api@d0", "explicit", "explicit link (deploy_id)")
    d = an.summary["dora"]
    assert (d["deployments"], d["change_failure_rate_pct"], d["unattributed_incidents"]) == (1, 0.0, 0)
    assert an.details["failed_deployment_recovery"]["recovery_minutes_median"] == 30.0


# --- the change against the previous period -------------------------------------------------------

def test_change_from_a_negative_previous_value_is_relative_to_its_size():
    """From -10 to -5 the value rose by 5, half the size of -10: +50 %, an up arrow, green when
    higher is better and red when lower is; from -10 to -15 it fell: -50 %. Percentages change by
    points whatever the sign: -10 % to -5 % is +5.0 pp."""
    assert change(-5.0, -10.0, "") == ("+50 %", 50.0)
    assert change(-15.0, -10.0, "") == ("-50 %", -50.0)
    assert delta_line(-5.0, -10.0, "") == ("▲ +50 %", "text-success")
    assert delta_line(-5.0, -10.0, "", reverse_color=True) == ("▲ +50 %", "text-danger")
    assert delta_line(-15.0, -10.0, "") == ("▼ -50 %", "text-danger")
    assert change(-5.0, -10.0, "%") == ("+5.0 pp", 5.0)
    cells, _ = metric_cells("net", -5.0, "{:.0f}", "", -10.0, show_tier=False)
    assert (cells["net-change"], cells["net-tone"]) == ("▲ +50 %", CHANGE_TONES["text-success"])


def test_change_from_zero_is_new_in_the_direction_it_moved():
    """From 0 there is no relative change: "new". Its arrow and colour follow the direction: 0 to 3
    rose (up, green when higher is better), 0 to -3 fell (down, red; green when lower is better);
    0 to 0 is "no change", grey."""
    assert change(3.0, 0.0, "") == ("new", 1.0)
    assert change(-3.0, 0.0, "") == ("new", -1.0)
    assert delta_line(3.0, 0.0, "") == ("▲ new", "text-success")
    assert delta_line(-3.0, 0.0, "") == ("▼ new", "text-danger")
    assert delta_line(-3.0, 0.0, "", reverse_color=True) == ("▼ new", "text-success")
    assert delta_line(0.0, 0.0, "") == ("no change", "text-body-secondary")
    assert delta_line(0.0, 0.0, "%") == ("+0.0 pp", "text-body-secondary")


# --- PagerDuty: resolved_at and last_status_change_at ---------------------------------------------

def pagerduty_events(incidents) -> dict:
    """incident id -> {kind: ts} of ``read_pagerduty`` over an incidents page."""
    raw = read_pagerduty(json.dumps({"incidents": incidents, "more": False}), Path("pd.json"))
    out: dict = {}
    for row in raw.rows.to_dict("records"):
        out.setdefault(row["incident_id"], {})[row["kind"]] = row["ts"]
    return out


def test_pagerduty_resolution_is_resolved_at_not_the_last_status_change():
    """PagerDuty's incident: ``resolved_at`` is when it became resolved; ``last_status_change_at``
    when its status last changed (they agree in PagerDuty's own example, not always: a note or a
    merge later moves the last change). P1, resolved, resolved_at 10:30, last change 11:00: resolved
    at 10:30. P2, resolved, without resolved_at (older exports): the last change, 12:00. P3
    acknowledged, last change 13:00: open (no resolution event)."""
    service = {"id": "PSVC", "summary": "Checkout"}
    events = pagerduty_events([
        {"id": "P1", "created_at": "2024-01-02T10:00:00Z", "status": "resolved", "service": service,
         "resolved_at": "2024-01-02T10:30:00Z", "last_status_change_at": "2024-01-02T11:00:00Z"},
        {"id": "P2", "created_at": "2024-01-02T11:00:00Z", "status": "resolved", "service": service,
         "resolved_at": None, "last_status_change_at": "2024-01-02T12:00:00Z"},
        {"id": "P3", "created_at": "2024-01-02T12:30:00Z", "status": "acknowledged", "service": service,
         "last_status_change_at": "2024-01-02T13:00:00Z"}])
    assert events == {"P1": {"incident_start": "2024-01-02T10:00:00Z", "incident_resolved": "2024-01-02T10:30:00Z"},
                      "P2": {"incident_start": "2024-01-02T11:00:00Z", "incident_resolved": "2024-01-02T12:00:00Z"},
                      "P3": {"incident_start": "2024-01-02T12:30:00Z"}}


def test_pagerduty_urgency_keeps_one_urgency():
    """``--urgency high``: the low-urgency incident is skipped and counted."""
    incidents = [{"id": "H", "created_at": "2024-01-02T10:00:00Z", "status": "triggered", "urgency": "high"},
                 {"id": "L", "created_at": "2024-01-02T11:00:00Z", "status": "triggered", "urgency": "low"}]
    raw = read_pagerduty(json.dumps({"incidents": incidents}), Path("pd.json"), urgency="high")
    assert list(raw.rows["incident_id"]) == ["H"]
    assert sum(raw.skipped.values()) == 1


# --- deployments per developer without PR authors ---------------------------------------------------

def test_deployments_per_developer_without_authors_divide_by_the_team_size():
    """No PR names an author: the per-developer figure divides by the team size assumed (docs:
    "else the team size (the PVM assumption, said so on the card)"). 4 successful deployments / a
    team of 5 = 0.8."""
    rows = [deploy(f"2024-01-0{d}T10:00:00Z", f"d{d}") for d in range(1, 5)]
    rows.append(ev("2024-01-02T09:00:00Z", "pr_created", pr_id="p1"))
    an = analysis_of(rows, team_size=5)
    assert (an.details["developers"], an.details["developers_from"], an.details["deploys_per_developer"]) == \
        (5, "assumption", 0.8)


# --- attribution overrides and explicit links at their limits ---------------------------------------

def analysis_with(rows, overrides, start="2024-01-01", end="2024-01-08"):
    import pandas as pd
    from metrics import Window, analyze, normalize, tables_from_frame
    frame, report = normalize(pd.DataFrame(rows))
    assert report.rejected_count == 0, report.lines()
    return analyze(tables_from_frame(frame), Window.between(start, end), overrides=overrides)


def test_pin_to_a_deployment_days_before_the_window_and_not_caused_over_an_explicit_link():
    """docs/metrics.md, attribution reasons: a pin wins, and reaches a deployment the window does not
    hold (d0, 2023-12-25: applied before the window's tables are cut); ``not_caused`` wins over the
    incident's own ``deploy_id`` (i2 names d1). i3 is pinned to "nope", which the data does not hold:
    unattributed, saying why. Unattributed: i2 and i3 = 2; CFR: d1 (2024-01-03) is the window's only
    deployment and no incident counts against it: 0 / 1 = 0 %."""
    from metrics.attribution import Overrides
    rows = [deploy("2023-12-25T10:00:00Z", "d0"), deploy("2024-01-03T10:00:00Z", "d1")]
    for i, link in (("i1", ""), ("i2", "d1"), ("i3", "")):
        rows.append(ev("2024-01-04T10:00:00Z", "incident_start", incident_id=i, deploy_id=link))
    an = analysis_with(rows, Overrides(pins={"i1": "d0", "i3": "nope"}, not_caused=frozenset({"i2"})))
    got = {r.incident_id: (r.deploy_id, r.attribution, r.reason) for r in an.incidents.itertuples()}
    assert got == {"i1": ("api@d0", "pinned", "pinned by override"),
                   "i2": ("", "not caused", "none: override, not caused by a deployment"),
                   "i3": ("", "pinned, not found", "none: the pinned deployment is not in the data")}
    d = an.summary["dora"]
    assert (d["unattributed_incidents"], d["change_failure_rate_pct"]) == (2, 0.0)


def test_pr_whose_link_names_a_deployment_before_its_creation_is_not_deployed():
    """A merged PR's explicit ``deploy_id`` naming a deployment that happened before the PR was
    created cannot have shipped it: counted as merged, not deployed, never a negative lead time.
    p1 created 2024-01-03 09:00, merged 12:00, names d1 (2024-01-02). Waited 2024-01-03 12:00 ->
    2024-01-08 00:00 = 108 h."""
    rows = [deploy("2024-01-02T10:00:00Z", "d1"), ev("2024-01-03T09:00:00Z", "pr_created", pr_id="p1"),
            ev("2024-01-03T12:00:00Z", "pr_merged", pr_id="p1", deploy_id="d1")]
    an = analysis_of(rows)
    d = an.summary["dora"]
    assert (d["lead_time_hours_median"], d["merged_prs_not_deployed"]) == (None, 1)
    assert an.details["waiting_hours_max"] == 108.0


def test_an_empty_dataset_has_a_window_only_when_both_ends_are_given():
    """``over_data`` without data: start and end given, the window is theirs; one missing, it cannot
    be placed (one sentence, ValueError)."""
    from metrics.window import over_data, to_ns
    start, end = to_ns("2024-01-01"), to_ns("2024-01-08")
    assert over_data(None, start_ns=start, end_ns=end).days == 7
    with pytest.raises(ValueError, match="no accepted events"):
        over_data(None, start_ns=start)


def test_failed_deployments_alone_ship_nothing_and_cause_no_incident():
    """The searches over successful deployments with none to search (an empty index): f1 failed at
    2024-01-02 09:00, the only deployment. Incident i1 at 10:00 is not f1's (attribution takes the
    latest *successful* deployment): unattributed. p1 merged at 08:00 is not shipped by f1 (the first
    *successful* one at or after the merge): merged, not deployed. CFR 1 / 1 = 100 % (f1's status)."""
    rows = [deploy("2024-01-02T09:00:00Z", "f1", status="failed"),
            ev("2024-01-02T10:00:00Z", "incident_start", incident_id="i1"),
            ev("2024-01-02T07:00:00Z", "pr_created", pr_id="p1"), ev("2024-01-02T08:00:00Z", "pr_merged", pr_id="p1")]
    d = analysis_of(rows).summary["dora"]
    assert (d["unattributed_incidents"], d["merged_prs_not_deployed"], d["change_failure_rate_pct"]) == (1, 1, 100.0)


# --- importers' fallbacks and outcomes (docs/metrics.md, the importer table) -----------------------

def rows_of(raw) -> list[dict]:
    return raw.rows.to_dict("records")


def test_gitlab_deployment_is_at_finished_at_else_updated_at():
    """GitLab: "`deploy` at `finished_at` (else `updated_at`)". Deployment 1 finished 10:05, updated
    10:30 (a later edit): at 10:05. Deployment 2 without finished_at: at its updated_at, 11:00."""
    from metrics.ingest.sources.gitlab.reader import events_from_gitlab
    common = {"deployable": {"web_url": "https://gitlab.test/acme/shop/-/jobs/1"}, "status": "success",
              "environment": {"name": "production"}}
    raw = events_from_gitlab([{**common, "id": 1, "finished_at": "2024-01-02T10:05:00Z", "updated_at": "2024-01-02T10:30:00Z"},
                              {**common, "id": 2, "finished_at": None, "updated_at": "2024-01-02T11:00:00Z"}])
    assert [(r["deploy_id"], r["ts"]) for r in rows_of(raw)] == [("1", "2024-01-02T10:05:00Z"), ("2", "2024-01-02T11:00:00Z")]


def test_jira_incident_is_resolved_at_resolutiondate_else_the_done_status_change():
    """Jira Service Management: "`incident_resolved` at `resolutiondate` (done without one:
    `statuscategorychangedate`)". INC-1: resolutiondate 12:00, status changed 13:00: 12:00. INC-2,
    done without a resolution date: 14:00. INC-3 not done, with a status change: open."""
    from metrics.ingest.sources.jira_service_management.reader import events_from_issues

    def issue(key, done, **fields):
        return {"key": key, "fields": {"created": "2024-01-02T09:00:00.000+0000", "issuetype": {"name": "Incident"},
                                       "status": {"statusCategory": {"key": "done" if done else "indeterminate"}},
                                       "components": [{"name": "shop"}], **fields}}
    raw = events_from_issues([
        issue("INC-1", True, resolutiondate="2024-01-02T12:00:00.000+0000", statuscategorychangedate="2024-01-02T13:00:00.000+0000"),
        issue("INC-2", True, resolutiondate=None, statuscategorychangedate="2024-01-02T14:00:00.000+0000"),
        issue("INC-3", False, statuscategorychangedate="2024-01-02T15:00:00.000+0000")])
    resolved = {r["incident_id"]: r["ts"] for r in rows_of(raw) if r["kind"] == "incident_resolved"}
    assert resolved == {"INC-1": "2024-01-02T12:00:00.000+0000", "INC-2": "2024-01-02T14:00:00.000+0000"}


def test_github_prerelease_is_not_a_production_deployment():
    """GitHub releases as deployments: "a prerelease is not production"."""
    from metrics.ingest.sources.github.reader import events_from_github
    url = "https://api.github.com/repos/acme/shop/releases/"
    raw = events_from_github([{"url": url + "1", "tag_name": "v1.0", "published_at": "2024-01-02T10:00:00Z",
                               "draft": False, "prerelease": False},
                              {"url": url + "2", "tag_name": "v1.1-rc1", "published_at": "2024-01-03T10:00:00Z",
                               "draft": False, "prerelease": True}], releases=True)
    assert [(r["deploy_id"], r["environment"]) for r in rows_of(raw)] == [("v1.0", "production"), ("v1.1-rc1", "prerelease")]


def test_jenkins_unstable_build_is_a_failed_deployment():
    """Jenkins: "SUCCESS `success`, FAILURE and UNSTABLE `failed`"."""
    from metrics.ingest.sources.jenkins.reader import events_from_jenkins
    builds = [{"number": n, "result": result, "timestamp": 1704189600000 + n, "duration": 1000, "building": False}
              for n, result in ((1, "SUCCESS"), (2, "UNSTABLE"), (3, "FAILURE"))]
    raw = events_from_jenkins([{"name": "deploy-shop", "fullName": "deploy-shop", "builds": builds}])
    assert [r["status"] for r in rows_of(raw)] == ["success", "failed", "failed"]


def test_opsgenie_closed_incident_is_resolved_at_its_last_update():
    """Opsgenie: "when its status is `resolved` or `closed`, `incident_resolved` at `updatedAt`";
    open is open."""
    from metrics.ingest.sources.opsgenie.reader import events_from_opsgenie
    raw = events_from_opsgenie([{"id": f"o{n}", "createdAt": "2024-01-02T10:00:00Z", "updatedAt": "2024-01-02T11:00:00Z",
                                 "status": status, "impactedServices": ["shop"]}
                                for n, status in ((1, "closed"), (2, "resolved"), (3, "open"))])
    assert sorted(r["incident_id"] for r in rows_of(raw) if r["kind"] == "incident_resolved") == ["o1", "o2"]


@pytest.mark.parametrize("hours, ok", [(24, True), (24.001, False), (0.001, True), (0, False)])
def test_working_hours_a_day_are_above_zero_and_at_most_twenty_four(hours, ok):
    """The assumption's range (docs: hours per day above 0 and at most 24): 24 is a whole day, 0 is
    refused in one sentence."""
    from metrics.compute.pvm import Assumptions
    if ok:
        Assumptions(hours_per_day=hours).check()
    else:
        with pytest.raises(ValueError, match="hours per day must be above 0 and at most 24"):
            Assumptions(hours_per_day=hours).check()


def test_a_one_day_window_has_no_iar_halves_and_no_periods():
    """IAR over a 1-day window: ``days // 2`` = 0, so both halves are empty (0 and 0: n/a, not 0 %),
    and no 7-day block fits: an empty period table. The day's 2 deployments still count."""
    rows = [deploy("2024-01-02T10:00:00Z", "a"), deploy("2024-01-02T11:00:00Z", "b")]
    an = analysis_of(rows, start="2024-01-02", end="2024-01-03")
    p = an.summary["pvm"]
    assert (p["first_period_deploys"], p["second_period_deploys"], p["iar_pct"]) == (0, 0, None)
    assert len(an.iar_periods) == 0 and an.summary["dora"]["deployments"] == 2
