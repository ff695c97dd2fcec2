"""Teams in the dashboard, in headless Chromium: the Teams tab's table against ``python -m metrics
--team``, the Team selector narrowing the cards, and the sentences for what cannot be shown."""
import pandas as pd
import pytest

import oracle
from browser_helpers import DORA_CARDS, GREY_RGBA, TIER_RGBA, cards_from_summary, hover, team_cell
from conftest import run_cli
from test_browser import cards_match, choose, no_console_errors
from test_browser_data import cli_summary, start
from test_teams import HAND_TEAMS, hand_rows

pytestmark = pytest.mark.browser
TIERS = {"deploys": "deployment_frequency", "lead-time": "lead_time", "cfr": "change_failure_rate",
         "mttr": "recovery_time"}


def store_hand(tmp_path, data_dir, teams=HAND_TEAMS):
    """The hand-computed events of test_teams as dataset "squads", and the teams file beside it."""
    events = tmp_path / "squads.csv"
    pd.DataFrame(hand_rows()).to_csv(events, index=False)
    p = run_cli("import", "--from", "events", events, "--name", "squads")
    assert p.returncode == 0, p.stderr
    if teams is not None:
        (data_dir / "teams.toml").write_text(teams, encoding="utf-8")


KEYS = {"deploys": "deploys_per_day", "lead-time": "lead_time_hours_median", "cfr": "change_failure_rate_pct",
        "mttr": "mttr_minutes_median", "rework": "rework_rate_pct"}


def team_cells(summary: dict) -> tuple[dict, dict]:
    """Column -> the text a team's row must show, and column -> the tooltip its cells must give, from
    its ``--team --json`` summary: a metric with too little evidence (``evidence``, METRICS.md section
    3) has no tier and its cells say why; one that is n/a says "no tier"."""
    cards = cards_from_summary(summary)
    tiers, short = summary["dora"]["tiers"], summary.get("evidence", {})
    texts, reasons = {key: cards[f"kpi-{key}-value"] for key in KEYS}, {}
    for key, tier in TIERS.items():
        if KEYS[key] in short:
            texts[f"{key}-tier"] = "no tier"
            reasons[f"{key}-tier"] = reasons[key] = "no tier: " + short[KEYS[key]]
        else:
            texts[f"{key}-tier"] = tiers[tier].upper() if tiers[tier] else "no tier"
    if "rework_rate_pct" in short:
        reasons["rework"] = "too little evidence: " + short["rework_rate_pct"]
    texts["overall"] = tiers["overall"].upper() if tiers["overall"] else "no tier"
    return texts, reasons


def test_teams_tab_matches_the_command_line_and_the_selector_narrows_the_cards(dash_duo, tmp_path, data_dir):
    store_hand(tmp_path, data_dir)
    duo = start(dash_duo, "/?data=squads&tab=teams", ready="#teams-table")
    # no team has an overall tier: the Teams sort (worst first) keeps the name order
    for row, team in ((0, "core"), (2, "web")):
        duo.wait_for_text_to_equal(team_cell(row, "team"), team, timeout=15)
        texts, reasons = team_cells(cli_summary("--dataset", "squads", "--team", team))
        for column, text in texts.items():
            duo.wait_for_text_to_equal(team_cell(row, column), text, timeout=15)
            if column.endswith("-tier") or column == "overall":          # in its badge's colour
                assert duo.find_element(team_cell(row, column)).value_of_css_property("background-color") == \
                    TIER_RGBA[text]
        for column, reason in reasons.items():
            hover(duo, team_cell(row, column))
            duo.wait_for_text_to_equal(".dash-table-tooltip", reason, timeout=10)
            # too little evidence: the number greyed (test_teams.py: lead time from 1 or 2 deployed PRs)
            assert duo.find_element(team_cell(row, column.removesuffix("-tier"))).value_of_css_property("color") == \
                GREY_RGBA
        assert "lead-time" in reasons and texts["lead-time-tier"] == "no tier"
    duo.wait_for_text_to_equal(team_cell(1, "team"), "ghost", timeout=10)
    duo.wait_for_contains_text(team_cell(1, "services"), "Team 'ghost' has no services in this data", timeout=10)
    for chart in ("deploys", "lead-time", "cfr", "mttr", "rework"):
        duo.wait_for_element(f".chart-teams-{chart} .js-plotly-plot", timeout=15)
    # the DORA cards, then the Team selector: the URL names the team, the cards are its numbers
    duo.find_element("#tab-dora").click()
    # the cards from the independent oracle (test_oracle checks it by hand): all of the data, 2024-01-02
    # to 2024-01-14 (13 days); team core is services api and db
    events = oracle.tidy(pd.DataFrame(hand_rows()))
    first, end = pd.Timestamp("2024-01-02", tz="UTC"), pd.Timestamp("2024-01-15", tz="UTC")
    everyone = oracle.cards(oracle.summary(events, first, end))
    cards_match(duo, DORA_CARDS, everyone)
    choose(duo, "team-filter", "core")
    core = oracle.cards(oracle.summary(events, first, end, only=("api", "db")))
    assert core["kpi-deploys-value"] != everyone["kpi-deploys-value"]
    cards_match(duo, DORA_CARDS, core)
    assert "team=core" in duo.driver.current_url
    duo.wait_for_contains_text("#window-line", "team core (as --team)", timeout=10)
    no_console_errors(duo)


def test_no_file_a_broken_file_and_an_unknown_team_are_sentences(dash_duo, tmp_path, data_dir):
    store_hand(tmp_path, data_dir, teams=None)
    duo = start(dash_duo, "/?data=squads&tab=teams", ready="#teams-howto")
    assert "[teams.payments]" in duo.find_element("#teams-howto").text
    (data_dir / "teams.toml").write_text("[teams.core\nservices", encoding="utf-8")
    duo.driver.get(duo.server_url + "/?data=squads&tab=teams")
    duo.wait_for_contains_text("#teams-problem", "is not valid TOML", timeout=15)
    duo.wait_for_contains_text("#team-note", "The teams file cannot be used", timeout=10)
    (data_dir / "teams.toml").write_text(HAND_TEAMS, encoding="utf-8")
    duo.driver.get(duo.server_url + "/?data=squads&team=money")
    duo.wait_for_contains_text("#tab-content .alert", "No team named 'money' (teams: core, ghost, web)", timeout=15)
    assert duo.find_elements("#kpi-deploys-value") == []
    duo.driver.get(duo.server_url + "/?data=squads&team=ghost")
    duo.wait_for_contains_text("#tab-content .alert", "Team 'ghost' has no services in this data", timeout=15)
    no_console_errors(duo)
