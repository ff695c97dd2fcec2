"""The view state and its URL."""
from dataclasses import replace

import pytest

from dashboard.state import View, from_query, parse_whole, to_query, validate

DEFAULTS = View()


def test_round_trip_through_the_url():
    view = View(seed=7, days=30, scenario="mature", tab="pvm", hourly_rate=99.5, developers=12)
    query = to_query(view, DEFAULTS)
    assert query.startswith("?seed=7&days=30&tab=pvm")
    assert from_query(query, DEFAULTS) == (view, [])


def test_defaults_stay_out_of_the_url():
    assert to_query(DEFAULTS, DEFAULTS) == "?seed=42&days=14&tab=dora"
    assert from_query("", DEFAULTS) == (DEFAULTS, [])


@pytest.mark.parametrize("text, message", [("abc", "whole number"), ("-5", "whole number between 0 and"), ("1" + "0" * 30, "whole number between 0 and"),
                                           ("", "Enter a seed"), ("nan", "whole number"), ("4.5", "whole number")])
def test_bad_seeds(text, message):
    value, error = parse_whole("seed", text, 0, 2**32 - 1)
    assert value is None and message in error


def test_whole_float_text_is_accepted():
    assert parse_whole("seed", "7.0", 0, 10) == (7, None)


def test_a_bad_link_keeps_the_defaults_for_what_it_gets_wrong():
    view, errors = from_query("?seed=banana&days=30&tab=space&rate=-4", DEFAULTS)
    assert (view.seed, view.days, view.tab, view.hourly_rate) == (42, 30, "space", 150.0)
    assert len(errors) == 2 and "seed" in errors[0].lower() and "hourly rate" in errors[1].lower()


def test_days_take_any_window_the_command_line_takes():
    # 1 to 3650 days, as `python -m metrics --days` (issue 23, item 7); 0 (all data) only for a dataset
    for days in (1, 31, 45, 3650):
        view, errors = validate(seed=42, days=days, services=3, team_size=8)
        assert errors == [] and view.days == days
    for days in (0, 3651, -1, "31.5", "a month"):
        view, errors = validate(seed=42, days=days, services=3, team_size=8)
        assert view is None and "days must be a whole number between 1 and 3650" in errors[0].lower(), (days, errors)
    view, errors = validate(dataset="shop", days=0)
    assert errors == [] and view.days == 0
    assert "between 0 and 3650" in validate(dataset="shop", days=3651)[1][0]
    assert from_query("?days=31", DEFAULTS) == (replace(DEFAULTS, days=31), [])


def test_a_dataset_view_round_trips_through_the_url():
    d = View()
    v = View(dataset="shop", days=0, tab="space", only=("api", "web"), start="2024-03-01", end="2024-03-05")
    query = to_query(v, d)
    assert query == "?data=shop&days=0&tab=space&service=api&service=web&from=2024-03-01&to=2024-03-05"
    assert from_query(query, d) == (v, [])
    # a link naming only the dataset opens all its data
    assert from_query("?data=shop", d)[0].days == 0


def test_dataset_fields_are_checked():
    d = View()
    assert "not a dataset name" in from_query("?data=../etc", d)[1][0]
    assert "days must be a whole number between 1" in from_query("?days=0", d)[1][0].lower()           # "all data" is for datasets
    assert "YYYY-MM-DD" in from_query("?data=x&from=yesterday", d)[1][0]
    view, errors = from_query("?data=x&from=2024-03-05&to=2024-03-01", d)
    assert "before its first day" in errors[0] and view.end == ""
    # the synthetic universe has no date range: it is dropped, not kept in the URL
    assert from_query("?seed=3&from=2024-01-01", d)[0].start == ""


def test_the_teams_tab_and_the_team_filter_round_trip_through_the_url():
    d = View()
    v = View(dataset="shop", days=0, tab="teams", teams=("core", "web"))
    query = to_query(v, d)
    assert query == "?data=shop&days=0&tab=teams&team=core&team=web"
    assert from_query(query, d) == (v, [])
    view, errors = from_query("?data=shop&team=a%20b", d)
    assert view.teams == () and "Team names are" in errors[0]
