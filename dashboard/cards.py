"""The KPI cards of the DORA, SPACE and PVM tabs, one per metric declared with a card
(``metrics.registry.metric.Card``): its title, format, unit, direction, tier or band, footnote and
low-sample warning all come from the metric's declaration. Three cards have builders of their own
(``SPECIAL``): the SLA card (a setting that cannot be read), the overall tier and the Quick Check's
overall score; they too take their title, format and unit from their declaration."""
from __future__ import annotations

from dataclasses import dataclass

from components.kpi import kpi_card, overall_card
from metrics import defaults
from metrics.benchmarks import QUICK_CHECK_OVERALL, STANDINGS, tier_change
from metrics.builtin import METRICS
from metrics.registry.metric import MetricSpec, on_tab, tier_label, tiered

from .data import Computed


@dataclass(frozen=True)
class Judged:
    """How the view's DORA cards are judged: by the tiers (``by_tiers``) or the Quick Check, and the
    Quick Check's scores against the chosen baseline (``q``, ``Analysis.current_dora``)."""

    by_tiers: bool
    q: dict


def because(c: Computed, spec: MetricSpec, footnote: str | None) -> str | None:
    """The card's footnote: why the metric is n/a when the data lacks its source ("no incident
    data in this dataset"), else ``footnote``."""
    if spec.value(c.current) is None:
        reason = spec.missing(c.current.present)
        if reason:
            return reason
    return footnote


def too_little(an, spec: MetricSpec) -> str | None:
    """Why the analysis ``an`` holds too little evidence to judge the metric ("3 deployments: a tier
    needs at least 5, or a window of 30 days or more"; ``summary["evidence"]``, METRICS.md section
    3), or None when it can be judged."""
    return an.summary.get("evidence", {}).get(spec.key)


def no_judgement(c: Computed, spec: MetricSpec, judged: Judged | None = None) -> str | None:
    """The card's warning when the window holds too little evidence to judge the metric as the view
    judges it (by a tier, or by the Quick Check score: ``judged``): "no tier: 3 deployments: a tier
    needs at least 5, ...", "no Quick Check score: 4 deployed PRs: a Quick Check score needs at least
    5"; else None."""
    if not too_little(c.current, spec):
        return None
    by_score = spec.quick_check and (spec.tiers is None or (judged is not None and not judged.by_tiers))
    what = "a Quick Check score" if by_score else "a tier"
    why = spec.measures_part(c.current.present) or spec.sample.shortfall(c.current, c.current.window.days, what)
    return f"no {what.removeprefix('a ')}: {why}"


def low_sample(c: Computed, spec: MetricSpec) -> str | None:
    """The card's warning when its tier or growth stands on fewer than ``defaults.MIN_SAMPLE``
    events ("low sample: n=6 deployments (minimum 20)"), else None (also when the metric is n/a, or
    has too little evidence for a tier at all: ``no_judgement``)."""
    if spec.sample is None or too_little(c.current, spec):
        return None
    n = spec.sample.count(c.current)
    if spec.value(c.current) is None or not defaults.low_sample(n):
        return None
    return f"low sample: n={n} {spec.sample.noun} (minimum {defaults.MIN_SAMPLE})"


def low_sample_tiers(c: Computed, noun: str = "tier") -> str | None:
    """The overall card's warning: which of its tiers (or Quick Check scores, ``noun``) stand on a
    low sample."""
    low = [tier_label(spec) for spec in tiered(METRICS) if low_sample(c, spec)]
    return f"low sample: {', '.join(low)} {noun}{'s' if len(low) > 1 else ''} from under {defaults.MIN_SAMPLE} events" \
        if low else None


def unplaced(c: Computed, specs, noun: str = "tier") -> str | None:
    """The overall card's warning when some of ``specs`` (its tiers, or its Quick Check scores:
    ``noun``) have too little evidence, so there is no overall: "no overall tier: too little evidence
    for the lead time, recovery time tiers"."""
    short = [spec.label.lower() if noun != "tier" else tier_label(spec) for spec in specs if too_little(c.current, spec)]
    return f"no overall {noun}: too little evidence for the {', '.join(short)} {noun}{'s' if len(short) > 1 else ''}" \
        if short else None


def quick_check(q: dict, key: str, by_tiers: bool) -> dict:
    """A card's Quick Check badge as ``kpi_card`` takes it: the score ("QC 6.0/10"), its hover text
    (the answer, the baseline's average and how the score stands against it) and its colour (judged
    by the Quick Check: the standing's traffic light; by tiers: None, a neutral badge); no badge
    when the score is n/a."""
    score = q["scores"].get(key)
    if score is None:
        return {}
    answer, average = q["answers"].get(key), q["industry_average"].get(key)
    standing = q["standing"].get(key)
    hint = ("DORA Quick Check score, 0-10" + (f": \u201c{answer}\u201d" if answer else "")
            + (f"; {q['baseline']['name']} average ({q['edition']}) {average:.1f}, {STANDINGS[standing][0]}"
               if average is not None else "; no published average is used for it (docs/metrics.md)"))
    return {"score": f"QC {score:.1f}/10", "score_hint": hint,
            "score_band": None if by_tiers or standing is None else STANDINGS[standing][1]}


def metric_card(c: Computed, spec: MetricSpec, prev: str, judged: Judged | None = None):
    """A metric's card: its value and change against the previous period, its tier badge (shown
    when the tiers judge), Quick Check badge, band, footnote and warning. With too little evidence
    (``no_judgement``) the number is greyed, without tier or Quick Check badge, the warning says
    why; the change is coloured only when both periods hold enough evidence."""
    an = c.current
    short = no_judgement(c, spec, judged)
    extra = {}
    if spec.tiers is not None:
        name = spec.tiers.metric
        extra.update(tier=an.summary["dora"]["tiers"][name], tier_threshold=an.details["tier_thresholds"][name],
                     show_tier=judged is not None and judged.by_tiers and not short)
    if spec.bands is not None:
        extra["band"] = an.details[f"{spec.bands.metric}_band"]
    if spec.quick_check and judged is not None and not short:
        extra.update(quick_check(judged.q, spec.quick_check, judged.by_tiers))
    # what the card must say, most important first: why it is not judged, what its number leaves out
    # (merged PRs waiting, squash merges), then a low sample
    caution = "; ".join(filter(None, (short, spec.caution(an) if spec.caution else None, low_sample(c, spec)))) or None
    footnote = because(c, spec, spec.footnote(an) if spec.footnote else None)
    return kpi_card(spec.card.element, spec.title, spec.value(an), spec.fmt, spec.suffix, spec.value(c.previous),
                    prev, reverse_color=spec.lower_is_better, footnote=footnote, caution=caution, muted=bool(short),
                    coloured_change=not (short or too_little(c.previous, spec)) and c.previous_in_data, **extra)


def sla_card(c: Computed, spec: MetricSpec, prev: str, judged: Judged | None = None):
    """SLA compliance; a ``METRICS_SLA_MINUTES`` that cannot be read is its warning, and the number n/a."""
    problem = c.current.details["sla_problem"]
    if problem:
        return kpi_card(spec.card.element, spec.title, None, spec.fmt, spec.suffix, previous_label=prev, caution=problem)
    return metric_card(c, spec, prev, judged)


def overall_tier_card(c: Computed, spec: MetricSpec, prev: str, judged: Judged | None = None):
    """The overall DORA tier, how it moved since the previous period, and its tiers' low samples."""
    now, before = spec.value(c.current), spec.value(c.previous)
    caution = "; ".join(filter(None, (unplaced(c, tiered(METRICS)), low_sample_tiers(c))))
    return overall_card(spec.card.element, spec.title, now, before, tier_change(now, before), caution or None)


def quick_check_overall_card(c: Computed, spec: MetricSpec, prev: str, judged: Judged):
    """The card that replaces the overall tier when the Quick Check judges: the overall score (the
    mean of the four), its change, and where it stands against the baseline's average (the badge:
    "at or above avg 6.7" in the standing's colour); its warning names the scores from low samples."""
    q = judged.q
    average, standing = q["industry_average"]["overall"], q["standing"]["overall"]
    words, colour, badge = STANDINGS[standing] if standing else ("n/a until all four scores are known", None, "vs")
    return kpi_card(spec.card.element, spec.title, spec.value(c.current), spec.fmt, spec.unit,
                    spec.value(c.previous), prev, score=f"{badge} avg {average:.1f}", score_band=colour,
                    score_hint=f"your overall score is {words}: {q['baseline']['name']} average {average:.1f}, "
                               f"{q['edition']} Quick Check",
                    footnote=f"{words} · {q['baseline']['name']} ({q['edition']})",
                    caution="; ".join(filter(None, (unplaced(c, scored_overall(), "score"), low_sample_tiers(c, "score"))))
                    or None)


def scored_overall() -> list[MetricSpec]:
    """The metrics whose Quick Check scores make the overall score (``QUICK_CHECK_OVERALL``)."""
    return [spec for spec in METRICS if spec.quick_check in QUICK_CHECK_OVERALL]


SPECIAL = {"kpi-sla": sla_card, "kpi-overall": overall_tier_card, "kpi-qc-overall": quick_check_overall_card}


def tab_cards(c: Computed, tab: str, group: str | None = None, judged: Judged | None = None, benchmark: str = "") -> list:
    """The cards of ``tab`` (and ``group``), in order; a card for one benchmark only when it is ``benchmark``."""
    prev = f"previous {c.current.window.days} days"
    return [SPECIAL.get(spec.card.element, metric_card)(c, spec, prev, judged)
            for spec in on_tab(METRICS, tab, group) if spec.card.benchmark in ("", benchmark)]
