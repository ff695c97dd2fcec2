"""The console summary of METRICS.md section 7: the seed documents' lines plus lead time, CFR,
rework and tiers; ``n/a`` wherever a value cannot be computed."""
from __future__ import annotations

from . import defaults
from .analysis import Analysis
from .benchmarks import STANDINGS, Baseline, baseline
from .builtin import METRICS
from .registry.metric import SECTIONS, tier_label, tiered
from .series import clean
from .units import say


def fmt(value, spec: str = ".1f", suffix: str = "") -> str:
    """A number formatted with ``spec`` and ``suffix``, or ``n/a``."""
    return say(value, "{:" + spec + "}", suffix)


def text_lines(an: Analysis, header: str | None = None, base: Baseline | None = None) -> list[str]:
    """The summary as console lines: per section its title, then each metric's line (the metrics
    declared with a ``Console`` line, in their order), for DORA the tiers and the Quick Check
    scores against ``base`` (default: the default baseline)."""
    w = an.summary["window"]
    lines = [header or f"Window: {w['start'][:10]} to {w['end'][:10]} ({w['days']} days)"]
    for section in ("dora", "space", "pvm"):
        lines += ["", f"--- {SECTIONS[section]} ---"]
        declared = sorted((s for s in METRICS if s.section == section and s.console), key=lambda s: s.console.order)
        lines += [spec.console.text(an) for spec in declared]
        if section == "dora":
            lines += [tiers_line(an), *evidence_lines(an), *current_dora_lines(an, base)]
    return lines


def tiers_line(an: Analysis) -> str:
    """"Tiers: deployment frequency high | lead time elite | ... | overall HIGH"."""
    tiers = an.summary["dora"]["tiers"]
    return ("Tiers: " + " | ".join(f"{tier_label(s)} {tiers[s.tiers.metric] or 'n/a'}" for s in tiered(METRICS))
            + f" | overall {(tiers['overall'] or 'n/a').upper()}")


def evidence_lines(an: Analysis) -> list[str]:
    """"Too little evidence: lead time (median): 4 deployed PRs: a tier needs at least 5 | ...": the
    metrics given no tier or score for want of events (METRICS.md section 3), or nothing."""
    short = an.summary.get("evidence", {})
    labels = {spec.key: spec.label for spec in METRICS}
    return ["Too little evidence: " + " | ".join(f"{labels[key].lower()}: {why}" for key, why in short.items())] \
        if short else []


def current_dora_lines(an: Analysis, base: Baseline | None = None) -> list[str]:
    """DORA's current definitions: failed deployment recovery time, the two groups and the Quick
    Check scores with the averages of ``base`` (default: ``defaults.BASELINE``)."""
    base = base or baseline(defaults.BASELINE)
    f, q = an.details["failed_deployment_recovery"], an.current_dora(base)["quick_check"]
    sc, avg = q["scores"], q["industry_average"]
    overall_standing = q["standing"]["overall"]

    def score(key, label):
        return f"{label} {fmt(sc[key])}" + (f" (avg {avg[key]:.1f})" if key in avg else "")
    return [
        f"Failed deployment recovery time: median {fmt(f['recovery_minutes_median'], '.1f', ' min')} | "
        f"avg {fmt(f['recovery_minutes_mean'], '.1f', ' min')} | {f['incidents']} incidents attributed to a deployment",
        f"Quick Check ({q['edition']}, 0-10) throughput: " + " | ".join(score(k, w) for k, w in (
            ("lead_time", "lead time"), ("deployment_frequency", "deployment frequency"),
            ("failed_deployment_recovery_time", "recovery"))) + " -- instability: " + " | ".join(
            score(k, w) for k, w in (("change_failure_rate", "change failure rate"), ("rework_rate", "rework")))
        + f" -- overall {fmt(sc['overall'], suffix='/10')} (avg {avg['overall']:.1f}"
        + (f": {STANDINGS[overall_standing][0]}" if overall_standing else "") + ")"
        + f" -- averages: {base.title}",
    ]


def to_json(an: Analysis, base: Baseline | None = None, custom: dict | None = None) -> dict:
    """The ``--json`` object of ``python -m metrics`` and ``/api/v1/summary``: the summary (exactly
    the keys of METRICS.md section 7, ``missing`` when the data lacks a source), DORA's current
    definitions against ``base`` (``Analysis.current_dora``) and, when plug-ins are named, the
    custom metrics (``custom``: name -> ``metrics.plugins.Result``) under ``"custom"``; the cycle-time
    stages per period (``cycle_time``) and, for a window of ``defaults.MONTHLY_MIN_DAYS`` days or more,
    the monthly trends (``trends``). ``size_relation``: lead time by PR size bin and change failure
    rate by deployment batch size bin (docs/metrics.md). ``ai``: AI-assisted against other PRs and
    deployments, adoption per week, DORA's AI capabilities (``Analysis.ai_comparison``)."""
    body = dict(an.summary) | an.current_dora(base) | {"cycle_time": cycle_time_json(an),
                                                       "size_relation": an.details["size_relation"],
                                                       "ai": an.ai_comparison}
    if an.trends is not None:
        body["trends"] = trends_json(an.trends)
    if custom is not None:
        body["custom"] = {name: result.to_json() for name, result in custom.items()}
    return body


def _rows(frame, columns) -> list[dict]:
    """Each row of ``frame`` as a JSON object: ``start`` and ``end`` as ISO times ("...Z"), the
    ``columns`` as numbers (None where NaN)."""
    def when(t) -> str:
        return t.isoformat().replace("+00:00", "Z")
    return [{"start": when(row["start"]), "end": when(row["end"]), **{k: clean(row[k]) for k in columns}}
            for row in frame.to_dict("records")]


def cycle_time_json(an: Analysis) -> dict:
    """``--json``'s ``cycle_time``: the period of the stages' medians (``bucket``: "week" or
    "month"), one object per period (``periods``: start, end, days, prs, and per stage its median
    hours and the PRs it stands on), and why a stage is n/a over the window (``not_available``)."""
    periods = an.stage_periods()
    columns = [c for c in periods.columns if c not in ("start", "end")]
    return {"bucket": an.stage_bucket, "periods": _rows(periods, columns), "not_available": an.stages_not_available()}


def trends_json(trends: dict) -> list[dict]:
    """``--json``'s ``trends``: one object per calendar month of the window (``month``: "2026-01",
    start, end, days, each of ``TREND_KEYS`` and the counts they stand on) with ``previous_year``:
    the same for that month a year earlier, or None where the data holds nothing then."""
    months, before = trends["months"], trends["previous_year"]
    columns = [c for c in months.columns if c not in ("start", "end")]
    rows = _rows(months, columns)
    earlier = _rows(before, columns) if before is not None else [None] * len(rows)
    return [{"month": f"{start:%Y-%m}", **row, "previous_year": then}
            for start, row, then in zip(months["start"], rows, earlier)]
