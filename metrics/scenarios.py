"""Scenario profiles of the synthetic universe (METRICS.md section 6).

Rates are for the default organisation of 3 services and a team of 8; the generator scales
service-driven rates by ``services / 3`` and people-driven rates by ``team_size / 8``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

SCENARIOS = ("balanced", "high-incidents", "efficient", "early-stage", "mature")
SEED_SCENARIOS = {42: "balanced", 7: "high-incidents", 99: "efficient", 1: "early-stage", 100: "mature"}
AUTO = "auto"


@dataclass(frozen=True, kw_only=True)
class Profile:
    """A scenario's rates, always written by name (22 numbers are unreadable by position)."""

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
    "balanced": Profile(
        name="balanced", deploys_per_day=6.0, deploy_boost=0.0, deploy_boost_days=1.0, failed_share=0.04,
        hotfix_share=0.05, rollback_share=0.02, prs_per_day=4.0, review_hours=20.0, merge_hours=10.0,
        unreviewed_share=0.12, second_review_share=0.15, abandoned_share=0.05, incidents_per_day=0.2,
        incident_after_deploy=0.8, recovery_minutes=(8, 120), satisfaction=3.7, incident_dip=0.4,
        platform_hours=(2, 8), toil_minutes=25.0, onboardings_per_day=0.03, onboarding_weeks=(3, 8)),
    "high-incidents": Profile(
        name="high-incidents", deploys_per_day=6.0, deploy_boost=0.0, deploy_boost_days=1.0, failed_share=0.08,
        hotfix_share=0.1, rollback_share=0.05, prs_per_day=4.0, review_hours=26.0, merge_hours=12.0,
        unreviewed_share=0.15, second_review_share=0.1, abandoned_share=0.06, incidents_per_day=1.2,
        incident_after_deploy=0.85, recovery_minutes=(30, 300), satisfaction=3.2, incident_dip=0.7,
        platform_hours=(2, 8), toil_minutes=35.0, onboardings_per_day=0.03, onboarding_weeks=(4, 10)),
    "efficient": Profile(
        name="efficient", deploys_per_day=9.0, deploy_boost=16.0, deploy_boost_days=3.0, failed_share=0.02,
        hotfix_share=0.03, rollback_share=0.01, prs_per_day=5.0, review_hours=4.0, merge_hours=4.0,
        unreviewed_share=0.05, second_review_share=0.25, abandoned_share=0.03, incidents_per_day=0.12,
        incident_after_deploy=0.8, recovery_minutes=(8, 60), satisfaction=4.5, incident_dip=0.2,
        platform_hours=(2, 6), toil_minutes=15.0, onboardings_per_day=0.04, onboarding_weeks=(2, 5)),
    "early-stage": Profile(
        name="early-stage", deploys_per_day=1.5, deploy_boost=0.0, deploy_boost_days=1.0, failed_share=0.1,
        hotfix_share=0.08, rollback_share=0.04, prs_per_day=2.5, review_hours=40.0, merge_hours=30.0,
        unreviewed_share=0.25, second_review_share=0.05, abandoned_share=0.1, incidents_per_day=0.25,
        incident_after_deploy=0.6, recovery_minutes=(30, 240), satisfaction=3.3, incident_dip=0.5,
        platform_hours=(4, 8), toil_minutes=90.0, onboardings_per_day=0.05, onboarding_weeks=(6, 14)),
    "mature": Profile(
        name="mature", deploys_per_day=12.0, deploy_boost=0.0, deploy_boost_days=1.0, failed_share=0.01,
        hotfix_share=0.02, rollback_share=0.005, prs_per_day=6.0, review_hours=2.0, merge_hours=3.0,
        unreviewed_share=0.02, second_review_share=0.3, abandoned_share=0.02, incidents_per_day=0.1,
        incident_after_deploy=0.9, recovery_minutes=(8, 40), satisfaction=4.7, incident_dip=0.1,
        platform_hours=(2, 5), toil_minutes=10.0, onboardings_per_day=0.02, onboarding_weeks=(1, 3)),
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
    import numpy as np                  # imported here: the command line's --help needs no numpy
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
