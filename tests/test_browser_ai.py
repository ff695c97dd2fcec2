"""The AI tab in headless Chromium, as a person reads it: a stored dataset of the hand-computed events of
test_ai_comparison.py (20 AI-assisted and 20 other merged PRs, 2 unknown) shows the share, the count,
the lead time difference with its interval, the charts and the text on what it cannot show; one PR
fewer in a group shows the minimum-sample sentence in place of the comparison; data without verdicts
says how to get them. No console errors."""
import pandas as pd
import pytest

from conftest import run_cli
from test_ai_comparison import START, hand_rows
from test_browser import no_console_errors
from test_browser_data import start

pytestmark = pytest.mark.browser
VIEW = f"/?data={{name}}&tab=ai&from={START}&to=2024-01-21"


def stored(tmp_path, name, rows):
    path = tmp_path / f"{name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    p = run_cli("import", "--from", "events", path, "--name", name)
    assert p.returncode == 0, p.stderr


def test_the_ai_tab_compares_the_groups(dash_duo, tmp_path):
    stored(tmp_path, "aihand", hand_rows())
    duo = start(dash_duo, VIEW.format(name="aihand"), ready="#kpi-ai-share-value")
    duo.wait_for_contains_text("#window-line", "2024-01-01 to 2024-01-21 (21 days", timeout=15)
    duo.wait_for_text_to_equal("#kpi-ai-share-value", "50.0%", timeout=10)
    assert duo.find_element("#kpi-ai-prs-value").text == "20"
    assert "20 of 40 merged PRs with a verdict; 2 unknown" in duo.find_element("#kpi-ai-share").text
    # lead time medians 19.5 h (AI-assisted) and 39 h (other): -19.5 h
    assert duo.find_element("#kpi-ai-lead-diff-value").text == "-19.5 h"
    assert "90 % interval" in duo.find_element("#kpi-ai-lead-diff").text
    for chart in ("ai-stages", "ai-size", "ai-adoption", "ai-deployments"):
        duo.wait_for_element(f".chart-{chart} .js-plotly-plot", timeout=15)
    assert "Working in small batches" in duo.find_element("#ai-capabilities").text
    assert "4.50" in duo.find_element("#ai-capabilities").text
    caveats = duo.find_element("#ai-caveats").text
    assert "cannot show: that the assistant caused a difference" in caveats and "selection" in caveats
    assert not duo.find_elements("#ai-not-comparable")
    no_console_errors(duo)


def test_below_the_minimum_sample_the_tab_says_so(dash_duo, tmp_path):
    stored(tmp_path, "aishort", hand_rows(ai_prs=19))
    duo = start(dash_duo, VIEW.format(name="aishort"), ready="#kpi-ai-share-value")
    duo.wait_for_contains_text("#ai-not-comparable", "Too few to compare: 19 AI-assisted and 20 other merged PRs",
                               timeout=15)
    assert "needs at least 20 of each" in duo.find_element("#ai-not-comparable").text
    assert duo.find_element("#kpi-ai-lead-diff-value").text == "n/a"
    assert "Too few to compare" in duo.find_element("#kpi-ai-lead-diff-caution").text
    assert not duo.find_elements(".chart-ai-stages")
    no_console_errors(duo)


def test_without_verdicts_the_tab_says_how_to_get_them(dash_duo, tmp_path):
    stored(tmp_path, "ainone", [r for r in hand_rows() if r["kind"] != "pr_ai_assisted"])
    duo = start(dash_duo, VIEW.format(name="ainone"), ready="#ai-howto")
    assert "No AI verdicts in this data" in duo.find_element("#ai-howto").text
    assert "ai.toml" in duo.find_element("#ai-howto").text
    assert duo.find_element("#kpi-ai-share-value").text == "n/a"
    no_console_errors(duo)
