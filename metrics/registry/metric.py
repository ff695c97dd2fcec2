"""The metric registry's declaration: every metric, built-in or plug-in, is one ``MetricSpec``.

A spec says everything the product shows about one number: its JSON key and section, how it is
computed (``compute``), the event kinds it needs (without them it is n/a, and the reason derives
from them: "no incident data in this dataset"), its unit, number format and direction, its tier
table or bands, what its sample counts, its card (label, element id, tab and group, footnote), its
console line and its definition for the docs. The built-in specs are declared in
``metrics/builtin/`` (``metrics.builtin.METRICS``, in the order of the summary's JSON keys); a
plug-in's ``@metrics.plugins.metric`` makes the same kind of spec (section ``custom``). ``analyze``,
the dashboard's cards, the console, the Teams tab, ``--json``, ``python -m metrics metrics`` and
the docs tables iterate over them.
"""
from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass
from typing import Callable

from .. import defaults
from ..benchmarks import BandTable, TierTable
from ..units import say_in, suffix

SECTIONS = {"dora": "DORA METRICS (Delivery & Reliability)", "space": "SPACE METRICS (Team & Developer Health)",
            "pvm": "PLATFORM VALUE METRICS (PVM)", "custom": "CUSTOM METRICS"}
TABS = ("dora", "space", "pvm", "custom")
# why a metric is n/a when the data has never held the first kind of a need ("a|b": either will do;
# "failed deploy" and "rework deploy" are deployments the data marks failed, or as a hotfix or rollback)
REASONS = {"deploy": "no deployments in this dataset", "incident_start": "no incident data in this dataset",
           "pr_created": "no pull requests in this dataset", "pr_reviewed": "no reviews in this dataset",
           "pr_first_commit": "the source gives no first commit",
           "toil": "no toil or incident-response data in this dataset",
           "platform_investment_hour": "no platform hours in this dataset",
           "satisfaction_survey": "no survey answers in this dataset",
           "on_call_hours": "no on-call data in this dataset (on_call_hours events)",
           "pr_lines_added": "no PR sizes in this dataset (pr_lines_added and pr_lines_removed events)",
           "pr_lines_removed": "no PR sizes in this dataset (pr_lines_added and pr_lines_removed events)"}


@dataclass(frozen=True)
class Card:
    """A metric's KPI card: its element id (``kpi-lead-time``: the value is ``kpi-lead-time-value``),
    its tab, its group on the tab ("throughput", "instability" on DORA; "" elsewhere) and its place
    in the group (``order``); ``title`` when it is not the metric's label; ``benchmark``: shown only
    when the DORA tab is judged by this benchmark ("tiers" or "quick-check")."""

    element: str
    tab: str
    order: int
    group: str = ""
    title: str = ""
    benchmark: str = ""


@dataclass(frozen=True)
class Sample:
    """What a metric's tier, Quick Check score (or growth) stands on: the noun ("deployments") and
    how many the analysis has (``count(analysis)``, from its summary and details); fewer than
    ``defaults.MIN_SAMPLE`` is a low sample. ``or_days``: a window of this many days is evidence
    enough on its own (deployment frequency). ``one``: the noun for a single event ("deployment";
    default ``noun``). ``reads``: the metrics' keys ``count`` reads (computed with the metric where
    only some metrics are: ``analysis.summary_of``)."""

    noun: str
    count: Callable
    or_days: int | None = None
    one: str = ""
    reads: tuple = ()

    def shortfall(self, analysis, days: int, what: str = "a tier") -> str | None:
        """Why ``analysis`` (a window of ``days`` days) holds too little evidence for ``what`` (a
        tier; with it go the Quick Check score and the coloured change; METRICS.md section 3: fewer
        than ``defaults.MIN_TIER_EVIDENCE`` events): "3 deployments: a tier needs at least 5, or a
        window of 30 days or more"; None when it holds enough."""
        n = self.count(analysis)
        if n >= defaults.MIN_TIER_EVIDENCE or self.or_days and days >= self.or_days:
            return None
        return (f"{n} {self.one if n == 1 and self.one else self.noun}: {what} needs at least {defaults.MIN_TIER_EVIDENCE}"
                + (f", or a window of {self.or_days} days or more" if self.or_days else ""))


@dataclass(frozen=True)
class Says:
    """A line said from an analysis's figures (a ``footnote``, a console line): ``template``'s fields
    name keys of the summary's sections or of the details (no key is in two of them), each written as
    ``metrics.units.say_in`` writes it: ``{rework_rate_pct:.1f|%}`` is "23.8%", or "n/a"."""

    template: str

    def __call__(self, analysis) -> str:
        sections = (analysis.summary[s] for s in SECTIONS if s in analysis.summary)
        return say_in(self.template, ChainMap(*sections, analysis.details))


@dataclass(frozen=True)
class Console:
    """A metric's line in the console summary, placed ``order``-th in its section: ``template`` said
    from the analysis (``Says``)."""

    order: int
    template: str

    def text(self, analysis) -> str:
        """The line for ``analysis``."""
        return Says(self.template)(analysis)


@dataclass(frozen=True)
class MetricSpec:
    """One metric, declared once (see the module's docstring).

    ``compute(context)`` returns the value (for a built-in, from ``metrics.builtin.Context``; for a
    plug-in, from the window's events); without it the value is one ``analyze`` derives from the
    others (the overall tier). ``summary``: the value is one of the summary's keys (``--json``,
    METRICS.md section 7) under ``section``, otherwise it is among the analysis's details under its
    key; ``at`` overrides that place with a path from the analysis ("details", "quick_check",
    "scores", "overall"). ``details(context)`` adds the figures its card and line quote beside it (a
    p75, a count). ``needs``: the event kinds it needs ("a|b": either). ``unit``
    as written after the number ("%", "h", "/day"); ``fmt`` the card's format. ``teams``: compared
    per team on the Teams tab. ``quick_check``: the DORA Quick Check question that scores it.
    ``footnote(analysis)`` and ``caution(analysis)``: the card's small line and warning line.
    ``partial``: (a kind, the reason): without that kind in the data the metric measures only part
    of what it names (``measures_part``)."""

    key: str
    section: str
    label: str
    definition: str = ""
    compute: Callable | None = None
    summary: bool = True
    at: tuple = ()
    details: Callable | None = None
    needs: tuple = ()
    unit: str = ""
    fmt: str = "{:.1f}"
    lower_is_better: bool = False
    tiers: TierTable | None = None
    bands: BandTable | None = None
    sample: Sample | None = None
    card: Card | None = None
    footnote: Callable | None = None
    caution: Callable | None = None
    console: Console | None = None
    teams: bool = False
    quick_check: str = ""
    partial: tuple = ()

    def measures_part(self, present: frozenset) -> str | None:
        """Why the metric measures only part of what it names, when the data (``present``) lacks the
        kind ``partial`` names (``partial``: (kind, the reason)): then it gets no tier and no Quick
        Check score (METRICS.md section 3: never a perfect value for a missing source); else None."""
        return self.partial[1] if self.partial and self.partial[0] not in present else None

    def __post_init__(self):
        if self.section not in SECTIONS:
            raise ValueError(f"metric {self.key!r}: section is one of {', '.join(SECTIONS)}, not {self.section!r}")
        for table in (self.tiers, self.bands):
            if table is not None and table.unit != self.unit:
                raise ValueError(f"metric {self.key!r}: its unit {self.unit!r} differs from its table's {table.unit!r}")

    @property
    def name(self) -> str:
        """The key (a plug-in's ``name``)."""
        return self.key

    @property
    def title(self) -> str:
        """The card's title: its own, else the metric's label."""
        return (self.card.title if self.card else "") or self.label

    @property
    def suffix(self) -> str:
        """The unit as written after the number (``metrics.units.suffix``)."""
        return suffix(self.unit)

    @property
    def where(self) -> tuple:
        """Where the analysis holds the value: ``at``, else ("summary", section, key) or ("details", key)."""
        return self.at or (("summary", self.section, self.key) if self.summary else ("details", self.key))

    def value(self, analysis):
        """This metric's value in ``analysis`` (None: n/a)."""
        root, *path = self.where
        value = getattr(analysis, root)
        for part in path:
            value = value[part]
        return value

    def missing(self, present: frozenset) -> str | None:
        """Why the metric is n/a for lack of a source ("no incident data in this dataset"), or None
        when the data (``present``: the kinds it holds at all) has what it needs."""
        for need in self.needs:
            options = need.split("|")
            if not any(k in present for k in options):
                return REASONS.get(options[0], f"no {options[0]} events in this dataset")
        return None


@dataclass(frozen=True)
class Reads:
    """A built-in metric's compute when it is one value of a shared result: ``context.<result>[key]``
    (``metrics.builtin.Context``: ``Reads("lead", "lead_time_hours_p90")``)."""

    result: str
    key: str

    def __call__(self, context):
        return getattr(context, self.result)[self.key]


def declarer(into: list, section: str) -> Callable:
    """``declare(key, reads=RESULT | compute=FUNCTION, label=..., ...)``: declares one metric of
    ``section`` into the list ``into``; ``reads`` names the shared result whose value under the
    metric's key it is (``Reads``), ``compute`` computes it otherwise."""
    def declare(key: str, reads: str = "", compute: Callable | None = None, **fields) -> MetricSpec:
        spec = MetricSpec(key, section, compute=compute or Reads(reads, key), **fields)
        into.append(spec)
        return spec
    return declare


def missing_kinds(specs, present: frozenset, optional: tuple = ()) -> list[str]:
    """The event kinds some metric of ``specs`` needs and the data has never contained, sorted
    (``optional`` kinds count when present and are never asked for)."""
    absent = set()
    for spec in specs:
        for need in spec.needs:
            options = need.split("|")
            if not any(k in present for k in options):
                absent.update(k for k in options if " " not in k and k not in optional)
    return sorted(absent)


def judged(specs) -> list[MetricSpec]:
    """The metrics judged against a benchmark (a tier or a Quick Check score): what the evidence
    rule (``Sample.shortfall``) applies to."""
    return [s for s in specs if s.tiers is not None or s.quick_check]


def tiered(specs) -> list[MetricSpec]:
    """The metrics placed in a tier, in order."""
    return [s for s in specs if s.tiers is not None]


def tier_label(spec: MetricSpec) -> str:
    """How the console and the overall card name a metric's tier: "deployment frequency"."""
    return spec.tiers.metric.replace("_", " ")


def on_tab(specs, tab: str, group: str | None = None) -> list[MetricSpec]:
    """The metrics with a card on ``tab`` (in ``group``, when given), in the order of their cards."""
    found = [s for s in specs if s.card is not None and s.card.tab == tab and (group is None or s.card.group == group)]
    return sorted(found, key=lambda s: s.card.order)
