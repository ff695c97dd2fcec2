"""The headline at the top of the page (issue 23, item 6): one sentence per framework, what changed
most, what is good, what needs attention, from the cards' own numbers. Expected sentences by hand."""
import copy

from dash import html

from dashboard.data import Computed
from dashboard.headline import change_words, headline
from dashboard.render import render
from dashboard.state import View
from helpers import analysis_of, ev
from metrics.builtin import METRICS

SPEC = {spec.key: spec for spec in METRICS}


def deploys(first_day: str, days: int, per_day: int) -> list:
    """``per_day`` successful production deployments of api a day (09:00, 15:00, ...) for ``days`` days."""
    start = __import__("pandas").Timestamp(first_day, tz="UTC")
    return [ev((start + __import__("pandas").Timedelta(days=d, hours=9 + 6 * k)).isoformat(), "deploy",
               deploy_id=f"{first_day}-{d}-{k}") for d in range(days) for k in range(per_day)]


def computed(rows, team_size=7) -> Computed:
    # previous period 2023-12-25..2024-01-01, current 2024-01-01..2024-01-08
    return Computed(analysis_of(rows, team_size=team_size),
                    analysis_of(rows, start="2023-12-25", end="2024-01-01", team_size=team_size), "", "", ("api",))


# 1 deployment a day before, 2 a day now; one PR merged on 01-07 at 17:00, after that day's last
# deployment (15:00): it waits for a release. No incidents, reviews, surveys or platform hours.
ROWS = deploys("2023-12-25", 7, 1) + deploys("2024-01-01", 7, 2) + [
    ev("2024-01-07T16:00:00Z", "pr_created", pr_id="#1"), ev("2024-01-07T17:00:00Z", "pr_merged", pr_id="#1")]


def test_one_sentence_per_framework_by_hand():
    dora, space, pvm = headline(computed(ROWS))
    # deployment frequency 1.00 -> 2.00 a day: doubled, better (the only DORA figure in both periods);
    # 2 a day is elite (>= 1 a day); lead time, CFR and recovery have no tier, so no overall
    assert dora == ("Delivery (DORA): Deployment frequency doubled to 2.00 /day (better); good: deployment "
                    "frequency elite (2.00 /day); 1 merged PR waits for a release.")
    # PRs a day 0 before (no relative change from 0), merge time n/a before: nothing to compare
    assert space == "Developers (SPACE): nothing to compare yet (no figures with a previous period)."
    # deployments per developer 7 / 7 = 1.0 -> 14 / 7 = 2.0 (no PR names an author: the team of 7 assumed);
    # IAR: 6 deploys in the first 3 days, 6 in the last 3: +0.0 %, under 10 %: red
    assert pvm == ("Platform value: Deployments per developer doubled to 2.0 (better); needs attention: "
                   "IAR: adoption growth +0.0%.")


def test_a_change_without_evidence_in_either_period_is_not_named():
    c = computed(ROWS)
    previous = copy.deepcopy(c.previous.summary)
    previous["evidence"] = {"deploys_per_day": "4 deployments: a tier needs at least 5, or a window of 30 days or more"}
    c.previous.summary = previous
    assert headline(c)[0] == ("Delivery (DORA): Good: deployment frequency elite (2.00 /day); 1 merged PR waits for "
                              "a release.")


def test_the_words_of_a_change():
    lead, cfr, df = SPEC["lead_time_hours_median"], SPEC["change_failure_rate_pct"], SPEC["deploys_per_day"]
    assert change_words(lead, 9.0, 4.5) == "lead time (median) doubled to 9.0 h (worse)"
    assert change_words(lead, 30.0, 10.0) == "lead time (median) rose 3-fold to 30.0 h (worse)"
    assert change_words(lead, 5.0, 10.0) == "lead time (median) halved to 5.0 h (better)"
    assert change_words(df, 1.0, 4.0) == "deployment frequency fell 4-fold to 1.00 /day (worse)"
    assert change_words(df, 1.3, 1.0) == "deployment frequency rose 30 % to 1.30 /day (better)"
    # a percentage moves by points
    assert change_words(cfr, 12.0, 10.0) == "change failure rate rose 2.0 pp to 12.0% (worse)"


def test_the_headline_is_first_on_the_page_and_rendered():
    out, _ = render(View(), computed(ROWS), None, "light", None, [], "", {})
    lines = out["headline"].children
    assert [line.id for line in lines] == ["headline-0", "headline-1", "headline-2"]
    assert isinstance(lines[0].children[0], html.Strong) and lines[0].children[0].children == "Delivery (DORA): "
    assert lines[0].children[1].startswith("Deployment frequency doubled")
    problem, _ = render(View(), None, "no data", "light", None, [], "", {})
    assert problem["headline"] == ""


def test_no_change_is_coloured_or_headlined_against_the_period_before_the_data():
    # a stored dataset shown from its first day (all data): the previous period lies wholly before the
    # data (0 deployments there), so "new" is no change to colour or to headline
    from dashboard.cards import tab_cards
    from test_components import find
    c = computed(ROWS)
    before_data = Computed(c.current, c.previous, "", "", ("api",), span=("2024-01-01", "2024-01-07"))
    assert not before_data.previous_in_data and c.previous_in_data
    assert Computed(c.current, c.previous, "", "", ("api",), span=("2023-12-31", "2024-01-07")).previous_in_data
    assert headline(before_data)[0] == ("Delivery (DORA): Good: deployment frequency elite (2.00 /day); 1 merged PR "
                                        "waits for a release.")
    delta = find(html.Div(tab_cards(before_data, "dora")), "kpi-deploys-delta")
    assert "text-body-secondary" in delta.className and "text-success" not in delta.className
    delta = find(html.Div(tab_cards(c, "dora")), "kpi-deploys-delta")          # within the data: 1.00 -> 2.00 /day, green
    assert "text-success" in delta.className


def test_a_teams_change_against_the_period_before_the_data_is_grey():
    from types import SimpleNamespace
    from dashboard.tabs import team_cell
    spec = SPEC["deploys_per_day"]
    tiers = {"deployment_frequency": "elite"}
    row = SimpleNamespace(current={"deploys_per_day": 2.0, "tiers": tiers, "evidence": {}},
                          previous={"deploys_per_day": 1.0, "tiers": tiers, "evidence": {}})
    assert team_cell(row, spec)[-1] is True                       # both periods judged, within the data
    assert team_cell(row, spec, previous_in_data=False)[-1] is False
