"""Scenario profiles of the synthetic universe (METRICS.md section 6).

Rates are for the default organisation of 3 services and a team of 8; the generator scales
service-driven rates by ``services / 3`` and people-driven rates by ``team_size / 8``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

SCENARIOS = ("balanced", "high-incidents", "efficient", "early-stage", "mature")
SEED_SCENARIOS = {42: "balanced", 7: "high-incidents", 99: "efficient", 1: "early-stage", 100: "mature"}
AUTO = "auto"


@dataclass(frozen=True)
class Profile:
    name: str
    deploys_per_day: float        # production deployments a day (3 services)
    deploy_boost: float           # extra deployments a day on the most recent day, fading with age (adoption growth)
    deploy_boost_days: float      # how fast that boost fades: boost / (1 + age / boost_days)
    failed_share: float           # deployments with status failed
    hotfix_share: float
    rollback_share: float
    prs_per_day: float            # PRs created a day (3 services)
    review_hours: float           # mean hours from creation to first review
    merge_hours: float            # mean hours from first review to merge
    unreviewed_share: float       # PRs merged without a review
    second_review_share: float    # PRs that get a second review
    abandoned_share: float        # PRs never merged
    incidents_per_day: float      # incidents a day (3 services); 0.2 = "about 20 % of days"
    incident_after_deploy: float  # share of incidents caused by (starting shortly after) a deployment
    recovery_minutes: tuple       # uniform range of recovery time
    satisfaction: float           # mean survey score with no recent incident
    incident_dip: float           # drop of the mean in the week after an incident
    platform_hours: tuple         # uniform range of platform investment hours a day (3 services)
    toil_minutes: float           # mean daily toil minutes per developer
    onboardings_per_day: float    # (team of 8)
    onboarding_weeks: tuple


PROFILES = {
    "balanced": Profile("balanced", 6.0, 0.0, 1.0, 0.04, 0.05, 0.02, 4.0, 20.0, 10.0, 0.12, 0.15, 0.05,
                        0.2, 0.8, (8, 120), 3.7, 0.4, (2, 8), 25.0, 0.03, (3, 8)),
    "high-incidents": Profile("high-incidents", 6.0, 0.0, 1.0, 0.08, 0.10, 0.05, 4.0, 26.0, 12.0, 0.15, 0.10, 0.06,
                              1.2, 0.85, (30, 300), 3.2, 0.7, (2, 8), 35.0, 0.03, (4, 10)),
    "efficient": Profile("efficient", 9.0, 16.0, 3.0, 0.02, 0.03, 0.01, 5.0, 4.0, 4.0, 0.05, 0.25, 0.03,
                         0.12, 0.8, (8, 60), 4.5, 0.2, (2, 6), 15.0, 0.04, (2, 5)),
    "early-stage": Profile("early-stage", 1.5, 0.0, 1.0, 0.10, 0.08, 0.04, 2.5, 40.0, 30.0, 0.25, 0.05, 0.10,
                           0.25, 0.6, (30, 240), 3.3, 0.5, (4, 8), 90.0, 0.05, (6, 14)),
    "mature": Profile("mature", 12.0, 0.0, 1.0, 0.01, 0.02, 0.005, 6.0, 2.0, 3.0, 0.02, 0.30, 0.02,
                      0.1, 0.9, (8, 40), 4.7, 0.1, (2, 5), 10.0, 0.02, (1, 3)),
}


def resolve_scenario(seed: int, scenario: str = AUTO) -> str:
    """The scenario a seed runs: the explicit one, the documented seed's, or ``auto`` (drawn)."""
    if scenario != AUTO:
        return scenario
    return SEED_SCENARIOS.get(seed, AUTO)


def profile_for(seed: int, scenario: str = AUTO) -> Profile:
    """The profile of (seed, scenario); an undocumented seed under ``auto`` draws its own.

    A drawn profile takes each rate uniformly between the lowest and highest of the five
    scenarios, from a random generator seeded by the seed alone.
    """
    name = resolve_scenario(seed, scenario)
    if name != AUTO:
        return PROFILES[name]
    rng = np.random.default_rng([seed, 0xC0FFEE])
    values = {}
    for f in fields(Profile):
        if f.name == "name":
            continue
        options = [getattr(p, f.name) for p in PROFILES.values()]
        if isinstance(options[0], tuple):
            lo = min(o[0] for o in options)
            hi = max(o[1] for o in options)
            a, b = sorted(rng.uniform(lo, hi, 2))
            values[f.name] = (float(a), float(max(b, a + 1)))
        else:
            values[f.name] = float(rng.uniform(min(options), max(options)))
    values["deploy_boost_days"] = max(values["deploy_boost_days"], 1.0)
    return replace(PROFILES["balanced"], name=f"drawn from seed {seed}", **values)
