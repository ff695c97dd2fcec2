"""The dashboard's behaviour without a browser: transitions, rendering, each card's change against
its own previous value (sign and colour), the threshold lines, the downloads, and app.py's options."""
from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
from dash import no_update

from components.panels import figures
from dashboard.data import Computed, Views
from dashboard.downloads import download, spreadsheet_safe, table_of
from dashboard.render import COMPUTE_FAILED, render
from dashboard.state import View, to_query
from dashboard.tabs import TAB_VIEWS
from dashboard.layout import day_options
from dashboard.transitions import HIDDEN, SHOWN, controls_of, transition, typed_day_options
from helpers import analysis_of, ev
from metrics.benchmarks import BAND_TABLES, TIER_TABLES

from conftest import ROOT
from test_components import GREY, cell_style, find, tips

DEFAULTS = View()


def controls(view: View = DEFAULTS, **changes) -> dict:
    values = {"seed": str(view.seed), "days": view.days, "scenario": view.scenario, "tab": view.tab,
              "rate": f"{view.hourly_rate:g}", "value": f"{view.value_per_deploy:g}", "devs": str(view.developers),
              "source": view.dataset, "only": list(view.only), "start": view.start or None, "end": view.end or None}
    return {**values, **changes}


# ---------------------------------------------------------------------------------------------
# transitions


def test_first_load_takes_the_view_from_the_url_and_sets_every_control():
    step = transition(None, "?seed=7&days=30&tab=pvm", controls(), DEFAULTS)
    assert step.view == View(seed=7, days=30, tab="pvm")
    assert step.controls == controls_of(step.view) and step.controls["seed"] == "7"
    assert step.search is None and step.message == "" and step.resend_facts


def test_a_bad_link_keeps_the_defaults_and_says_why():
    step = transition("url", "?seed=abc&days=30", controls(), DEFAULTS)
    assert step.view == View(days=30) and "seed must be a whole number" in step.message.lower()


def test_a_control_change_writes_the_url_and_resets_nothing():
    step = transition("seed-input", "?seed=42&days=14&tab=dora", controls(seed="9"), DEFAULTS)
    assert step.view == View(seed=9) and step.search == "?seed=9&days=14&tab=dora" and step.controls == {}
    assert not step.resend_facts


def test_invalid_input_changes_only_the_message():
    step = transition("seed-input", "?seed=42", controls(seed="-1"), DEFAULTS)
    assert step.view is None and step.search is None
    assert step.message.endswith("The dashboard still shows the last valid input.") and "Seed" in step.message


def test_choosing_a_dataset_opens_all_its_data_without_filters():
    url = "?seed=42&days=30&tab=dora&service=checkout"
    step = transition("source-dropdown", url, controls(source="shop", only=["checkout"]), DEFAULTS)
    assert step.view.dataset == "shop" and step.view.days == 0 and step.view.only == ()
    assert step.controls["seed_style"] == HIDDEN and step.controls["date_style"] == SHOWN
    assert step.search == "?data=shop&days=0&tab=dora"


def test_days_drop_the_date_range():
    view = View(dataset="shop", days=0, start="2024-03-01", end="2024-03-10")
    url = to_query(view, DEFAULTS)
    step = transition("days-dropdown", url, controls(view, days=30), DEFAULTS)
    assert (step.view.start, step.view.end) == ("", "") and step.controls == {"start": None, "end": None}


def test_a_dropdown_that_lost_its_value_changes_nothing():
    step = transition("source-dropdown", "?data=gone", controls(source=None), DEFAULTS)
    assert step.view is None and step.message is None


def test_choosing_a_team_writes_team_to_the_url():
    url = "?data=shop&days=0&tab=dora"
    view = View(dataset="shop", days=0)
    step = transition("team-filter", url, controls(view, teams=["core", "web"]), DEFAULTS)
    assert step.view.teams == ("core", "web") and step.search == url + "&team=core&team=web"
    assert step.controls == {}
    cleared = transition("team-filter", step.search, controls(view, teams=[]), DEFAULTS)
    assert cleared.view.teams == () and cleared.search == url
    # another control keeps the team the URL names (the selector shows it)
    kept = transition("days-dropdown", url + "&team=core", controls(view, days=30, teams=["core"]), DEFAULTS)
    assert kept.view.teams == ("core",) and kept.search == "?data=shop&days=30&tab=dora&team=core"


def test_a_link_sets_the_team_selector_and_another_data_source_clears_it():
    step = transition(None, "?data=shop&tab=teams&team=core", controls(), DEFAULTS)
    assert step.view == View(dataset="shop", days=0, tab="teams", teams=("core",))
    assert step.controls["teams"] == ["core"] and step.controls["tab"] == "teams"
    other = transition("source-dropdown", "?data=shop&days=0&tab=dora&team=core",
                       controls(View(dataset="shop", days=0, teams=("core",)), source="", teams=["core"]), DEFAULTS)
    assert other.view.teams == () and other.controls["teams"] == [] and "team=" not in other.search
    bad = transition("team-filter", "?data=shop", controls(View(dataset="shop", days=0), teams=["a b"]), DEFAULTS)
    assert bad.view is None and "Team names are" in bad.message


# ---------------------------------------------------------------------------------------------
# each card's change against its own previous value


def pair(current_rows, previous_rows, start="2024-01-15", end="2024-01-22") -> Computed:
    current = analysis_of(current_rows, start=start, end=end)
    before = (pd.Timestamp(start) - pd.Timedelta(days=7)).strftime("%Y-%m-%d")
    previous = analysis_of(previous_rows, start=before, end=start)
    return Computed(current, previous, "", "", ("api",))


def deploys(day: str, n: int, failed: int = 0, prefix: str = "d") -> list:
    return [ev(f"{day}T{10 + i:02d}:00:00Z", "deploy", deploy_id=f"{prefix}{day}{i}",
               status="failed" if i < failed else "success") for i in range(n)]


def incident(start: str, minutes: int, ident: str) -> list:
    end = pd.Timestamp(start) + pd.Timedelta(minutes=minutes)
    return [ev(start, "incident_start", incident_id=ident), ev(end.isoformat(), "incident_resolved", incident_id=ident)]


def pr(created: str, hours_to_merge: float, ident: str) -> list:
    merged = pd.Timestamp(created) + pd.Timedelta(hours=hours_to_merge)
    return [ev(created, "pr_created", pr_id=ident), ev(merged.isoformat(), "pr_merged", pr_id=ident)]


# Both weeks hold enough evidence for every tier (METRICS.md section 3: at least 5 deployments, deployed PRs
# and resolved incidents), so every change is coloured. The incidents come over 24 h after the last
# deployment: unattributed, they leave the CFR alone.
# previous week: 7 successful deployments (1.00 a day), 1 failed (CFR 1/8 = 12.5 %), 5 incidents of 120 min
# each (recovery 120 min), 5 PRs with lead time 26 h each
PREVIOUS = (deploys("2024-01-09", 4) + deploys("2024-01-10", 4, failed=1)
            + [e for i in range(5) for e in incident(f"2024-01-12T{2 + 3 * i:02d}:00:00Z", 120, f"p{i}")]
            + [e for i in range(5) for e in pr("2024-01-08T08:00:00Z", 2.0, f"pp{i}")])
# this week: 14 successful (2.00 a day), none failed (CFR 0 %), 5 incidents of 30 min each (recovery 30 min),
# 5 PRs with lead time 10 h each
CURRENT = (deploys("2024-01-16", 7) + deploys("2024-01-17", 7)
           + [e for i in range(5) for e in incident(f"2024-01-20T{2 + 2 * i:02d}:00:00Z", 30, f"c{i}")]
           + [e for i in range(5) for e in pr("2024-01-16T00:00:00Z", 1.0, f"cp{i}")])


def test_each_dora_card_compares_with_its_own_previous_value_sign_and_colour():
    cards, _ = TAB_VIEWS["dora"](pair(CURRENT, PREVIOUS), "light")

    def delta(card):
        element = find(cards, f"{card}-delta")
        return element.children, element.className

    # deployment frequency: 2.00 vs 1.00 a day, higher is better -> up, green
    assert find(cards, "kpi-deploys-value").children == "2.00 /day"
    assert delta("kpi-deploys") == ("▲ +100 % vs previous 7 days", "kpi-delta text-success")
    # CFR: 0 % vs 12.5 %, lower is better -> down in points, green
    assert delta("kpi-cfr") == ("▼ -12.5 pp vs previous 7 days", "kpi-delta text-success")
    # recovery: 30 vs 120 minutes -> down 75 %, green (lower is better)
    assert delta("kpi-mttr") == ("▼ -75 % vs previous 7 days", "kpi-delta text-success")
    # lead time: PRs cp* created 00:00, merged 01:00, shipped by the 10:00 deploy -> 10 h; pp*: 08:00 -> 09 Jan
    # 10:00 = 26 h; 10 vs 26 -> -62 %, green
    assert find(cards, "kpi-lead-time-value").children == "10.0 h"
    assert delta("kpi-lead-time") == ("▼ -62 % vs previous 7 days", "kpi-delta text-success")


def test_worse_numbers_are_red_where_lower_is_better():
    better = pair(CURRENT, PREVIOUS)
    worse = Computed(better.previous, better.current, "", "", ("api",))     # the periods swapped
    cards, _ = TAB_VIEWS["dora"](worse, "light")
    for card in ("kpi-cfr", "kpi-mttr", "kpi-lead-time"):
        assert "text-danger" in find(cards, f"{card}-delta").className, card
    assert "text-danger" in find(cards, "kpi-deploys-delta").className        # fewer deployments: worse


def test_dtr_card_lower_is_better():
    toil_now = [ev("2024-01-16T10:00:00Z", "toil", "team", metric_value=60)]
    toil_before = [ev("2024-01-09T10:00:00Z", "toil", "team", metric_value=600)]
    better = pair(toil_now, toil_before)
    cards, _ = TAB_VIEWS["pvm"](better, "light")
    assert find(cards, "kpi-dtr-delta").className == "kpi-delta text-success"
    cards, _ = TAB_VIEWS["pvm"](Computed(better.previous, better.current, "", "", ("api",)), "light")
    assert find(cards, "kpi-dtr-delta").className == "kpi-delta text-danger"


# ---------------------------------------------------------------------------------------------
# threshold lines = the tier and band tables


def shapes_y(figure) -> list:
    return sorted(shape["y0"] for shape in figure.layout.shapes if shape["x0"] == 0 and shape["x1"] == 1)


def test_threshold_lines_are_the_tier_and_band_tables():
    from metrics import analyze, generate
    u = generate(30, 7, end="2026-11-22")
    c = Computed(analyze(u.tables, u.window), analyze(u.tables, u.window.previous()), "", "", ())
    dora = figures(TAB_VIEWS["dora"](c, "light")[1])
    assert shapes_y(dora["cfr"]) == sorted(TIER_TABLES["change_failure_rate"].bounds)
    labels = [a["text"] for a in dora["cfr"].layout.annotations]
    assert labels == [label for _, label in TIER_TABLES["change_failure_rate"].lines()]
    lead_vlines = [shape["x0"] for shape in dora["lead-time"].layout.shapes]
    assert lead_vlines[0] == TIER_TABLES["lead_time"].bounds[0]
    pvm = figures(TAB_VIEWS["pvm"](c, "light")[1])
    for name in ("vcr", "iar", "dtr"):
        assert shapes_y(pvm[name]) == sorted(BAND_TABLES[name].bounds), name


def test_tier_and_band_tables_classify_at_their_bounds():
    assert TIER_TABLES["change_failure_rate"].tier(5.0) == ("elite", "<= 5 %")
    assert TIER_TABLES["change_failure_rate"].tier(5.01)[0] == "high"
    assert TIER_TABLES["lead_time"].tier(24.0)[0] == "high"                  # < 24 h is elite
    assert TIER_TABLES["deployment_frequency"].tier(1.0)[0] == "elite"
    assert TIER_TABLES["recovery_time"].tier(None) == (None, None)
    assert [BAND_TABLES["dtr"].band(v) for v in (10, 10.1, 30, 30.1)] == ["green", "amber", "amber", "red"]
    assert [BAND_TABLES["vcr"].band(v) for v in (199.9, 200, 999, 1000)] == ["red", "amber", "amber", "green"]


# ---------------------------------------------------------------------------------------------
# rendering


def test_render_keeps_charts_of_the_same_shape_mounted():
    c = pair(CURRENT, PREVIOUS)
    view = View(days=7)
    first, charts = render(view, c, None, "light", None, [], "", {})
    assert "content" in first and first["shape"][0] == "dora" and charts == []
    mounted = first["shape"][1:]
    mounted = [name for name in mounted if name != "empty"]
    again, charts = render(view, c, None, "dark", first["shape"], mounted, "", {})
    assert "content" not in again and "panel" not in again          # redrawn in place
    assert len(charts) == len(mounted) and all(ch is not no_update for ch in charts)
    assert charts[0].layout.font.color == "#f2f5fa"                 # the dark theme's figures


def test_render_says_why_when_there_is_nothing_to_show():
    out, charts = render(View(dataset="gone", days=0), None, "no dataset named 'gone'", "light", None, ["x"], "", {})
    assert out["content"].children == "no dataset named 'gone'" and out["content"].color == "warning"
    assert charts == [no_update] and out["drilldown"] == HIDDEN
    out, _ = render(View(), None, COMPUTE_FAILED, "light", None, [], "", {})
    assert out["content"].color == "danger"


def test_render_names_an_unknown_service():
    out, _ = render(View(days=7, only=("nope",)), pair(CURRENT, PREVIOUS), None, "light", None, [], "", {})
    assert "No service named \u201cnope\u201d in this data." in out["message"]


def texts(component) -> str:
    """Every string under ``component``, joined by spaces."""
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    children = children if isinstance(children, (list, tuple)) else [] if children is None else [children]
    return " ".join(texts(c) for c in children if c is not None)


def teams_computed(tmp_path, monkeypatch, text=None):
    """The hand-computed teams of test_teams as a dataset (window 01-08 to 01-15), with the Teams tab's comparison."""
    from dataclasses import replace
    from dashboard.data import Views
    from metrics import store
    from test_teams import HAND_TEAMS, hand_rows
    monkeypatch.setenv("METRICS_TEAMS", str(tmp_path / "teams.toml"))
    if text is not False:
        (tmp_path / "teams.toml").write_text(HAND_TEAMS if text is None else text, encoding="utf-8")
    from metrics import normalize
    frame, _ = normalize(pd.DataFrame(hand_rows()))
    store.save("squads", frame)
    views = Views()
    view = View(dataset="squads", days=0, start="2024-01-08", end="2024-01-14", tab="teams")
    return view, replace(views.compute(view), teams=views.teams(view))


def test_teams_tab_shows_each_team_with_tier_and_change(tmp_path, monkeypatch):
    view, c = teams_computed(tmp_path, monkeypatch)
    out, _ = render(view, c, None, "light", None, [], "", {}, [], (["core", "web", "ghost"], ""))
    cards = out["cards"]
    # core (test_teams.py): 4/7 a day from 5 deployments (high) against 1/7 before: +300 %; CFR 60 % against
    # 0 %: +60.0 pp. The previous period holds 1 deployment: too little evidence (METRICS.md section 3) to call
    # a change better or worse, so every change is grey
    table = find(cards, "teams-table")
    # no team has an overall tier (below): the product's sort (worst first) keeps the name order
    core, ghost, web = table.data
    tip = tips(table)
    assert [r["id"] for r in table.data] == ["team-0", "team-1", "team-2"]
    assert core["team"] == "core" and ghost["team"] == "ghost" and web["team"] == "web"
    assert core["deploys"] == "0.57 /day"
    assert core["deploys-tier"] == "HIGH" and cell_style(table, 0, "deploys-tier")["backgroundColor"] == "#0d6efd"
    assert tip[0]["deploys-tier"] == "high: >= 1 deployment a week"          # METRICS.md: weekly to daily
    assert core["deploys-change"] == "▲ +300 %" and cell_style(table, 0, "deploys-change")["color"] == GREY
    assert core["cfr"] == "60.0%" and core["cfr-tier"] == "LOW"
    assert cell_style(table, 0, "cfr-tier") == {"backgroundColor": "#dc3545", "color": "#fff", "fontWeight": 600}
    assert core["cfr-change"] == "▲ +60.0 pp" and cell_style(table, 0, "cfr-change")["color"] == GREY
    assert "deploys" not in tip[0] and "color" not in cell_style(table, 0, "deploys")
    # lead time from 2 deployed PRs, recovery from 2 resolved incidents: greyed, no tier, the reason said
    assert core["lead-time"] == "17.0 h" and cell_style(table, 0, "lead-time")["color"] == GREY
    assert core["lead-time-tier"] == "no tier" and cell_style(table, 0, "lead-time-tier")["backgroundColor"] == GREY
    assert tip[0]["lead-time"] == tip[0]["lead-time-tier"] == "no tier: 2 deployed PRs: a tier needs at least 5"
    assert core["lead-time-change"] == "▲ +183 %"             # 6 h -> 17 h
    assert cell_style(table, 0, "lead-time-change")["color"] == GREY
    assert core["mttr"] == "45.0 min" and core["mttr-tier"] == "no tier"
    assert tip[0]["mttr-tier"] == "no tier: 2 resolved incidents: a tier needs at least 5"
    assert core["mttr-change"] == "no previous value"
    assert core["rework"] == "20.0%" and "rework-tier" not in core
    # no overall tier without all four
    assert core["overall"] == "no tier" and cell_style(table, 0, "overall")["backgroundColor"] == GREY
    # web: 1 a day (elite, 7 deployments) against none before: "new", grey (1 failed deployment before); lead
    # time 24 h from 1 deployed PR: no tier
    assert web["deploys"] == "1.00 /day"
    assert web["deploys-tier"] == "ELITE" and cell_style(table, 2, "deploys-tier")["backgroundColor"] == "#198754"
    assert web["deploys-change"] == "▲ new" and cell_style(table, 2, "deploys-change")["color"] == GREY
    assert web["lead-time-tier"] == "no tier"
    assert tip[2]["lead-time-tier"] == "no tier: 1 deployed PR: a tier needs at least 5"
    assert web["mttr"] == "n/a"
    assert "Team 'ghost' has no services in this data" in ghost["services"] and "deploys" not in ghost
    # one small bar chart a metric, one bar a team that has numbers
    assert out["shape"] == ["teams", "teams-deploys", "teams-lead-time", "teams-cfr", "teams-mttr", "teams-rework"]
    bars = figures(out["content"].children)
    assert list(bars["teams-deploys"].data[0].x) == ["core", "web"]
    assert list(bars["teams-cfr"].data[0].y) == [60.0, 0.0]
    assert bars["teams-mttr"].data[0].y[1] != bars["teams-mttr"].data[0].y[1]        # web: n/a, no bar (NaN)
    assert bars["teams-deploys"].to_plotly_json()["layout"]["template"] == "none"        # no template embedded
    import plotly.graph_objects as go
    for figure in bars.values():
        go.Figure(figure.to_dict())                 # raises on any invalid property
    assert out["team_options"] == [{"label": t, "value": t} for t in ("core", "web", "ghost")]


def test_the_teams_tab_analyses_no_period_and_shows_what_the_full_computation_shows(tmp_path, monkeypatch):
    """The Teams tab's outline (``Views.outline``): the same window, services, span and page as the
    view's full analyses give, without analysing a period; an unknown team is the same sentence."""
    from dataclasses import replace
    import pytest
    from dashboard.callbacks import computed_or_problem
    from dashboard.data import DataError
    view, full = teams_computed(tmp_path, monkeypatch)
    views = Views()
    outline = views.outline(view)
    assert outline.current is None and outline.previous is None and len(views.cache) < 3   # no analysis cached
    assert (outline.window, outline.services, outline.span) == (full.window, full.services, full.span)
    assert str(outline.window.start.date()) == "2024-01-08" and outline.window.days == 7
    shown, problem = computed_or_problem(views, view, with_teams=True)
    assert problem is None and shown.current is None and shown.teams == full.teams
    a, _ = render(view, shown, None, "light", None, [], "", {}, [], (["core", "web", "ghost"], ""))
    b, _ = render(view, full, None, "light", None, [], "", {}, [], (["core", "web", "ghost"], ""))
    assert a["line"] == b["line"] and a["shape"] == b["shape"]
    assert a["headline"] == ""                  # the headline reads the whole data's analysis, which an outline has not
    from plotly.utils import PlotlyJSONEncoder
    assert json.dumps(a["cards"], cls=PlotlyJSONEncoder) == json.dumps(b["cards"], cls=PlotlyJSONEncoder)
    unknown = replace(view, teams=("money",))
    with pytest.raises(DataError, match="No team named 'money'"):
        views.compute(unknown)
    with pytest.raises(DataError, match="No team named 'money'"):
        views.outline(unknown)


def test_teams_tab_without_a_file_says_how_to_write_one(tmp_path, monkeypatch):
    view, c = teams_computed(tmp_path, monkeypatch, text=False)
    out, _ = render(view, c, None, "light", None, [], "", {}, [], ([], ""))
    howto = find(out["cards"], "teams-howto")
    assert howto is not None and "[teams.payments]" in texts(howto) and str(tmp_path / "teams.toml") in texts(howto)
    assert out["shape"] == ["teams"] and out["team_placeholder"] == "No teams file (see Teams)"


def test_a_broken_teams_file_and_an_unknown_team_are_sentences(tmp_path, monkeypatch):
    from dashboard.data import team_choices
    view, c = teams_computed(tmp_path, monkeypatch, text="[teams.core\nservices")
    choices = team_choices()
    assert choices[0] == [] and "is not valid TOML" in choices[1]
    out, _ = render(view, c, None, "light", None, [], "", {}, [], choices)
    assert "is not valid TOML" in texts(find(out["cards"], "teams-problem"))
    assert out["team_note"] == "The teams file cannot be used: see the Teams tab."
    # a link's unknown team stays in the selector (labelled), and the page says why nothing is shown
    out, _ = render(View(dataset="squads", days=0, teams=("money",)), None, "No team named 'money' (teams: core).",
                    "light", None, [], "", {}, [], (["core"], ""))
    assert out["content"].children == "No team named 'money' (teams: core)." and out["content"].color == "warning"
    assert out["team_options"][-1] == {"label": "money (not in the teams file)", "value": "money"}


# ---------------------------------------------------------------------------------------------
# downloads


def test_each_download_is_its_table():
    c = pair(CURRENT, PREVIOUS)
    an, view = c.current, View(days=7)
    summary = download("download-json", view, an)
    assert json.loads(summary["content"]) == json.loads(json.dumps(an.summary))
    assert summary["filename"] == f"metrics-seed42-7d-{an.window.end.date()}-summary.json"
    for button, name in (("download-daily", "daily"), ("download-weekly", "weekly"),
                         ("download-deployments", "deployments"), ("download-incidents", "incidents")):
        sent = download(button, view, an)
        got = pd.read_csv(io.StringIO(sent["content"]))
        expected = table_of(name, an)
        assert sent["filename"].endswith(f"-{name}.csv") and list(got.columns) == list(expected.columns), name
        assert len(got) == len(expected), name
    daily = pd.read_csv(io.StringIO(download("download-daily", view, an)["content"]))
    assert daily["deployments"].tolist() == an.daily["deployments"].tolist()
    deployments = pd.read_csv(io.StringIO(download("download-deployments", view, an)["content"]))
    assert sorted(deployments["deploy_id"]) == sorted(an.deployments["deploy_id"])


def test_spreadsheet_formulas_are_written_as_text():
    frame = pd.DataFrame({"service": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "api", "\tx"], "n": range(6)})
    safe = spreadsheet_safe(frame)
    assert safe["service"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "api", "'\tx"]
    assert safe["n"].tolist() == list(range(6))


# ---------------------------------------------------------------------------------------------
# the app's own state and options


def test_apps_share_no_cache():
    from dashboard.app import create_app
    a, b = create_app(), create_app()
    assert a.views is not b.views and a.views.cache is not b.views.cache
    a.views.compute(View(days=7))
    assert len(a.views.cache) > 0 and len(b.views.cache) == 0


def test_cache_is_bounded_by_bytes():
    from dashboard.data import nbytes
    probe = Views()
    one = nbytes(probe.compute(View(seed=0, days=30)))
    budget = int(2.5 * one)
    views = Views(max_bytes=budget)
    for seed in range(6):
        views.compute(View(seed=seed, days=30))
        assert views.cache.used <= budget
    assert 0 < len(views.cache) < 6 * 3                        # older views were dropped
    views.compute(View(seed=5, days=30))                       # the newest is still there
    assert ("synthetic", 5) == next(k for k in reversed(views.cache._items))[:2]


def test_a_lasting_value_leaves_the_cache_last():
    """Sizes by hand (int8 arrays: n bytes each), a budget of 100 bytes."""
    import numpy as np
    from dashboard.data import ByteCache
    cache = ByteCache(max_bytes=100)
    made = []

    def value(name, n):
        return lambda: made.append(name) or np.zeros(n, dtype=np.int8)
    cache.get("tables", value("tables", 60), lasting=True)
    cache.get("all", value("all", 50))            # 110 > 100: the new result goes, the tables stay
    assert list(cache._items) == ["tables"] and cache.used == 60
    cache.get("w30", value("w30", 30))
    cache.get("w90", value("w90", 30))             # 120 > 100: the oldest result goes
    assert list(cache._items) == ["tables", "w90"] and cache.used == 90
    cache.get("tables", value("tables", 60), lasting=True)
    assert made == ["tables", "all", "w30", "w90"]          # the tables were never computed again
    cache.get("other", value("other", 70), lasting=True)     # 160: every result goes, then the older tables
    assert list(cache._items) == ["other"] and cache.used == 70


def test_a_dataset_is_read_once_however_small_the_budget(monkeypatch):
    """A budget that holds the dataset's tables or any one view's result, never both: three views
    of the dataset read it from the store once."""
    from conftest import FIXTURES
    from metrics import store
    from metrics.ingest import load_events
    store.save("hand", load_events([FIXTURES / "hand.csv"])[0])
    shown = [View(dataset="hand", days=days) for days in (0, 30, 7)]
    probe = Views(max_bytes=10**9)
    for view in shown:
        probe.compute(view)
    reads, load_tables = [], store.load_tables
    monkeypatch.setattr(store, "load_tables", lambda name: reads.append(name) or load_tables(name))
    views = Views(max_bytes=max(size for _, size, _ in probe.cache._items.values()) + 1)
    for view in shown:
        assert views.compute(view).current is not None
    assert reads == ["hand"]


def test_the_cache_counts_the_memory_its_views_hold():
    """The budget is the memory's: what twenty cached views of the default size hold, as tracemalloc
    (an independent measure: every allocation Python and numpy make) counts it, is within a quarter
    of what the cache counts; small frames cost more than their cells (their own objects)."""
    import gc
    import tracemalloc
    views = Views(max_bytes=10**12)
    views.compute(View(seed=999, days=30))                  # imports and first-use state, not counted
    gc.collect()
    counted = views.cache.used
    tracemalloc.start()
    try:
        for seed in range(20):
            views.compute(View(seed=seed, days=30))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    counted = views.cache.used - counted
    assert 0.8 < held / counted < 1.25, (held, counted)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_app_py_opens_on_the_seed_and_days_it_is_given():
    """``python app.py --seed 7 --days 30``: the page's controls start on seed 7 and 30 days."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "app.py", "--seed", "7", "--days", "30", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise AssertionError(server.stderr.read() if server.poll() is not None else "no answer")
                time.sleep(0.3)
        layout = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=10).read())
        text = json.dumps(layout)
        assert '"id": "seed-input"' in text
        seed_box = _find(layout, "seed-input")
        days_box = _find(layout, "days-dropdown")
        assert seed_box["props"]["value"] == "7" and days_box["props"]["value"] == 30
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert "seed 7" in out and "(30 days)" in out            # the console summary printed first


def _find(node, element_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == element_id:
            return node
        for value in node.values():
            hit = _find(value, element_id)
            if hit is not None:
                return hit
    elif isinstance(node, list):
        for value in node:
            hit = _find(value, element_id)
            if hit is not None:
                return hit
    return None


def test_the_sync_line_shows_each_sources_last_run():
    runs = [{"source": "github:acme/shop", "at": "2024-03-20T00:00:00Z", "added": 11, "error": ""},
            {"source": "pagerduty:all", "at": "2024-03-20T00:05:00Z", "added": 0, "error": "answered 401"}]
    out, _ = render(View(days=7), pair(CURRENT, PREVIOUS), None, "light", None, [], "", {}, runs)
    items = out["sync"].children
    assert [i.className for i in items] == ["text-body-secondary", "text-danger"]
    assert items[1].children[1] == " last sync 2024-03-20 00:05:00 UTC failed: answered 401"
    assert render(View(days=7), pair(CURRENT, PREVIOUS), None, "light", None, [], "", {})[0]["sync"] is None


def test_a_git_only_dataset_says_what_it_lacks_on_the_cards():
    """Tags and merged PRs, no incident, toil or survey source: CFR, rework, incident rate, DTR and
    satisfaction read n/a with the reason, never 0 % or a tier."""
    rows = deploys("2024-01-16", 7) + pr("2024-01-16T00:00:00Z", 1.0, "a")
    c = pair(rows, deploys("2024-01-09", 3, prefix="p"))
    dora_cards, _ = TAB_VIEWS["dora"](c, "light")
    for card in ("kpi-cfr", "kpi-rework", "kpi-mttr"):
        assert find(dora_cards, f"{card}-value").children == "n/a", card
    card = find(dora_cards, "kpi-cfr")
    assert "no incident data in this dataset" in str(card.to_plotly_json())
    assert find(dora_cards, "kpi-cfr-tier").children == "no tier"
    assert find(dora_cards, "kpi-deploys-value").children == "1.00 /day"
    space_cards, _ = TAB_VIEWS["space"](c, "light")
    assert find(space_cards, "kpi-incident-rate-value").children == "n/a"
    assert "no survey answers in this dataset" in str(find(space_cards, "kpi-satisfaction").to_plotly_json())
    pvm_cards, _ = TAB_VIEWS["pvm"](c, "light")
    assert find(pvm_cards, "kpi-dtr-value").children == "n/a" and find(pvm_cards, "kpi-dtr-band") is None
    assert "no toil or incident-response data in this dataset" in str(find(pvm_cards, "kpi-dtr").to_plotly_json())
    assert c.current.summary["missing"] == ["incident_response", "incident_start", "platform_investment_hour",
                                            "pr_reviewed", "satisfaction_survey", "toil"]


def test_a_pagerduty_only_dataset_says_what_it_lacks_on_the_cards():
    """Incidents and nothing else (a PagerDuty export): recovery time is real (30, 60 and 90 min:
    median 60.0, mean 60.0); every number that needs deployments or PRs is n/a with the reason,
    never 0 % or a tier."""
    rows = (incident("2024-01-16T02:00:00Z", 30, "i1") + incident("2024-01-17T02:00:00Z", 60, "i2")
            + incident("2024-01-18T02:00:00Z", 90, "i3"))
    c = pair(rows, incident("2024-01-10T02:00:00Z", 120, "p1"))
    dora_cards, _ = TAB_VIEWS["dora"](c, "light")
    assert find(dora_cards, "kpi-mttr-value").children == "60.0 min"
    for card in ("kpi-deploys", "kpi-lead-time", "kpi-cfr", "kpi-rework"):
        assert find(dora_cards, f"{card}-value").children == "n/a", card
    assert "no deployments in this dataset" in str(find(dora_cards, "kpi-deploys").to_plotly_json())
    assert "no pull requests in this dataset" in str(find(dora_cards, "kpi-lead-time").to_plotly_json())
    assert find(dora_cards, "kpi-cfr-tier").children == "no tier"
    space_cards, _ = TAB_VIEWS["space"](c, "light")
    for card in ("kpi-incident-rate", "kpi-satisfaction"):
        assert find(space_cards, f"{card}-value").children == "n/a", card
    assert "no deployments in this dataset" in str(find(space_cards, "kpi-incident-rate").to_plotly_json())
    assert "deploy" in c.current.summary["missing"] and "pr_created" in c.current.summary["missing"]
    assert c.current.summary["dora"]["mttr_minutes_median"] == 60.0


def test_the_days_list_offers_the_window_shown_and_any_window_typed():
    usual = [7, 14, 21, 30, 60, 90, 180, 365]
    labels = lambda options: [o["label"] for o in options]
    assert labels(day_options(30, False)) == [f"{d} days" for d in usual]
    assert labels(day_options(45, True)) == ["All data"] + [f"{d} days" for d in [7, 14, 21, 30, 45, 60, 90, 180, 365]]
    assert labels(day_options(0, True))[0] == "All data" and len(day_options(0, True)) == 9
    shown = day_options(45, False)
    typed = typed_day_options(" 100 ", shown)
    # the window shown (45) stays listed: a dropdown drops a value it does not list
    assert [o["value"] for o in typed] == [7, 14, 21, 30, 45, 60, 90, 100, 180, 365]
    assert typed[7] == {"label": "100 days", "value": 100}
    assert typed_day_options("3650", shown)[-1]["value"] == 3650
    assert typed_day_options("1", day_options(0, True))[:2] == [{"label": "All data", "value": 0},
                                                                 {"label": "1 day", "value": 1}]
    for text in ("", None, "30", "45", "0", "3651", "-5", "4.5", "a month"):
        assert typed_day_options(text, shown) is None, text


def test_a_window_the_usual_list_lacks_comes_through_a_link_and_sets_the_list():
    step = transition(None, "?seed=7&days=31", controls(), DEFAULTS)
    assert step.view.days == 31 and step.message == ""
    assert {"label": "31 days", "value": 31} in step.controls["day_options"]
