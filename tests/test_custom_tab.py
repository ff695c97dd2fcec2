"""The Custom tab: custom metrics from METRICS_PLUGINS, computed in metrics/plugins.py and drawn
by dashboard/tabs.py; unit tests, then the tab in headless Chromium."""
import pandas as pd
import pytest
from test_components import find, texts

from components import figures as fg
from dashboard.data import Computed
from dashboard.state import View, from_query
from dashboard.tabs import TAB_VIEWS
from metrics import analyze, normalize, store
from metrics.plugins import custom_view, window_events
from metrics.compute.extensions import success_rate
from metrics.series import bucketed
from metrics.tables import tables_from_frame
from metrics.window import Window

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


# Hand-made deployments: the previous period [2024-01-01, 2024-01-08) holds 1, this period
# [2024-01-08, 2024-01-15) holds 3 (one at its first instant, one in its last second), so the counts
# differ and the change is +2: red where fewer is better, green where more is.
HAND_DEPLOYS = ["2024-01-03T12:00:00Z", "2024-01-08T00:00:00Z", "2024-01-10T12:00:00Z", "2024-01-14T23:59:59Z"]
NOW, BEFORE = 3.0, 1.0


def hand_events() -> pd.DataFrame:
    frame, report = normalize(pd.DataFrame({"ts": HAND_DEPLOYS, "kind": "deploy", "service": "api",
                                            "deploy_id": [f"d{i}" for i in range(len(HAND_DEPLOYS))]}))
    assert report.rejected_count == 0
    return frame


def computed() -> Computed:
    """The hand-made dataset's two 7-day periods, as the dashboard computes them (through ``metrics``)."""
    tables = tables_from_frame(hand_events())
    now, before = (Window(pd.Timestamp(a, tz="UTC").value, pd.Timestamp(b, tz="UTC").value)
                   for a, b in (("2024-01-08", "2024-01-15"), ("2024-01-01", "2024-01-08")))
    return Computed(analyze(tables, now), analyze(tables, before), "", "", ("api",), span=("2024-01-03", "2024-01-14"))


def test_custom_view_values_and_problems(plugins):
    c = computed()
    view = custom_view(window_events(c.current.tables, c.current.window),
                       window_events(c.previous.tables, c.previous.window))
    now, before = NOW, BEFORE
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
    cards, charts = TAB_VIEWS["custom"](computed(), "light")
    assert find(cards, "custom-howto") is not None and charts.children == []
    assert "METRICS_PLUGINS" in " ".join(texts(cards))


def test_custom_tab_cards_charts_and_sentences(plugins):
    cards, charts = TAB_VIEWS["custom"](computed(), "light")
    assert find(cards, "kpi-custom-deploy_count-value").children == "3.00"
    delta = find(cards, "kpi-custom-deploy_count-delta")
    up = find(cards, "kpi-custom-deploy_count_up-delta")
    # the same rise (1 -> 3): red where lower is better, green where higher is
    assert "text-danger" in delta.className.split() and "text-success" not in delta.className.split()
    assert "text-success" in up.className.split() and "text-danger" not in up.className.split()
    assert "+2" in " ".join(texts(delta)) and "+2" in " ".join(texts(up))
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
    store.append("hand", hand_events())
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app(), navigate=False)
    dash_duo.driver.get(dash_duo.server.url + "/?data=hand&days=7&tab=custom")
    dash_duo.wait_for_text_to_equal("#kpi-custom-deploy_count-value", "3.00", timeout=20)
    delta = dash_duo.find_element("#kpi-custom-deploy_count-delta").get_attribute("class").split()
    up = dash_duo.find_element("#kpi-custom-deploy_count_up-delta").get_attribute("class").split()
    assert "text-danger" in delta and "text-success" in up          # 1 -> 3: worse where fewer is better
    assert "vs previous 7 days" in dash_duo.find_element("#kpi-custom-deploy_count-delta").text
    problem = dash_duo.find_element("#custom-problem-0").text
    assert "broken.py could not be loaded (line 1): ModuleNotFoundError" in problem
    assert "ZeroDivisionError" in dash_duo.find_element("#custom-problem-1").text
    assert "Traceback" not in dash_duo.find_element("body").text
    dash_duo.wait_for_element(".chart-custom-deploys_per_day .js-plotly-plot", timeout=10)
    logs = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert logs == [], logs
