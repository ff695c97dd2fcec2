"""Real data in the dashboard, in headless Chromium: upload, the load report, stored datasets,
the service and date filters and the drill-down, each checked against ``python -m metrics``."""
import json
import time

import pytest
from selenium.common.exceptions import ElementClickInterceptedException
from selenium.webdriver.common.keys import Keys

import pandas as pd

import oracle
from browser_helpers import DORA_CARDS, PVM_CARDS, SPACE_CARDS, open_drilldown
from conftest import FIXTURES, run_cli
from dashboard.app import create_app
from helpers import TIMELESS
from test_browser import cards_match, choose, no_console_errors

pytestmark = pytest.mark.browser
HAND = FIXTURES / "hand.csv"
# PagerDuty's documented example incidents (tests/fixtures/pagerduty_incidents.json), worked out by hand:
# no deployments, so no deployment metric; resolved PT4KHLK 21:30:42 -> 21:38:23 (7.68 min) and PT4KHLL
# 10:00 -> 11:30 (its last status change: 90 min); median (7.68 + 90) / 2 = 48.8 min; 2 resolved: no tier
PD_CARDS = {"kpi-deploys-value": "n/a", "kpi-lead-time-value": "n/a", "kpi-cfr-value": "n/a",
            "kpi-mttr-value": "48.8 min", "kpi-rework-value": "n/a", "kpi-overall-value": "N/A"}


def hand_cards(start: str, end: str, only: tuple = ()) -> dict:
    """The cards for hand.csv's window [start, end) from the independent oracle (test_oracle.py checks
    exactly these windows against numbers worked out by hand)."""
    return oracle.cards(oracle.summary(oracle.read_events(HAND), pd.Timestamp(start, tz="UTC"),
                                       pd.Timestamp(end, tz="UTC"), only=only))


def start(dash_duo, path="/", ready="#kpi-deploys-value", **kwargs):
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app(**kwargs))
    if path != "/":
        dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element(ready, timeout=20)
    return dash_duo


def upload(duo, path, name=None, kind=None):
    duo.find_element("#upload-toggle").click()
    duo.wait_for_element("#upload-name", timeout=5)
    time.sleep(0.4)                                    # the panel's opening animation
    if name:
        duo.find_element("#upload-name").send_keys(name)
    if kind:
        choose(duo, "upload-source", kind)
    duo.find_element("#upload input[type=file]").send_keys(str(path))


def cli_summary(*args) -> dict:
    p = run_cli(*args, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def click_tab(duo, tab):
    """Click a tab's label: the page is long and still settling (the headline, the upload's report
    move it), so scroll it into view and try again while something else is over it."""
    for attempt in range(5):
        element = duo.find_element(f"#tab-{tab}")
        duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        time.sleep(0.3 + 0.4 * attempt)
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            if attempt == 4:
                raise


def all_tabs_match(duo, expected):
    for tab, cards in (("dora", DORA_CARDS), ("space", SPACE_CARDS), ("pvm", PVM_CARDS)):
        click_tab(duo, tab)
        duo.wait_for_element(f"#content-{tab}", timeout=15)
        cards_match(duo, cards, expected)


def test_upload_shows_the_report_and_every_tab_computed_from_it(dash_duo, tmp_path):
    events = tmp_path / "team-events.csv"
    bad = ["2024-01-02T10:00:00Z,satisfaction_survey,team,,,,7,,,,",            # score outside 1-5
           "<b>yesterday</b>,deploy,api,d99,,,,success,feature,production,"]    # markup in a bad timestamp
    events.write_text(HAND.read_text() + "\n".join(bad) + "\n")
    duo = start(dash_duo)
    upload(duo, events, name="hand")
    duo.wait_for_contains_text("#upload-report-text", "Dataset hand: 49 events", timeout=20)
    report = duo.find_element("#upload-report-text").text
    assert "51 rows read, 49 accepted, 2 rejected" in report
    assert "rejected team-events.csv line 51: satisfaction score must be between 1 and 5" in report
    assert "bad timestamp '<b>yesterday</b>'" in report                      # shown as text ...
    assert not duo.find_elements("#upload-report b")                       # ... never as HTML
    # the dashboard now shows the dataset: the seed control hides, the URL names it
    duo.wait_for_contains_text("#window-line", "Dataset hand", timeout=15)
    assert "data=hand" in duo.driver.current_url and "days=0" in duo.driver.current_url
    assert not duo.find_element("#seed-col").is_displayed()
    all_tabs_match(duo, hand_cards("2023-12-31", "2024-01-08"))          # all of the data: 8 days
    no_console_errors(duo)


def test_filters_and_drilldown_match_the_command_line(dash_duo):
    run_cli("import", "--from", "events", HAND, "--name", "hand")
    duo = start(dash_duo, "/?data=hand")
    cards_match(duo, DORA_CARDS, hand_cards("2023-12-31", "2024-01-08"))
    duo.wait_for_element(".chart-lead-stages .js-plotly-plot", timeout=15)     # the charts above have rendered
    open_drilldown(duo, "Deployments behind the numbers")
    # the text shows once the accordion has opened (a collapsed item's text reads as "")
    duo.wait_for_text_to_equal("#drilldown-deploys-note",
                               "8 production deployments in the window, newest first.", timeout=10)   # d0..d7
    deadline = time.time() + 10
    while time.time() < deadline and len(duo.find_elements("#drilldown-deployments tbody tr")) != 10:
        time.sleep(0.1)
    assert len(duo.find_elements("#drilldown-deployments tbody tr")) == 10      # the first page of 10
    # the service filter: the DORA cards are api's alone; the URL keeps the choice
    choose(duo, "service-filter", "api")
    cards_match(duo, DORA_CARDS, hand_cards("2023-12-31", "2024-01-08", only=("api",)))
    assert "service=api" in duo.driver.current_url
    duo.wait_for_contains_text("#window-line", "api only", timeout=10)
    # a date range (from a link): the window is its days, both ends included
    duo.driver.get(duo.server_url + "/?data=hand&days=0&from=2024-01-02&to=2024-01-04")
    duo.wait_for_contains_text("#window-line", "window 2024-01-02 to 2024-01-04 (3 days, UTC)", timeout=15)
    cards_match(duo, DORA_CARDS, hand_cards("2024-01-02", "2024-01-05"))
    assert duo.find_element("#date-range").get_attribute("value") == "2024-01-02"      # Dash 4: the start input
    assert duo.find_element("#date-range-end-date").get_attribute("value") == "2024-01-04"
    # typing a last day in the picker narrows the window
    last = duo.find_element("#date-range-end-date")
    last.send_keys(Keys.CONTROL, "a")
    last.send_keys("2024-01-03", Keys.ENTER)
    duo.wait_for_contains_text("#window-line", "window 2024-01-02 to 2024-01-03 (2 days, UTC)", timeout=15)
    assert "to=2024-01-03" in duo.driver.current_url
    last.send_keys(Keys.ESCAPE)                         # close the calendar
    # choosing days again drops the date range: the last 7 days of the data
    choose(duo, "days-dropdown", "7 days")
    duo.wait_for_contains_text("#window-line", "window 2024-01-01 to 2024-01-07 (7 days, UTC)", timeout=15)
    assert "from=" not in duo.driver.current_url and duo.find_element("#date-range").get_attribute("value") == ""
    # back to the synthetic universe: the seed control returns, the filters go
    choose(duo, "source-dropdown", "Synthetic universe")
    duo.wait_for_contains_text("#window-line", "seed 42", timeout=15)
    assert duo.find_element("#seed-col").is_displayed()
    assert "data=" not in duo.driver.current_url and "service=" not in duo.driver.current_url
    no_console_errors(duo)


def test_choosing_a_stored_dataset_in_the_menu(dash_duo):
    run_cli("import", "--from", "pagerduty", FIXTURES / "pagerduty_incidents.json", "--name", "pd")
    duo = start(dash_duo)
    choose(duo, "source-dropdown", "pd (6 events)")
    duo.wait_for_contains_text("#window-line", "Dataset pd", timeout=15)
    cards_match(duo, DORA_CARDS, PD_CARDS)
    no_console_errors(duo)


def test_an_unknown_dataset_in_a_link_says_so(dash_duo):
    duo = start(dash_duo, "/?data=nothing-here", ready="#tab-content .alert")
    duo.wait_for_contains_text("#tab-content", "no dataset named 'nothing-here'", timeout=15)
    assert duo.find_elements("#kpi-deploys-value") == []
    no_console_errors(duo)


def test_a_file_over_the_upload_limit_gets_a_message_and_is_not_sent(dash_duo, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text(HAND.read_text() * 3)               # 7.5 KB
    duo = start(dash_duo, upload_limit=2048)
    upload(duo, big)
    duo.wait_for_contains_text("#upload-message", "is 8 KB, over the upload limit of 2 KB", timeout=10)
    assert "big.csv" in duo.find_element("#upload-message").text
    assert run_cli("datasets").stdout.startswith("No datasets")
    no_console_errors(duo)


def test_an_unreadable_upload_gets_its_reason(dash_duo, tmp_path):
    wrong = tmp_path / "incidents.json"
    wrong.write_text('{"incidents": 3}')
    duo = start(dash_duo)
    upload(duo, wrong, name="pd", kind="PagerDuty incidents (JSON)")
    duo.wait_for_contains_text("#upload-error", "expected PagerDuty pages with a list under 'incidents'", timeout=15)
    no_console_errors(duo)


AXES_JS = """
return Array.from(document.querySelectorAll('#tab-content .js-plotly-plot')).map(function (plot) {
    var holder = plot.closest('[class*="chart-"]');
    var name = holder ? (holder.className.match(/chart-([\\w-]+)/) || [])[1] : null;
    var ticks = Array.from(plot.querySelectorAll('.xtick text')).map(function (t) { return t.getBoundingClientRect(); })
        .filter(function (r) { return r.width > 0; })
        .map(function (r) { return [r.left, r.right, r.top, r.bottom]; });
    return {name: name, type: plot._fullLayout ? plot._fullLayout.xaxis.type : null, ticks: ticks,
            title: plot._fullLayout ? plot._fullLayout.title.text : ''};
});
"""


def drawn_axes(duo, timeout=15):
    """Each drawn chart of the tab: name, x axis type, bounding boxes of its x tick labels; once
    every chart of the tab has been laid out."""
    deadline = time.time() + timeout
    while True:
        graphs = len(duo.find_elements("#tab-content .metric-graph"))
        axes = duo.driver.execute_script(AXES_JS)
        if graphs and len(axes) == graphs and all(a["type"] for a in axes):
            return axes
        assert time.time() < deadline, f"{graphs} charts, {len(axes)} drawn"
        time.sleep(0.2)


def overlapping(boxes) -> list:
    """Pairs of tick labels whose boxes overlap (more than a pixel each way)."""
    boxes = sorted(boxes)
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[1] - 1 > b[0] and b[1] - 1 > a[0] and a[3] - 1 > b[2] and b[3] - 1 > a[2]]


def test_charts_over_time_have_date_axes_with_readable_ticks_at_any_length(dash_duo):
    from dashboard.state import View
    duo = start(dash_duo, defaults=View(days=3650))
    for days in (7, 90, 365, 3650):
        for tab in ("dora", "space", "pvm"):
            duo.driver.get(f"{duo.server_url}/?days={days}&tab={tab}")
            duo.wait_for_contains_text("#window-line", f"({days} days, UTC)", timeout=20)
            duo.wait_for_element(f"#content-{tab}", timeout=15)
            for chart in drawn_axes(duo):
                where = (days, tab, chart["name"])
                if chart["name"] not in TIMELESS:
                    assert chart["type"] == "date", where
                    assert chart["ticks"], where
                assert not overlapping(chart["ticks"]), where
                if chart["name"] in ("deployments", "activity"):
                    word = "day" if days <= 90 else "week" if days <= 730 else "month"
                    assert f"per {word}" in chart["title"], where
    no_console_errors(duo)
