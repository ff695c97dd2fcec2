"""What the dashboard should show: the cards of a synthetic view worked out by the independent oracle
(``oracle``: plain pandas from METRICS.md, never ``metrics``' computation), and helpers for the browser."""
import time

import oracle
from metrics import generate
from metrics.tables import frame_from_tables
from metrics.window import today_ns


def expected_cards(seed: int, days: int = 14, scenario: str = "auto", hourly_rate=150.0, value_per_deploy=200.0,
                   developers=8) -> dict:
    """Card id -> the text the card must show, for the window of ``days`` days ending today: the
    synthetic universe's events (the input), the numbers from ``oracle``."""
    events = oracle.tidy(frame_from_tables(generate(days, seed, scenario, end=today_ns()).tables))
    start, end = oracle.window_ending_today(days)
    return oracle.cards(oracle.summary(events, start, end, hourly_rate=hourly_rate, value_per_deploy=value_per_deploy,
                                       developers=developers))


def cards_from_summary(summary: dict) -> dict:
    """Card id -> the text the card must show for a summary (``python -m metrics --json``'s form)."""
    return oracle.cards({**summary["dora"], **summary["space"], **summary["pvm"]})


DORA_CARDS = ["kpi-deploys-value", "kpi-lead-time-value", "kpi-cfr-value", "kpi-mttr-value", "kpi-rework-value",
              "kpi-overall-value"]
SPACE_CARDS = ["kpi-prs-value", "kpi-satisfaction-value", "kpi-incident-rate-value"]
PVM_CARDS = ["kpi-vcr-value", "kpi-iar-value", "kpi-dtr-value"]


# the Teams comparison (one DataTable, id teams-table): a cell by its row and column, the colours
# Bootstrap 5.3 paints each tier's badge in (as the browser reports them), and hovering a cell
TIER_RGBA = {"ELITE": "rgba(25, 135, 84, 1)", "HIGH": "rgba(13, 110, 253, 1)", "MEDIUM": "rgba(255, 193, 7, 1)",
             "LOW": "rgba(220, 53, 69, 1)", "no tier": "rgba(108, 117, 125, 1)"}
GREY_RGBA = TIER_RGBA["no tier"]


def team_cell(row: int, column: str) -> str:
    """The CSS selector of the Teams table's cell in ``row`` (0: the first team shown) and ``column``."""
    return f'#teams-table td[data-dash-row="{row}"][data-dash-column="{column}"]'


def hover(duo, selector: str) -> None:
    """Move the mouse over the element at ``selector`` (a table cell: its tooltip, ``.dash-table-tooltip``, shows)."""
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(duo.driver).move_to_element(duo.find_element(selector)).perform()


def open_drilldown(duo, title: str) -> None:
    """Open the DORA drill-down's item called ``title``. A click dispatched on the button itself: a
    chart still settling above may cover the point a pointer click aims at ("element click
    intercepted"); repeated until the item says it is open (a click before the page settles is lost).
    The caller waits for the item's text (a collapsed item's text reads as "")."""
    opener = next(b for b in duo.find_elements("#drilldown .accordion-button") if b.text == title)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", opener)
    time.sleep(0.3)
    for _ in range(3):
        duo.driver.execute_script("arguments[0].click()", opener)
        deadline = time.time() + 3
        while time.time() < deadline and opener.get_attribute("aria-expanded") != "true":
            time.sleep(0.1)
        if opener.get_attribute("aria-expanded") == "true":
            return
