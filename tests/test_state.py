"""The view state and its URL."""
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


@pytest.mark.parametrize("text, message", [("abc", "whole number"), ("-5", "out of range"), ("1" + "0" * 30, "out of range"),
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


def test_days_must_be_a_choice():
    view, errors = validate(42, 45, "auto", "dora", 3, 8, 150, 200, 8)
    assert view is None and "Days must be one of" in errors[0]
