"""What the dashboard should show, computed independently through ``metrics`` (not the app's cache)."""
from metrics import Assumptions, analyze, generate
from metrics.window import today_ns


def expected_cards(seed: int, days: int = 14, scenario: str = "auto", hourly_rate=150.0, value_per_deploy=200.0,
                   developers=8) -> dict:
    """Card id -> the text the card must show, for the window of ``days`` days ending today."""
    u = generate(days, seed, scenario, end=today_ns())
    an = analyze(u.tables, u.window, Assumptions(hourly_rate=hourly_rate, value_per_deploy=value_per_deploy,
                                                 team_size=developers))
    return cards_from_summary(an.summary)


def cards_from_summary(summary: dict) -> dict:
    """Card id -> the text the card must show for a summary (``python -m metrics --json``'s form)."""
    d, s, p = summary["dora"], summary["space"], summary["pvm"]

    def f(value, fmt, unit):
        return "n/a" if value is None else fmt.format(value) + unit

    return {
        "kpi-deploys-value": f(d["deploys_per_day"], "{:.2f}", " /day"),
        "kpi-lead-time-value": f(d["lead_time_hours_median"], "{:.1f}", " h"),
        "kpi-cfr-value": f(d["change_failure_rate_pct"], "{:.1f}", "%"),
        "kpi-mttr-value": f(d["mttr_minutes_median"], "{:.1f}", " min"),
        "kpi-rework-value": f(d["rework_rate_pct"], "{:.1f}", "%"),
        "kpi-overall-value": (d["tiers"]["overall"] or "n/a").upper(),
        "kpi-prs-value": f(s["prs_per_day"], "{:.2f}", " /day"),
        "kpi-satisfaction-value": f(s["satisfaction_mean"], "{:.2f}", " /5"),
        "kpi-incident-rate-value": f(s["incident_rate_pct"], "{:.2f}", "%"),
        "kpi-vcr-value": f(p["vcr_pct"], "{:,.0f}", "%"),
        "kpi-iar-value": f(p["iar_pct"], "{:+.1f}", "%"),
        "kpi-dtr-value": f(p["dtr_pct"], "{:.1f}", "%"),
    }


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
