"""Platform value metrics (METRICS.md section 5): VCR, IAR, DTR and the impact summary."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import defaults
from ..schema import NS_PER_DAY
from ..series import mean, pct, ratio
from ..tables import EventTables
from ..window import Window


@dataclass(frozen=True)
class Assumptions:
    """The PVM assumptions, each changeable by the user (defaults in ``metrics.defaults``)."""

    hourly_rate: float = defaults.HOURLY_RATE          # USD per hour of platform, response and toil work
    value_per_deploy: float = defaults.VALUE_PER_DEPLOY  # USD of value per successful deployment
    team_size: int = defaults.TEAM_SIZE                # developers whose capacity DTR is measured against
    hours_per_day: float = defaults.HOURS_PER_DAY      # working hours a day
    workweek: str = defaults.WORKWEEK

    def check(self) -> None:
        """Raise ValueError (``defaults.CheckError``) for an assumption no computation can use."""
        for name in ("hourly_rate", "value_per_deploy"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.integer, np.floating)):
                raise defaults.CheckError(f"{name.replace('_', ' ')} must be a number, got {value!r}")
            defaults.amount(name.replace("_", " "), value)
        defaults.team_size(self.team_size, text_ok=False)
        if not isinstance(self.hours_per_day, (int, float)) or isinstance(self.hours_per_day, bool) \
                or not 0 < self.hours_per_day <= 24:
            raise defaults.CheckError(f"hours per day must be above 0 and at most 24, got {self.hours_per_day!r}")
        try:
            np.busday_count("2024-01-01", "2024-01-08", weekmask=self.workweek)
        except ValueError:
            raise ValueError(f"workweek must name days like 'Mon Tue Wed Thu Fri', got {self.workweek!r}") from None


def _in(table: pd.DataFrame, window: Window) -> pd.DataFrame:
    return table[window.contains(table["ts"].to_numpy())]


def vcr(successful_deployments: int, tables: EventTables, window: Window, a: Assumptions) -> dict:
    """VCR = value / cost x 100; value = successful deployments x value per deployment;
    cost = (platform hours + incident response hours + toil hours + on-call hours) x hourly rate
    + infrastructure cost (``infra_cost`` events, USD)."""
    platform_hours = float(_in(tables.platform, window)["hours"].sum())
    response_minutes = float(_in(tables.response, window)["minutes"].sum())
    toil_minutes = float(_in(tables.toil, window)["minutes"].sum())
    on_call_hours = float(_in(tables.on_call, window)["hours"].sum())
    infra_usd = float(_in(tables.infra, window)["usd"].sum())
    value = successful_deployments * a.value_per_deploy
    cost = (platform_hours + (response_minutes + toil_minutes) / 60.0 + on_call_hours) * a.hourly_rate + infra_usd
    v = pct(value, cost)
    return {"vcr_pct": v, "total_value_usd": value, "total_cost_usd": cost,
            "platform_hours": platform_hours, "infra_cost_usd": infra_usd}


def growth(now: float, prev: float) -> float | None:
    """``(now - prev) / prev x 100``; n/a (None) when ``prev`` is 0."""
    return pct(now - prev, prev)


def iar(successful_ts: np.ndarray, window: Window) -> dict:
    """IAR: growth of successful deployments, last ``days // 2`` days against the first ``days // 2``.

    Period chart: blocks of 7 days (windows up to 90 days) or 30 days, counted back from the
    window's end (an incomplete oldest block is left out), each with its growth over the block before.
    """
    ts = np.asarray(successful_ts, dtype=np.int64)
    half = window.days // 2
    first = int(((ts >= window.start_ns) & (ts < window.start_ns + half * NS_PER_DAY)).sum())
    second = int(((ts >= window.end_ns - half * NS_PER_DAY) & (ts < window.end_ns)).sum())
    length = 7 if window.days <= 90 else 30
    blocks = window.days // length
    starts = window.end_ns - np.arange(blocks, 0, -1) * length * NS_PER_DAY
    block = (ts - window.end_ns) // (length * NS_PER_DAY) + blocks      # 0 = oldest complete block
    counts = np.bincount(block[(block >= 0) & (block < blocks)], minlength=blocks)[:blocks].astype(int)
    rates = [None if i == 0 else growth(counts[i], counts[i - 1]) for i in range(blocks)]
    periods = pd.DataFrame({"period_start": pd.to_datetime(starts, utc=True, unit="ns"),
                            "period_days": length, "successful_deployments": counts, "growth_pct": rates})
    v = growth(second, first)
    return {"iar_pct": v, "first_period_deploys": first,
            "second_period_deploys": second, "half_days": half, "periods": periods}


def dtr(tables: EventTables, window: Window, a: Assumptions) -> dict:
    """DTR = toil / feature x 100 (lower is better). Toil = minutes of incident_response + toil
    events + 60 x on_call_hours; capacity = team size x working hours x working days x 60;
    feature = capacity - toil. On-call burden: its hours, per developer per week, its share of
    the toil, and the DTR points it adds (DTR minus DTR without it)."""
    on_call = float(_in(tables.on_call, window)["hours"].sum()) * 60.0
    toil = float(_in(tables.response, window)["minutes"].sum() + _in(tables.toil, window)["minutes"].sum()) + on_call
    working_days = window.working_days(a.workweek)
    capacity = a.team_size * a.hours_per_day * working_days * 60.0
    feature = capacity - toil
    v = pct(toil, feature) if feature > 0 else None
    without = pct(toil - on_call, capacity - toil + on_call) if capacity - toil + on_call > 0 else None
    return {"dtr_pct": v, "toil_minutes": toil, "feature_minutes": feature,
            "capacity_minutes": capacity, "on_call_hours": on_call / 60.0,
            "on_call_hours_per_developer_week": on_call / 60.0 / a.team_size / (window.days / 7.0),
            "on_call_share_of_toil_pct": pct(on_call, toil),
            "on_call_dtr_points": None if v is None or without is None else v - without}


def impact(successful_deployments: int, platform_hours: float, tables: EventTables, window: Window) -> dict:
    """Impact summary: deployments per platform hour, mean weeks to productivity."""
    onboarding = _in(tables.onboarding, window)["weeks"].to_numpy()
    return {"deploys_per_platform_hour": ratio(successful_deployments, platform_hours),
            "onboarding_weeks_mean": mean(onboarding), "onboardings": len(onboarding)}
