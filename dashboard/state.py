"""The dashboard's view state and its URL form (``?seed=7&days=30&tab=pvm``, or
``?data=shop&days=0&service=api&from=2024-03-01&to=2024-03-31`` for a stored dataset)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from datetime import date
from urllib.parse import parse_qs, urlencode


from metrics import benchmarks, defaults
from metrics.defaults import MAX_DAYS, MAX_SEED, MAX_SERVICES, MAX_TEAM
from metrics.scenarios import AUTO, SCENARIOS
from metrics.store import NAME as DATASET_NAME
from metrics.teams import TEAM_NAME

DAY_CHOICES = (7, 14, 21, 30, 60, 90, 180, 365)
ALL_DAYS = 0                      # a dataset's whole span
MAX_DASHBOARD_DAYS = MAX_DAYS
TABS = ("dora", "space", "pvm", "custom", "teams")
MAX_FILTER_SERVICES = 500
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# the most events one synthetic view may ask for (one link must not exhaust a worker's memory)
MAX_VIEW_EVENTS = int(float(os.environ.get("METRICS_MAX_VIEW_EVENTS", "6000000")))


@dataclass(frozen=True)
class View:
    """Everything that decides what the dashboard shows."""

    seed: int = defaults.SEED
    days: int = defaults.DAYS
    scenario: str = AUTO
    tab: str = "dora"
    services: int = defaults.SERVICES
    team_size: int = defaults.TEAM_SIZE
    hourly_rate: float = defaults.HOURLY_RATE        # PVM assumptions: they change the numbers, never the events
    value_per_deploy: float = defaults.VALUE_PER_DEPLOY
    developers: int = defaults.TEAM_SIZE             # the team size DTR's capacity assumes
    dataset: str = ""                # a stored dataset's name; "" is the synthetic universe
    only: tuple = ()                 # the service filter: these services only (none: all)
    start: str = ""                  # a dataset's date range, first and last day shown (YYYY-MM-DD)
    end: str = ""
    teams: tuple = ()                # the team filter: these teams' services (the teams file), none: all
    benchmark: str = defaults.BENCHMARK   # what the DORA cards are judged by: "tiers" or "quick-check"
    baseline: str = defaults.BASELINE     # the Quick Check average the scores are compared with

    @property
    def synthetic(self) -> bool:
        return not self.dataset


URL_NAMES = {"seed": "seed", "days": "days", "scenario": "scenario", "tab": "tab", "services": "services",
             "team_size": "size", "hourly_rate": "rate", "value_per_deploy": "value", "developers": "devs",
             "dataset": "data", "only": "service", "start": "from", "end": "to", "teams": "team",
             "benchmark": "benchmark", "baseline": "baseline"}


def parse_whole(name: str, text, lo: int, hi: int) -> tuple[int | None, str | None]:
    """A whole number in [lo, hi] from user text, or (None, the sentence ``defaults.whole`` says)."""
    if text is None or not str(text).strip():
        return None, f"Enter a {name}: a whole number from {lo} to {hi}."
    try:
        return defaults.whole(name, text, lo, hi), None
    except defaults.CheckError as e:
        return None, defaults.sentence(e)


def parse_amount(name: str, text, lo: float = 0.0, hi: float = defaults.MAX_AMOUNT) -> tuple[float | None, str | None]:
    """A finite number in [lo, hi] from user text, or (None, the sentence ``defaults.amount`` says)."""
    try:
        return defaults.amount(name, "" if text is None else text, lo, hi), None
    except defaults.CheckError as e:
        return None, defaults.sentence(e)


def parse_day(name: str, text) -> tuple[str, str | None]:
    """A day (YYYY-MM-DD, a date picker may add a time) from 1970 to 2199, "" when empty, or ("",
    the sentence that says what is wrong)."""
    full = "" if text is None else str(text).strip()
    if not full:
        return "", None
    last = str(int(defaults.LATEST_EVENT[:4]) - 1) + "-12-31"
    message = (f"The {name} date must be a day from {defaults.EARLIEST_EVENT} to {last} (YYYY-MM-DD), "
               f"not \u201c{full[:20]}\u201d.")
    if not DAY.fullmatch(full[:10]) or len(full) > 10 and full[10] not in "T ":
        return "", message
    try:
        day = date.fromisoformat(full[:10])
    except ValueError:
        return "", message
    if not defaults.EARLIEST_EVENT <= day.isoformat() < defaults.LATEST_EVENT:
        return "", message
    return day.isoformat(), None


def view_events(services: int, days: int, team_size: int) -> int:
    """About how many events a synthetic view generates (this period and the one before): 7 a
    service and 1 a developer per day, each period (measured: 6.6 and 0.84)."""
    return 2 * days * (7 * services + team_size)


def validate(seed, days, scenario, tab, services, team_size, hourly_rate, value_per_deploy, developers,
             dataset="", only=(), start="", end="", teams=(), benchmark=None, baseline=None,
             day_choices=DAY_CHOICES) -> tuple[View | None, list[str]]:
    """A View from raw control (or URL) values, or None and the messages that say what is wrong;
    ``benchmark`` and ``baseline`` default to ``defaults.BENCHMARK`` and ``defaults.BASELINE``."""
    errors = []
    try:
        benchmark = benchmarks.benchmark(defaults.BENCHMARK if benchmark is None else benchmark)
    except benchmarks.BenchmarkError as e:
        errors.append(str(e))
    try:
        baseline = benchmarks.baseline(defaults.BASELINE if baseline is None else baseline).key
    except benchmarks.BenchmarkError as e:
        errors.append(str(e))
    dataset = "" if dataset is None else str(dataset).strip()
    if dataset and not DATASET_NAME.fullmatch(dataset):
        errors.append(f"\u201c{dataset[:40]}\u201d is not a dataset name.")
    seed_v, e = parse_whole("seed", seed, 0, MAX_SEED)
    errors += [e] if e else []
    days_v, e = parse_whole("days", days, 0 if dataset else 1, MAX_DASHBOARD_DAYS)
    allowed = day_choices + ((ALL_DAYS,) if dataset else ())
    if e or days_v not in allowed:
        errors.append(e or f"Days must be one of {', '.join(map(str, day_choices))}"
                            + (" or 0 (all data)." if dataset else "."))
    only = tuple(dict.fromkeys(str(s) for s in (only or ()) if str(s).strip()))
    if len(only) > MAX_FILTER_SERVICES or any(len(s) > 200 for s in only):
        errors.append(f"The service filter takes at most {MAX_FILTER_SERVICES} names of up to 200 characters.")
    teams = tuple(dict.fromkeys(str(t).strip() for t in (teams or ()) if str(t).strip()))
    if len(teams) > MAX_FILTER_SERVICES or any(not TEAM_NAME.fullmatch(t) for t in teams):
        errors.append("Team names are 1-64 letters, digits, '.', '_' or '-'.")
    start_v, e = parse_day("first", start)
    errors += [e] if e else []
    end_v, e = parse_day("last", end)
    errors += [e] if e else []
    if start_v and end_v and end_v < start_v:
        errors.append("The date range's last day is before its first day.")
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
    if not errors and not dataset and view_events(services_v, days_v, team_v) > MAX_VIEW_EVENTS:
        errors.append(f"{services_v:,} services and a team of {team_v:,} over {days_v} days would be about "
                      f"{view_events(services_v, days_v, team_v):,} events, over this dashboard's limit of "
                      f"{MAX_VIEW_EVENTS:,} a view (METRICS_MAX_VIEW_EVENTS); choose fewer days, services or people.")
    if errors:
        return None, errors
    return View(seed_v, days_v, scenario, tab, services_v, team_v, rate_v, value_v, devs_v, dataset, only,
                start_v if dataset else "", end_v if dataset else "", teams, benchmark, baseline), []


def from_query(search: str | None, defaults: View, day_choices=DAY_CHOICES) -> tuple[View, list[str]]:
    """The view a URL asks for; fields the URL gets wrong keep their defaults and are reported."""
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    view, errors = defaults, []
    ordered = sorted(fields(View), key=lambda f: f.name != "dataset")     # the dataset first: it decides what days may be
    for f in ordered:
        raw = query.get(URL_NAMES[f.name])
        if not raw:
            continue
        values = {g.name: getattr(view, g.name) for g in fields(View)}
        values[f.name] = raw if f.name in ("only", "teams") else raw[-1]
        if f.name == "dataset" and raw[-1] and "days" not in query:
            values["days"] = ALL_DAYS
        elif f.name == "dataset" and not raw[-1] and not view.days:
            values["days"] = View.days        # the synthetic universe has no "all data"; the link's days follow
        candidate, problems = validate(**values, day_choices=day_choices)
        if candidate is None:
            errors.append("In the link: " + problems[0] + " Showing the default instead.")
        else:
            view = candidate
    return view, errors


def to_query(view: View, defaults: View) -> str:
    """``?seed=..&days=..&tab=..`` plus every other field that differs from the defaults."""
    params = {"data": view.dataset} if view.dataset else {"seed": view.seed}
    if not view.dataset and defaults.dataset:
        params["data"] = ""            # the synthetic universe, when the app opens on a dataset
    params.update(days=view.days, tab=view.tab)
    for f in fields(View):
        value = getattr(view, f.name)
        if f.name not in ("seed", "days", "tab", "dataset") and value != getattr(defaults, f.name):
            if view.dataset and f.name in ("scenario", "services", "team_size"):
                continue                  # the synthetic universe's settings mean nothing for a dataset
            params[URL_NAMES[f.name]] = f"{value:g}" if isinstance(value, float) else value
    return "?" + urlencode(params, doseq=True)
