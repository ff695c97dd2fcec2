"""The independent oracle the browser tests compare the page with (``oracle``), against numbers
worked out by hand on tests/fixtures/hand.csv (its events are listed in test_hand_computed.py's
docstring): the oracle is checked here, so the browser tests need not ask the product itself."""
import pandas as pd
import pytest

import oracle
from conftest import FIXTURES

EVENTS = oracle.read_events(FIXTURES / "hand.csv")


def cards(start, end, **kwargs) -> dict:
    return oracle.cards(oracle.summary(EVENTS, pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC"), **kwargs))


def test_the_week_of_test_hand_computed():
    """[2024-01-01, 2024-01-08): test_hand_computed.py works each of these out line by line."""
    assert cards("2024-01-01", "2024-01-08") == {
        "kpi-deploys-value": "0.86 /day",        # 6 successful / 7 days
        "kpi-lead-time-value": "28.0 h",         # timed [2, 10, 46, 60]: (10 + 46) / 2
        "kpi-cfr-value": "57.1%",                # d3 (status), d1, d2, d5 (incidents): 4 / 7
        "kpi-mttr-value": "45.0 min",            # resolved [10, 30, 60, 120]: (30 + 60) / 2
        "kpi-rework-value": "28.6%",             # d4 hotfix, d7 while i4 is open: 2 / 7
        "kpi-overall-value": "N/A",              # 4 timed PRs, 4 resolved incidents: no tier for either
        "kpi-prs-value": "0.86 /day",            # p1..p6 / 7 days
        "kpi-satisfaction-value": "4.00 /5",     # (5 + 3 + 4) / 3
        "kpi-incident-rate-value": "71.43%",     # 5 incidents / 7 deployments
        "kpi-vcr-value": "57%",                  # 6 x 200 / ((10 h + 90 min + 150 min) x 150) = 1200 / 2100
        "kpi-iar-value": "+50.0%",               # Jan 1-3: 2, Jan 5-7: 3
        "kpi-dtr-value": "1.3%",                 # 240 / (8 x 8 x 5 x 60 - 240) = 240 / 18960
    }


def test_all_of_the_dataset():
    """[2023-12-31, 2024-01-08): the dataset's own window (the day of its first event, p7 at 12-31
    12:00, to the day after its last), 8 days, which takes in d0 and p7."""
    assert cards("2023-12-31", "2024-01-08") == {
        "kpi-deploys-value": "0.88 /day",        # d0..d7 in production, d3 failed: 7 / 8 days
        "kpi-lead-time-value": "22.0 h",         # p7: 12-31 12:00 -> d1 01-01 10:00 = 22 h; [2, 10, 22, 46, 60]
        "kpi-cfr-value": "62.5%",                # the 4 above and d0 (i1, 6 h after it): 5 / 8
        "kpi-mttr-value": "45.0 min",            # the same incidents
        "kpi-rework-value": "25.0%",             # d4, d7: 2 / 8
        "kpi-overall-value": "N/A",              # lead time now has 5 timed PRs (elite), recovery still no tier
        "kpi-prs-value": "0.88 /day",            # p7, p1..p6: 7 / 8
        "kpi-satisfaction-value": "4.00 /5",
        "kpi-incident-rate-value": "62.50%",     # 5 / 8
        "kpi-vcr-value": "67%",                  # 7 x 200 / 2100
        "kpi-iar-value": "+33.3%",               # halves of 4 days: 12-31..01-03 d0, d1, d2 = 3; 01-04..01-07 4
        "kpi-dtr-value": "1.3%",                 # 12-31 is a Sunday: still 5 working days
    }


def test_three_days_in_the_middle():
    """[2024-01-02, 2024-01-05): the dashboard's date range 2024-01-02 to 2024-01-04."""
    assert cards("2024-01-02", "2024-01-05") == {
        "kpi-deploys-value": "0.67 /day",        # d2, d3 (failed), d4: 2 / 3
        "kpi-lead-time-value": "28.0 h",         # p2 10 h, p3 46 h; p4's d6 (01-05 12:00) is after the window
        "kpi-cfr-value": "66.7%",                # d3 (status), d2 (i2); i3 names d1, outside: 2 / 3
        "kpi-mttr-value": "75.0 min",            # i2 30, i3 120
        "kpi-rework-value": "33.3%",             # d4 hotfix: 1 / 3
        "kpi-overall-value": "N/A",
        "kpi-prs-value": "1.00 /day",            # p2, p3, p4: 3 / 3
        "kpi-satisfaction-value": "3.00 /5",     # the one answer, 01-03
        "kpi-incident-rate-value": "66.67%",     # i2, i3 / 3 deployments
        "kpi-vcr-value": "30%",                  # 2 x 200 / ((6 h + 30 min + 150 min) x 150) = 400 / 1350
        "kpi-iar-value": "+0.0%",                # halves of 1 day: 01-02 d2, 01-04 d4
        "kpi-dtr-value": "1.6%",                 # 180 / (8 x 8 x 3 x 60 - 180) = 180 / 11340
    }


def test_one_service():
    """All of the dataset, service api: its deliveries only (d6 is web's, i5 db's), the organisation's
    events (surveys, hours, toil) all kept."""
    got = cards("2023-12-31", "2024-01-08", only=("api",))
    assert {k: got[k] for k in ("kpi-deploys-value", "kpi-lead-time-value", "kpi-cfr-value", "kpi-mttr-value",
                                "kpi-rework-value", "kpi-overall-value", "kpi-incident-rate-value",
                                "kpi-dtr-value")} == {
        "kpi-deploys-value": "0.75 /day",        # d0..d5, d7 less d3: 6 / 8
        "kpi-lead-time-value": "16.0 h",         # p4's d6 is web's: [2, 10, 22, 46]
        "kpi-cfr-value": "71.4%",                # d0, d1, d2, d3, d5: 5 / 7
        "kpi-mttr-value": "60.0 min",            # i1 60, i2 30, i3 120 (i5 is db's)
        "kpi-rework-value": "28.6%",             # d4, d7: 2 / 7
        "kpi-overall-value": "N/A",
        "kpi-incident-rate-value": "57.14%",     # i1..i4 / 7
        "kpi-dtr-value": "1.3%",                 # the team's toil is not any service's
    }


@pytest.mark.parametrize("bounds, tier", [((1.0, 1 / 7, 1 / 30), "elite"), ((2.0, 1.0, 0.5), "high"),
                                          ((3.0, 2.0, 1.0), "medium"), ((4.0, 3.0, 2.0), "low")])
def test_tiers_higher_is_better_on_their_edges(bounds, tier):
    assert oracle.tier(1.0, bounds, True, True) == tier


def test_tiers_lower_is_better_on_their_edges():
    # CFR (inclusive): 5 % elite, 15 % medium, 15.01 % low; lead time (exclusive): 24 h is high
    assert [oracle.tier(v, (5.0, 10.0, 15.0), False, True) for v in (5.0, 15.0, 15.01)] == ["elite", "medium", "low"]
    assert oracle.tier(24.0, (24.0, 168.0, 720.0), False, False) == "high"


def test_the_teams_hand_computed_week():
    """test_teams.py's hand-made events, team core (api, db), 2024-01-08 to 2024-01-15: its numbers by hand there."""
    from test_teams import hand_rows
    got = oracle.cards(oracle.summary(oracle.tidy(pd.DataFrame(hand_rows())), pd.Timestamp("2024-01-08", tz="UTC"),
                                      pd.Timestamp("2024-01-15", tz="UTC"), only=("api", "db")))
    assert [got[f"kpi-{k}-value"] for k in ("deploys", "lead-time", "cfr", "mttr", "rework", "overall")] == \
        ["0.57 /day", "17.0 h", "60.0%", "45.0 min", "20.0%", "N/A"]         # 4 / 7; 17 h; 3 / 5; 45 min; 1 / 5
