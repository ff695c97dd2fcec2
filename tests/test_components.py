"""KPI cards and figure builders, without a browser."""
import json

import plotly.graph_objects as go
import pytest
from plotly.utils import PlotlyJSONEncoder

import numpy as np

from components import figures as fg
from components.kpi import change, kpi_card, tier_badge
from components.panels import figures
from components.teams import teams_table
from dashboard.data import Computed
from dashboard.tabs import TAB_VIEWS
from helpers import TIMELESS, analysis_of, ev
from metrics import analyze, generate
from metrics.series import bucketed


def texts(component) -> list[str]:
    """Every string inside a Dash component tree."""
    out = []

    def walk(c):
        if isinstance(c, str):
            out.append(c)
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)
        elif hasattr(c, "children"):
            walk(c.children)
    walk(component)
    return out


def find(component, element_id):
    if getattr(component, "id", None) == element_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children] if children is not None else []:
        if not isinstance(child, str):
            hit = find(child, element_id)
            if hit is not None:
                return hit
    return None


GREY = "#6c757d"                       # Bootstrap 5.3's secondary: the "no tier" badge, a grey change


def cell_style(table, row: int, column: str) -> dict:
    """The style ``table``'s ``style_data_conditional`` gives cell (``row``, ``column``): each rule whose
    column is ``column`` and whose ``{field} = "text"`` query holds on the row, later rules winning (as
    DataTable applies them)."""
    import re
    style = {}
    for rule in table.style_data_conditional:
        where = rule["if"]
        if where.get("column_id") != column:
            continue
        field, text = re.fullmatch(r'\{(.+)\} = "(.*)"', where["filter_query"]).groups()
        if table.data[row].get(field) == text:
            style.update({k: v for k, v in rule.items() if k != "if"})
    return style


def tips(table) -> list:
    """Each row's tooltips of ``table``: column -> the text."""
    return [{column: tip["value"] for column, tip in row.items()} for row in table.tooltip_data]


def test_change_in_points_for_percentages_and_relative_otherwise():
    assert change(7.5, 5.0, "%") == ("+2.5 pp", 2.5)
    assert change(12.0, 10.0, " h")[0] == "+20 %"
    assert change(None, 3.0, "%") == ("no previous value", None)
    assert change(3.0, 0.0, " /day") == ("new", 1.0)


def test_kpi_card_colours_by_direction():
    worse_recovery = kpi_card("k", "Recovery", 90.0, "{:.1f}", " min", previous=60.0, reverse_color=True)
    assert "text-danger" in find(worse_recovery, "k-delta").className
    more_deploys = kpi_card("k", "Deploys", 6.0, "{:.2f}", " /day", previous=5.0)
    assert "text-success" in find(more_deploys, "k-delta").className
    assert find(more_deploys, "k-value").children == "6.00 /day"
    empty = kpi_card("k", "Lead time", None, unit=" h", previous=None)
    assert find(empty, "k-value").children == "n/a"
    assert "text-body-secondary" in find(empty, "k-delta").className


def test_tier_badge_names_the_threshold_on_hover():
    badge = tier_badge("high", "median < 7 days")
    assert badge.children == "HIGH" and badge.title == "high: median < 7 days"
    assert tier_badge(None, None).children == "no tier"


def computed(rows, start="2024-01-01", end="2024-01-15"):
    an = analysis_of(rows, start=start, end=end)
    prev = analysis_of(rows, start="2023-12-18", end=start)
    return Computed(an, prev, "auto", "test", ())


def graphs(component) -> list[str]:
    found = []

    def walk(c):
        if c.__class__.__name__ == "Graph":
            found.append(c.id["name"])
        children = getattr(c, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children] if children is not None else []:
            if not isinstance(child, str):
                walk(child)
    for part in component:
        walk(part)
    return found


def test_empty_window_shows_sentences_not_empty_axes():
    c = computed([])
    dora = TAB_VIEWS["dora"](c, "light")
    assert graphs(dora) == ["deployments"]
    words = " ".join(texts(dora))
    assert "No resolved incidents in this window" in words and "No deployed PRs in this window" in words
    space = TAB_VIEWS["space"](c, "light")
    assert "No survey responses in this window." in " ".join(texts(space))
    cards, charts = TAB_VIEWS["pvm"](c, "light")
    # VCR and DTR, n/a in both periods, say so in words: two empty bars would read as 0 %
    assert find(cards, "kpi-vcr-value").children == "n/a" and graphs([charts]) == ["iar", "impact"]
    words = " ".join(texts(charts))
    assert "VCR: value to cost: n/a in this window and the previous 14 days" in words
    assert "DTR: toil ratio: n/a in this window and the previous 14 days" in words


def test_full_window_draws_every_chart():
    u = generate(30, 42, end="2026-11-22")
    c = Computed(analyze(u.tables, u.window), analyze(u.tables, u.window.previous()), "balanced", "balanced", ())
    assert graphs(TAB_VIEWS["dora"](c, "light")) == ["deployments", "recovery", "timeline", "lead-time", "cfr",
                                                      "lead-stages", "lead-by-size", "cfr-by-batch", "success-rate"]
    assert len(graphs(TAB_VIEWS["space"](c, "dark"))) == 5
    assert len(graphs(TAB_VIEWS["pvm"](c, "light"))) == 4


def test_every_figure_passes_plotly_validation():
    """The builders skip Plotly's validation for speed (``_figure``); here every figure of every tab,
    at scale (the timeline's heatmaps) and small, in both themes, is validated in full."""
    for services, theme in ((3, "light"), (200, "dark")):
        u = generate(30, 42, services=services, end="2026-11-22")
        c = Computed(analyze(u.tables, u.window), analyze(u.tables, u.window.previous()), "balanced", "balanced", ())
        for tab in ("dora", "space", "pvm"):
            _, charts = TAB_VIEWS[tab](c, theme)
            for name, figure in figures(charts).items():
                go.Figure(figure.to_dict())          # raises on any invalid property


def test_figures_carry_the_numbers():
    rows = [ev("2024-01-01T10:00:00Z", "deploy", deploy_id="a"), ev("2024-01-02T10:00:00Z", "deploy", deploy_id="b", status="failed"),
            ev("2024-01-02T11:00:00Z", "incident_start", incident_id="i"), ev("2024-01-02T11:45:00Z", "incident_resolved", incident_id="i")]
    an = analysis_of(rows)
    fig = fg.deployments_per_day(bucketed(an.daily, "day"), "light")
    assert list(fig.data[0].y[:3]) == [1, 0, 0] and list(fig.data[1].y[:3]) == [0, 1, 0]
    rec = fg.recovery_per_incident(an.incident_marks(), an.services, an.daily_recovery(), 45.0, "light")
    assert list(rec.data[0].customdata) == ["api"]
    assert list(rec.data[0].y) == [45.0]
    cfr = fg.change_failure_rate_weekly(an.weekly_delivery, [(5, "elite <= 5 %")], "light")
    # b failed; i starts 25 h after a (the last successful deploy), outside the 24 h window: 1 of 2
    assert cfr.data[0].y[0] == pytest.approx(50.0)
    sat = fg.satisfaction(an.weekly, 3.0, 0.5, an.window.start_ns, an.window.end_ns, "light")
    assert sat.layout.yaxis.range == (1, 5.1)


def test_timeline_counts_marks_per_row_and_day_when_there_are_many():
    u = generate(60, 42, services=60, end="2026-11-22")
    an = analyze(u.tables, u.window)
    deploys, incidents = an.deployment_marks(), an.incident_marks()
    assert len(deploys) > 2 * fg.MAX_MARKS
    fig = fg.timeline(deploys, incidents, an.services, an.window.start_ns, an.window.end_ns, "light")
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert len(fig.data[0].y) == fg.TIMELINE_ROWS + 1 and len(fig.data[0].x) == 60
    assert np.nansum(np.asarray(fig.data[0].z, dtype=float)) == len(deploys)
    assert np.nansum(np.asarray(fig.data[1].z, dtype=float)) == len(incidents)


def test_timeline_draws_each_mark_when_there_are_few():
    rows = [ev("2024-01-01T10:00:00Z", "deploy", deploy_id="a"), ev("2024-01-02T10:00:00Z", "deploy", "web", deploy_id="b"),
            ev("2024-01-02T11:00:00Z", "incident_start", incident_id="i")]
    an = analysis_of(rows)
    fig = fg.timeline(an.deployment_marks(), an.incident_marks(), an.services, an.window.start_ns, an.window.end_ns, "light")
    assert sorted(fig.data[0].y) == ["api", "web"] and "other services" not in fig.layout.yaxis.categoryarray
    assert list(fig.data[1].y) == ["api", "api", None]      # open incident: a bar to the window's end


def test_a_million_events_send_under_a_megabyte():
    # the content of a seed change at --services 500 --days 365: every tab's figures and cards
    u = generate(730, 42, services=500, end="2026-11-22")
    window = u.window.__class__(u.window.end_ns - 365 * 86_400_000_000_000, u.window.end_ns)
    c = Computed(analyze(u.tables, window), analyze(u.tables, window.previous()), "balanced", "balanced", ())
    assert c.current.summary["dora"]["deployments"] > 300_000
    for tab, view in TAB_VIEWS.items():
        payload = json.dumps(view(c, "light"), cls=PlotlyJSONEncoder)
        assert len(payload) < 1_000_000, (tab, len(payload))


def test_names_are_shown_as_text_in_charts():
    """A service named with HTML is drawn as its characters, never as a live link."""
    rows = [ev("2024-01-01T10:00:00Z", "deploy", '<a href="https://evil.example">x</a>', deploy_id="a"),
            ev("2024-01-02T11:00:00Z", "incident_start", '<a href="https://evil.example">x</a>', incident_id="i"),
            ev("2024-01-02T11:30:00Z", "incident_resolved", '<a href="https://evil.example">x</a>', incident_id="i")]
    an = analysis_of(rows)
    fig = fg.timeline(an.deployment_marks(), an.incident_marks(), an.services, an.window.start_ns, an.window.end_ns, "light")
    assert list(fig.layout.yaxis.categoryarray) == ['&lt;a href="https://evil.example"&gt;x&lt;/a&gt;']
    rec = fg.recovery_per_incident(an.incident_marks(), an.services, an.daily_recovery(), 30.0, "light")
    assert "<a" not in rec.data[0].customdata[0]


def test_weekly_charts_sit_on_a_date_axis_that_starts_at_zero():
    """52 weekly bars on a category axis overlapped their labels; on a date axis Plotly picks
    readable ticks. An all-zero series starts at 0, not at -1."""
    u = generate(365, 42, end="2026-11-22")
    an = analyze(u.tables, u.window)
    for figure in (fg.change_failure_rate_weekly(an.weekly_delivery, [(5, "elite <= 5 %")], "light"),
                   fg.performance(an.weekly_delivery, "light"), fg.impact(an.weekly_delivery, "light")):
        assert figure.layout.xaxis.type == "date" and figure.layout.yaxis.rangemode == "tozero"
        assert len(figure.data[0].x) == len(an.weekly_delivery) >= 52


def test_no_incidents_is_a_sentence_not_a_flat_chart():
    rows = [ev("2024-01-02T10:00:00Z", "deploy", deploy_id="a"), ev("2023-12-01T10:00:00Z", "incident_start", incident_id="x")]
    c = computed(rows)
    _, charts = TAB_VIEWS["space"](c, "light")
    assert "No incidents in this window: the incident rate is 0 % every week." in " ".join(texts(charts))


# ----- charts over time: date axes, gaps, aggregation (hand-worked values) --------------------

def daily_of(start: str, values: list[int]):
    import pandas as pd
    dates = pd.date_range(start, periods=len(values), freq="D", tz="UTC")
    return pd.DataFrame({"date": dates, "deployments": values, "successful_deployments": values,
                         "prs_created": values, "reviews": [0] * len(values), "merges": values})


def day(x) -> str | None:
    """A figure's x value (numpy or pandas time, or None for a gap) as its date."""
    import pandas as pd
    return None if x is None else str(pd.Timestamp(x).date())


def test_line_bucket_follows_the_documented_lengths():
    from metrics import defaults
    assert [defaults.line_bucket(d) for d in (7, defaults.DAILY_LINE_MAX_DAYS, defaults.DAILY_LINE_MAX_DAYS + 1,
                                               730, 731, 3650)] == ["day", "day", "week", "week", "month", "month"]


def test_daily_lines_sum_to_weeks_with_the_title_saying_so():
    # Wed 2024-01-03 .. Fri 2024-01-12: the week of Mon Jan 1 holds 5 days (1+2+3+4+5 = 15), the
    # week of Mon Jan 8 holds 5 days (6+7+8+9+10 = 40)
    daily = daily_of("2024-01-03", list(range(1, 11)))
    fig = fg.deployments_per_day(bucketed(daily, "week"), "light", "week")
    assert fig.layout.title.text == "Deployments per week"
    assert [day(x) for x in fig.data[0].x] == ["2024-01-01", "2024-01-08"]
    assert list(fig.data[0].y) == [15, 40] and list(fig.data[1].y) == [0, 0]
    assert fig.data[0].customdata[0] == "week of Jan 01, 2024 (5 d in the window)"
    act = fg.activity(bucketed(daily, "week"), "dark", "week")
    assert act.layout.title.text == "Activity: PRs and reviews per week" and list(act.data[0].y) == [15, 40]
    assert list(daily["deployments"]) == list(range(1, 11))          # the daily table itself is untouched


def test_daily_lines_sum_to_months_beyond_two_years():
    # 2024-01-30 .. 2024-02-03: January holds 2 days (1+2 = 3), February 3 days (3+4+5 = 12)
    fig = fg.activity(bucketed(daily_of("2024-01-30", [1, 2, 3, 4, 5]), "month"), "light", "month")
    assert fig.layout.title.text == "Activity: PRs and reviews per month"
    assert [day(x) for x in fig.data[0].x] == ["2024-01-01", "2024-02-01"]
    assert list(fig.data[0].y) == [3, 12] and fig.data[0].customdata[1] == "February 2024 (3 d in the window)"


def test_short_windows_keep_daily_points_on_a_date_axis():
    fig = fg.activity(bucketed(daily_of("2024-01-01", [1, 0, 2]), "day"), "light")
    assert fig.layout.title.text == "Activity: PRs and reviews per day"
    assert fig.layout.xaxis.type == "date" and [day(x) for x in fig.data[0].x] == ["2024-01-01", "2024-01-02",
                                                                                           "2024-01-03"]
    assert list(fig.data[0].y) == [1, 0, 2]


def test_every_chart_over_time_has_a_date_axis_at_every_length():
    for days in (7, 90, 365, 3650):
        u = generate(days, 42, end="2026-11-22")
        c = Computed(analyze(u.tables, u.window), analyze(u.tables, u.window.previous()), "balanced", "balanced", ())
        for tab in ("dora", "space", "pvm"):
            _, charts = TAB_VIEWS[tab](c, "light")
            for name, figure in figures(charts).items():
                if name in TIMELESS:
                    continue
                assert figure.layout.xaxis.type == "date", (days, name)
        _, charts = TAB_VIEWS["space"](c, "light")
        words = {7: "day", 90: "day", 365: "week", 3650: "month"}[days]
        assert figures(charts)["activity"].layout.title.text.endswith(f"per {words}")


def test_merge_time_line_and_band_break_at_empty_weeks():
    import pandas as pd
    weeks = pd.date_range("2024-01-01", periods=4, freq="7D", tz="UTC")
    weekly = pd.DataFrame({"week": weeks, "merge_time_hours_mean": [10.0, np.nan, np.nan, 20.0],
                           "merge_time_hours_std": [2.0, np.nan, np.nan, np.nan]})
    fig = fg.efficiency(weekly, "light")
    band, mean = fig.data
    assert list(mean.y) == [10.0, None, None, 20.0] and mean.connectgaps is False
    # one shape per run of weeks with data: week 1 (12 over 8), a gap, week 4 (one PR: no spread)
    assert band.fill == "toself" and list(band.y) == [12.0, 8.0, None, 20.0, 20.0]
    assert [day(x) for x in band.x] == ["2024-01-01", "2024-01-01", None,
                                                                      "2024-01-22", "2024-01-22"]
    assert fig.layout.xaxis.type == "date"
    assert "first commit" in fg.efficiency(weekly, "light", "first commit (git history)").layout.title.text


def test_weekly_lines_break_where_a_week_has_no_value():
    import pandas as pd
    weeks = pd.date_range("2024-01-01", periods=3, freq="7D", tz="UTC")
    weekly = pd.DataFrame({"week": weeks, "review_turnaround_hours_mean": [1.0, np.nan, 3.0],
                           "review_turnaround_hours_median": [1.0, np.nan, 2.0],
                           "satisfaction_mean": [4.0, np.nan, 3.5], "responses": [2, 0, 1]})
    assert list(fg.collaboration(weekly, "light").data[0].y) == [1.0, None, 3.0]
    assert list(fg.satisfaction(weekly, None, None, 0, 0, "light").data[0].y) == [4.0, None, 3.5]


def test_recovery_line_breaks_between_incidents_weeks_apart():
    rows = [ev("2024-01-01T10:00:00Z", "incident_start", incident_id="a"), ev("2024-01-01T11:00:00Z", "incident_resolved", incident_id="a"),
            ev("2024-01-03T10:00:00Z", "incident_start", incident_id="b"), ev("2024-01-03T10:30:00Z", "incident_resolved", incident_id="b"),
            ev("2024-01-20T10:00:00Z", "incident_start", incident_id="c"), ev("2024-01-20T12:00:00Z", "incident_resolved", incident_id="c")]
    an = analysis_of(rows, end="2024-01-31")
    rec = fg.recovery_per_incident(an.incident_marks(), an.services, an.daily_recovery(), 60.0, "light")
    assert list(rec.data[0].y) == [60.0, 30.0, None, 120.0]       # 17 days between b and c: no line across
    assert rec.layout.xaxis.type == "date"
    # each point keeps its own time and service beside it, the gap after the second
    assert list(rec.data[0].x) == ["2024-01-01T10:00:00+00:00", "2024-01-03T10:00:00+00:00", None,
                                   "2024-01-20T10:00:00+00:00"]
    assert list(rec.data[0].customdata) == ["api", "api", None, "api"]


def test_iso_times_are_what_plotly_writes_of_a_utc_timestamp():
    # checked against pandas' own isoformat (what Plotly's encoder writes of a Timestamp): whole
    # seconds, milli-, micro- and nanosecond fractions, before 1970, and no time (None)
    import pandas as pd
    texts = ["2024-01-01 00:00:00", "2024-02-29 23:59:59.5", "2024-03-01 09:30:00.000123", "2024-03-01 09:30:00.000000001",
             "2024-03-01 09:30:00.123456789", "1969-12-31 23:59:59.25", "2262-04-11 23:47:16.854775807"]
    stamps = [pd.Timestamp(t, tz="UTC") for t in texts]
    ns = [t.value for t in stamps] + [fg.NOT_YET]
    assert list(fg.iso_times(ns)) == [t.isoformat() for t in stamps] + [None]
    assert list(fg.iso_times([])) == []


def test_iar_periods_sit_on_a_date_axis():
    u = generate(365, 42, end="2026-11-22")
    an = analyze(u.tables, u.window)
    fig = fg.iar(an.iar_periods, [None] * len(an.iar_periods), [], "light")
    assert fig.layout.xaxis.type == "date" and len(fig.data[0].x) == 12          # 30-day periods
    assert fig.data[0].y[0] is None                                               # the first has no period before


# ----- cards: PR times from git history, low samples --------------------------------------------

def test_git_only_data_says_what_its_pr_times_mean_and_marks_low_samples(tmp_path):
    """A repository read by the git importer: tags are deployments, PRs come from history (their
    "created" is the first commit's author time); 2 deployments and 2 deployed PRs in 5 days are under
    the minimum for a tier (METRICS.md section 3: 5 events, or 30 days for the frequency): no tiers, the
    reasons said (tiers from 5 to MIN_SAMPLE events are marked low samples: tests/test_evidence.py)."""
    from metrics import Window, tables_from_frame
    from metrics.defaults import MIN_SAMPLE
    from metrics.ingest import load_events
    from metrics.registry.source import source
    from test_source_git import make_repo
    frame, _ = load_events([make_repo(tmp_path / "shop")], reader=source("git").make_reader(tag_pattern="v*"))
    tables = tables_from_frame(frame)
    assert tables.git_prs
    an = analyze(tables, Window.between("2024-03-01", "2024-03-06"))
    prev = analyze(tables, Window.between("2024-02-25", "2024-03-01"))
    assert an.pr_times_from_git
    c = Computed(an, prev, "", "", ())
    dora_cards, dora_charts = TAB_VIEWS["dora"](c, "light")
    assert find(dora_cards, "kpi-deploys-caution").children[1] == \
        "no tier: 2 deployments: a tier needs at least 5, or a window of 30 days or more"
    # and what the median leaves out: #3, merged (committed) 03-05 11:00, waits 13 h to the window's end
    assert find(dora_cards, "kpi-lead-time-caution").children[1] == (
        "no tier: 2 deployed PRs: a tier needs at least 5; 1 merged PR waits for a release: median 13.0 h since the "
        "merge, oldest 13.0 h")
    assert "from first commit (git history)" in " ".join(texts(find(dora_cards, "kpi-lead-time")))
    assert find(dora_cards, "kpi-overall-caution").children[1] == \
        "no overall tier: too little evidence for the deployment frequency, lead time tiers"
    # the CFR and recovery time are n/a (git history has neither failures nor incidents): no reason to give
    assert find(dora_cards, "kpi-cfr-value").children == "n/a" and find(dora_cards, "kpi-cfr-caution") is None
    assert f"minimum {MIN_SAMPLE}" not in " ".join(texts(dora_cards))         # no tier, so no low-sample mark
    assert find(dora_cards, "kpi-mttr-caution") is None                 # n/a (no incidents): nothing to mark
    assert "hours from first commit (git history) to deployment" == \
        figures(dora_charts)["lead-time"].layout.xaxis.title.text
    space_cards, _ = TAB_VIEWS["space"](c, "light")
    merge = texts(find(space_cards, "kpi-merge-time"))
    assert "first commit to merge, mean" in merge
    assert "time from first commit, git history (no PR opening time)" in merge
    assert "dated by first commit (git history)" in " ".join(texts(find(space_cards, "kpi-prs")))
    pvm_cards, _ = TAB_VIEWS["pvm"](c, "light")
    assert find(pvm_cards, "kpi-iar-caution").children[1].startswith("low sample: n=")


def test_data_from_pr_sources_keeps_the_creation_wording_and_big_samples_no_mark():
    u = generate(30, 42, end="2026-11-22")
    c = Computed(analyze(u.tables, u.window), analyze(u.tables, u.window.previous()), "balanced", "balanced", ())
    assert not c.current.pr_times_from_git
    cards, _ = TAB_VIEWS["space"](c, "light")
    assert "creation to merge, mean" in texts(find(cards, "kpi-merge-time"))
    assert find(cards, "kpi-merge-time-caution") is None
    dora_cards, _ = TAB_VIEWS["dora"](c, "light")
    assert c.current.summary["dora"]["deployments"] >= 20 and find(dora_cards, "kpi-deploys-caution") is None


def test_activity_draws_no_reviews_line_without_review_data():
    import pandas as pd
    from components import figures as fg
    daily = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=14, tz="UTC"), "prs_created": [1] * 14,
                          "reviews": [0] * 14, "merges": [1] * 14})
    with_reviews = fg.activity(bucketed(daily, "day"), "light", "day")
    without = fg.activity(bucketed(daily, "day"), "light", "day", reviews_known=False)
    assert [t.name for t in with_reviews.data] == ["PRs created", "reviews", "merges"]
    assert [t.name for t in without.data] == ["PRs created", "merges"]
    assert "reviews" not in without.layout.title.text


def test_count_axes_tick_on_whole_numbers():
    import pandas as pd
    from components import figures as fg
    daily = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=14, tz="UTC"), "deployments": [0, 1] * 7,
                          "successful_deployments": [0, 1] * 7})
    axis = fg.deployments_per_day(bucketed(daily, "day"), "light").layout.yaxis
    assert axis.dtick == 1 and axis.tickformat == ",d" and axis.rangemode == "tozero"
    busy = daily.assign(deployments=[40] * 14, successful_deployments=[40] * 14)
    assert fg.deployments_per_day(bucketed(busy, "day"), "light").layout.yaxis.dtick is None


def test_teams_table_colours_a_change_by_direction_and_only_where_both_periods_are_judged():
    """One team, three metrics: deployments 1 -> 2 a day (up, better: green), lead time 5 -> 10 h (up,
    worse as lower is better: red), CFR 10 -> 20 % with a previous period lacking evidence (grey, the
    caller's ``coloured change`` False); a second team whose problem is said in its Services cell."""
    columns = [("deploys", "Deployment frequency", "{:.2f}", " /day", False, True),
               ("lead-time", "Lead time", "{:.1f}", " h", True, True), ("cfr", "Change failure rate", "{:.1f}", "%", True, True)]
    cells = {"deploys": (2.0, 1.0, "elite", ">= 1 a day", "", True), "lead-time": (10.0, 5.0, "elite", "< 24 h", "", True),
             "cfr": (20.0, 10.0, "medium", "<= 30 %", "", False)}
    rows = [{"id": "team-0", "team": "core", "services": "api", "problem": "", "cells": cells, "overall": "medium",
             "overall_previous": "high", "overall_moved": True},
            {"id": "team-1", "team": "ghost", "services": "", "problem": "Team 'ghost' has no services in this data.",
             "cells": {}, "overall": None, "overall_previous": None}]
    table = find(teams_table(columns, rows, "the 7 days before"), "teams-table")
    core, ghost = table.data
    assert (core["deploys"], core["deploys-change"]) == ("2.00 /day", "▲ +100 %")
    assert cell_style(table, 0, "deploys-change") == {"color": "#198754"}                # better: green
    assert (core["lead-time"], core["lead-time-change"]) == ("10.0 h", "▲ +100 %")
    assert cell_style(table, 0, "lead-time-change") == {"color": "#dc3545"}              # worse: red
    assert core["cfr-change"] == "▲ +10.0 pp" and cell_style(table, 0, "cfr-change") == {"color": GREY}
    assert (core["cfr-tier"], cell_style(table, 0, "cfr-tier")) == ("MEDIUM", {"backgroundColor": "#ffc107",
                                                                                "color": "#000", "fontWeight": 600})
    assert tips(table)[0]["cfr-tier"] == "medium: <= 30 %" and "cfr" not in tips(table)[0]
    assert core["overall"] == "MEDIUM" and core["overall-was"] == "was high"
    assert ghost["services"] == "Team 'ghost' has no services in this data." and "deploys" not in ghost
    assert table.sort_action == "none"                        # the order is the Teams sort control's
