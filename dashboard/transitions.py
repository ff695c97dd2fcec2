"""What a change does to the view: (what triggered it, the URL, the controls' values, the defaults)
-> the view to show, or a message, plus the controls to reset and the URL to write. Pure: no Dash
call, so every path is unit-tested in milliseconds.

The URL is the state: a control change is validated and written to the URL; a URL (the first load,
a shared link, back/forward) sets the controls. Invalid input changes nothing but the message.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .fields import FIELDS, RESET_BY_SOURCE, style_key
from .layout import day_options
from .parsers import parse_whole
from .state import ALL_DAYS, MAX_DASHBOARD_DAYS, View, from_query, to_query, validate

SHOWN, HIDDEN = {}, {"display": "none"}
# triggers whose view comes from the URL (the theme loads with the page; new data redraws the same view)
FROM_URL = (None, "url", "theme", "data-changed")


@dataclass(frozen=True)
class Transition:
    """The outcome of a change: the ``view`` to show (None: keep the dashboard as it is), the
    message line, the controls to set (by output name), the URL's new query (None: unchanged),
    and whether what the page shows of the data (filter choices, date bounds) must be resent."""

    view: View | None
    message: str = ""
    controls: dict = field(default_factory=dict)
    search: str | None = None
    resend_facts: bool = False


def controls_of(view: View) -> dict:
    """The control values (and which controls show) that display ``view``: each field's control
    (by its key), the days' choices, and each control's container, shown where its field applies."""
    shown = {f.control.key: f.control.shown(getattr(view, f.name)) for f in FIELDS.values() if f.control}
    styles = {style_key(f.control.column): SHOWN if f.applies_to(view) else HIDDEN
              for f in FIELDS.values() if f.control and f.control.column}
    return {**shown, "day_options": day_options(view.days, bool(view.dataset)), **styles}


def typed_day_options(typed, options: list[dict]) -> list[dict] | None:
    """The days list with the window a person is typing into it (any whole number of days the
    command line takes, e.g. "45") added in its place among those it lists, or None when the text
    is not such a number or the list already has it."""
    days, error = parse_whole("days", typed, 1, MAX_DASHBOARD_DAYS)
    values = [o["value"] for o in options or []]
    if error or days in values:
        return None
    return day_options(values + [days], ALL_DAYS in values)


def transition(trigger, search: str | None, values: dict, defaults: View) -> Transition:
    """The view after ``trigger`` (a control's id, "url", "theme" or None for the first load).

    ``values`` holds the controls' current values by their keys (each field's ``Control.key``, its
    name unless the declaration says otherwise: ``fields.CONTROLS``); a control absent from it keeps
    the URL's value, as do the fields without a control.
    """
    if trigger in FROM_URL:
        view, errors = from_query(search, defaults)
        return Transition(view, " ".join(errors), controls_of(view), None, resend_facts=True)
    source, days, start, end = (FIELDS[name].control for name in ("dataset", "days", "start", "end"))
    if trigger == source.id and values.get(source.key) is None:
        return Transition(None, None)                  # the dropdown dropped a dataset it no longer lists
    current, _ = from_query(search, defaults)
    given = {name: values[f.control.key] if f.control and f.control.key in values else getattr(current, name)
             for name, f in FIELDS.items()}
    if trigger == source.id:
        # another data source: its own window, no filters (a dataset opens on all its data)
        given.update(RESET_BY_SOURCE, days=ALL_DAYS if given["dataset"] else (current.days or defaults.days or View.days))
    if trigger == days.id:
        given.update(start="", end="")                 # days picks the window: a date range would override it
    view, errors = validate(**given)
    if view is None:
        return Transition(None, " ".join(errors) + " The dashboard still shows the last valid input.")
    query = to_query(view, defaults)
    # the controls already show what was chosen; only a new data source resets some of them
    controls = controls_of(view) if trigger == source.id else {}
    if trigger == days.id and current.start + current.end:
        controls.update({start.key: None, end.key: None})
    return Transition(view, "", controls, query if query != (search or "") else None)
