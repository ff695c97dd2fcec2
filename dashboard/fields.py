"""The view's fields, each declared once: everything that decides what the dashboard shows.

A field (``declare``) says its URL parameter, how its value is read and checked (``parsers``), its
default, whether it changes the computation (and so belongs in ``View.computation_key``), which
data it applies to (the synthetic universe, a stored dataset or both), whether it repeats in the
URL, whether choosing another data source resets it, and its control (component id and property;
whether a change recomputes at once or the value is read when a button or Enter submits it).

``state`` (validate, the URL), ``api`` (the strict query), ``transitions`` (the controls) and
``callbacks`` (the main callback's inputs and outputs) derive from ``FIELDS``: a new control is one
field here plus its widget in ``layout``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

from metrics import benchmarks, defaults
from metrics.defaults import MAX_DAYS, MAX_SEED, MAX_SERVICES, MAX_TEAM
from metrics.scenarios import AUTO, SCENARIOS
from metrics.store import NAME as DATASET_NAME
from metrics.teams import DEFAULT_TEAM_ORDER, TEAM_NAME, TEAM_ORDERS
from metrics.view_link import VIEW_QUERY

from .parsers import Amount, Checked, Day, Days, Matching, Names, OneOf, Whole, number_text

SYNTHETIC, DATASET, BOTH = "synthetic", "dataset", "both"       # the data a field applies to
TABS = ("dora", "space", "pvm", "ai", "custom", "teams")
MAX_DASHBOARD_DAYS = MAX_DAYS
MAX_FILTER_SERVICES = 500
SERVICE_NAME = re.compile(r".{1,200}", re.DOTALL)


def or_none(value):
    """A control's value for "nothing chosen": None for an empty value."""
    return value or None


@dataclass(frozen=True)
class Control:
    """The widget that shows and sets a field: the component ``id`` and its ``prop``. ``key``
    names the value among the main callback's controls (default: the field's name). ``live``: a
    change recomputes at once (an Input); otherwise the value is read (a State) when one of
    ``submitted_by`` ((id, prop) pairs: a button's clicks, an input's Enter) fires. ``shown`` turns
    the view's value into the control's; ``column`` is the container hidden where the field does
    not apply (its style is the output ``style_key(column)``)."""

    id: str
    prop: str = "value"
    key: str = ""
    live: bool = True
    submitted_by: tuple = ()
    shown: Callable = lambda value: value
    column: str = ""


@dataclass(frozen=True)
class ViewField:
    """One field of ``View``, as ``declare`` declares it (``name`` and ``default`` filled in from
    the dataclass)."""

    url: str | None                  # its URL parameter (None: not in the URL)
    parse: Callable                  # parser(raw, context) -> (value, None) or (None, sentence)
    computes: bool                   # changes the numbers: part of View.computation_key
    universe: str = BOTH             # SYNTHETIC, DATASET or BOTH
    repeats: bool = False            # given once per value in the URL (service=a&service=b)
    control: Control | None = None
    reset_by_source: bool = False    # another data source resets it to its default
    name: str = ""
    default: Any = None

    def applies_to(self, view) -> bool:
        """Whether the field means something for ``view``'s data (synthetic universe or dataset)."""
        return self.universe == BOTH or self.universe == (DATASET if view.dataset else SYNTHETIC)


def declare(default, **spec) -> Any:
    """A ``View`` attribute with its default and its ``ViewField`` declaration."""
    return field(default=default, metadata={"view": ViewField(**spec)})


def style_key(column: str) -> str:
    """The main callback's output name for the style of a control's container (``seed-col`` ->
    ``seed_style``)."""
    return column.removesuffix("-col") + "_style"


def baseline_key(raw) -> str:
    """The key of the Quick Check baseline ``raw`` names (BenchmarkError when none)."""
    return benchmarks.baseline(raw).key


ASSUMPTIONS_APPLIED = (("apply-assumptions", "n_clicks"),)


@dataclass(frozen=True)
class View:
    """Everything that decides what the dashboard shows, one declared field each."""

    seed: int = declare(defaults.SEED, url="seed", parse=Whole("seed", 0, MAX_SEED), computes=True, universe=SYNTHETIC,
                        control=Control("seed-input", live=False, shown=str, column="seed-col",
                                        submitted_by=(("seed-input", "n_submit"), ("refresh-button", "n_clicks"))))
    days: int = declare(defaults.DAYS, url=VIEW_QUERY["days"], parse=Days(MAX_DASHBOARD_DAYS), computes=True,
                        control=Control("days-dropdown"))
    scenario: str = declare(AUTO, url="scenario", parse=OneOf("scenario", (AUTO,) + SCENARIOS), computes=True,
                            universe=SYNTHETIC, control=Control("scenario-dropdown", column="scenario-col"))
    tab: str = declare("dora", url=VIEW_QUERY["tab"], parse=OneOf("tab", TABS), computes=False,
                       control=Control("tabs", "active_tab"))
    services: int = declare(defaults.SERVICES, url="services", parse=Whole("services", 1, MAX_SERVICES),
                            computes=True, universe=SYNTHETIC)
    team_size: int = declare(defaults.TEAM_SIZE, url="size", parse=Whole("team size", 1, MAX_TEAM), computes=True,
                             universe=SYNTHETIC)
    # PVM assumptions: they change the numbers, never the events
    hourly_rate: float = declare(defaults.HOURLY_RATE, url="rate", parse=Amount("hourly rate"), computes=True,
                                 control=Control("rate-input", key="rate", live=False, shown=number_text,
                                                 submitted_by=ASSUMPTIONS_APPLIED + (("rate-input", "n_submit"),)))
    value_per_deploy: float = declare(defaults.VALUE_PER_DEPLOY, url="value", parse=Amount("value per deployment"),
                                      computes=True,
                                      control=Control("value-input", key="value", live=False, shown=number_text,
                                                      submitted_by=ASSUMPTIONS_APPLIED + (("value-input", "n_submit"),)))
    # the team size DTR's capacity assumes
    developers: int = declare(defaults.TEAM_SIZE, url="devs", parse=Whole("team size", 1, MAX_TEAM), computes=True,
                              control=Control("devs-input", key="devs", live=False, shown=str,
                                              submitted_by=ASSUMPTIONS_APPLIED + (("devs-input", "n_submit"),)))
    # a stored dataset's name; "" is the synthetic universe
    dataset: str = declare("", url=VIEW_QUERY["dataset"], parse=Matching(DATASET_NAME, "a dataset name"), computes=True,
                           control=Control("source-dropdown", key="source"))
    # the service filter: these services only (none: all)
    only: tuple = declare((), url=VIEW_QUERY["only"], repeats=True, computes=True, reset_by_source=True,
                          parse=Names(SERVICE_NAME, MAX_FILTER_SERVICES, f"The service filter takes at most "
                                      f"{MAX_FILTER_SERVICES} names of up to 200 characters."),
                          control=Control("service-filter", shown=list))
    # a dataset's date range, first and last day shown (YYYY-MM-DD)
    start: str = declare("", url=VIEW_QUERY["start"], parse=Day("first"), computes=True, universe=DATASET, reset_by_source=True,
                         control=Control("date-range", "start_date", shown=or_none, column="date-col"))
    end: str = declare("", url=VIEW_QUERY["end"], parse=Day("last"), computes=True, universe=DATASET, reset_by_source=True,
                       control=Control("date-range", "end_date", shown=or_none, column="date-col"))
    # the team filter: these teams' services (the teams file), none: all
    teams: tuple = declare((), url=VIEW_QUERY["teams"], repeats=True, computes=True, reset_by_source=True,
                           parse=Names(TEAM_NAME, MAX_FILTER_SERVICES, "Team names are 1-64 letters, digits, '.', '_' "
                                       "or '-'.", strip=True),
                           control=Control("team-filter", shown=list))
    # the order of the Teams tab's comparison (``metrics.teams.TEAM_ORDERS``): the same numbers in another order
    team_order: str = declare(DEFAULT_TEAM_ORDER, url="order", computes=False,
                              parse=OneOf("team order", tuple(TEAM_ORDERS)), control=Control("teams-order"))
    # what the DORA cards are judged by, and the Quick Check average the scores are compared with:
    # the same numbers judged another way
    benchmark: str = declare(defaults.BENCHMARK, url="benchmark", computes=False,
                             parse=Checked(benchmarks.benchmark, tuple(benchmarks.BENCHMARKS)),
                             control=Control("benchmark-choice"))
    baseline: str = declare(defaults.BASELINE, url="baseline", computes=False,
                            parse=Checked(baseline_key, tuple(benchmarks.BASELINES)),
                            control=Control("baseline-dropdown"))

    @property
    def synthetic(self) -> bool:
        return not self.dataset

    def computation_key(self) -> tuple:
        """The values, in the View's order, of every field that changes the computation and applies
        to this view's data: equal keys, equal numbers (for the same data version and files)."""
        return tuple(getattr(self, f.name) for f in FIELDS.values() if f.computes and f.applies_to(self))


def _declared(attribute) -> ViewField:
    spec = attribute.metadata.get("view")
    if spec is None:
        raise TypeError(f"View.{attribute.name} is not declared with fields.declare")
    control = spec.control and replace(spec.control, key=spec.control.key or attribute.name)
    return replace(spec, name=attribute.name, default=attribute.default, control=control)


FIELDS: dict[str, ViewField] = {f.name: _declared(f) for f in fields(View)}
CONTROLS = tuple(f.control for f in FIELDS.values() if f.control)
# what choosing another data source resets (its filters and date range mean nothing for other data)
RESET_BY_SOURCE = {f.name: f.default for f in FIELDS.values() if f.reset_by_source}
