"""Teams: the teams file, glob patterns, and the sentences for what cannot be shown."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from metrics.teams import Team, TeamsError, read_teams, resolve

SERVICES = ["checkout", "payments", "pay-gateway", "pay-ledger", "search-api", "indexer"]


def write(tmp_path, text):
    path = tmp_path / "teams.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_globs_pick_services(tmp_path):
    teams = read_teams(write(tmp_path, '[teams.payments]\nservices = ["checkout", "pay-*"]\n'
                                       '[teams.search]\nservices = ["search-api", "indexer", "ranker"]\n'))
    assert teams["payments"] == Team("payments", ("checkout", "pay-*"))
    assert teams["payments"].services_in(SERVICES) == ["checkout", "pay-gateway", "pay-ledger"]
    assert resolve(teams, ["search"], SERVICES) == ["indexer", "search-api"]
    assert resolve(teams, ["payments", "search"], SERVICES) == \
        ["checkout", "indexer", "pay-gateway", "pay-ledger", "search-api"]


def test_no_file_is_no_teams(tmp_path):
    assert read_teams(tmp_path / "teams.toml") == {}


def test_unknown_team_and_team_without_services(tmp_path):
    teams = read_teams(write(tmp_path, '[teams.web]\nservices = ["frontend-*"]\n'))
    with pytest.raises(TeamsError, match=r"no team named 'money' \(teams: web\)"):
        resolve(teams, ["money"], SERVICES)
    with pytest.raises(TeamsError, match=r"team 'web' has no services in this data \(its services: frontend-\*"):
        resolve(teams, ["web"], SERVICES)


@pytest.mark.parametrize("text, message", [
    ("[teams.a]\nservices = []\n", "services must be a non-empty list"),
    ("[teams.a]\nservices = \"x\"\n", "services must be a non-empty list"),
    ("[teams.a]\nowners = [\"x\"]\n", "a team has one key"),
    ("[team.a]\nservices = [\"x\"]\n", "unknown table \\[team\\]"),
    ("teams = 3\n", "'teams' must be tables"),
    ("[teams.\"a b\"]\nservices = [\"x\"]\n", "team names are"),
    ("[teams.a\nservices", "is not valid TOML"),
])
def test_malformed_file_is_one_sentence(tmp_path, text, message):
    with pytest.raises(TeamsError, match=message):
        read_teams(write(tmp_path, text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_teams_files_never_crash(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("t") / "teams.toml"
    path.write_text(text, encoding="utf-8")
    try:
        teams = read_teams(path)
    except TeamsError:
        return
    for team in teams.values():
        team.services_in(SERVICES)


def test_team_narrows_like_only_service_and_keeps_its_own_team_events(tmp_path, monkeypatch):
    """--team core (api and db) gives --only-service api db's numbers; a survey answered by team
    'web' counts only for web, an organisation-wide one for everyone."""
    import json
    from conftest import FIXTURES, run_cli
    monkeypatch.setenv("METRICS_TEAMS", str(write(tmp_path, '[teams.core]\nservices = ["api", "db"]\n'
                                                           '[teams.web]\nservices = ["web"]\n')))
    hand = FIXTURES / "hand.csv"
    team = json.loads(run_cli("--events", hand, "--team", "core", "--json").stdout)
    only = json.loads(run_cli("--events", hand, "--only-service", "api", "--only-service", "db", "--json").stdout)
    assert team == only
    extra = tmp_path / "extra.csv"
    extra.write_text(hand.read_text() + "2024-01-03T10:00:00Z,satisfaction_survey,web,,,,1,,,,\n")
    core = json.loads(run_cli("--events", extra, "--team", "core", "--json").stdout)
    web = json.loads(run_cli("--events", extra, "--team", "web", "--json").stdout)
    assert core["space"]["satisfaction_responses"] == only["space"]["satisfaction_responses"]
    assert web["space"]["satisfaction_responses"] == only["space"]["satisfaction_responses"] + 1
    bad = run_cli("--events", hand, "--team", "money")
    assert bad.returncode == 2 and "no team named 'money' (teams: core, web)" in bad.stderr


def test_argument_abbreviations_are_off():
    from conftest import FIXTURES, run_cli
    p = run_cli("--events", FIXTURES / "hand.csv", "--team-s", "4")
    assert p.returncode == 2 and "unrecognized arguments: --team-s" in p.stderr


# ---------------------------------------------------------------------------------------------
# the Teams view's numbers, worked out by hand
#
# window 2024-01-08 to 01-15 (7 days), previous period 01-01 to 01-08; teams core (api, db), web
# (web-*) and ghost (mobile-*, none in the data).
# core now: api a1 01-08 10:00 (ships p1, created 01-08 00:00: 10 h), a2 01-09 failed, a3 01-10
# hotfix (incident i1 12:00-13:00 is attributed to it: 60 min), a4 01-11; db b1 01-12 10:00 (ships
# p2, created 01-11 10:00: 24 h; incident i2 11:00-11:30 attributed to it: 30 min).
#   5 deployments, 4 successful: 4/7 a day (high); lead times 10, 24: median 17 h; failed a2, a3, b1:
#   60 % (low); recovery 60, 30: median 45 min; rework a3: 20 %. Enough evidence (METRICS.md section 3:
#   at least 5 events) for the deployment frequency and CFR tiers (5 deployments), not for lead time
#   (2 deployed PRs) or recovery (2 resolved incidents): no tier for them, so no overall tier.
# core before: a0 01-02 10:00 ships p0 (created 04:00: 6 h): 1/7 a day, lead 6 h, CFR 0 %, no
#   recovery, rework 0 %: 1 deployment and 1 deployed PR in 7 days: no tier at all.
# web now: one successful deployment a day 01-08..01-14 09:00 (1 a day, elite); p3 created 01-13
#   09:00, merged 20:00, shipped 01-14 09:00: 24 h (1 deployed PR: no tier); CFR 0 % (elite); no incidents.
# web before: w0 01-03 failed: 0 a day, CFR 100 %: 1 deployment in 7 days, no tier.

def hand_rows():
    from helpers import ev
    day = "2024-01-{:02d}T{}:00Z".format
    rows = [ev(day(2, "04:00"), "pr_created", pr_id="p0"), ev(day(2, "05:00"), "pr_merged", pr_id="p0"),
            ev(day(2, "10:00"), "deploy", deploy_id="a0"),
            ev(day(3, "09:00"), "deploy", "web-app", deploy_id="w0", status="failed"),
            ev(day(8, "00:00"), "pr_created", pr_id="p1"), ev(day(8, "06:00"), "pr_merged", pr_id="p1"),
            ev(day(8, "10:00"), "deploy", deploy_id="a1"),
            ev(day(9, "10:00"), "deploy", deploy_id="a2", status="failed"),
            ev(day(10, "10:00"), "deploy", deploy_id="a3", change_type="hotfix"),
            ev(day(10, "12:00"), "incident_start", incident_id="i1"),
            ev(day(10, "13:00"), "incident_resolved", incident_id="i1"),
            ev(day(11, "10:00"), "deploy", deploy_id="a4"),
            ev(day(11, "10:00"), "pr_created", "db", pr_id="p2"), ev(day(12, "08:00"), "pr_merged", "db", pr_id="p2"),
            ev(day(12, "10:00"), "deploy", "db", deploy_id="b1"),
            ev(day(12, "11:00"), "incident_start", "db", incident_id="i2"),
            ev(day(12, "11:30"), "incident_resolved", "db", incident_id="i2"),
            ev(day(13, "09:00"), "pr_created", "web-app", pr_id="p3"),
            ev(day(13, "20:00"), "pr_merged", "web-app", pr_id="p3"),
            ev(day(3, "12:00"), "satisfaction_survey", "web", metric_value=4)]
    rows += [ev(day(d, "09:00"), "deploy", "web-app", deploy_id=f"w{d}") for d in range(8, 15)]
    return rows


HAND_TEAMS = '[teams.core]\nservices = ["api", "db"]\n[teams.web]\nservices = ["web-*"]\n' \
             '[teams.ghost]\nservices = ["mobile-*"]\n'


def hand_tables():
    import pandas as pd
    from metrics import normalize, tables_from_frame
    frame, report = normalize(pd.DataFrame(hand_rows()))
    assert report.rejected_count == 0, report.lines()
    return tables_from_frame(frame)


def test_each_teams_dora_numbers_by_hand(tmp_path):
    from metrics import Window
    from metrics.teams import compare_teams
    teams = read_teams(write(tmp_path, HAND_TEAMS))
    tables, window = hand_tables(), Window.between("2024-01-08", "2024-01-15")
    core, web, ghost = compare_teams(teams, (tables, window), (tables, window.previous()))
    assert core.team == "core" and core.services == ("api", "db") and not core.problem
    assert core.current == {"deploys_per_day": pytest.approx(4 / 7), "lead_time_hours_median": 17.0,
                            "change_failure_rate_pct": 60.0, "mttr_minutes_median": 45.0, "rework_rate_pct": 20.0,
                            "tiers": {"deployment_frequency": "high", "lead_time": None,
                                      "change_failure_rate": "low", "recovery_time": None, "overall": None},
                            "evidence": {"lead_time_hours_median": "2 deployed PRs: a tier needs at least 5",
                                         "mttr_minutes_median": "2 resolved incidents: a tier needs at least 5"}}
    few = "1 deployment: a tier needs at least 5"
    assert core.previous == {"deploys_per_day": pytest.approx(1 / 7), "lead_time_hours_median": 6.0,
                             "change_failure_rate_pct": 0.0, "mttr_minutes_median": None, "rework_rate_pct": 0.0,
                             "tiers": {"deployment_frequency": None, "lead_time": None,
                                       "change_failure_rate": None, "recovery_time": None, "overall": None},
                             "evidence": {"deploys_per_day": few + ", or a window of 30 days or more",
                                          "lead_time_hours_median": "1 deployed PR: a tier needs at least 5",
                                          "change_failure_rate_pct": few,
                                          "rework_rate_pct": "1 deployment: a Quick Check score needs at least 5"}}
    assert web.services == ("web-app",)
    assert web.current == {"deploys_per_day": 1.0, "lead_time_hours_median": 24.0, "change_failure_rate_pct": 0.0,
                           "mttr_minutes_median": None, "rework_rate_pct": 0.0,
                           "tiers": {"deployment_frequency": "elite", "lead_time": None,
                                     "change_failure_rate": "elite", "recovery_time": None, "overall": None},
                           "evidence": {"lead_time_hours_median": "1 deployed PR: a tier needs at least 5"}}
    assert web.previous["deploys_per_day"] == 0.0 and web.previous["change_failure_rate_pct"] == 100.0
    assert web.previous["tiers"]["deployment_frequency"] is None and web.previous["lead_time_hours_median"] is None
    assert web.previous["evidence"]["deploys_per_day"] == few + ", or a window of 30 days or more"
    assert ghost.current is None and ghost.previous is None
    assert ghost.problem.startswith("team 'ghost' has no services in this data")
    # the chosen teams only, in the order asked; an unknown name is a row that says so
    only = compare_teams(teams, (tables, window), (tables, window.previous()), names=["web", "money"])
    assert [r.team for r in only] == ["web", "money"] and only[0] == web
    assert only[1].problem.startswith("no team named 'money'")


def test_team_comparison_is_the_team_filters_numbers(tmp_path):
    """Each team's row is what narrowing to the team (--team, the Team selector) computes."""
    from metrics import Window, analyze
    from metrics.analysis import kinds_present
    from metrics.teams import DORA_KEYS, compare_teams, tables_of_teams
    teams = read_teams(write(tmp_path, HAND_TEAMS))
    tables, window = hand_tables(), Window.between("2024-01-08", "2024-01-15")
    for row in compare_teams(teams, (tables, window), (tables, window.previous()), names=["core", "web"]):
        for period, numbers in ((window, row.current), (window.previous(), row.previous)):
            whole = analyze(tables_of_teams(tables, teams, [row.team]), period, present=kinds_present(tables)).summary
            summary = whole["dora"]
            # the team's compared keys without enough evidence, and why (the failed deployment recovery, not
            # compared, left out)
            short = {k: why for k, why in whole.get("evidence", {}).items() if k != "failed_deployment_recovery_minutes_median"}
            assert numbers == {**{k: summary[k] for k in DORA_KEYS}, "tiers": summary["tiers"], "evidence": short}
