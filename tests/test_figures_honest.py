"""Charts that agree with their cards and with the window (issue 23, item 4): the time axis is the
window, a chart wears its card's badge colour, threshold labels do not cover one another, whole
counts tick on whole numbers, and a chart with nothing to draw says why in words.

Expected values are worked out by hand: the badge colours are Bootstrap 5.3's, read off its
stylesheet, never from the product's colour table."""
import re
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from components import figures as fg
from components.colours import BADGE_HEX
from components.panels import figures
from dashboard.data import Computed
from dashboard.tabs import TAB_VIEWS
from helpers import TIMELESS, analysis_of, ev
from test_components import find, texts

DAY = 86_400_000_000_000
START, END = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-08", tz="UTC")
# by hand, from Bootstrap's own stylesheet (--bs-success ... in bootstrap.min.css 5.3)
GREEN, BLUE, YELLOW, RED, GREY = "#198754", "#0d6efd", "#ffc107", "#dc3545", "#6c757d"
TIER_BADGE = {"elite": ("text-bg-success", GREEN), "high": ("text-bg-primary", BLUE),
              "medium": ("text-bg-warning", YELLOW), "low": ("text-bg-danger", RED)}


def computed(rows, start="2024-01-01", end="2024-01-08", prev_start="2023-12-25", benchmark="tiers"):
    return Computed(analysis_of(rows, start=start, end=end), analysis_of(rows, start=prev_start, end=start),
                    "", "", (), benchmark=benchmark)


def utc(x) -> pd.Timestamp:
    """A figure's time value as a UTC time (Plotly keeps some as naive UTC times)."""
    t = pd.Timestamp(x)
    return t if t.tz else t.tz_localize("UTC")


def axis_range(figure) -> list:
    return [utc(x) for x in figure.layout.xaxis.range]


# ----- 1. the x axis is the window [start, end) -------------------------------------------------

def test_the_badge_colours_are_the_served_stylesheets():
    """The one colour table (``components.colours``) against the stylesheet the app serves."""
    css = (files("flask_bootstrap") / "static" / "bootstrap5" / "css" / "bootstrap.min.css").read_text()
    for name, hex_ in (("success", GREEN), ("primary", BLUE), ("warning", YELLOW), ("danger", RED), ("secondary", GREY)):
        assert re.search(rf"--bs-{name}:{hex_}[;}}]", css), name
        assert BADGE_HEX[name] == hex_


def test_one_deployment_in_seven_days_reads_as_seven_days():
    an = analysis_of([ev("2024-01-03T04:41:37Z", "deploy", deploy_id="a")])
    fig = fg.timeline(an.deployment_marks(), an.incident_marks(), an.services, an.window.start_ns, an.window.end_ns,
                      "light")
    assert axis_range(fig) == [START, END]


@pytest.mark.parametrize("when", ["start", "last nanosecond"])
def test_a_mark_on_the_windows_edge_leaves_the_axis_on_the_window(when):
    an = analysis_of([ev("2024-01-01T00:00:00Z", "deploy", deploy_id="a")])
    ts = START.value if when == "start" else END.value - 1
    deploys = an.deployment_marks().assign(ts=ts)
    fig = fg.timeline(deploys, an.incident_marks(), an.services, START.value, END.value, "light")
    assert axis_range(fig) == [START, END]
    assert utc(fig.data[0].x[0]) == pd.Timestamp(ts, tz="UTC")          # the mark itself is drawn


def test_every_chart_over_time_spans_the_whole_90_day_window():
    """Events on 3 days of 90: every time axis still shows all 90 days, on every tab."""
    rows = [ev("2024-02-05T10:00:00Z", "deploy", deploy_id="a"), ev("2024-02-06T10:00:00Z", "deploy", deploy_id="b",
                                                                     status="failed"),
            ev("2024-02-06T11:00:00Z", "incident_start", incident_id="i"),
            ev("2024-02-06T11:30:00Z", "incident_resolved", incident_id="i"),
            ev("2024-02-20T09:00:00Z", "pr_created", pr_id="p"), ev("2024-02-20T10:00:00Z", "pr_reviewed", pr_id="p"),
            ev("2024-02-20T12:00:00Z", "pr_merged", pr_id="p"),
            ev("2024-02-21T10:00:00Z", "deploy", deploy_id="c"),
            ev("2024-02-20T09:00:00Z", "satisfaction_survey", metric_value=4)]
    c = computed(rows, start="2024-01-03", end="2024-04-02", prev_start="2023-10-04")       # 90 days, from a Wednesday
    checked = set()
    for tab in ("dora", "space", "pvm"):
        for name, figure in figures(TAB_VIEWS[tab](c, "light")[1]).items():
            if name not in TIMELESS:
                assert axis_range(figure) == [pd.Timestamp("2024-01-03", tz="UTC"),
                                              pd.Timestamp("2024-04-02", tz="UTC")], name
                checked.add(name)
    assert {"deployments", "recovery", "timeline", "cfr", "success-rate", "activity", "collaboration",
            "satisfaction", "efficiency", "performance", "iar", "impact"} <= checked


def test_partial_weeks_are_drawn_inside_the_window():
    """A window from Wednesday Jan 3 to Saturday Jan 13: the first week holds 5 days (Jan 3-7),
    the last 6 (Jan 8-13); each bar covers (80 % of) its days in the window, never the days before."""
    weekly = pd.DataFrame({"week": pd.to_datetime(["2024-01-01", "2024-01-08"], utc=True), "days": [5, 6],
                           "deployments": [1, 1], "failed_deployments": [0, 1], "change_failure_rate_pct": [0.0, 100.0],
                           "incidents": [0, 1], "incident_rate_pct": [0.0, 100.0], "platform_hours": [1.0, 2.0],
                           "successful_deployments": [1, 0]})
    span = (pd.Timestamp("2024-01-03", tz="UTC").value, pd.Timestamp("2024-01-13", tz="UTC").value)
    for fig in (fg.change_failure_rate_weekly(weekly, [], "light", span=span), fg.performance(weekly, "light", span),
                fg.impact(weekly, "light", span)):
        bars = fig.data[0]
        assert [utc(x) for x in bars.x] == [pd.Timestamp("2024-01-05 12:00", tz="UTC"),    # Jan 3 + 2.5 d
                                                     pd.Timestamp("2024-01-11", tz="UTC")]          # Jan 8 + 3 d
        assert list(bars.width) == [5 * 86_400_000 * 0.8, 6 * 86_400_000 * 0.8]


# ----- 2. a chart wears its card's badge colour --------------------------------------------------

def deploys_with_failures(failed: int, total: int = 20) -> list:
    """``total`` deployments on Jan 1-7 (no incidents), the first ``failed`` of them failed."""
    return [ev(f"2024-01-0{1 + i % 7}T{10 + i // 7:02d}:00:00Z", "deploy", deploy_id=f"d{i}",
               status="failed" if i < failed else "success") for i in range(total)]


@pytest.mark.parametrize("failed, tier", [(1, "elite"), (2, "high"), (3, "medium"), (10, "low")])
def test_cfr_bars_are_the_colour_of_the_cfr_badge(failed, tier):
    # 1, 2, 3, 10 failed of 20: 5 % (elite, <= 5), 10 % (high), 15 % (medium), 50 % (low)
    c = computed(deploys_with_failures(failed))
    cards, charts = TAB_VIEWS["dora"](c, "light")
    badge, colour = TIER_BADGE[tier]
    assert badge in find(cards, "kpi-cfr-tier").className
    assert figures(charts)["cfr"].data[0].marker.color == colour


@pytest.mark.parametrize("minutes, tier", [(30, "elite"), (120, "high"), (2 * 1440, "medium"), (8 * 1440, "low")])
def test_recovery_line_is_the_colour_of_the_recovery_badge(minutes, tier):
    # five incidents (the evidence a tier needs) on days 1-5, each recovered in ``minutes``: the median;
    # < 1 h elite, < 1 day high, < 7 days medium, else low
    rows = [ev("2024-01-01T09:00:00Z", "deploy", deploy_id="a")]
    for day in range(1, 6):
        start = pd.Timestamp(f"2024-01-0{day}T10:00:00Z")
        rows += [ev(start.strftime("%Y-%m-%dT%H:%M:%SZ"), "incident_start", incident_id=f"i{day}"),
                 ev((start + pd.Timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "incident_resolved",
                    incident_id=f"i{day}")]
    c = computed(rows, end="2024-01-15")
    cards, charts = TAB_VIEWS["dora"](c, "light")
    badge, colour = TIER_BADGE[tier]
    assert badge in find(cards, "kpi-mttr-tier").className
    recovery = figures(charts)["recovery"].data[0]
    assert recovery.line.color == colour and recovery.marker.color == colour


def test_without_a_tier_badge_the_charts_are_grey():
    """Judged by the Quick Check, the recovery card shows no badge: its line is neutral grey."""
    rows = [ev("2024-01-01T10:00:00Z", "incident_start", incident_id="i"),
            ev("2024-01-01T10:30:00Z", "incident_resolved", incident_id="i")] + deploys_with_failures(1)
    cards, charts = TAB_VIEWS["dora"](computed(rows, benchmark="quick-check"), "light")
    assert find(cards, "kpi-mttr-tier") is None
    assert figures(charts)["recovery"].data[0].line.color == GREY


def test_team_bars_are_each_teams_badge_colour():
    fig = fg.team_bars(["a", "b", "c", "d", "e"], [1.0, 2.0, 3.0, 4.0, None], ["elite", "high", "medium", "low", None],
                       "Change failure rate", "%", "{:.1f}", "light")
    assert list(fig.data[0].marker.color) == [GREEN, BLUE, YELLOW, RED, GREY]


def test_vcr_bar_is_the_colour_of_the_vcr_badge():
    # 20 successful deployments x $200 = $4,000 of value; 40 platform hours x $150 = $6,000 of cost:
    # VCR 66.7 %, under 200 %: red
    rows = deploys_with_failures(0) + [ev("2024-01-02T10:00:00Z", "platform_investment_hour", metric_value=40)]
    cards, charts = TAB_VIEWS["pvm"](computed(rows), "light")
    assert find(cards, "kpi-vcr-value").children == "67%" and "text-bg-danger" in find(cards, "kpi-vcr-band").className
    assert list(figures(charts)["vcr"].data[0].marker.color) == [GREY, RED]       # the previous period, this one


def test_dtr_bar_is_its_bands_colour_and_grey_without_one():
    assert list(fg.dtr(5.0, 12.0, [], "light", "green").data[0].marker.color) == [GREY, GREEN]
    assert list(fg.dtr(None, 12.0, [], "light", None).data[0].marker.color) == [GREY, GREY]


def test_band_lines_and_bars_are_their_band_badges_colour():
    fig = fg.vcr(500.0, 100.0, [(200.0, "default", "amber"), (1000.0, "target", "green")], "light")
    assert [s["line"]["color"] for s in fig.layout.shapes] == [YELLOW, GREEN]
    periods = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"], utc=True),
                            "period_days": 7, "successful_deployments": [1, 2, 1], "growth_pct": [None, 100.0, -50.0]})
    iar = fg.iar(periods, [None, "green", "red"], [], "light")
    assert list(iar.data[0].marker.color) == [GREY, GREEN, RED]


# ----- 3. labels that do not collide -------------------------------------------------------------

LABEL_PX = 15          # an 11 px label with its padding, in pixels


def plot_height(fig) -> float:
    m = fig.layout.margin
    return fig.layout.height - m.t - m.b


def label_positions(fig, lo, hi) -> list[float]:
    """Each horizontal line's label's middle, as a paper fraction."""
    return [a["y"] if a["yref"] == "paper" else (a["y"] - lo) / (hi - lo) for a in fig.layout.annotations]


def assert_apart(ys, fig):
    """No two labels overlap (their middles at least a label's height apart) and all are inside the plot."""
    gap = LABEL_PX / plot_height(fig)
    ordered = sorted(ys)
    assert all(b - a >= gap - 1e-9 for a, b in zip(ordered, ordered[1:])), ordered
    assert all(gap / 2 - 1e-9 <= y <= 1 - gap / 2 + 1e-9 for y in ys), ordered


def test_cfr_tier_labels_do_not_pile_up_under_a_100_percent_bar():
    weekly = pd.DataFrame({"week": pd.to_datetime(["2024-01-01"], utc=True), "days": [7], "deployments": [2],
                           "failed_deployments": [2], "change_failure_rate_pct": [100.0]})
    fig = fg.change_failure_rate_weekly(weekly, [(5.0, "elite <= 5 %", "elite"), (10.0, "high <= 10 %", "high"),
                                                 (15.0, "medium <= 15 %", "medium")], "light")
    lo, hi = fig.layout.yaxis.range
    assert lo == 0 and hi >= 100                                    # the bar is in view
    assert_apart(label_positions(fig, lo, hi), fig)
    # each label in its line's colour, so that a label moved off its line still names it
    assert [a["bgcolor"] for a in fig.layout.annotations] == [GREEN, BLUE, YELLOW]


def test_iar_labels_at_10_and_30_percent_do_not_collide():
    periods = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"], utc=True),
                            "period_days": 7, "successful_deployments": [1, 5, 1], "growth_pct": [None, 400.0, -80.0]})
    fig = fg.iar(periods, [None, "green", "red"], [(10.0, "10 % default", "amber"), (30.0, "30 % target", "green")],
                 "light")
    lo, hi = fig.layout.yaxis.range
    assert lo <= -80 and hi >= 400
    assert_apart(label_positions(fig, lo, hi), fig)


def test_labels_stay_on_their_lines_when_there_is_room():
    fig = fg.vcr(500.0, 100.0, [(200.0, "default", "amber"), (1000.0, "target", "green")], "light")
    lo, hi = fig.layout.yaxis.range
    assert label_positions(fig, lo, hi) == pytest.approx([(200 - lo) / (hi - lo), (1000 - lo) / (hi - lo)])


def test_spread_keeps_a_gap_and_the_order():
    # by hand: 0.05 -> 0.05 (its floor), 0.06 -> 0.15, 0.07 -> 0.25; 0.95 and 0.97 near the top: 0.85, 0.95
    assert fg.spread([0.07, 0.05, 0.06]) == pytest.approx([0.25, 0.05, 0.15])
    assert fg.spread([0.97, 0.95]) == pytest.approx([0.95, 0.85])
    assert fg.spread([0.2, 0.8]) == [0.2, 0.8]


def test_lead_time_labels_sit_on_a_background_apart_from_each_other():
    """The median (20 h) near the elite bound (24 h): two labels, stacked, each on its own badge."""
    fig = fg.lead_time_distribution(np.array([1.0, 10.0, 20.0, 30.0, 40.0] * 20), 20.0, (24.0, "elite < 24 h"), "light")
    notes = fig.layout.annotations
    assert [n["text"] for n in notes] == ["elite < 24 h", "median 20.0 h"]
    assert all(n["bgcolor"] not in (None, "rgba(0,0,0,0)") for n in notes)
    assert notes[0]["bgcolor"] == GREEN                   # the elite badge's colour
    assert abs(notes[0]["y"] - notes[1]["y"]) >= LABEL_PX / plot_height(fig)


# ----- 3b. whole counts tick on whole numbers ----------------------------------------------------

def ticks(axis, peak) -> list:
    """The tick values Plotly draws on a linear axis from 0 with ``dtick`` and ``tick0`` set."""
    return list(np.arange(axis.tick0 or 0, peak + axis.dtick, axis.dtick))


def impact_weekly(deploys) -> pd.DataFrame:
    return pd.DataFrame({"week": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"], utc=True), "days": 7,
                         "platform_hours": [1.5, 0.5, 2.0], "successful_deployments": deploys})


@pytest.mark.parametrize("deploys", [[0, 1, 1], [0, 0, 0], [2, 5, 3]])
def test_impact_deployment_ticks_are_distinct_whole_numbers(deploys):
    axis = fg.impact(impact_weekly(deploys), "light").layout.yaxis2
    # a ",d" format over Plotly's own ticks (0, 0.2, 0.4 ...) printed 0 0 0 1 1 1: one tick a whole number
    assert axis.tickformat == ",d" and axis.tickmode == "linear" and axis.dtick == 1
    values = ticks(axis, max(deploys))
    assert values == list(range(0, max(deploys) + 1)) and len(set(values)) == len(values)


def test_impact_deployment_ticks_are_not_synced_to_the_hours_axis():
    """An overlaying axis defaults to tick mode "sync" (Plotly.js 3): ticks at the hours axis's
    grid (12.75, 25.5 ...), printed by ",d" as 13, 26: the mode is set to Plotly's own round ticks."""
    axis = fg.impact(impact_weekly([20, 51, 30]), "light").layout.yaxis2
    assert axis.tickmode == "auto" and axis.tickformat == ",d"


# ----- 4. empty charts say why ------------------------------------------------------------------

def test_cfr_without_incident_data_is_a_sentence_not_a_zero_axis():
    c = computed(deploys_with_failures(0))          # 20 successful deployments, no incident source at all
    cards, charts = TAB_VIEWS["dora"](c, "light")
    assert "cfr" not in figures(charts)
    assert find(charts, "empty-cfr").children == "No incident data in this dataset: no change failure rate to chart."


def test_vcr_and_dtr_without_their_data_say_which_is_missing():
    c = computed(deploys_with_failures(0))
    _, charts = TAB_VIEWS["pvm"](c, "light")
    assert "vcr" not in figures(charts) and "dtr" not in figures(charts)
    assert find(charts, "empty-vcr").children == ("VCR: value to cost: n/a in this window and the previous 7 days "
                                                  "(no platform hours in this dataset).")
    assert find(charts, "empty-dtr").children == ("DTR: toil ratio: n/a in this window and the previous 7 days "
                                                  "(no toil or incident-response data in this dataset).")


def test_vcr_with_data_in_one_period_is_still_drawn():
    rows = deploys_with_failures(0) + [ev("2024-01-02T10:00:00Z", "platform_investment_hour", metric_value=4)]
    _, charts = TAB_VIEWS["pvm"](computed(rows), "light")
    assert "vcr" in figures(charts) and "empty-vcr" not in " ".join(str(t) for t in texts(charts))


def test_quick_check_cfr_bars_are_the_colour_of_the_score_badge():
    """Judged by the Quick Check, the CFR card's badge is its score's standing: the bars wear it."""
    c = computed(deploys_with_failures(10), benchmark="quick-check")      # 50 % failed: a poor score
    cards, charts = TAB_VIEWS["dora"](c, "light")
    badge = find(cards, "kpi-cfr-score").className
    by_class = {"text-bg-success": GREEN, "text-bg-warning": YELLOW, "text-bg-danger": RED}
    (shown,) = [hex_ for cls, hex_ in by_class.items() if cls in badge]
    assert figures(charts)["cfr"].data[0].marker.color == shown


# ----- in the browser ---------------------------------------------------------------------------

TIMELINE_RANGE_JS = """
var plot = document.querySelector('.chart-timeline .js-plotly-plot');
if (!plot || !plot._fullLayout) { return null; }
var ax = plot._fullLayout.xaxis;
return [ax.r2l(ax.range[0]), ax.r2l(ax.range[1])];
"""


@pytest.mark.browser
def test_a_seven_day_link_shows_seven_days_on_the_timeline(dash_duo):
    """What the page shows: the timeline's axis runs from the window line's first day to its end."""
    import time
    from dashboard.app import create_app
    from test_browser import no_console_errors
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app())
    dash_duo.wait_for_element("#kpi-deploys-value", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/?days=7&tab=dora")
    dash_duo.wait_for_contains_text("#window-line", "(7 days, UTC)", timeout=20)
    first, end = re.search(r"Window (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)",
                           dash_duo.find_element("#window-line").text).groups()
    deadline, shown = time.time() + 15, None
    while shown is None and time.time() < deadline:
        shown = dash_duo.driver.execute_script(TIMELINE_RANGE_JS)
        time.sleep(0.2)
    ms = [pd.Timestamp(first).value // 1_000_000, pd.Timestamp(end).value // 1_000_000]
    assert shown == ms and ms[1] - ms[0] == 7 * 86_400_000
    no_console_errors(dash_duo)


def test_impact_without_platform_hours_says_so_instead_of_bars_at_zero():
    _, charts = TAB_VIEWS["pvm"](computed(deploys_with_failures(0)), "light")
    impact = figures(charts)["impact"]
    assert [t.name for t in impact.data] == ["successful deployments"]          # the deployments are still drawn
    assert [a["text"] for a in impact.layout.annotations] == ["No platform hours in this dataset"]
    rows = deploys_with_failures(0) + [ev("2024-01-02T10:00:00Z", "platform_investment_hour", metric_value=4)]
    impact = figures(TAB_VIEWS["pvm"](computed(rows), "light")[1])["impact"]
    assert [t.name for t in impact.data] == ["platform hours", "successful deployments"] and not impact.layout.annotations


def test_recovery_and_lead_time_without_their_source_say_which_is_missing():
    _, charts = TAB_VIEWS["dora"](computed(deploys_with_failures(0)), "light")
    assert find(charts, "empty-recovery").children == "No incident data in this dataset: no recovery time to show."
    assert find(charts, "empty-lead-time").children == "No pull requests in this dataset: no lead time to show."
