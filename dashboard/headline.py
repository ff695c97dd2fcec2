"""The headline at the top of the page: one sentence per framework (DORA, SPACE, platform value)
saying what changed most against the previous period, what is good and what needs attention, from
the very numbers, tiers and bands the cards show (a manager should know in ten seconds where to
look). Pure: analyses in, sentences out."""
from __future__ import annotations

from components.kpi import change
from metrics.builtin import METRICS
from metrics.registry.metric import MetricSpec, on_tab

from .data import Computed

FRAMEWORKS = {"dora": "Delivery (DORA)", "space": "Developers (SPACE)", "pvm": "Platform value"}
GOOD_TIERS, BAD_TIERS = ("elite", "high"), ("medium", "low")
GOOD_BANDS, BAD_BANDS = ("green",), ("red",)


def shown(spec: MetricSpec, value) -> str:
    """A value as its card writes it: "9.0 h", "22.0 %", "0.43 /day"."""
    return spec.fmt.format(value) + spec.suffix


def short_of_evidence(c: Computed, spec: MetricSpec) -> bool:
    """Whether either period holds too little evidence for the metric's change to mean anything
    (METRICS.md section 3: the analysis's ``evidence``)."""
    return any(spec.key in an.summary.get("evidence", {}) for an in (c.current, c.previous))


def lowered(title: str) -> str:
    """A card's title inside a sentence: "lead time (median)", but "VCR: value to cost"."""
    return title[0].lower() + title[1:] if title[1:2].islower() else title


def moved(c: Computed, tab: str) -> list[tuple[float, MetricSpec, float, float]]:
    """The tab's computed metrics that have a positive value in both periods and enough evidence,
    with their relative change (a fraction), largest first; a value that can be negative (a growth
    rate) or was 0 has no relative change."""
    found = []
    if not c.previous_in_data:                 # the period before the data: nothing to compare with
        return found
    for spec in on_tab(METRICS, tab):
        if spec.compute is None or short_of_evidence(c, spec):
            continue
        now, before = spec.value(c.current), spec.value(c.previous)
        if now is None or before is None or before <= 0 or now < 0 or now == before:
            continue
        found.append((abs(now - before) / abs(before), spec, now, before))
    return sorted(found, key=lambda f: -f[0])


def change_words(spec: MetricSpec, now: float, before: float) -> str:
    """"lead time (median) doubled to 9.0 h (worse)", "deployment frequency fell 40 % to 0.6 /day (worse)"."""
    ratio = now / before if before else None
    if ratio is not None and ratio >= 2:
        how = "doubled" if ratio < 3 else f"rose {ratio:.0f}-fold"
    elif ratio is not None and 0 < ratio <= 0.5:
        how = "halved" if ratio > 1 / 3 else f"fell {1 / ratio:.0f}-fold"
    else:
        how = ("rose " if now > before else "fell ") + change(now, before, spec.unit)[0].lstrip("+-")
    better = (now > before) != spec.lower_is_better
    return f"{lowered(spec.title)} {how} to {shown(spec, now)} ({'better' if better else 'worse'})"


def judged(c: Computed, tab: str) -> tuple[list[str], list[str]]:
    """What the tab's tiers and bands call good and what they call bad: the keys in the best tier
    when it is elite or high ("deployment frequency elite (6.64 /day)"), those in the worst when it
    is medium or low, the metrics in a green band and in a red one ("VCR: value to cost 45%");
    nothing for a metric without a tier or band."""
    good, bad = [], []
    an = c.current
    tiers = an.summary["dora"]["tiers"]
    placed = [(spec, tiers[spec.tiers.metric]) for spec in on_tab(METRICS, tab)
              if spec.tiers is not None and tiers[spec.tiers.metric] is not None]
    ranks = ("elite", "high", "medium", "low")
    best = min((ranks.index(tier) for _, tier in placed), default=None)
    worst = max((ranks.index(tier) for _, tier in placed), default=None)
    for spec, tier in placed:
        said = f"{spec.tiers.metric.replace('_', ' ')} {tier} ({shown(spec, spec.value(an))})"
        if tier in GOOD_TIERS and ranks.index(tier) == best:
            good.append(said)
        elif tier in BAD_TIERS and ranks.index(tier) == worst:
            bad.append(said)
    for spec in on_tab(METRICS, tab):
        value = spec.value(an) if spec.compute is not None else None
        if spec.bands is not None and value is not None:
            colour = an.details[f"{spec.bands.metric}_band"]
            said = f"{spec.title} {shown(spec, value)}"
            (good if colour in GOOD_BANDS else bad if colour in BAD_BANDS else []).append(said)
    return good, bad


def sentence(c: Computed, tab: str) -> str:
    """One framework's headline: what changed most, what is good, what needs attention (and, for
    DORA, the merged PRs waiting for a release)."""
    parts = []
    overall = c.current.summary["dora"]["tiers"]["overall"] if tab == "dora" else None
    if overall:
        parts.append(f"overall {overall.upper()}")
    changes = moved(c, tab)
    if changes:
        parts.append(change_words(*changes[0][1:]))
    good, bad = judged(c, tab)
    if not good and not bad and len(changes) > 1:          # no tiers or bands: the best and worst moves say it
        better = [f for f in changes if (f[2] > f[3]) != f[1].lower_is_better]
        worse = [f for f in changes if (f[2] > f[3]) == f[1].lower_is_better]
        good = [change_words(f[1], f[2], f[3]) for f in better[:1] if f is not changes[0]]
        bad = [change_words(f[1], f[2], f[3]) for f in worse[:1] if f is not changes[0]]
    if good:
        parts.append("good: " + ", ".join(good))
    if bad:
        parts.append("needs attention: " + ", ".join(bad))
    waiting = c.current.summary["dora"]["merged_prs_not_deployed"] if tab == "dora" else None
    if waiting:
        parts.append(f"{waiting} merged PR{'s' if waiting != 1 else ''} wait{'s' if waiting == 1 else ''} for a release")
    if not parts:
        return f"{FRAMEWORKS[tab]}: nothing to compare yet (no figures with a previous period)."
    text = "; ".join(parts)
    return f"{FRAMEWORKS[tab]}: {text[0].upper()}{text[1:]}."


def headline(c: Computed) -> list[str]:
    """The headline's sentences, DORA first."""
    return [sentence(c, tab) for tab in FRAMEWORKS]
