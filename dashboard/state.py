"""The dashboard's view state and its URL form (``?seed=7&days=30&tab=pvm``)."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from urllib.parse import parse_qs, urlencode

from metrics.scenarios import AUTO, SCENARIOS
from metrics.synthetic import MAX_SEED, MAX_SERVICES, MAX_TEAM
from metrics.window import MAX_DAYS

DAY_CHOICES = (7, 14, 21, 30, 60, 90, 180, 365)
MAX_DASHBOARD_DAYS = MAX_DAYS
TABS = ("dora", "space", "pvm")


@dataclass(frozen=True)
class View:
    """Everything that decides what the dashboard shows."""

    seed: int = 42
    days: int = 14
    scenario: str = AUTO
    tab: str = "dora"
    services: int = 3
    team_size: int = 8
    hourly_rate: float = 150.0       # PVM assumptions: they change the numbers, never the events
    value_per_deploy: float = 200.0
    developers: int = 8              # the team size DTR's capacity assumes


URL_NAMES = {"seed": "seed", "days": "days", "scenario": "scenario", "tab": "tab", "services": "services",
             "team_size": "team", "hourly_rate": "rate", "value_per_deploy": "value", "developers": "devs"}


def parse_whole(name: str, text, lo: int, hi: int) -> tuple[int | None, str | None]:
    """A whole number in [lo, hi] from user text, or (None, message)."""
    text = "" if text is None else str(text).strip()
    if not text:
        return None, f"Enter a {name}: a whole number from {lo} to {hi}."
    try:
        value = int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            return None, f"{name.capitalize()} must be a whole number from {lo} to {hi}, not \u201c{text[:40]}\u201d."
        if not math.isfinite(f) or f != int(f):
            return None, f"{name.capitalize()} must be a whole number from {lo} to {hi}, not \u201c{text[:40]}\u201d."
        value = int(f)
    if not lo <= value <= hi:
        return None, f"{name.capitalize()} must be from {lo} to {hi}; {text[:40]} is out of range."
    return value, None


def parse_amount(name: str, text, lo: float = 0.0, hi: float = 1e9) -> tuple[float | None, str | None]:
    """A finite number in [lo, hi] from user text, or (None, message)."""
    text = "" if text is None else str(text).strip()
    try:
        value = float(text)
    except ValueError:
        return None, f"{name.capitalize()} must be a number, not \u201c{text[:40]}\u201d."
    if not math.isfinite(value) or not lo <= value <= hi:
        return None, f"{name.capitalize()} must be from {lo:g} to {hi:g}."
    return value, None


def validate(seed, days, scenario, tab, services, team_size, hourly_rate, value_per_deploy, developers,
             day_choices=DAY_CHOICES) -> tuple[View | None, list[str]]:
    """A View from raw control (or URL) values, or None and the messages that say what is wrong."""
    errors = []
    seed_v, e = parse_whole("seed", seed, 0, MAX_SEED)
    errors += [e] if e else []
    days_v, e = parse_whole("days", days, 1, MAX_DASHBOARD_DAYS)
    if e or days_v not in day_choices:
        errors.append(e or f"Days must be one of {', '.join(map(str, day_choices))}.")
    if scenario not in (AUTO,) + SCENARIOS:
        errors.append(f"Unknown scenario \u201c{str(scenario)[:40]}\u201d.")
    if tab not in TABS:
        errors.append(f"Unknown tab \u201c{str(tab)[:40]}\u201d.")
    services_v, e = parse_whole("services", services, 1, MAX_SERVICES)
    errors += [e] if e else []
    team_v, e = parse_whole("team size", team_size, 1, MAX_TEAM)
    errors += [e] if e else []
    rate_v, e = parse_amount("hourly rate", hourly_rate)
    errors += [e] if e else []
    value_v, e = parse_amount("value per deployment", value_per_deploy)
    errors += [e] if e else []
    devs_v, e = parse_whole("team size", developers, 1, MAX_TEAM)
    errors += [e] if e else []
    if errors:
        return None, errors
    return View(seed_v, days_v, scenario, tab, services_v, team_v, rate_v, value_v, devs_v), []


def from_query(search: str | None, defaults: View, day_choices=DAY_CHOICES) -> tuple[View, list[str]]:
    """The view a URL asks for; fields the URL gets wrong keep their defaults and are reported."""
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    view, errors = defaults, []
    for f in fields(View):
        raw = query.get(URL_NAMES[f.name])
        if not raw:
            continue
        values = {g.name: getattr(view, g.name) for g in fields(View)}
        values[f.name] = raw[-1]
        candidate, problems = validate(**values, day_choices=day_choices)
        if candidate is None:
            errors.append("The link's " + problems[0][0].lower() + problems[0][1:] + " Showing the default instead.")
        else:
            view = candidate
    return view, errors


def to_query(view: View, defaults: View) -> str:
    """``?seed=..&days=..&tab=..`` plus every other field that differs from the defaults."""
    params = {"seed": view.seed, "days": view.days, "tab": view.tab}
    for f in fields(View):
        value = getattr(view, f.name)
        if f.name not in ("seed", "days", "tab") and value != getattr(defaults, f.name):
            params[URL_NAMES[f.name]] = f"{value:g}" if isinstance(value, float) else value
    return "?" + urlencode(params)
