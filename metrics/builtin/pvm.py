"""The platform value metrics (METRICS.md section 5), declared once each, in the order of the
summary's keys; their computations are ``metrics.compute.pvm``'s, read through the shared ``Context``."""
from __future__ import annotations

from ..benchmarks import BAND_TABLES
from ..registry.metric import Card, Console, Sample, Says, declarer

METRICS: list = []
declare = declarer(METRICS, "pvm")


def _s(an) -> dict:
    return an.summary["pvm"]


def _vcr_footnote(an) -> str:
    s, infra = _s(an), an.details["infra_cost_usd"]
    return (f"${s['total_value_usd']:,.0f} value / ${s['total_cost_usd']:,.0f} cost"
            + (f" (${infra:,.0f} infrastructure)" if infra else ""))


declare("vcr_pct", reads="value_cost", label="VCR: value to cost", unit="%", fmt="{:,.0f}", bands=BAND_TABLES["vcr"],
        details=lambda c: {"infra_cost_usd": c.value_cost["infra_cost_usd"]},
        definition="Value to cost ratio: value / cost x 100; value = successful deployments x value per deployment; "
                   "cost = (platform hours + incident response hours + toil hours + on-call hours) x hourly rate "
                   "+ infrastructure cost.",
        card=Card("kpi-vcr", "pvm", 1), footnote=_vcr_footnote,
        console=Console(1, "VCR: {vcr_pct:.0f|%} | Platform hours invested: {platform_hours:.0f}"))


declare("total_value_usd", reads="value_cost", label="Value", unit="USD", fmt="{:,.0f}",
        definition="VCR's value: successful deployments x value per deployment (an assumption).")


declare("total_cost_usd", reads="value_cost", label="Cost", unit="USD", fmt="{:,.0f}", lower_is_better=True,
        definition="VCR's cost: (platform, incident response, toil and on-call hours) x hourly rate + infrastructure cost.")


declare("platform_hours", reads="value_cost", label="Platform hours", unit="h", fmt="{:,.0f}", lower_is_better=True,
        needs=("platform_investment_hour",),
        details=lambda c: {"deploys_per_platform_hour": c.impact["deploys_per_platform_hour"]},
        definition="Impact: hours of platform investment (`platform_investment_hour` events) in the window; "
                   "successful deployments per platform hour beside it.",
        card=Card("kpi-platform-hours", "pvm", 4),
        footnote=Says("{deploys_per_platform_hour:.2f} deploys per platform hour"))


declare("iar_pct", reads="adoption", label="IAR: adoption growth", unit="%", fmt="{:+.1f}", needs=("deploy",),
        bands=BAND_TABLES["iar"],
        details=lambda c: {"iar_half_days": c.adoption["half_days"]},
        definition="Innovation adoption rate: (adoption now - adoption before) / adoption before x 100, adoption "
                   "measured by successful deployments: the last `days // 2` days against the first `days // 2`; "
                   "n/a when there were none before.",
        sample=Sample("successful deploys in the first half", lambda an: _s(an)["first_period_deploys"]),
        card=Card("kpi-iar", "pvm", 2),
        footnote=Says("{first_period_deploys} → {second_period_deploys} successful deploys ({iar_half_days}-day halves)"),
        console=Console(2, "IAR: {iar_pct:.1f|%} | First period: {first_period_deploys} deploys | Second period: "
                           "{second_period_deploys} deploys"))


declare("first_period_deploys", reads="adoption", label="IAR: first half's deployments", fmt="{:,}",
        definition="Successful deployments in the first `days // 2` days of the window (IAR's base).")


declare("second_period_deploys", reads="adoption", label="IAR: second half's deployments", fmt="{:,}",
        definition="Successful deployments in the last `days // 2` days of the window.")


def _dtr_details(c) -> dict:
    t = c.toil_ratio
    return {k: t[k] for k in ("capacity_minutes", "on_call_hours", "on_call_share_of_toil_pct", "on_call_dtr_points")}


declare("dtr_pct", reads="toil_ratio", label="DTR: toil ratio", unit="%", lower_is_better=True, bands=BAND_TABLES["dtr"],
        needs=("toil|incident_response|on_call_hours",), details=_dtr_details,
        definition="Developer toil ratio: toil / feature x 100; toil = minutes of `incident_response` and `toil` "
                   "events + 60 x on-call hours; feature = team size x working hours x working days x 60 - toil; "
                   "n/a when toil reaches capacity.",
        card=Card("kpi-dtr", "pvm", 3),
        footnote=Says("{toil_minutes:,.0f} toil min / {feature_minutes:,.0f} feature min (capacity "
                      "{capacity_minutes:,.0f} min)"),
        console=Console(3, "DTR: {dtr_pct:.1f|%} | Toil: {toil_minutes:.0f| min} | Feature: {feature_minutes:.0f| min}"))


declare("toil_minutes", reads="toil_ratio", label="Toil", unit="min", fmt="{:,.0f}", lower_is_better=True,
        definition="DTR's toil: minutes of `incident_response` and `toil` events + 60 x on-call hours.")


declare("feature_minutes", reads="toil_ratio", label="Feature time", unit="min", fmt="{:,.0f}",
        definition="DTR's feature time: capacity (team size x working hours x working days x 60) - toil.")


declare("onboarding_weeks_mean", reads="impact", label="Weeks to productivity", unit="wk", lower_is_better=True,
        details=lambda c: {"onboardings": c.impact["onboardings"]},
        definition="Impact: mean weeks to productivity of the window's `onboarding_complete` events.",
        card=Card("kpi-onboarding", "pvm", 5), footnote=Says("{onboardings} onboardings"))
