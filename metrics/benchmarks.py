"""The tier tables of the DORA metrics and the traffic-light bands of the PVM metrics, as data.

One place for every threshold: the tier badges and colour bands on the cards, the threshold lines
on the charts, the console summary and docs/metrics.md all read these tables.

DORA tiers (after the State of DevOps 2023/2024 performance clusters; change failure rate bands
made monotonic): a value reaches the best tier whose bound it meets.

| metric | unit | elite | high | medium | else |
|---|---|---|---|---|---|
| deployment frequency | successful deployments a day | >= 1 | >= 1/7 | >= 1/30 | low |
| lead time (median) | hours | < 24 | < 168 | < 720 | low |
| change failure rate | % | <= 5 | <= 10 | <= 15 | low |
| recovery time (median) | minutes | < 60 | < 1440 | < 10080 | low |

PVM bands: VCR and IAR are better higher (red below the first bound, amber below the second,
green from it); DTR is better lower (green up to the first bound, amber up to the second, red above).
"""
from __future__ import annotations

from dataclasses import dataclass

TIERS = ("elite", "high", "medium", "low")


@dataclass(frozen=True)
class TierTable:
    """One DORA metric's bounds for elite, high and medium; what meets none is low."""

    metric: str
    higher_is_better: bool
    bounds: tuple              # elite, high, medium
    inclusive: bool            # whether a value equal to a bound meets it
    words: tuple               # each tier's threshold in words (the badge's hover text)
    short: tuple               # each bound as a chart label ("<= 5 %")

    def meets(self, value: float, bound: float) -> bool:
        if self.higher_is_better:
            return value >= bound if self.inclusive else value > bound
        return value <= bound if self.inclusive else value < bound

    def tier(self, value: float | None) -> tuple[str | None, str | None]:
        """(tier, its threshold in words) of ``value``; (None, None) when it is n/a."""
        if value is None:
            return None, None
        for name, bound, words in zip(TIERS, self.bounds, self.words):
            if self.meets(value, bound):
                return name, words
        return TIERS[-1], self.words[-1]

    def lines(self) -> list[tuple[float, str]]:
        """(bound, label) of each tier's bound, elite first: the dashed lines a chart draws."""
        return [(bound, f"{name} {short}") for name, bound, short in zip(TIERS, self.bounds, self.short)]


TIER_TABLES = {
    "deployment_frequency": TierTable(
        "deployment_frequency", True, (1.0, 1 / 7, 1 / 30), True,
        (">= 1 deployment a day", ">= 1 deployment a week", ">= 1 deployment a month (30 days)", "< 1 deployment a month"),
        (">= 1 a day", ">= 1 a week", ">= 1 a month")),
    "lead_time": TierTable(
        "lead_time", False, (24.0, 7 * 24.0, 30 * 24.0), False,
        ("median < 24 hours", "median < 7 days", "median < 30 days", "median >= 30 days"),
        ("< 24 h", "< 7 d", "< 30 d")),
    "change_failure_rate": TierTable(
        "change_failure_rate", False, (5.0, 10.0, 15.0), True,
        ("<= 5 %", "<= 10 %", "<= 15 %", "> 15 %"),
        ("<= 5 %", "<= 10 %", "<= 15 %")),
    "recovery_time": TierTable(
        "recovery_time", False, (60.0, 24 * 60.0, 7 * 24 * 60.0), False,
        ("median < 1 hour", "median < 1 day", "median < 7 days", "median >= 7 days"),
        ("< 1 h", "< 1 d", "< 7 d")),
}


def tier(metric: str, value: float | None) -> tuple[str | None, str | None]:
    """(tier, threshold in words) of a DORA metric's value (see ``TIER_TABLES``)."""
    return TIER_TABLES[metric].tier(value)


def overall_tier(tiers: dict[str, str | None]) -> str | None:
    """The worst of the tiers that could be computed (None when none could)."""
    known = [t for t in tiers.values() if t is not None]
    return max(known, key=TIERS.index) if known else None


def tier_change(tier_now: str | None, tier_before: str | None) -> str | None:
    """"better than", "worse than" or "same as" the previous tier; None when either is missing."""
    if tier_now is None or tier_before is None:
        return None
    if tier_now == tier_before:
        return "same as"
    return "better than" if TIERS.index(tier_now) < TIERS.index(tier_before) else "worse than"


@dataclass(frozen=True)
class BandTable:
    """A PVM metric's traffic-light bands: two bounds, and labels for the chart's lines."""

    metric: str
    higher_is_better: bool
    bounds: tuple              # (first, second)
    labels: tuple              # the lines' labels on the chart
    line_bands: tuple          # the colour (band) each line is drawn in

    def band(self, value: float | None) -> str | None:
        """"green", "amber" or "red" for ``value``; None when it is n/a."""
        if value is None:
            return None
        low, high = self.bounds
        if self.higher_is_better:
            return "red" if value < low else "amber" if value < high else "green"
        return "green" if value <= low else "amber" if value <= high else "red"

    def lines(self) -> list[tuple[float, str, str]]:
        """(bound, label, band colour) of each bound, for the chart's dashed lines."""
        return list(zip(self.bounds, self.labels, self.line_bands))


BAND_TABLES = {
    "vcr": BandTable("vcr", True, (200.0, 1000.0), ("200 % default", "1000 % target"), ("amber", "green")),
    "iar": BandTable("iar", True, (10.0, 30.0), ("10 %", "30 % target"), ("amber", "green")),
    "dtr": BandTable("dtr", False, (10.0, 30.0), ("10 % target", "30 % limit"), ("green", "red")),
}


def band(metric: str, value: float | None) -> str | None:
    """The traffic-light band of a PVM metric's value (see ``BAND_TABLES``)."""
    return BAND_TABLES[metric].band(value)


# DORA Quick Check (https://dora.dev/quickcheck/): each answer becomes a 0-10 score. The three
# duration and frequency questions have six answers, worst (1) to best (6), scored
# (answer - 1) / 5 x 10; the percentage questions score (100 - percent) / 10. Source: the Quick
# Check's own code and data in DORA's repository github.com/dora-team/dora.dev
# (svelte/quick-check-2024: lib/data/metrics_question_responses.json, lib/YourPerformance.svelte,
# lib/data/industry_metrics.json; svelte/quick-check: lib/data-service.ts). The answers are words,
# not numbers: the bounds below are this project's reading of them (a month is 30 days, six months
# 180; the frequency answers are intervals between deployments, so "on demand" is more often than
# once an hour).
QUICK_CHECK_EDITION = "2024"
QUICK_CHECK_SOURCE = "https://github.com/dora-team/dora.dev/tree/main/svelte/quick-check-2024"
DURATION_ANSWERS = ("more than six months", "one to six months", "one week to one month", "one day to one week",
                    "less than one day", "less than one hour")
DURATION_BOUNDS_HOURS = (4320.0, 720.0, 168.0, 24.0, 1.0)     # below the bound reaches the next answer
FREQUENCY_ANSWERS = ("fewer than once per six months", "between once per month and once every six months",
                     "between once per week and once per month", "between once per day and once per week",
                     "between once per hour and once per day", "on demand (multiple deploys per day)")
FREQUENCY_BOUNDS_PER_DAY = (1 / 180, 1 / 30, 1 / 7, 1.0, 24.0)  # at or above the bound reaches the next answer
# the published "All industries" averages of the 2024 edition, 0-10, higher is better (the change
# failure rate's 8.3 is the 2024 file's 1.7 on the inverted scale, as svelte/quick-check shows it);
# rework rate joined the Quick Check in 2025, whose averages are not taken here (see docs/metrics.md)
QUICK_CHECK_AVERAGES = {"lead_time": 5.1, "deployment_frequency": 5.3, "failed_deployment_recovery_time": 7.5,
                        "change_failure_rate": 8.3, "overall": 6.7}
QUICK_CHECK_OVERALL = ("lead_time", "deployment_frequency", "failed_deployment_recovery_time", "change_failure_rate")


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
    """The Quick Check scores (0-10, None when n/a) of measured values, their answers in words,
    the overall score (mean of the four the 2024 edition averages; None unless all four are known)
    and the published industry averages."""
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
    return {"edition": QUICK_CHECK_EDITION, "source": QUICK_CHECK_SOURCE, "scores": scores, "answers": words,
            "industry_average": dict(QUICK_CHECK_AVERAGES)}


# DORA's current grouping of the software delivery metrics (State of DevOps 2024 on): throughput
# and instability
DORA_GROUPS = {"throughput": ("lead_time", "deployment_frequency", "failed_deployment_recovery_time"),
               "instability": ("change_failure_rate", "rework_rate")}
