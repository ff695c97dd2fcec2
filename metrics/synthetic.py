"""The synthetic delivery universe of METRICS.md section 6.

Each day of the universe is drawn by its own random generator, seeded by (seed, scenario,
services, team size, day offset back from the window's end). So the same arguments give the same
events on any machine; a later end shifts them by whole days; widening ``days`` adds older days
and leaves the recent ones untouched; the previous period is the next block of days back.

Events of one day can spill into the next days (a PR is reviewed and merged later, an incident
resolves after midnight), never by more than ``CONTEXT_DAYS`` days; the generator therefore also
draws ``CONTEXT_DAYS`` days before the window, so that every day of the window holds all of its
events and incidents early in the window can be attributed to deployments just before it.
Events after the end have not happened yet and are left out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scenarios import SCENARIOS, AUTO, Profile, profile_for, resolve_scenario
from .schema import NS_PER_DAY, NS_PER_SECOND
from .series import soon_after
from .tables import NA, EventTables
from .window import MAX_DAYS, Window, today_ns

CONTEXT_DAYS = 7
MAX_SPILL_HOURS = 72.0          # each PR delay (to first review, to merge) is capped at this
KEY_STRIDE = 1 << 22            # keys are day_offset * KEY_STRIDE + index within the day
MAX_SEED = 2**32 - 1
MAX_SERVICES = 5000
MAX_TEAM = 10000
SURVEY_RESPONSE_RATE = 0.85
SURVEY_NOISE = 0.7               # standard deviation of a response around the scenario mean
TOIL_REPORTING_SHARE = 0.7      # developers who log toil on a given day
GENERATOR_VERSION = 1
DEFAULT_SERVICE_NAMES = ("checkout", "payments", "search")


@dataclass
class Universe:
    """A generated universe: its tables, the window they were generated for and its parameters."""

    tables: EventTables
    window: Window
    seed: int
    scenario: str
    profile: Profile
    services: int
    team_size: int


def check_params(days: int, seed: int, scenario: str, services: int, team_size: int) -> None:
    """Raise ValueError with a one-line message for out-of-range generator parameters."""
    for name, value in (("days", days), ("seed", seed), ("services", services), ("team_size", team_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, got {days}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}, got {seed}")
    if scenario != AUTO and scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {AUTO}, {', '.join(SCENARIOS)}")
    if not 1 <= services <= MAX_SERVICES:
        raise ValueError(f"services must be between 1 and {MAX_SERVICES}, got {services}")
    if not 1 <= team_size <= MAX_TEAM:
        raise ValueError(f"team size must be between 1 and {MAX_TEAM}, got {team_size}")


def service_names(services: int) -> np.ndarray:
    names = list(DEFAULT_SERVICE_NAMES[:services])
    names += [f"service-{i + 1:03d}" for i in range(len(names), services)]
    return np.asarray(names + ["platform", "team"], dtype=object)


def generate(days: int = 14, seed: int = 42, scenario: str = AUTO, services: int = 3, team_size: int = 8,
             end=None) -> Universe:
    """Generate the universe for the window of ``days`` days ending at ``end`` (default: today 00:00 UTC)."""
    check_params(days, seed, scenario, services, team_size)
    window = Window(today_ns() - days * NS_PER_DAY, today_ns()) if end is None else Window.ending(end, days)
    profile = profile_for(seed, scenario)
    scenario_code = SCENARIOS.index(profile.name) if profile.name in SCENARIOS else len(SCENARIOS)
    tables = _draw(window, profile, [seed, scenario_code, services, team_size, GENERATOR_VERSION], services, team_size)
    return Universe(tables, window, seed, resolve_scenario(seed, scenario) if scenario == AUTO else scenario,
                    profile, services, team_size)


def _seconds(rng, n: int, lo_hours: float = 0.0, hi_hours: float = 24.0) -> np.ndarray:
    """``n`` random whole-second offsets (ns) between ``lo_hours`` and ``hi_hours`` into a day."""
    return (lo_hours * 3600 + rng.random(n) * ((hi_hours - lo_hours) * 3600)).astype(np.int64) * NS_PER_SECOND


def _hours(hours: np.ndarray) -> np.ndarray:
    """Durations in hours as whole seconds (ns)."""
    return np.round(hours * 3600).astype(np.int64) * NS_PER_SECOND


class _Columns:
    """Per-kind lists of per-day arrays, concatenated once at the end."""

    def __init__(self):
        self.parts: dict[str, list] = {}

    def add(self, name, values):
        self.parts.setdefault(name, []).append(values)

    def get(self, name, dtype):
        parts = self.parts.get(name)
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.array([], dtype=dtype)


def _draw(window: Window, p: Profile, key: list, services: int, team_size: int) -> EventTables:
    scale = services / 3.0
    team_scale = team_size / 8.0
    platform_events = int(np.ceil(scale))
    c = _Columns()
    service_ids = np.arange(services, dtype=np.int32)
    for k in range(window.days + CONTEXT_DAYS - 1, -1, -1):     # oldest day first: tables come out in time order
        rng = np.random.Generator(np.random.PCG64(key + [k]))
        day0 = window.end_ns - (k + 1) * NS_PER_DAY
        base = k * KEY_STRIDE

        # deployments, Poisson per service; the adoption boost fades with the day's age
        rate = (p.deploys_per_day + p.deploy_boost / (1.0 + k / p.deploy_boost_days)) / 3.0
        counts = rng.poisson(rate, services)
        n = int(counts.sum())
        d_service = np.repeat(service_ids, counts)
        d_ts = day0 + _seconds(rng, n)
        order = np.argsort(d_ts, kind="stable")
        d_ts, d_service = d_ts[order], d_service[order]
        u = rng.random((2, n))
        c.add("d_key", base + np.arange(n))
        c.add("d_ts", d_ts)
        c.add("d_service", d_service)
        c.add("d_success", u[0] >= p.failed_share)
        c.add("d_change", np.where(u[1] < p.hotfix_share, 1, np.where(u[1] < p.hotfix_share + p.rollback_share, 2, 0)))

        # pull requests: created -> reviewed (0, 1 or 2 times) -> merged (or abandoned)
        pc = rng.poisson(p.prs_per_day / 3.0, services)
        m = int(pc.sum())
        created = day0 + _seconds(rng, m)
        r = rng.random((3, m))
        delays = np.minimum(rng.exponential(1.0, (3, m)) * np.array([[p.review_hours], [p.merge_hours], [p.review_hours / 2]]),
                            MAX_SPILL_HOURS)
        reviewed = r[0] >= p.unreviewed_share
        first_review = np.where(reviewed, created + _hours(delays[0]), NA)
        merged = np.where(r[1] >= p.abandoned_share,
                          np.where(reviewed, first_review, created) + _hours(delays[1]), NA)
        second = reviewed & (r[2] < p.second_review_share)
        pr_service = np.repeat(service_ids, pc)
        pr_key = base + np.arange(m)
        c.add("p_key", pr_key)
        c.add("p_service", pr_service)
        c.add("p_created", created)
        c.add("p_review", first_review)
        c.add("p_merged", merged)
        c.add("r_key", np.concatenate([pr_key[reviewed], pr_key[second]]))
        c.add("r_service", np.concatenate([pr_service[reviewed], pr_service[second]]))
        c.add("r_ts", np.concatenate([first_review[reviewed],
                                      first_review[second] + _hours(delays[2][second])]))

        # incidents: each service-day has a chance of one; most start 5-120 minutes after a deployment
        ni = int(rng.binomial(services, min(1.0, p.incidents_per_day / 3.0)))
        after = (rng.random(ni) < p.incident_after_deploy) & (n > 0)
        pick = (rng.random(ni) * max(n, 1)).astype(np.int64)
        lag = _hours(rng.uniform(5, 120, ni) / 60)
        anywhere = day0 + _seconds(rng, ni)
        i_start = np.where(after, (d_ts[pick] if n else anywhere) + lag, anywhere)
        i_service = np.where(after, d_service[pick] if n else 0, (rng.random(ni) * services).astype(np.int32))
        minutes = rng.uniform(p.recovery_minutes[0], p.recovery_minutes[1], ni)
        responders = 1 + (rng.random(ni) * 3).astype(np.int64)
        c.add("i_key", base + np.arange(ni))
        c.add("i_service", i_service)
        c.add("i_start", i_start)
        c.add("i_resolved", i_start + _hours(minutes / 60))
        c.add("resp_minutes", np.round(minutes * responders, 1))

        # weekly pulse survey (every 7th day counted back from the end); scores settled below
        if k % 7 == 3:
            ns = int(rng.binomial(team_size, SURVEY_RESPONSE_RATE))
            c.add("s_ts", day0 + _seconds(rng, ns, 9, 17))
            c.add("s_noise", rng.normal(0.0, SURVEY_NOISE, ns))

        c.add("pi_ts", day0 + _seconds(rng, platform_events, 8, 18))
        c.add("pi_hours", np.round(rng.uniform(p.platform_hours[0], p.platform_hours[1], platform_events), 1))

        toil_devs = int(rng.binomial(team_size, TOIL_REPORTING_SHARE))
        c.add("t_ts", day0 + _seconds(rng, toil_devs, 9, 18))
        c.add("t_minutes", np.round(rng.exponential(p.toil_minutes / TOIL_REPORTING_SHARE, toil_devs), 1))

        no = int(rng.poisson(p.onboardings_per_day * team_scale))
        c.add("o_ts", day0 + _seconds(rng, no))
        c.add("o_weeks", np.round(rng.uniform(p.onboarding_weeks[0], p.onboarding_weeks[1], no), 1))

    end = window.end_ns
    t = EventTables(services=service_names(services), key_stride=KEY_STRIDE)
    team_code, platform_code = services + 1, services
    d_ts = c.get("d_ts", np.int64)
    keep = d_ts < end
    t.deploys = pd.DataFrame({"key": c.get("d_key", np.int64)[keep], "ts": d_ts[keep],
                              "service": c.get("d_service", np.int32)[keep], "production": np.ones(keep.sum(), bool),
                              "success": c.get("d_success", bool)[keep], "change_type": c.get("d_change", np.int8)[keep]})

    i_start = c.get("i_start", np.int64)
    i_resolved = c.get("i_resolved", np.int64)
    keep = i_start < end
    resolved = np.where(i_resolved < end, i_resolved, NA)
    t.incidents = pd.DataFrame({"key": c.get("i_key", np.int64)[keep], "service": c.get("i_service", np.int32)[keep],
                                "start": i_start[keep], "resolved": resolved[keep],
                                "deploy_key": np.full(keep.sum(), NA, dtype=np.int64)})
    done = (i_resolved < end)
    t.response = pd.DataFrame({"ts": i_resolved[done], "minutes": c.get("resp_minutes", float)[done]})

    created = c.get("p_created", np.int64)
    keep = created < end
    review = c.get("p_review", np.int64)[keep]
    merged = c.get("p_merged", np.int64)[keep]
    t.prs = pd.DataFrame({"key": c.get("p_key", np.int64)[keep], "service": c.get("p_service", np.int32)[keep],
                          "created": created[keep], "first_review": np.where(review < end, review, NA),
                          "merged": np.where(merged < end, merged, NA),
                          "deploy_key": np.full(keep.sum(), NA, dtype=np.int64)})
    r_ts = c.get("r_ts", np.int64)
    keep = r_ts < end
    t.reviews = pd.DataFrame({"key": c.get("r_key", np.int64)[keep], "service": c.get("r_service", np.int32)[keep], "ts": r_ts[keep]})
    all_merged = t.prs["merged"].to_numpy()
    t.merges = all_merged[all_merged != NA]

    s_ts = c.get("s_ts", np.int64)
    recent = soon_after(s_ts, t.incidents["start"].to_numpy(), 7 * NS_PER_DAY)
    score = np.clip(np.round(p.satisfaction - p.incident_dip * recent + c.get("s_noise", float)), 1, 5)
    keep = s_ts < end
    t.surveys = pd.DataFrame({"ts": s_ts[keep], "score": score[keep]})
    for attr, ts_name, col, value_name in (("platform", "pi_ts", "hours", "pi_hours"), ("toil", "t_ts", "minutes", "t_minutes"),
                                           ("onboarding", "o_ts", "weeks", "o_weeks")):
        ts = c.get(ts_name, np.int64)
        keep = ts < end
        setattr(t, attr, pd.DataFrame({"ts": ts[keep], col: c.get(value_name, float)[keep]}))
    return t
