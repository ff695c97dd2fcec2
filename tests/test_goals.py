"""Goals (issue 28, item 4): the ``[[goal]]`` tables of alerts.toml, checked (one sentence naming the
entry), their direction from the registry, met or not by hand, drawn as a line on their metric's
chart and listed with their progress on the Teams tab; a broken file is a notice, never a crash."""
from __future__ import annotations

import json
import math
from datetime import date

import pytest

from helpers import ev
from metrics import store
from metrics.goals import GOAL_METRICS, Goal, GoalsError, alerts_path, progress, read_goals
from metrics.ingest import normalize

def goal_table(**fields) -> str:
    """One ``[[goal]]`` table of ``fields`` (a value of type ``Raw`` is written as it is: a TOML date)."""
    return "\n[[goal]]\n" + "".join(f"{k} = {v if isinstance(v, Raw) else json.dumps(v)}\n" for k, v in fields.items())


class Raw(str):
    """A TOML value written as it is (a date, 2027-03-31)."""


GOOD = ("""
[[alert]]                      # the alerts module's: not read here
name = "payments CFR"
metric = "change_failure_rate_pct"
""" + goal_table(team="payments", metric="change_failure_rate_pct", target=20, date=Raw("2027-03-31"),
                 reason="fewer rollbacks")
    + goal_table(service="web", metric="deploys_per_day", target=2, date="2027-01-15", reason="ship smaller")
    + goal_table(metric="mttr_minutes_median", target=60.5, date=Raw("2027-06-30T12:00:00Z"),
                 reason="faster recovery", dataset="acme"))


def write(tmp_path, text: str):
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    return path


def test_the_goals_of_the_file_in_its_order(tmp_path):
    goals = read_goals(write(tmp_path, GOOD), {"payments"})
    assert [(g.entry, g.metric, g.target, g.due, g.team, g.service, g.dataset) for g in goals] == [
        (1, "change_failure_rate_pct", 20.0, date(2027, 3, 31), "payments", "", ""),
        (2, "deploys_per_day", 2.0, date(2027, 1, 15), "", "web", ""),
        (3, "mttr_minutes_median", 60.5, date(2027, 6, 30), "", "", "acme")]
    # the direction is the metric's declaration: change failure rate and recovery lower, deployments higher
    assert [g.lower_is_better for g in goals] == [True, False, True]
    assert goals[0].label == "goal: Change failure rate ≤ 20%"
    assert goals[1].label.startswith("goal: ") and "≥ 2" in goals[1].label
    assert [g.scope for g in goals] == ["team payments", "service web", "the whole dataset"]


def test_no_file_or_no_goal_is_no_goal(tmp_path):
    assert read_goals(tmp_path / "none.toml") == []
    assert read_goals(write(tmp_path, "[[alert]]\nname = 'x'\n")) == []


def test_the_metrics_a_goal_may_name_are_the_summary_keys_of_the_registry():
    # any key of --json (METRICS.md section 7 and the summary keys added since); not the derived tier
    assert {"deploys_per_day", "change_failure_rate_pct", "lead_time_hours_median", "satisfaction_mean",
            "vcr_pct", "dtr_pct"} <= set(GOAL_METRICS)
    assert "overall_tier" not in GOAL_METRICS and "quick_check_overall" not in GOAL_METRICS


@pytest.mark.parametrize("entry, said", [
    ('metric = "cfr"\ntarget = 1\ndate = 2027-01-01\nreason = "r"', "goal 1 (cfr): metric must be a key of --json"),
    ('metric = "change_failure_rate_pct"\ntarget = "ten"\ndate = 2027-01-01\nreason = "r"',
     "goal 1 (change_failure_rate_pct): target must be a number; got 'ten'"),
    ('metric = "change_failure_rate_pct"\ntarget = true\ndate = 2027-01-01\nreason = "r"', "target must be a number"),
    ('metric = "change_failure_rate_pct"\ntarget = nan\ndate = 2027-01-01\nreason = "r"', "target must be a number"),
    ('metric = "change_failure_rate_pct"\ntarget = 1\ndate = "2027-02-30"\nreason = "r"', "date must be a day"),
    ('metric = "change_failure_rate_pct"\ntarget = 1\ndate = "next spring"\nreason = "r"', "date must be a day"),
    ('metric = "change_failure_rate_pct"\ntarget = 1\nreason = "r"', "date is missing"),
    ('metric = "change_failure_rate_pct"\ntarget = 1\ndate = 2027-01-01\nreason = ""', "reason must be non-empty text"),
    ('metric = "change_failure_rate_pct"\ntarget = 1\ndate = 2027-01-01\nreason = "r"\nteam = "search"',
     "no team named 'search' in the teams file"),
    ('metric = "change_failure_rate_pct"\ntarget = 1\ndate = 2027-01-01\nreason = "r"\nteam = "payments"\n'
     'service = "web"', "a team or a service, not both"),
    ('metric = "change_failure_rate_pct"\ntarget = 1\ndate = 2027-01-01\nreason = "r"\nowner = "ann"',
     "has an unknown key 'owner'"),
])
def test_a_bad_goal_is_one_sentence_naming_the_entry(tmp_path, entry, said):
    path = write(tmp_path, GOOD.split("[[goal]]")[0] + "[[goal]]\n" + entry + "\n")
    with pytest.raises(GoalsError) as e:
        read_goals(path, {"payments"})
    assert said in str(e.value) and f"the alerts file {path}, goal 1" in str(e.value)
    assert "\n" not in str(e.value)


def test_the_second_entry_is_named_when_it_is_the_bad_one(tmp_path):
    path = write(tmp_path, GOOD + '\n[[goal]]\nmetric = "x"\n')
    with pytest.raises(GoalsError, match=r"goal 4 \(x\)"):
        read_goals(path, {"payments"})


def test_a_file_that_is_not_toml_or_goals_that_are_not_tables(tmp_path):
    with pytest.raises(GoalsError, match="is not valid TOML"):
        read_goals(write(tmp_path, "[[goal]\n"))
    with pytest.raises(GoalsError, match=r"goals are \[\[goal\]\] tables"):
        read_goals(write(tmp_path, "goal = 3\n"))


def test_the_file_is_metrics_alerts_or_alerts_toml_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("METRICS_ALERTS", raising=False)
    assert alerts_path(tmp_path) == tmp_path / "alerts.toml"
    monkeypatch.setenv("METRICS_ALERTS", str(tmp_path / "elsewhere.toml"))
    assert alerts_path(tmp_path) == tmp_path / "elsewhere.toml"


def goal(metric, target, due=date(2027, 3, 31)):
    return Goal(metric, target, due, "r")


@pytest.mark.parametrize("metric, target, value, met", [
    ("change_failure_rate_pct", 10.0, 10.0, True),          # on the target: met (lower is better)
    ("change_failure_rate_pct", 10.0, 10.000001, False),
    ("change_failure_rate_pct", 10.0, 0.0, True),
    ("deploys_per_day", 2.0, 2.0, True),                    # higher is better
    ("deploys_per_day", 2.0, 1.999999, False),
    ("deploys_per_day", 2.0, 7.0, True),
    ("deploys_per_day", 2.0, None, None),                   # n/a: neither
    ("deploys_per_day", 2.0, math.nan, None),
])
def test_met_is_the_better_side_of_the_target_by_the_declared_direction(metric, target, value, met):
    assert progress(goal(metric, target), value, date(2027, 3, 1)).met is met


@pytest.mark.parametrize("today, left", [(date(2027, 3, 1), 30), (date(2027, 3, 30), 1), (date(2027, 3, 31), 0),
                                         (date(2027, 4, 2), -2)])
def test_days_left_until_the_goals_date(today, left):
    assert progress(goal("deploys_per_day", 1.0), 1.0, today).days_left == left


@pytest.mark.parametrize("teams, only, which", [
    ((), (), [3]), (("payments",), (), [1]), ((), ("web",), [2]), (("payments",), ("web",), []),
    (("search",), (), []), ((), ("api",), [])])
def test_a_goal_applies_to_its_own_view_only(tmp_path, teams, only, which):
    goals = read_goals(write(tmp_path, GOOD), {"payments"})
    assert [g.entry for g in goals if g.applies("acme", teams, only)] == which
    # the third is acme's only
    assert [g.entry for g in goals if g.applies("other", (), ())] == []


# ----- on the dashboard -----------------------------------------------------------------------

# service "pay" (team payments): 4 deployments, the second followed by an incident an hour later
# (CFR 1 of 4 = 25 %), 2 days apart over the window of 7 days: 4 / 7 = 0.571 a day; "web": 2 deployments
PAY = [ev("2024-01-01T10:00:00Z", "deploy", "pay", deploy_id="p1", status="success"),
       ev("2024-01-03T10:00:00Z", "deploy", "pay", deploy_id="p2", status="success"),
       ev("2024-01-03T11:00:00Z", "incident_start", "pay", incident_id="i1"),
       ev("2024-01-03T12:00:00Z", "incident_resolved", "pay", incident_id="i1"),
       ev("2024-01-05T10:00:00Z", "deploy", "pay", deploy_id="p3", status="success"),
       ev("2024-01-07T10:00:00Z", "deploy", "pay", deploy_id="p4", status="success"),
       ev("2024-01-02T10:00:00Z", "deploy", "web", deploy_id="w1", status="success"),
       ev("2024-01-04T10:00:00Z", "deploy", "web", deploy_id="w2", status="success")]

TEAM_GOALS = (goal_table(team="payments", metric="change_failure_rate_pct", target=20, date=Raw("2024-01-31"),
                         reason="fewer rollbacks")
              + goal_table(team="payments", metric="prs_per_day", target=1, date=Raw("2024-01-08"),
                           reason="a metric the Teams table does not compare")
              + goal_table(metric="deploys_per_day", target=0.8, date=Raw("2024-01-01"), reason="ship more"))


@pytest.fixture
def acme(data_dir):
    import pandas as pd
    store.save("acme", normalize(pd.DataFrame(PAY))[0])
    (data_dir / "teams.toml").write_text('[teams.payments]\nservices = ["pay"]\n')
    (data_dir / "alerts.toml").write_text(TEAM_GOALS)
    return data_dir


def computed(view_args: dict, tab: str = "dora"):
    from dataclasses import replace
    from dashboard.callbacks import computed_or_problem
    from dashboard.data import Views
    from dashboard.state import View
    view = replace(View(), dataset="acme", days=0, tab=tab, **view_args)
    c, problem = computed_or_problem(Views(), view, with_teams=True)
    assert problem is None, problem
    return c


def test_the_teams_tab_lists_each_goal_with_its_progress_worked_out_by_hand(acme):
    from dashboard.tabs import goal_rows
    rows = goal_rows(computed({}, "teams"), today=date(2024, 1, 10))
    assert [(r["scope"], r["value"], r["met"], r["left"], r["date"]) for r in rows] == [
        # payments: 1 of its 4 deployments caused an incident: 25 % > 20 %: not met; 21 days left
        ("team payments", "25.0%", False, 21, "2024-01-31"),
        # no PRs at all: n/a, neither met nor not; its date 2 days past
        ("team payments", "n/a", None, -2, "2024-01-08"),
        # the whole dataset: 6 deployments in 7 days = 0.857 a day >= 0.8: met; 9 days past its date
        ("the whole dataset", "0.86 /day", True, -9, "2024-01-01")]
    assert rows[0]["goal"] == "Change failure rate ≤ 20%" and rows[0]["reason"] == "fewer rollbacks"


def test_the_teams_tab_shows_the_goals_and_dora_s_caution(acme):
    from dashboard.tabs import teams
    table, _ = teams(computed({}, "teams"), "light")
    text = str(table)
    assert "goals-progress" in text and "goal-0" in text and "goal-2" in text
    assert "Setting metrics as a goal. Ignoring Goodhart" in text and "https://dora.dev/guides/dora-metrics-four-keys/" in text


def test_a_goal_is_a_line_on_its_metrics_chart_in_its_own_view_only(acme):
    from components.panels import figures
    from dashboard.tabs import dora

    def goal_lines(view_args):
        _, charts = dora(computed(view_args), "light")
        return {name: [(s.y0, s.y1) for s in fig.layout.shapes if s.name == "goal"]
                for name, fig in figures(charts).items()}
    team = goal_lines({"teams": ("payments",)})
    assert team["cfr"] == [(20.0, 20.0)]
    assert all(lines == [] for name, lines in team.items() if name != "cfr")
    whole = goal_lines({})
    assert whole["deployments"] == [(0.8, 0.8)] and whole["cfr"] == []       # deployments per day: the daily chart
    web = goal_lines({"only": ("web",)})
    assert "deployments" in web and all(lines == [] for lines in web.values())


def test_a_broken_goals_file_is_a_notice_on_the_page_never_a_crash(acme):
    from dashboard.app import create_app
    from dashboard.render import render
    (acme / "alerts.toml").write_text('[[goal]]\nmetric = "nope"\ntarget = 1\ndate = 2024-01-01\nreason = "r"\n')
    client = create_app().server.test_client()
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    assert "goals-notice" in layout.get_data(as_text=True) and "goal 1 (nope)" in layout.get_data(as_text=True)
    c = computed({})
    assert c.goals == () and "goal 1 (nope): metric must be a key of --json" in c.goal_problem
    out, _ = render(__import__("dashboard.state", fromlist=["View"]).View(dataset="acme", days=0), c, None, "light",
                    None, [], "", {})
    assert "The goals of the alerts file are not drawn: The alerts file" in out["message"]


def test_a_lead_time_goal_is_a_vertical_line_on_the_lead_time_histogram(data_dir):
    import pandas as pd
    from components.panels import figures
    from dashboard.tabs import dora
    from test_annotations import HAND
    store.save("acme", normalize(pd.DataFrame(HAND))[0])
    (data_dir / "alerts.toml").write_text(goal_table(metric="lead_time_hours_median", target=24, date=Raw("2027-01-01"),
                                                     reason="a day from opening to production"))
    _, charts = dora(computed({}), "light")
    lead = figures(charts)["lead-time"]
    assert [(s.x0, s.x1, s.yref) for s in lead.layout.shapes if s.name == "goal"] == [(24.0, 24.0, "paper")]
    assert [a.text for a in lead.layout.annotations if a.name == "goal"] == ["goal: Lead time (median) ≤ 24 h"]


def test_without_a_teams_file_a_teams_goal_names_an_unknown_team(acme):
    (acme / "teams.toml").unlink()
    c = computed({})
    assert c.goals == () and "goal 1 (change_failure_rate_pct): no team named 'payments' in the teams file" in c.goal_problem
