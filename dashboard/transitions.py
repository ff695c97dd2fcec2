"""What a change does to the view: (what triggered it, the URL, the controls' values, the defaults)
-> the view to show, or a message, plus the controls to reset and the URL to write. Pure: no Dash
call, so every path is unit-tested in milliseconds.

The URL is the state: a control change is validated and written to the URL; a URL (the first load,
a shared link, back/forward) sets the controls. Invalid input changes nothing but the message.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .layout import day_options
from .state import ALL_DAYS, View, from_query, to_query, validate

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


def controls_of(view: View, day_choices) -> dict:
    """The control values (and which controls show) that display ``view``."""
    return {"seed": str(view.seed), "days": view.days, "day_options": day_options(day_choices, bool(view.dataset)),
            "scenario": view.scenario, "tab": view.tab, "rate": f"{view.hourly_rate:g}",
            "value": f"{view.value_per_deploy:g}", "devs": str(view.developers), "source": view.dataset,
            "only": list(view.only), "teams": list(view.teams), "start": view.start or None, "end": view.end or None,
            "benchmark": view.benchmark, "baseline": view.baseline,
            "seed_style": HIDDEN if view.dataset else SHOWN, "scenario_style": HIDDEN if view.dataset else SHOWN,
            "date_style": SHOWN if view.dataset else HIDDEN}


def transition(trigger, search: str | None, values: dict, defaults: View, day_choices) -> Transition:
    """The view after ``trigger`` (a control's id, "url", "theme" or None for the first load).

    ``values`` holds the controls' current values: seed, days, scenario, tab, rate, value, devs,
    source, only, teams (the Team selector; absent: the URL's), start, end, benchmark and baseline
    (the DORA benchmark's controls; absent: the URL's).
    """
    if trigger in FROM_URL:
        view, errors = from_query(search, defaults, day_choices)
        return Transition(view, " ".join(errors), controls_of(view, day_choices), None, resend_facts=True)
    source = values.get("source")
    if trigger == "source-dropdown" and source is None:
        return Transition(None, None)                  # the dropdown dropped a dataset it no longer lists
    current, _ = from_query(search, defaults, day_choices)
    days, only, start, end = values.get("days"), values.get("only"), values.get("start"), values.get("end")
    teams = values["teams"] if "teams" in values else current.teams
    if trigger == "source-dropdown":
        # another data source: its own window, no filters (a dataset opens on all its data)
        days = ALL_DAYS if source else (current.days or defaults.days or View.days)
        only, teams, start, end = (), (), "", ""
    if trigger == "days-dropdown":
        start, end = "", ""                            # days picks the window: a date range would override it
    view, errors = validate(values.get("seed"), days, values.get("scenario"), values.get("tab"), current.services,
                            current.team_size, values.get("rate"), values.get("value"), values.get("devs"),
                            dataset=source, only=only, start=start, end=end, teams=teams,
                            benchmark=values.get("benchmark", current.benchmark),
                            baseline=values.get("baseline", current.baseline), day_choices=day_choices)
    if view is None:
        return Transition(None, " ".join(errors) + " The dashboard still shows the last valid input.")
    query = to_query(view, defaults)
    # the controls already show what was chosen; only a new data source resets some of them
    controls = controls_of(view, day_choices) if trigger == "source-dropdown" else {}
    if trigger == "days-dropdown" and current.start + current.end:
        controls.update(start=None, end=None)
    return Transition(view, "", controls, query if query != (search or "") else None)
