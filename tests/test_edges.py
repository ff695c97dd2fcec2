"""Exact boundaries: every comparison of the metrics core with an event exactly on its edge (and,
where it matters, one nanosecond either side), each expected value worked out by hand from
METRICS.md and docs/metrics.md in the comments. Issue 26, "The tests themselves": `<` for `<=`
must never survive.

The default window of ``analysis_of`` is [2024-01-01, 2024-01-08): seven whole UTC days, Monday to
Sunday. "1 ns" is written out as ``.000000001`` / ``.999999999`` (times are int64 nanoseconds).
"""
import numpy as np
import pandas as pd
import pytest

from helpers import analysis_of, ev
from metrics import Window
from metrics.builtin import METRICS
from metrics.schema import NS_PER_DAY
from metrics.window import over_data, to_ns

PROD = {"environment": "production"}


def deploy(ts, deploy_id, service="api", **fields):
    return ev(ts, "deploy", service, deploy_id=deploy_id, **{**PROD, **fields})


def incident(start, incident_id, resolved=None, service="api", **fields):
    rows = [ev(start, "incident_start", service, incident_id=incident_id, **fields)]
    return rows + ([ev(resolved, "incident_resolved", service, incident_id=incident_id)] if resolved else [])


def spec(key):
    return next(s for s in METRICS if s.key == key)


def attributed(an) -> dict:
    """incident id -> (deploy id, attribution) from the drill-down table."""
    return {r.incident_id: (r.deploy_id, r.attribution) for r in an.incidents.itertuples()}


# --- the window [start, end) --------------------------------------------------------------------

def test_window_holds_its_first_instant_and_not_its_end_midnight():
    """METRICS.md section 2: the window is [start, end). Deployments at 2023-12-31 23:59:59.999999999
    (1 ns before the start: out), 2024-01-01 00:00 (b, the start: in), 2024-01-07 23:59:59.999999999
    (c, failed, 1 ns before the end: in) and 2024-01-08 00:00 (d, the end's midnight: out): 2
    deployments, on the first and the last day; 1 successful: 1 / 7 a day. A PR of the window names d (its merge's ``deploy_id``), so
    d stays among the tables the window reads (an explicit link reaches outside the window): still
    not one of its deployments (CFR's and rework's denominator: b and c). One failed deployment of
    the two: CFR 50 %."""
    an = analysis_of([deploy("2023-12-31T23:59:59.999999999Z", "a"), deploy("2024-01-01T00:00:00Z", "b"),
                      deploy("2024-01-07T23:59:59.999999999Z", "c", status="failed"), deploy("2024-01-08T00:00:00Z", "d"),
                      ev("2024-01-07T10:00:00Z", "pr_created", pr_id="p1"),
                      ev("2024-01-07T11:00:00Z", "pr_merged", pr_id="p1", deploy_id="d")])
    d = an.summary["dora"]
    assert d["deployments"] == 2 and d["successful_deployments"] == 1 and d["change_failure_rate_pct"] == 50.0
    assert d["deploys_per_day"] == pytest.approx(1 / 7)
    assert an.daily["deployments"].tolist() == [1, 0, 0, 0, 0, 0, 1]
    assert sorted(an.deployments["deploy_id"]) == ["api@b", "api@c"]


def test_team_events_at_the_window_end_are_left_out():
    """The same edge for the team-level tables and PR activity: a survey, toil, platform hours and a PR
    at 2024-01-08 00:00 (the end) are not in the window; their twins at 2024-01-01 00:00 are. Hand:
    1 survey (score 4), toil 30 min, platform 2 h, 1 PR created / 7 days."""
    rows = []
    for ts, score, minutes, hours, pr in (("2024-01-01T00:00:00Z", 4, 30, 2, "p1"), ("2024-01-08T00:00:00Z", 1, 999, 50, "p2")):
        rows += [ev(ts, "satisfaction_survey", "team", metric_value=score), ev(ts, "toil", "team", metric_value=minutes),
                 ev(ts, "platform_investment_hour", "team", metric_value=hours), ev(ts, "pr_created", pr_id=pr)]
    an = analysis_of(rows)
    s, p = an.summary["space"], an.summary["pvm"]
    assert (s["satisfaction_responses"], s["satisfaction_mean"]) == (1, 4.0)
    assert (p["toil_minutes"], p["platform_hours"]) == (30.0, 2.0)
    assert s["prs_per_day"] == pytest.approx(1 / 7)


def test_developers_are_the_authors_of_prs_created_in_the_window_not_at_its_end():
    """Deployments per developer divides by the distinct authors of the window's PRs
    (``extensions.developers`` reads the clipped tables: ``tables.clip`` must leave out a PR created
    at the end's midnight). alice and bob (the first author has code 0: it counts) in the window,
    carol at 2024-01-08 00:00: 2 developers; 4 successful deployments / 2 = 2.0."""
    rows = [deploy(f"2024-01-0{d}T10:00:00Z", f"d{d}") for d in range(1, 5)]
    rows += [ev("2024-01-02T09:00:00Z", "pr_created", pr_id="p1", author="alice"),
             ev("2024-01-03T09:00:00Z", "pr_created", pr_id="p2", author="bob"),
             ev("2024-01-08T00:00:00Z", "pr_created", pr_id="p3", author="carol")]
    an = analysis_of(rows)
    assert (an.details["developers"], an.details["developers_from"]) == (2, "authors")
    assert an.details["deploys_per_developer"] == 2.0


def test_window_constructors_at_their_edges():
    """A window of no day is refused (end == start); ``covering`` a last event at exactly midnight
    ends the day after it (the event is inside); ``over_data`` with an end equal to its start is
    refused, and an explicit start wins over ``days`` (``--start`` and ``--days`` together: the
    start given, not end - days)."""
    day = to_ns("2024-01-01")
    with pytest.raises(ValueError):
        Window(day, day)
    assert Window(day, day + NS_PER_DAY).days == 1
    w = Window.covering(day, day + 2 * NS_PER_DAY)               # last event 2024-01-03 00:00
    assert (w.start, w.end) == (pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-04", tz="UTC"))
    assert w.contains(np.array([day + 2 * NS_PER_DAY])).tolist() == [True]
    with pytest.raises(ValueError, match="the window is empty: its end must be after its start"):
        over_data(None, start_ns=day, end_ns=day)
    span = (day, day + 9 * NS_PER_DAY)                           # data 2024-01-01 .. 01-10: covering ends 01-11
    assert over_data(span, days=3).start == pd.Timestamp("2024-01-08", tz="UTC")
    explicit = over_data(span, days=3, start_ns=day + NS_PER_DAY)
    assert (explicit.start, explicit.end) == (pd.Timestamp("2024-01-02", tz="UTC"), pd.Timestamp("2024-01-11", tz="UTC"))


# --- attribution: strictly before, at most N hours ------------------------------------------------

def test_incident_at_a_deployments_instant_is_the_earlier_deployments():
    """METRICS.md section 3: the latest successful deployment "that started before the incident"
    (strictly). d1 08:00 and d2 10:00 on 2024-01-02; incident i1 at 10:00 exactly: d2 has not started
    before it, so i1 is d1's (2 h earlier, within 24 h). Incident i2 at 2024-01-03 07:00 on service
    web, whose only deployment w1 is at 07:00 too: nothing before it, unattributed. CFR: d1 of d1, d2,
    w1 failed = 1/3 = 33.33 %."""
    rows = [deploy("2024-01-02T08:00:00Z", "d1"), deploy("2024-01-02T10:00:00Z", "d2"),
            deploy("2024-01-03T07:00:00Z", "w1", service="web")]
    rows += incident("2024-01-02T10:00:00Z", "i1", "2024-01-02T10:30:00Z")
    rows += incident("2024-01-03T07:00:00Z", "i2", "2024-01-03T07:30:00Z", service="web")
    an = analysis_of(rows)
    assert attributed(an) == {"i1": ("api@d1", "inferred"), "i2": ("", "unattributed")}
    d = an.summary["dora"]
    assert d["change_failure_rate_pct"] == pytest.approx(100 / 3) and d["unattributed_incidents"] == 1


def test_attribution_window_is_at_most_24_hours():
    """docs/metrics.md: "at most 24 hours earlier". api: d1 2024-01-02 10:00, incident exactly 24 h
    later (2024-01-03 10:00): d1's. web: w1 2024-01-02 10:00, incident 24 h + 1 ns later: none."""
    rows = [deploy("2024-01-02T10:00:00Z", "d1"), deploy("2024-01-02T10:00:00Z", "w1", service="web")]
    rows += incident("2024-01-03T10:00:00Z", "i1", "2024-01-03T11:00:00Z")
    rows += incident("2024-01-03T10:00:00.000000001Z", "i2", "2024-01-03T11:00:00Z", service="web")
    an = analysis_of(rows)
    assert attributed(an) == {"i1": ("api@d1", "inferred"), "i2": ("", "unattributed")}


def test_attribution_reaches_a_deployment_exactly_24_hours_before_the_window():
    """METRICS.md section 2: a deployment before the window may still be the one an incident of it is
    attributed to. d0 at 2023-12-31 00:00, exactly 24 h before the window's start; incident i1 at
    2024-01-01 00:00 (the window's first instant): d0's, inferred. d0 is outside the window, so it is
    not among CFR's deployments (none in the window: CFR n/a), but the failed deployment recovery
    counts i1 (attributed, 45 min)."""
    rows = [deploy("2023-12-31T00:00:00Z", "d0")] + incident("2024-01-01T00:00:00Z", "i1", "2024-01-01T00:45:00Z")
    an = analysis_of(rows)
    assert attributed(an) == {"i1": ("api@d0", "inferred")}
    d = an.summary["dora"]
    assert d["unattributed_incidents"] == 0 and d["deployments"] == 0 and d["change_failure_rate_pct"] is None
    assert an.details["failed_deployment_recovery"]["recovery_minutes_median"] == 45.0


def test_attribution_window_option_moves_the_edge():
    """``attribution_hours`` 2: d1 at 2024-01-02 08:00, incident at 10:00 (exactly 2 h: d1's) and at
    10:00:00.000000001 on web after w1 at 08:00 (2 h + 1 ns: none)."""
    rows = [deploy("2024-01-02T08:00:00Z", "d1"), deploy("2024-01-02T08:00:00Z", "w1", service="web")]
    rows += incident("2024-01-02T10:00:00Z", "i1") + incident("2024-01-02T10:00:00.000000001Z", "i2", service="web")
    an = analysis_of(rows, attribution_hours=2.0)
    assert attributed(an) == {"i1": ("api@d1", "inferred"), "i2": ("", "unattributed")}


# --- lead time: at or after the merge, before the window's end ------------------------------------

def test_pr_merged_at_a_deployments_instant_ships_with_it():
    """METRICS.md section 3: the first successful deployment of the service "at or after the merge".
    p1 created 2024-01-02 08:00, merged 10:00; d1 at 10:00 exactly, d2 2024-01-03 10:00: d1 ships
    it, lead time 2 h (not d2's 26 h); merge to deploy 0 h."""
    rows = [deploy("2024-01-02T10:00:00Z", "d1"), deploy("2024-01-03T10:00:00Z", "d2"),
            ev("2024-01-02T08:00:00Z", "pr_created", pr_id="p1"), ev("2024-01-02T10:00:00Z", "pr_merged", pr_id="p1")]
    an = analysis_of(rows)
    assert an.summary["dora"]["lead_time_hours_median"] == 2.0
    assert an.prs["deploy_id"].tolist() == ["api@d1"]
    assert an.details["merge_to_deploy_hours_median"] == 0.0


def test_a_deployment_at_the_window_end_ships_nothing_of_the_window():
    """docs/metrics.md: the shipping deployment is "before the window's end". p1 merged 2024-01-07
    23:00, its merge names dEnd (explicit link), deployed at 2024-01-08 00:00, the end; p2 merged
    2024-01-06 00:00, no link, and no deployment until dEnd: both merged, not deployed; they have
    waited 1 h and 48 h to the end: median 24.5 h, oldest 48 h (the card says "48.0 h" as "2.0 d":
    hours under 48 in hours, 48 and more in days)."""
    rows = [deploy("2024-01-08T00:00:00Z", "dEnd"),
            ev("2024-01-07T20:00:00Z", "pr_created", pr_id="p1"),
            ev("2024-01-07T23:00:00Z", "pr_merged", pr_id="p1", deploy_id="dEnd"),
            ev("2024-01-05T00:00:00Z", "pr_created", pr_id="p2"), ev("2024-01-06T00:00:00Z", "pr_merged", pr_id="p2")]
    an = analysis_of(rows)
    d = an.summary["dora"]
    assert d["merged_prs_not_deployed"] == 2 and d["lead_time_hours_median"] is None
    assert (an.details["waiting_hours_median"], an.details["waiting_hours_max"]) == (24.5, 48.0)
    assert spec("lead_time_hours_median").caution(an).endswith(
        "2 merged PRs wait for a release: median 24.5 h since the merge, oldest 2.0 d")


def test_squash_merge_deployed_at_its_creation_instant_is_timed_zero():
    """A PR created, merged and deployed at one instant (a squash merge read from git history,
    deployed at once) is deployed (a deployment "at or after" its creation): lead time 0 h, timed
    from the merge. p2, created 2024-01-03 08:00, merged 09:00, shipped by d2 at 10:00: 2 h. Median
    (0 + 2) / 2 = 1 h; 1 of the 2 timed from the merge: the footnote says so, and the card does not
    claim that every deployed PR is a squash merge."""
    rows = [deploy("2024-01-02T10:00:00Z", "d1"), deploy("2024-01-03T10:00:00Z", "d2"),
            ev("2024-01-02T10:00:00Z", "pr_created", pr_id="p1"), ev("2024-01-02T10:00:00Z", "pr_merged", pr_id="p1"),
            ev("2024-01-03T08:00:00Z", "pr_created", pr_id="p2"), ev("2024-01-03T09:00:00Z", "pr_merged", pr_id="p2")]
    an = analysis_of(rows)
    assert an.summary["dora"]["lead_time_hours_median"] == 1.0
    assert sorted(an.prs["lead_time_hours"]) == [0.0, 2.0]
    assert an.details["timed_from_merge"] == 1 and an.summary["dora"]["merged_prs_not_deployed"] == 0
    assert "1 of 2 from the merge (squash merges)" in spec("lead_time_hours_median").footnote(an)
    assert spec("lead_time_hours_median").caution(an) is None
    # merge time: p1 (0 h) has no life before its merge: counted, not timed; p2 1 h
    assert an.summary["space"]["merge_time_hours_mean"] == 1.0 and an.details["unmeasured_prs"] == 1


def test_every_deployed_pr_a_squash_merge_is_said():
    """The rare branch of the lead-time card: both deployed PRs are created at their merge (timed from
    the merge, 0 h and 0 h): the card says it measures merge to deploy, and merge time is n/a with
    why (2 squash merges not timed)."""
    rows = [deploy("2024-01-02T10:00:00Z", "d1")]
    for p in ("p1", "p2"):
        rows += [ev("2024-01-02T10:00:00Z", "pr_created", pr_id=p), ev("2024-01-02T10:00:00Z", "pr_merged", pr_id=p)]
    an = analysis_of(rows)
    assert an.details["timed_from_merge"] == 2
    assert spec("lead_time_hours_median").caution(an) == \
        "measures merge to deploy: every deployed PR is a squash merge (no time before its merge)"
    assert "from the merge" not in spec("lead_time_hours_median").footnote(an)        # the caution says it all
    assert an.summary["space"]["merge_time_hours_mean"] is None
    assert spec("merge_time_hours_mean").caution(an) is not None


# --- rework: start <= deploy < resolved -----------------------------------------------------------

def test_rework_interval_is_closed_at_the_incident_start_and_open_at_its_resolution():
    """docs/metrics.md, rework: a deployment while an incident of its service was open,
    ``start <= deploy < resolved`` (or not yet resolved). i1 2024-01-02 10:00-12:00: a at 10:00
    (its start: rework), b at 12:00 (its resolution: not). c 2024-01-03 09:00 a rollback and d 10:00
    a hotfix: rework by their change type. e 2024-01-04 10:00: not. i2 opens 2024-01-05 10:00 and
    never resolves: f 09:59:59 (before it: not), g 2024-01-06 10:00 (while open: rework). 4 of 7 =
    57.14 %. Attribution: i1 has nothing strictly before it (unattributed); i2 is f's (1 s before):
    CFR 1/7."""
    rows = [deploy("2024-01-02T10:00:00Z", "a"), deploy("2024-01-02T12:00:00Z", "b"),
            deploy("2024-01-03T09:00:00Z", "c", change_type="rollback"),
            deploy("2024-01-03T10:00:00Z", "d", change_type="hotfix"), deploy("2024-01-04T10:00:00Z", "e"),
            deploy("2024-01-05T09:59:59Z", "f"), deploy("2024-01-06T10:00:00Z", "g")]
    rows += incident("2024-01-02T10:00:00Z", "i1", "2024-01-02T12:00:00Z") + incident("2024-01-05T10:00:00Z", "i2")
    an = analysis_of(rows)
    flags = dict(zip(an.deployments["deploy_id"], an.deployments["rework"]))
    assert flags == {"api@a": True, "api@b": False, "api@c": True, "api@d": True, "api@e": False,
                     "api@f": False, "api@g": True}
    d = an.summary["dora"]
    assert d["rework_rate_pct"] == pytest.approx(400 / 7) and an.details["rework_deployments"] == 4
    assert d["change_failure_rate_pct"] == pytest.approx(100 / 7)
    assert attributed(an) == {"i1": ("", "unattributed"), "i2": ("api@f", "inferred")}


def test_an_incident_of_another_service_makes_no_rework():
    """Rework by incident is per service: web's incident 2024-01-02 10:00-12:00 leaves api's 11:00
    feature deployment alone (0 of 1 = 0 %)."""
    rows = [deploy("2024-01-02T11:00:00Z", "a")] + incident("2024-01-02T10:00:00Z", "i1", "2024-01-02T12:00:00Z", service="web")
    assert analysis_of(rows).summary["dora"]["rework_rate_pct"] == 0.0


# --- satisfaction after an incident: at or after its start, less than 7 x 24 h later -------------

def test_survey_exactly_seven_days_after_an_incident_is_not_within_them():
    """METRICS.md section 4: the mean of responses "within 7 days after an incident start", read as
    ``series.soon_after`` documents it: at or after the start and less than 7 x 24 h later (the
    week after the incident, half-open like every window). Window [2024-01-01, 2024-01-15);
    incident 2024-01-01 10:00. Surveys: 09:59:59 (before it, score 4: other), 10:00 (its instant,
    2: after), 2024-01-08 09:59:59.999999999 (1 ns under 7 days, 3: after), 2024-01-08 10:00
    (exactly 7 days, 5: other). After (2 + 3) / 2 = 2.5; others (4 + 5) / 2 = 4.5."""
    rows = incident("2024-01-01T10:00:00Z", "i1", "2024-01-01T11:00:00Z")
    for ts, score in (("2024-01-01T09:59:59Z", 4), ("2024-01-01T10:00:00Z", 2),
                      ("2024-01-08T09:59:59.999999999Z", 3), ("2024-01-08T10:00:00Z", 5)):
        rows.append(ev(ts, "satisfaction_survey", "team", metric_value=score))
    an = analysis_of(rows, end="2024-01-15")
    assert an.details["satisfaction_after_incident_mean"] == 2.5
    assert an.details["satisfaction_other_mean"] == 4.5


def test_satisfaction_trend_needs_two_distinct_times_and_two_are_enough():
    """Trend: least-squares slope in points per 30 days, n/a with fewer than two distinct response
    times. Two answers at one instant: n/a. Scores 2 at 2024-01-01 00:00 and 4 at 2024-01-02 00:00:
    the line through them rises 2 a day = 60 per 30 days, and is 2.0 at the window's start."""
    same = [ev("2024-01-02T00:00:00Z", "satisfaction_survey", "team", metric_value=v) for v in (2, 4)]
    assert analysis_of(same).details["satisfaction_trend_per_30_days"] is None
    two = [ev("2024-01-01T00:00:00Z", "satisfaction_survey", "team", metric_value=2),
           ev("2024-01-02T00:00:00Z", "satisfaction_survey", "team", metric_value=4)]
    an = analysis_of(two)
    assert an.details["satisfaction_trend_per_30_days"] == pytest.approx(60.0)
    assert an.details["satisfaction_trend_start"] == pytest.approx(2.0)


# --- IAR: the halves and the period blocks ------------------------------------------------------

def test_iar_halves_of_an_even_window_meet_at_the_first_instant_of_the_second():
    """14 days [2024-01-01, 2024-01-15), half 7: first [01-01, 01-08), second [01-08, 01-15).
    Successful deployments: 2023-12-31 12:00 (before the window: neither), 01-01 00:00 (first),
    01-07 23:59:59.999999999 (first), 01-08 00:00 (the second half's first instant: second), 01-10
    (second), 01-14 23:59:59.999999999 (second), 01-15 00:00 (the window's end: neither; kept in the
    tables by p1's explicit link). First 2, second 3: IAR (3 - 2) / 2 = 50 %."""
    rows = [deploy(ts, f"d{i}") for i, ts in enumerate((
        "2023-12-31T12:00:00Z", "2024-01-01T00:00:00Z", "2024-01-07T23:59:59.999999999Z", "2024-01-08T00:00:00Z",
        "2024-01-10T12:00:00Z", "2024-01-14T23:59:59.999999999Z", "2024-01-15T00:00:00Z"))]
    rows += [ev("2024-01-14T20:00:00Z", "pr_created", pr_id="p1"),
             ev("2024-01-14T21:00:00Z", "pr_merged", pr_id="p1", deploy_id="d6")]
    p = analysis_of(rows, end="2024-01-15").summary["pvm"]
    assert (p["first_period_deploys"], p["second_period_deploys"], p["iar_pct"]) == (2, 3, 50.0)


def test_iar_odd_window_leaves_its_middle_day_out():
    """15 days [2024-01-01, 2024-01-16), half 7: first [01-01, 01-08), second [01-09, 01-16); the
    middle day 01-08 in neither. Deployments 01-01 10:00 (first), 01-08 00:00 and 01-08 23:59:59
    (the middle day: neither), 01-09 00:00 (second's first instant). 1 and 1: IAR 0 %."""
    rows = [deploy(ts, f"d{i}") for i, ts in enumerate((
        "2024-01-01T10:00:00Z", "2024-01-08T00:00:00Z", "2024-01-08T23:59:59Z", "2024-01-09T00:00:00Z"))]
    p = analysis_of(rows, end="2024-01-16").summary["pvm"]
    assert (p["first_period_deploys"], p["second_period_deploys"], p["iar_pct"]) == (1, 1, 0.0)


def test_iar_blocks_of_a_90_day_window_are_weeks_and_the_oldest_starts_on_its_edge():
    """docs/metrics.md: blocks of 7 days for windows up to 90 days (30 beyond), counted back from the
    end, an incomplete oldest block left out. [2024-01-01, 2024-03-31) is 90 days: 12 weeks, the
    oldest from 03-31 - 84 days = 2024-01-07 00:00. Deployments 2024-01-06 23:59:59 (the 6 days
    left out), 2024-01-07 00:00 (block 0's first instant), 2024-01-14 00:00 twice (block 1), 2024-03-30
    (block 11, the last): counts 1, 2, 0 ... 1; growth n/a for block 0 (nothing before it in the
    window: not the last block's), (2 - 1) / 1 = 100 % for block 1, (0 - 2) / 2 = -100 % for block 2.
    A 91-day window has 3 blocks of 30 days."""
    rows = [deploy("2024-01-06T23:59:59Z", "x"), deploy("2024-01-07T00:00:00Z", "a"),
            deploy("2024-01-14T00:00:00Z", "b"), deploy("2024-01-14T00:00:00Z", "c", service="web"),
            deploy("2024-03-30T12:00:00Z", "z")]
    periods = analysis_of(rows, end="2024-03-31").iar_periods
    assert len(periods) == 12 and set(periods["period_days"]) == {7}
    assert periods["period_start"].iloc[0] == pd.Timestamp("2024-01-07", tz="UTC")
    assert periods["successful_deployments"].tolist() == [1, 2] + [0] * 9 + [1]
    growth = periods["growth_pct"].tolist()[:3]
    assert pd.isna(growth[0]) and growth[1:] == [100.0, -100.0]
    longer = analysis_of(rows, end="2024-04-01").iar_periods
    assert len(longer) == 3 and set(longer["period_days"]) == {30}
    assert longer["period_start"].iloc[0] == pd.Timestamp("2024-01-02", tz="UTC")


# --- SLA compliance: resolved within the target, open past it ------------------------------------

def test_sla_target_met_exactly_and_an_open_incident_exactly_at_it(monkeypatch):
    """docs/metrics.md, SLA: within means <= the target (60 min when unset); an open incident is a
    breach once its target "had passed" at the window's end (2024-01-08 00:00). i1 resolved in
    exactly 60 min: met. i2 in 60 min + 1 ns: judged, not met. i3 open, started 60 min before the
    end: its target has not passed: not judged. i4 open, started 60 min + 1 ns before the end: a
    breach. 1 met of 3 judged = 33.33 %; 1 open breach."""
    monkeypatch.delenv("METRICS_SLA_MINUTES", raising=False)
    rows = (incident("2024-01-02T10:00:00Z", "i1", "2024-01-02T11:00:00Z")
            + incident("2024-01-03T10:00:00Z", "i2", "2024-01-03T11:00:00.000000001Z")
            + incident("2024-01-07T23:00:00Z", "i3") + incident("2024-01-07T22:59:59.999999999Z", "i4"))
    d = analysis_of(rows).details
    assert (d["sla_met"], d["sla_judged"], d["sla_open_breaches"]) == (1, 3, 1)
    assert d["sla_compliance_pct"] == pytest.approx(100 / 3)


# --- ISO weeks: Monday 00:00 UTC -----------------------------------------------------------------

def test_weekly_series_split_at_monday_midnight_and_stop_at_the_windows_end():
    """METRICS.md section 2: weekly series use ISO weeks from Monday 00:00 UTC, every week of the
    window. [2024-01-01, 2024-01-15) ends on a Monday: exactly two weeks, 01-01 and 01-08 (the week
    of 01-15 holds none of its days). Surveys (by their time): 2024-01-02 (score 3) and 2024-01-07
    23:59:59.999999999 (Sunday, 2): week 01-01, mean 2.5; 2024-01-08 00:00 (Monday, 4): week 01-08.
    PR p1 created at
    2024-01-08 00:00, reviewed 3 h later: week 01-08's turnaround 3 h."""
    rows = [ev("2024-01-02T00:00:00Z", "satisfaction_survey", "team", metric_value=3),
            ev("2024-01-07T23:59:59.999999999Z", "satisfaction_survey", "team", metric_value=2),
            ev("2024-01-08T00:00:00Z", "satisfaction_survey", "team", metric_value=4),
            ev("2024-01-08T00:00:00Z", "pr_created", pr_id="p1"), ev("2024-01-08T03:00:00Z", "pr_reviewed", pr_id="p1")]
    weekly = analysis_of(rows, end="2024-01-15").weekly
    assert weekly["week"].tolist() == [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-08", tz="UTC")]
    assert weekly["satisfaction_mean"].tolist() == [2.5, 4.0] and weekly["responses"].tolist() == [2, 1]
    assert weekly["reviewed_prs"].tolist() == [0, 1] and weekly["review_turnaround_hours_mean"].iloc[1] == 3.0


# --- tiers, bands and Quick Check answers at their bounds ----------------------------------------

@pytest.mark.parametrize("table, value, tier", [
    # METRICS.md section 3, deployment frequency: elite r >= 1/day, high r >= 1/week, medium r >= 1/month (30 d)
    ("deployment_frequency", 1.0, "elite"), ("deployment_frequency", 0.999, "high"),
    ("deployment_frequency", 1 / 7, "high"), ("deployment_frequency", 1 / 7 - 1e-9, "medium"),
    ("deployment_frequency", 1 / 30, "medium"), ("deployment_frequency", 1 / 30 - 1e-9, "low"),
    # lead time: elite < 24 h, high < 7 d, medium < 30 d, low otherwise
    ("lead_time", 23.999, "elite"), ("lead_time", 24.0, "high"), ("lead_time", 168.0, "medium"),
    ("lead_time", 719.999, "medium"), ("lead_time", 720.0, "low"),
    # CFR: elite <= 5 %, high <= 10 %, medium <= 15 %, low above
    ("change_failure_rate", 5.0, "elite"), ("change_failure_rate", 5.001, "high"),
    ("change_failure_rate", 10.0, "high"), ("change_failure_rate", 15.0, "medium"), ("change_failure_rate", 15.001, "low"),
    # recovery: elite < 1 h, high < 1 d, medium < 7 d (in minutes)
    ("recovery_time", 59.999, "elite"), ("recovery_time", 60.0, "high"), ("recovery_time", 1440.0, "medium"),
    ("recovery_time", 10080.0, "low"),
])
def test_tier_bounds_as_metrics_md_writes_them(table, value, tier):
    """Each DORA tier bound with a value exactly on it (and just past it): "<" bounds leave the
    value on them to the next tier, "<=" and ">=" bounds keep it."""
    from metrics.benchmarks import TIER_TABLES
    assert TIER_TABLES[table].tier(value)[0] == tier


@pytest.mark.parametrize("metric, value, colour", [
    # METRICS.md section 5: VCR below 200 % red, 200-1000 % amber, >= 1000 % green
    ("vcr", 199.999, "red"), ("vcr", 200.0, "amber"), ("vcr", 999.999, "amber"), ("vcr", 1000.0, "green"),
    # IAR: < 10 % red, 10-30 % amber, >= 30 % green
    ("iar", 9.999, "red"), ("iar", 10.0, "amber"), ("iar", 30.0, "green"),
    # DTR: <= 10 % green, 10-30 % amber, > 30 % red
    ("dtr", 10.0, "green"), ("dtr", 10.001, "amber"), ("dtr", 30.0, "amber"), ("dtr", 30.001, "red"),
])
def test_band_bounds_as_metrics_md_writes_them(metric, value, colour):
    """Each PVM band bound with a value exactly on it and just past it."""
    from metrics.benchmarks import band
    assert band(metric, value) == colour


@pytest.mark.parametrize("hours, answer", [(0.999, 6), (1.0, 5), (23.999, 5), (24.0, 4), (168.0, 3), (720.0, 2),
                                           (4319.999, 2), (4320.0, 1)])
def test_quick_check_duration_answers_at_their_bounds(hours, answer):
    """docs/metrics.md: < 1 h -> 6, < 24 h -> 5, < 168 h -> 4, < 720 h -> 3, < 4320 h -> 2, else 1."""
    from metrics.benchmarks import duration_answer
    assert duration_answer(hours) == answer


@pytest.mark.parametrize("per_day, answer", [(24.0, 6), (23.999, 5), (1.0, 5), (1 / 7, 4), (1 / 30, 3), (1 / 180, 2),
                                             (1 / 180 - 1e-9, 1)])
def test_quick_check_frequency_answers_at_their_bounds(per_day, answer):
    """docs/metrics.md: r >= 24 -> 6, >= 1 -> 5, >= 1/7 -> 4, >= 1/30 -> 3, >= 1/180 -> 2, else 1."""
    from metrics.benchmarks import frequency_answer
    assert frequency_answer(per_day) == answer


def test_quick_check_standing_at_the_average_and_one_deviation_below():
    """docs/metrics.md: at or above the average (score >= mean) green; within one standard deviation
    below amber (mean - std <= score); red below. Mean 8.3, std 2.0: 8.3 above, 8.2 near, 6.3 near
    (exactly one deviation below), 6.2 below."""
    from metrics.benchmarks import standing
    assert [standing(s, 8.3, 2.0) for s in (8.3, 8.2, 6.3, 6.2)] == ["above", "near", "near", "below"]


@pytest.mark.parametrize("count, tier", [(5, "high"), (4, None)])
def test_a_frequency_tier_needs_five_deployments_in_a_short_window(count, tier):
    """METRICS.md section 3: deployment frequency needs at least 5 deployments or a window of at
    least 30 days. 5 deployments in 7 days: 5 / 7 = 0.71 a day, at least 1 a week: high. 4: no tier."""
    rows = [deploy(f"2024-01-0{d}T10:00:00Z", f"d{d}") for d in range(1, count + 1)]
    assert analysis_of(rows).summary["dora"]["tiers"]["deployment_frequency"] == tier


@pytest.mark.parametrize("end, tier", [("2024-01-31", "low"), ("2024-01-30", None)])
def test_no_deployment_in_thirty_days_is_low_and_in_twenty_nine_no_tier(end, tier):
    """The same rule's other arm: 0 deployments in [2024-01-01, 01-31), 30 days: low; in 29 days: no
    tier (a deployment before the window keeps "deploy" among the data's kinds)."""
    rows = [deploy("2023-06-01T10:00:00Z", "old")]
    assert analysis_of(rows, end=end).summary["dora"]["tiers"]["deployment_frequency"] == tier


def test_custom_metrics_see_the_windows_events_from_its_first_instant_to_before_its_end():
    """docs/metrics.md, custom metrics: functions over the window's events. ``window_events`` of
    events at 2023-12-31 23:59:59.999999999, 2024-01-01 00:00, 2024-01-07 23:59:59.999999999 and
    2024-01-08 00:00 keeps the middle two."""
    from metrics import normalize, tables_from_frame
    from metrics.plugins import window_events
    times = ("2023-12-31T23:59:59.999999999Z", "2024-01-01T00:00:00Z", "2024-01-07T23:59:59.999999999Z",
             "2024-01-08T00:00:00Z")
    frame, _ = normalize(pd.DataFrame([deploy(ts, f"d{i}") for i, ts in enumerate(times)]))
    seen = window_events(tables_from_frame(frame), Window.between("2024-01-01", "2024-01-08"))
    assert sorted(seen["deploy_id"]) == ["api@d1", "api@d2"]
