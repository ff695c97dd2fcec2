"""The tier tables of the DORA metrics and the traffic-light bands of the PVM metrics, as data.

One place for every threshold: the bounds below. The tier badges and their hover texts, the colour
bands on the cards, the threshold lines and their labels on the charts, the console summary and
docs/metrics.md's tier and band tables (``python -m metrics metrics --markdown``) all derive from
them; the words are said from the bounds and their unit (``metrics.units``).

DORA tiers (after the State of DevOps 2023/2024 performance clusters; change failure rate bands
made monotonic): a value reaches the best tier whose bound it meets. PVM bands: VCR and IAR are
better higher (red below the first bound, amber below the second, green from it); DTR is better
lower (green up to the first bound, amber up to the second, red above).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import units

TIERS = ("elite", "high", "medium", "low")


@dataclass(frozen=True)
class TierTable:
    """One DORA metric's bounds for elite, high and medium; what meets none is low. ``unit`` is the
    bounds' unit (``metrics.units``), ``statistic`` what the tier is placed by ("median"),
    ``counts`` what a rate counts ("deployment"): the hover texts and chart labels derive from them."""

    metric: str
    higher_is_better: bool
    bounds: tuple              # elite, high, medium
    inclusive: bool            # whether a value equal to a bound meets it
    unit: str
    statistic: str = ""
    counts: str = ""

    def meets(self, value: float, bound: float) -> bool:
        if self.higher_is_better:
            return value >= bound if self.inclusive else value > bound
        return value <= bound if self.inclusive else value < bound

    def operators(self) -> tuple[str, str]:
        """(meets a bound, misses the last one): ">=" and "<", or "<" and ">=" ..."""
        if self.higher_is_better:
            return (">=", "<") if self.inclusive else (">", "<=")
        return ("<=", ">") if self.inclusive else ("<", ">=")

    @property
    def words(self) -> tuple:
        """Each tier's threshold in words, the badge's hover text: "median < 7 days", ">= 1
        deployment a week", "<= 5 %", and the low tier's "> 15 %"."""
        meet, miss = self.operators()
        lead = f"{self.statistic} " if self.statistic else ""
        said = [units.amount(b, self.unit, counts=self.counts) for b in self.bounds]
        return tuple(f"{lead}{meet} {s}" for s in said) + (f"{lead}{miss} {said[-1]}",)

    @property
    def short(self) -> tuple:
        """Each bound as a chart label: "<= 5 %", "< 7 d", ">= 1 a week"."""
        meet = self.operators()[0]
        return tuple(f"{meet} {units.amount(b, self.unit, short=True)}" for b in self.bounds)

    def tier(self, value: float | None) -> tuple[str | None, str | None]:
        """(tier, its threshold in words) of ``value``; (None, None) when it is n/a."""
        if value is None:
            return None, None
        words = self.words
        for name, bound, said in zip(TIERS, self.bounds, words):
            if self.meets(value, bound):
                return name, said
        return TIERS[-1], words[-1]

    def lines(self) -> list[tuple[float, str]]:
        """(bound, label) of each tier's bound, elite first: the dashed lines a chart draws."""
        return [(bound, f"{name} {short}") for name, bound, short in zip(TIERS, self.bounds, self.short)]


TIER_TABLES = {
    "deployment_frequency": TierTable("deployment_frequency", True, (1.0, 1 / 7, 1 / 30), True, "/day",
                                      counts="deployment"),
    "lead_time": TierTable("lead_time", False, (24.0, 7 * 24.0, 30 * 24.0), False, "h", "median"),
    "change_failure_rate": TierTable("change_failure_rate", False, (5.0, 10.0, 15.0), True, "%"),
    "recovery_time": TierTable("recovery_time", False, (60.0, 24 * 60.0, 7 * 24 * 60.0), False, "min", "median"),
}


def overall_tier(tiers: dict[str, str | None]) -> str | None:
    """The worst of the tiers; None unless every one of them could be placed (METRICS.md section 3:
    the overall tier needs all four)."""
    known = [t for t in tiers.values() if t is not None]
    return max(known, key=TIERS.index) if known and len(known) == len(tiers) else None


def tier_change(tier_now: str | None, tier_before: str | None) -> str | None:
    """"better than", "worse than" or "same as" the previous tier; None when either is missing."""
    if tier_now is None or tier_before is None:
        return None
    if tier_now == tier_before:
        return "same as"
    return "better than" if TIERS.index(tier_now) < TIERS.index(tier_before) else "worse than"


@dataclass(frozen=True)
class BandTable:
    """A PVM metric's traffic-light bands: two bounds (in ``unit``), and the band each bound's line
    on the chart is drawn in; a line's label says its bound and what the band makes it (``LINE_WORDS``)."""

    metric: str
    higher_is_better: bool
    bounds: tuple              # (first, second)
    line_bands: tuple          # the colour (band) each line is drawn in
    unit: str = "%"

    def band(self, value: float | None) -> str | None:
        """"green", "amber" or "red" for ``value``; None when it is n/a."""
        if value is None:
            return None
        low, high = self.bounds
        if self.higher_is_better:
            return "red" if value < low else "amber" if value < high else "green"
        return "green" if value <= low else "amber" if value <= high else "red"

    @property
    def labels(self) -> tuple:
        """The lines' labels on the chart: "200 % default", "1000 % target", "30 % limit"."""
        return tuple(f"{units.amount(b, self.unit)} {LINE_WORDS[colour]}" for b, colour in zip(self.bounds, self.line_bands))

    def ranges(self) -> list[tuple[str, str]]:
        """(band, its range in words), worst first for a metric better higher, best first otherwise:
        [("red", "< 200 %"), ("amber", ">= 200 % and < 1000 %"), ("green", ">= 1000 %")]."""
        low, high = (units.amount(b, self.unit) for b in self.bounds)
        if self.higher_is_better:
            return [("red", f"< {low}"), ("amber", f">= {low} and < {high}"), ("green", f">= {high}")]
        return [("green", f"<= {low}"), ("amber", f"> {low} and <= {high}"), ("red", f"> {high}")]

    def lines(self) -> list[tuple[float, str, str]]:
        """(bound, label, band colour) of each bound, for the chart's dashed lines."""
        return list(zip(self.bounds, self.labels, self.line_bands))


LINE_WORDS = {"green": "target", "amber": "default", "red": "limit"}   # what a line in that colour marks (seed docs)
BAND_TABLES = {
    "vcr": BandTable("vcr", True, (200.0, 1000.0), ("amber", "green")),
    "iar": BandTable("iar", True, (10.0, 30.0), ("amber", "green")),
    "dtr": BandTable("dtr", False, (10.0, 30.0), ("green", "red")),
}


def band(metric: str, value: float | None) -> str | None:
    """The traffic-light band of a PVM metric's value (see ``BAND_TABLES``)."""
    return BAND_TABLES[metric].band(value)


# DORA Quick Check (https://dora.dev/quickcheck/): each answer becomes a 0-10 score. The three
# duration and frequency questions have six answers, worst (1) to best (6), scored
# (answer - 1) / 5 x 10; the percentage questions score (100 - percent) / 10. Source: the Quick
# Check's own code and data in DORA's repository github.com/dora-team/dora.dev
# (svelte/quick-check-2024: lib/data/metrics_question_responses.json, lib/YourPerformance.svelte,
# lib/data/industry_metrics.json; svelte/quick-check-2023 scores the same way). The answers are
# words, not numbers: the bounds below are this project's reading of them (a month is 30 days, six
# months 180; the frequency answers are intervals between deployments, so "on demand" is more often
# than once an hour).
DURATION_ANSWERS = ("more than six months", "one to six months", "one week to one month", "one day to one week",
                    "less than one day", "less than one hour")
DURATION_BOUNDS_HOURS = (4320.0, 720.0, 168.0, 24.0, 1.0)     # below the bound reaches the next answer
FREQUENCY_ANSWERS = ("fewer than once per six months", "between once per month and once every six months",
                     "between once per week and once per month", "between once per day and once per week",
                     "between once per hour and once per day", "on demand (multiple deploys per day)")
FREQUENCY_BOUNDS_PER_DAY = (1 / 180, 1 / 30, 1 / 7, 1.0, 24.0)  # at or above the bound reaches the next answer
QUICK_CHECK_OVERALL = ("lead_time", "deployment_frequency", "failed_deployment_recovery_time", "change_failure_rate")

# The benchmarks a DORA card can be judged by: the tier tables above (the State of DevOps clusters,
# this project's first benchmark, kept selectable) or the Quick Check's score against a published
# baseline (``BASELINES``).
BENCHMARKS = {"tiers": "DORA tiers (elite, high, medium, low)",
              "quick-check": "DORA Quick Check scores (0-10) against a published average"}

# How a score stands against a baseline's mean and standard deviation, best first: the sentence
# each standing is shown with, its traffic-light colour and its badge's words. A score is judged as
# it is shown, to one decimal (the averages are published to one or two).
STANDINGS = {"above": ("at or above the average", "green", "at or above"),
             "near": ("below the average, within one standard deviation", "amber", "just below"),
             "below": ("more than one standard deviation below the average", "red", "below")}
NEAR_STDS = 1.0            # how many standard deviations below the mean still count as "near"
SCORE_DECIMALS = 1


def standing(score: float | None, mean: float, std: float) -> str | None:
    """"above" (the score, to one decimal, >= mean), "near" (within ``NEAR_STDS`` standard
    deviations below) or "below"; None when the score is n/a."""
    if score is None:
        return None
    shown = round(score, SCORE_DECIMALS)
    if shown >= mean:
        return "above"
    return "near" if shown >= round(mean - NEAR_STDS * std, 2) else "below"   # (8.3 - 2.0 is 6.300000000000001)


@dataclass(frozen=True)
class Baseline:
    """One published Quick Check average to compare with: an edition's industry or organisation
    size group, its means and standard deviations on the 0-10 scale (higher is better)."""

    key: str                   # "2024", "2024/technology", "2024/size/fewer_than_100", "2023" ...
    edition: str
    group: str                 # "industry" or "size"
    name: str                  # DORA's own name: "All industries", "20 to 99 employees"
    source: str
    means: dict
    stds: dict

    @property
    def title(self) -> str:
        """How a selector and the console name it: "Technology (2024 Quick Check)", "20 to 99
        employees (2024 Quick Check, organisation size)"."""
        return f"{self.name} ({self.edition} Quick Check{', organisation size' if self.group == 'size' else ''})"


# DORA's keys in its data files -> this project's metric names
_QUICK_CHECK_KEYS = {"leadtime": "lead_time", "deployfreq": "deployment_frequency",
                     "failurerecovery": "failed_deployment_recovery_time", "changefailure": "change_failure_rate",
                     "performance_average": "overall"}


def _load_baselines() -> dict:
    """Every baseline of quick_check_baselines.json (DORA's numbers as published), keyed
    EDITION[/GROUP-KEY], newest edition first; "all" of the industry group is the edition itself."""
    data = json.loads((Path(__file__).with_name("quick_check_baselines.json")).read_text(encoding="utf-8"))
    found = {}
    for edition, about in sorted(data["editions"].items(), reverse=True):
        for group, listed in about["groups"].items():
            for key, row in listed["baselines"].items():
                if group == "size" and key == "all":
                    continue                       # the same respondents as the industries' "all"
                means = {ours: row[theirs]["mean"] for theirs, ours in _QUICK_CHECK_KEYS.items()}
                if about["changefailure_scale"] == "failure":   # 2024 draws the change failure rate the other way up
                    means["change_failure_rate"] = round(10 - means["change_failure_rate"], 2)
                name = edition if key == "all" else f"{edition}/{key}" if group == "industry" else \
                    f"{edition}/size/{key}"
                found[name] = Baseline(name, edition, group, row["name"], listed["source"], means,
                                       {ours: row[theirs]["std"] for theirs, ours in _QUICK_CHECK_KEYS.items()})
    return found


BASELINES = _load_baselines()


class BenchmarkError(ValueError):
    """A benchmark or baseline that does not exist; the message says which do."""


def baseline(key: str) -> Baseline:
    """The baseline named ``key`` (see ``BASELINES``), or BenchmarkError in one sentence."""
    found = BASELINES.get(str(key).strip())
    if found is None:
        editions = sorted({b.edition for b in BASELINES.values()}, reverse=True)
        raise BenchmarkError(f"\u201c{str(key)[:60]}\u201d is not a Quick Check baseline: give an edition "
                             f"({', '.join(editions)}), or one with an industry (2024/technology) or an organisation "
                             f"size (2024/size/fewer_than_100); python -m metrics baselines lists all {len(BASELINES)}.")
    return found


def benchmark(name: str) -> str:
    """``name`` when it is a benchmark (``BENCHMARKS``), else BenchmarkError in one sentence."""
    name = str(name).strip()
    if name not in BENCHMARKS:
        raise BenchmarkError(f"\u201c{name[:40]}\u201d is not a benchmark: choose {' or '.join(BENCHMARKS)}.")
    return name


def _answer_score(answer: int) -> float:
    """A six-answer question's score: answer 1 (worst) to 6 (best) onto 0 to 10."""
    return (answer - 1) / 5 * 10


def duration_answer(hours: float | None) -> int | None:
    """The Quick Check answer (1-6) for a lead time or recovery time in hours."""
    if hours is None:
        return None
    return 1 + sum(hours < bound for bound in DURATION_BOUNDS_HOURS)


def frequency_answer(per_day: float | None) -> int | None:
    """The Quick Check answer (1-6) for an average number of deployments a day."""
    if per_day is None:
        return None
    return 1 + sum(per_day >= bound for bound in FREQUENCY_BOUNDS_PER_DAY)


def percent_score(pct: float | None) -> float | None:
    """A percentage question's score: 0 % scores 10, 100 % scores 0."""
    return None if pct is None else (100.0 - min(max(pct, 0.0), 100.0)) / 10


def quick_check(lead_time_hours, deploys_per_day, recovery_minutes, cfr_pct, rework_pct) -> dict:
    """The Quick Check scores (0-10, None when n/a) of measured values, their answers in words and
    the overall score (mean of the four the Quick Check averages; None unless all four are known)."""
    answers = {"lead_time": duration_answer(lead_time_hours),
               "deployment_frequency": frequency_answer(deploys_per_day),
               "failed_deployment_recovery_time": duration_answer(None if recovery_minutes is None
                                                                  else recovery_minutes / 60)}
    scores = {k: None if a is None else _answer_score(a) for k, a in answers.items()}
    scores["change_failure_rate"] = percent_score(cfr_pct)
    scores["rework_rate"] = percent_score(rework_pct)
    four = [scores[k] for k in QUICK_CHECK_OVERALL]
    scores["overall"] = None if None in four else sum(four) / len(four)
    words = {k: None if a is None else (FREQUENCY_ANSWERS if k == "deployment_frequency" else DURATION_ANSWERS)[a - 1]
             for k, a in answers.items()}
    return {"scores": scores, "answers": words}


def against(quick: dict, base: Baseline) -> dict:
    """``quick`` (``quick_check``'s scores) compared with a published baseline: its averages and
    standard deviations, and each score's standing (``standing``); rework rate has no published
    average, so no standing."""
    return {**quick, "edition": base.edition, "source": base.source,
            "baseline": {"key": base.key, "name": base.name, "group": base.group, "edition": base.edition},
            "industry_average": dict(base.means), "industry_std": dict(base.stds),
            "standing": {k: standing(quick["scores"].get(k), base.means[k], base.stds[k]) for k in base.means}}


# DORA's current grouping of the software delivery metrics (State of DevOps 2024 on): throughput
# and instability
DORA_GROUPS = {"throughput": ("lead_time", "deployment_frequency", "failed_deployment_recovery_time"),
               "instability": ("change_failure_rate", "rework_rate")}
