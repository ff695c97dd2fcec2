"""The PRs behind lead time in headless Chromium: the DORA tab's drill-down of a stored dataset
(tests/fixtures/sizes.csv, worked out by hand in test_pr_size.py) shows the slowest PR first, as a
person reads it, with its link where the data names the repository's owner; the size charts draw."""
import pytest

from browser_helpers import open_drilldown
from conftest import FIXTURES, run_cli
from test_browser import no_console_errors
from test_browser_data import start

pytestmark = pytest.mark.browser
CELL = '#drilldown-prs td[data-dash-column="{column}"]'


def column_texts(duo, column: str) -> list[str]:
    return [cell.text for cell in duo.find_elements(CELL.format(column=column))]


def test_the_pr_drilldown_shows_the_slowest_pr_first(dash_duo):
    p = run_cli("import", "--from", "events", FIXTURES / "sizes.csv", "--name", "sizes")
    assert p.returncode == 0, p.stderr
    duo = start(dash_duo, "/?data=sizes")
    duo.wait_for_contains_text("#window-line", "2024-03-01 to 2024-03-07 (7 days", timeout=15)
    duo.wait_for_element(".chart-lead-by-size .js-plotly-plot", timeout=15)       # the charts above have rendered
    duo.wait_for_element(".chart-cfr-by-batch .js-plotly-plot", timeout=15)
    open_drilldown(duo, "PRs behind lead time")
    duo.wait_for_contains_text("#drilldown-prs-note", "9 deployed PRs in the window, slowest first.", timeout=10)
    duo.wait_for_element(CELL.format(column="pr_id"), timeout=10)
    # the ids are Markdown cells (some are links): drawn once dash-table's Markdown renderer has loaded
    duo.wait_for_text_to_equal(CELL.format(column="pr_id"), "api#p6", timeout=10)
    # the slowest: api#p6, created 03-06 00:00, shipped by D6 03-07 10:00: 34 hours; plain text (no owner in "api")
    assert column_texts(duo, "pr_id")[:6] == ["api#p6", "api#p7", "api#p8", "api#p9", "acme/shop#3", "acme/shop#1"]
    assert column_texts(duo, "lead_time_hours")[:6] == ["34", "33", "32", "31", "27", "26"]
    assert column_texts(duo, "deploy_id")[0] == "api@D6"
    assert not duo.find_elements(CELL.format(column="pr_id") + " a")[0].text.startswith("api")
    links = {a.text: a.get_attribute("href") for a in duo.find_elements(CELL.format(column="pr_id") + " a")}
    assert links == {"acme/shop#3": "https://github.com/acme/shop/pull/3", "acme/shop#1": "https://github.com/acme/shop/pull/1",
                     "acme/shop#2": "https://github.com/acme/shop/pull/2", "acme/shop#4": "https://github.com/acme/shop/pull/4"}
    no_console_errors(duo)
