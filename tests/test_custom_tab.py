"""The Custom tab: custom metrics from METRICS_PLUGINS, computed in metrics/plugins.py and drawn
by dashboard/tabs.py; unit tests, then the tab in headless Chromium."""
import pandas as pd
import pytest
from test_components import find, texts

from components import figures as fg
from dashboard.data import Computed
from dashboard.state import View, from_query
from dashboard.tabs import TAB_VIEWS
from metrics import analyze, generate
from metrics.plugins import custom_view, window_events
from metrics.compute.extensions import success_rate
from metrics.series import bucketed
from metrics.window import today_ns

PLUGIN = """\
import pandas as pd
from metrics.plugins import metric


@metric(name="deploy_count", label="Deploy count", lower_is_better=True)
def deploy_count(events):
    return float((events["kind"] == "deploy").sum())


@metric(name="deploy_count_up", label="Deploy count (more is better)")
def deploy_count_up(events):
    return float((events["kind"] == "deploy").sum())


@metric(name="deploys_per_day", label="Deploys per day", unit="deploys")
def deploys_per_day(events):
    d = events[events["kind"] == "deploy"]
    return d.groupby(d["ts"].dt.floor("1D")).size().rename("deploys").rename_axis("period").reset_index()
"""
BROKEN = "import not_a_real_module_xyz\n"
RAISES = """\
from metrics.plugins import metric


@metric(name="explodes", label="Explodes")
def explodes(events):
    return 1 / 0
"""


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """A good plug-in, one that cannot be imported and one whose metric raises, in METRICS_PLUGINS."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "good.py").write_text(PLUGIN, encoding="utf-8")
    (folder / "broken.py").write_text(BROKEN, encoding="utf-8")
    (folder / "raises.py").write_text(RAISES, encoding="utf-8")
    monkeypatch.setenv("METRICS_PLUGINS", str(folder))
    return folder


def computed(days=14, seed=42, end=None) -> Computed:
    """The synthetic view's two periods, as the dashboard computes them (through ``metrics``)."""
    end = today_ns() if end is None else end
    now, before = generate(days, seed, end=end), generate(days, seed, end=end, days_back=days)
    return Computed(analyze(now.tables, now.window), analyze(before.tables, before.window), now.scenario,
                    now.profile.name, ())


def expected_counts(c: Computed) -> tuple[float, float]:
    """Deploy events in this period's and the previous period's windows, counted independently."""
    return tuple(float((window_events(a.tables, a.window)["kind"] == "deploy").sum()) for a in (c.current, c.previous))


def test_custom_view_values_and_problems(plugins):
    c = computed(end="2026-03-02")
    view = custom_view(window_events(c.current.tables, c.current.window),
                       window_events(c.previous.tables, c.previous.window))
    now, before = expected_counts(c)
    values = {v.spec.name: v for v in view.values}
    assert view.configured and sorted(values) == ["deploy_count", "deploy_count_up", "deploys_per_day"]
    assert (values["deploy_count"].current.headline, values["deploy_count"].previous) == (now, before)
    assert values["deploys_per_day"].current.frame["deploys"].sum() == now
    assert len(view.problems) == 2
    assert "broken.py could not be loaded (line 1): ModuleNotFoundError" in view.problems[0]
    assert "raises.py failed (line 6): ZeroDivisionError: division by zero" in view.problems[1]


def test_not_configured(monkeypatch):
    monkeypatch.delenv("METRICS_PLUGINS", raising=False)
    assert custom_view(pd.DataFrame(), pd.DataFrame()).configured is False
    cards, charts = TAB_VIEWS["custom"](computed(end="2026-03-02"), "light")
    assert find(cards, "custom-howto") is not None and charts.children == []
    assert "METRICS_PLUGINS" in " ".join(texts(cards))


def test_custom_tab_cards_charts_and_sentences(plugins):
    c = computed(end="2026-03-02")
    now, before = expected_counts(c)
    cards, charts = TAB_VIEWS["custom"](c, "light")
    assert find(cards, "kpi-custom-deploy_count-value").children == f"{now:,.2f}"
    delta = find(cards, "kpi-custom-deploy_count-delta")
    up = find(cards, "kpi-custom-deploy_count_up-delta")
    if now != before:
        # the same change: red where lower is better, green where higher is
        assert ("text-danger" in delta.className) == (now > before)
        assert ("text-success" in up.className) == (now > before)
    problems = [find(cards, f"custom-problem-{i}") for i in range(2)]
    assert problems[0].children[1].startswith("Plug-in ") and problems[0].children[1].endswith(".")
    assert "Traceback" not in " ".join(texts(cards))
    graph = charts.children[0].children.children.children
    assert graph.id == {"type": "chart", "name": "custom-deploys_per_day"}
    assert graph.figure.layout.xaxis.type == "date"


def test_custom_state_and_figures():
    view, errors = from_query("?tab=custom", View())
    assert view.tab == "custom" and not errors
    frame = pd.DataFrame({"period": ["sprint 1", "sprint 2"], "points": [3.0, float("nan")], "bugs": [1, 2]})
    fig = fg.custom_series(frame, "Velocity <b>", "pts", "dark")
    assert fig.layout.xaxis.type == "category" and [t.name for t in fig.data] == ["points", "bugs"]
    assert list(fig.data[0].y) == [3.0, None] and "&lt;b&gt;" in fig.layout.title.text
    daily = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC"),
                          "deployments": [2, 0, 4], "successful_deployments": [1, 0, 4]})
    b = bucketed(daily, "day")
    rate = fg.deployment_success_rate(b, success_rate(b["deployments"], b["successful_deployments"]), "light")
    assert list(rate.data[0].y) == [50.0, None, 100.0] and rate.layout.title.text == "Deployment success rate per day"


@pytest.mark.browser
def test_custom_tab_in_the_browser(dash_duo, plugins):
    from dashboard.app import create_app
    c = computed()
    now, before = expected_counts(c)
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app())
    dash_duo.wait_for_element("#kpi-deploys-value", timeout=20)
    dash_duo.find_element("#tab-custom").click()
    dash_duo.wait_for_text_to_equal("#kpi-custom-deploy_count-value", f"{now:,.2f}", timeout=20)
    delta = dash_duo.find_element("#kpi-custom-deploy_count-delta")
    expected = "text-body-secondary" if now == before else "text-danger" if now > before else "text-success"
    assert expected in delta.get_attribute("class")
    assert "vs previous 14 days" in delta.text
    problem = dash_duo.find_element("#custom-problem-0").text
    assert "broken.py could not be loaded (line 1): ModuleNotFoundError" in problem
    assert "ZeroDivisionError" in dash_duo.find_element("#custom-problem-1").text
    assert "Traceback" not in dash_duo.find_element("body").text
    dash_duo.wait_for_element(".chart-custom-deploys_per_day .js-plotly-plot", timeout=10)
    logs = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert logs == [], logs
