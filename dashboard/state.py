"""The dashboard's view state and its URL form (``?seed=7&days=30&tab=pvm``, or
``?data=shop&days=0&service=api&from=2024-03-01&to=2024-03-31`` for a stored dataset).

What each field is, reads and checks is declared once in ``fields``; here are the checks across
fields (the date range's order, the synthetic view's size) and the URL in both directions.
"""
from __future__ import annotations

import os
from urllib.parse import parse_qs, urlencode

from .fields import DATASET, FIELDS, MAX_DASHBOARD_DAYS, MAX_FILTER_SERVICES, TABS, View, ViewField
from .parsers import ALL_DAYS, Context, number_text, parse_amount, parse_day, parse_whole, stripped

__all__ = ["ALL_DAYS", "DAY_CHOICES", "MAX_DASHBOARD_DAYS", "MAX_FILTER_SERVICES", "MAX_VIEW_EVENTS", "TABS", "View",
           "from_query", "parse_amount", "parse_day", "parse_whole", "read_link", "to_query", "validate", "view_events"]

DAY_CHOICES = (7, 14, 21, 30, 60, 90, 180, 365)
# the most events one synthetic view may ask for (one link must not exhaust a worker's memory)
MAX_VIEW_EVENTS = int(float(os.environ.get("METRICS_MAX_VIEW_EVENTS", "6000000")))
# the data source is read first: it decides what the other fields may be (days, the date range)
SOURCE_FIRST = sorted(FIELDS.values(), key=lambda f: f.name != "dataset")


def view_events(services: int, days: int, team_size: int) -> int:
    """About how many events a synthetic view generates (this period and the one before): 7 a
    service and 1 a developer per day, each period (measured: 6.6 and 0.84)."""
    return 2 * days * (7 * services + team_size)


def date_range_problem(start: str | None, end: str | None) -> list[str]:
    """Cross-field check: a date range's last day is not before its first."""
    if start and end and end < start:
        return ["The date range's last day is before its first day."]
    return []


def view_size_problem(services: int, days: int, team_size: int) -> list[str]:
    """Cross-field check: a synthetic view generates at most ``MAX_VIEW_EVENTS`` events."""
    events = view_events(services, days, team_size)
    if events <= MAX_VIEW_EVENTS:
        return []
    return [f"{services:,} services and a team of {team_size:,} over {days} days would be about {events:,} events, "
            f"over this dashboard's limit of {MAX_VIEW_EVENTS:,} a view (METRICS_MAX_VIEW_EVENTS); choose fewer "
            "days, services or people."]


def validate(**given) -> tuple[View | None, list[str]]:
    """A View from raw control (or URL) values, by field name (a field not given takes its
    default), or None and the messages that say what is wrong: each field's own check (the data
    source first), then the checks across fields. A synthetic view has no date range (the fields
    that apply to datasets only take their defaults)."""
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise TypeError(f"validate() got fields View does not have: {', '.join(sorted(unknown))}")
    raw = {name: given.get(name, f.default) for name, f in FIELDS.items()}
    context = Context(stripped(raw["dataset"]))
    values, errors = {}, []
    for f in SOURCE_FIRST:
        values[f.name], error = f.parse(raw[f.name], context)
        errors += [error] if error else []
    errors += date_range_problem(values["start"], values["end"])
    if not errors and not context.dataset:
        errors += view_size_problem(values["services"], values["days"], values["team_size"])
    if errors:
        return None, errors
    if not context.dataset:
        values.update({f.name: f.default for f in FIELDS.values() if f.universe == DATASET})
    return View(**values), []


def values_of(view: View) -> dict:
    """The view's values by field name (what ``validate`` takes)."""
    return {name: getattr(view, name) for name in FIELDS}


def with_link(view: View, given: list[tuple[ViewField, list]], days_given: bool) -> dict:
    """``view``'s values with the link's ``given`` (field, its values in the link) put in: a
    repeated field takes them all, another its last. A link that names a dataset opens all its
    data unless it gives days; one that names the synthetic universe leaves "all data" behind."""
    values = values_of(view)
    for f, raw in given:
        values[f.name] = list(raw) if f.repeats else raw[-1]
        if f.name == "dataset" and raw[-1] and not days_given:
            values["days"] = ALL_DAYS
        elif f.name == "dataset" and not raw[-1] and not values["days"]:
            values["days"] = View.days
    return values


def read_link(query: dict, defaults: View) -> tuple[View, list[tuple[str, str]]]:
    """The view a link's parameters (URL name -> its values) name over ``defaults``, and each
    parameter it gets wrong with the first sentence that says why; a wrong parameter keeps the
    value it had (the data source first, then in the View's order). Parameters no field has are
    ignored here (the API refuses them itself)."""
    given = [(f, query[f.url]) for f in SOURCE_FIRST if f.url and query.get(f.url)]
    if not given:
        return defaults, []
    days_given = bool(query.get(FIELDS["days"].url))
    view, _ = validate(**with_link(defaults, given, days_given))
    if view is not None:
        return view, []
    view, problems = defaults, []
    for one in given:       # one parameter at a time: the wrong ones are named, the others kept
        candidate, found = validate(**with_link(view, [one], days_given))
        if candidate is None:
            problems.append((one[0].url, found[0]))
        else:
            view = candidate
    return view, problems


def from_query(search: str | None, defaults: View) -> tuple[View, list[str]]:
    """The view a URL asks for; fields the URL gets wrong keep their defaults and are reported."""
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    view, problems = read_link(query, defaults)
    return view, ["In the link: " + problem + " Showing the default instead." for _, problem in problems]


def url_value(value):
    """A field's value as the URL writes it: numbers short where that reads back the same, an
    empty list of names as one blank (``team=``: none, where the defaults name some)."""
    if isinstance(value, float):
        return number_text(value)
    return value if value != () else [""]


def to_query(view: View, defaults: View) -> str:
    """``?seed=..&days=..&tab=..`` (``?data=..`` for a dataset) plus every other field that applies
    to the view's data and differs from the defaults."""
    source, seed = FIELDS["dataset"].url, FIELDS["seed"].url
    params = {source: view.dataset} if view.dataset else {seed: view.seed}
    if not view.dataset and defaults.dataset:
        params[source] = ""            # the synthetic universe, when the app opens on a dataset
    params.update({FIELDS["days"].url: view.days, FIELDS["tab"].url: view.tab})
    for f in FIELDS.values():
        value = getattr(view, f.name)
        if f.url and f.url not in params and f.applies_to(view) and value != getattr(defaults, f.name):
            params[f.url] = url_value(value)
    return "?" + urlencode(params, doseq=True)
