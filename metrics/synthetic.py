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

Each PR's author is one of the team's developers (``developer_names``), picked by a hash of the
universe's seed key and the PR's key rather than drawn from a day's stream: adding authors changed
no other number, and a PR keeps its author whatever the window. Its first commit (coding hours
before its opening) and a merged PR's size (lines added and removed, files changed) are drawn the
same way, from a stream of their own (``pr_facts``): every other number is as it was before. An
earlier block (``days_back``) also draws the ``FACT_DAYS`` days after it, for the first commits in
it of PRs opened after its end (events of the wider universe: the block is as it stood at its end).
Which PRs were AI-assisted (a ``pr_ai_assisted`` verdict at each PR's creation, its rule and
assistant) comes from another stream of its own (``ai_verdicts``): a share rising towards the end,
leaning on each PR's size and coding time, so the groups differ while every earlier event is as it was.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scenarios import SCENARIOS, AUTO, Profile, profile_for, resolve_scenario
from .schema import NS_PER_DAY, NS_PER_SECOND
from .series import soon_after
from .tables import SIZE_COLUMNS, NA, EventTables
from . import defaults
from .defaults import MAX_DAYS
from .window import Window, today_ns

CONTEXT_DAYS = 7
MAX_SPILL_HOURS = 72.0          # each PR delay (to first review, to merge) is capped at this
KEY_STRIDE = 1 << 22            # keys are day_offset * KEY_STRIDE + index within the day
SURVEY_RESPONSE_RATE = 0.85
SURVEY_NOISE = 0.7               # standard deviation of a response around the scenario mean
TOIL_REPORTING_SHARE = 0.7      # developers who log toil on a given day
GENERATOR_VERSION = 2
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
    """Raise ValueError (``defaults.CheckError``) with a one-line message for generator parameters
    out of range; numbers must be ints here (text is the command line's and the dashboard's job)."""
    defaults.days(days, text_ok=False)
    defaults.seed(seed, text_ok=False)
    if scenario != AUTO and scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {AUTO}, {', '.join(SCENARIOS)}")
    defaults.services(services, text_ok=False)
    defaults.team_size(team_size, text_ok=False)


def developer_names(team_size: int) -> np.ndarray:
    """The team's developers, the synthetic PRs' authors: "dev-01", "dev-02", ..."""
    width = max(2, len(str(team_size)))
    return np.asarray([f"dev-{i + 1:0{width}d}" for i in range(team_size)], dtype=object)


def _mixed(pr_keys: np.ndarray, salt) -> np.ndarray:
    """A 64-bit mix (splitmix64's finaliser) of each PR's key with ``salt``."""
    x = np.asarray(pr_keys, dtype=np.int64).view(np.uint64) ^ np.uint64(salt)
    x ^= x >> np.uint64(30)                    # in place: the PRs of a large universe are many
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def pr_authors(key: list, pr_keys: np.ndarray, team_size: int) -> np.ndarray:
    """Each PR's author, an index into ``developer_names(team_size)``: a 64-bit mix (splitmix64's
    finaliser) of the PR's key with a salt from the universe's seed key, modulo the team size."""
    x = _mixed(pr_keys, np.random.SeedSequence(key).generate_state(1, np.uint64)[0])
    x %= np.uint64(team_size)
    return x.astype(np.int32)


# each PR's first commit and size: drawn, like its author, from its key (a stream apart from the days'
# streams, so every other number of the universe is as it was before they were drawn)
FACTS_STREAM = 27                # salts the PR facts' stream (issue 27)
FACT_DRAWS = 5                   # coding time (2: a normal), lines (2: a normal), added share / files
CODING_HOURS_MEDIAN = 18.0       # first commit -> PR opened: log-normal, hours to days
CODING_HOURS_SIGMA = 1.1
MAX_CODING_HOURS = 72.0          # capped, so a block's first commits lie at most this before its PRs
LINES_MEDIAN = 120.0             # lines added + removed: log-normal
LINES_SIGMA = 1.2
MAX_LINES = 20_000
FACT_DAYS = int(np.ceil(MAX_CODING_HOURS / 24))   # days after a block whose PRs' first commits fall in it


def pr_facts(key: list, pr_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each PR's coding hours (first commit -> opened) and its lines added, lines removed and files
    changed, from ``FACT_DRAWS`` uniforms mixed from its key (``_mixed``): coding time and total lines
    log-normal (Box-Muller normals), 55-90 % of the lines added, files 1 + about sqrt(lines) / 2."""
    salts = np.random.SeedSequence(key + [FACTS_STREAM]).generate_state(FACT_DRAWS, np.uint64)
    u = [(_mixed(pr_keys, salt) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53 for salt in salts]
    normal = lambda a, b: np.sqrt(-2.0 * np.log1p(-a)) * np.cos(2.0 * np.pi * b)  # noqa: E731
    coding = np.minimum(CODING_HOURS_MEDIAN * np.exp(CODING_HOURS_SIGMA * normal(u[0], u[1])), MAX_CODING_HOURS)
    lines = np.clip(np.round(LINES_MEDIAN * np.exp(LINES_SIGMA * normal(u[2], u[3]))), 1, MAX_LINES)
    added = np.round(lines * (0.55 + 0.35 * u[4]))
    files = np.minimum(1 + np.floor(np.sqrt(lines) * (0.25 + 0.5 * u[1])), lines)
    return coding, added, lines - added, files


# which PRs were AI-assisted: drawn, like the facts, from each PR's key in a stream of its own (issue 29),
# so every earlier number of the universe is as it was. The share rises with the PR's day (offset back
# from the end: adoption grows) and leans on facts already drawn, so the two groups differ without any
# PR changing: assisted PRs tend to be larger and to have spent less time coding before they opened.
AI_STREAM = 29                   # salts the AI verdicts' stream
AI_DRAWS = 4                     # known?, assisted?, rule, assistant
AI_SHARE_NOW = 0.55              # the share of assisted PRs at the universe's end ...
AI_SHARE_BEFORE = 0.05           # ... and long before it
AI_ADOPTION_DAYS = 120.0         # the share falls back towards AI_SHARE_BEFORE with this e-folding (days back)
AI_LINES_TILT = 0.6              # log-odds per standard deviation of the PR's log lines (larger: more likely)
AI_CODING_TILT = -0.5            # log-odds per standard deviation of its log coding hours (shorter: more likely)
AI_UNKNOWN_SHARE = 0.05          # PRs no rule could check (no facts): unknown, no event
# how assisted PRs were found and by whom, as cumulative shares (schema.AI_RULES' first four; assistants)
AI_RULE_SHARES = (("trailer", 0.55), ("label", 0.75), ("bot-author", 0.85), ("branch", 1.0))
AI_ASSISTANT_SHARES = (("copilot", 0.5), ("claude", 0.8), ("cursor", 1.0))


def ai_verdicts(key: list, pr_keys: np.ndarray, coding: np.ndarray, lines: np.ndarray) -> tuple:
    """Each PR's AI verdict from ``AI_DRAWS`` uniforms mixed from its key (``_mixed``, stream
    ``AI_STREAM``): known (all but ``AI_UNKNOWN_SHARE``), assisted with probability the logistic of
    logit(share of its day) + ``AI_LINES_TILT`` z(log lines) + ``AI_CODING_TILT`` z(log coding
    hours) (the drawn ones, merged or not: a PR's verdict is the same whatever the window), the deciding rule (an index into
    ``schema.AI_RULES``; ``none`` when not assisted) and the assistant (an index into the names of
    ``AI_ASSISTANT_SHARES``, -1 when not assisted). Returns (known, value, rule, assistant)."""
    from .schema import AI_NO_RULE, AI_RULES
    salts = np.random.SeedSequence(key + [AI_STREAM]).generate_state(AI_DRAWS, np.uint64)
    u = [(_mixed(pr_keys, salt) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53 for salt in salts]
    days_back = np.asarray(pr_keys, dtype=np.int64) // KEY_STRIDE
    share = AI_SHARE_BEFORE + (AI_SHARE_NOW - AI_SHARE_BEFORE) * np.exp(-days_back / AI_ADOPTION_DAYS)
    z_lines = (np.log(lines) - np.log(LINES_MEDIAN)) / LINES_SIGMA
    z_coding = (np.log(coding) - np.log(CODING_HOURS_MEDIAN)) / CODING_HOURS_SIGMA
    odds = np.log(share / (1 - share)) + AI_LINES_TILT * z_lines + AI_CODING_TILT * z_coding
    assisted = u[1] < 1.0 / (1.0 + np.exp(-odds))
    rules = np.asarray([AI_RULES.index(name) for name, _ in AI_RULE_SHARES], dtype=np.int8)
    rule = np.where(assisted, rules[np.searchsorted([c for _, c in AI_RULE_SHARES], u[2], side="right")],
                    AI_RULES.index(AI_NO_RULE)).astype(np.int8)
    assistant = np.where(assisted, np.searchsorted([c for _, c in AI_ASSISTANT_SHARES], u[3], side="right"), -1)
    return u[0] >= AI_UNKNOWN_SHARE, assisted.astype(np.float64), rule, assistant.astype(np.int32)


def service_names(services: int) -> np.ndarray:
    names = list(DEFAULT_SERVICE_NAMES[:services])
    names += [f"service-{i + 1:03d}" for i in range(len(names), services)]
    return np.asarray(names + ["platform", "team"], dtype=object)


def generate(days: int = defaults.DAYS, seed: int = defaults.SEED, scenario: str = AUTO,
             services: int = defaults.SERVICES, team_size: int = defaults.TEAM_SIZE,
             end=None, days_back: int = 0) -> Universe:
    """Generate the universe for the window of ``days`` days ending at ``end`` (default: today 00:00 UTC).

    ``days_back`` > 0 generates instead the block of ``days`` days ending ``days_back`` days before
    ``end``, as it stood at that block's end: the same events as the wider universe (day offsets
    count from ``end``), without those that happened later. ``days_back=days`` is the previous period.
    """
    check_params(days, seed, scenario, services, team_size)
    if not isinstance(days_back, (int, np.integer)) or not 0 <= days_back <= MAX_DAYS:
        raise ValueError(f"days back must be between 0 and {MAX_DAYS}, got {days_back!r}")
    end_ns = today_ns() if end is None else Window.ending(end, days).end_ns
    window = Window(end_ns - (days_back + days) * NS_PER_DAY, end_ns - days_back * NS_PER_DAY)
    profile = profile_for(seed, scenario)
    scenario_code = SCENARIOS.index(profile.name) if profile.name in SCENARIOS else len(SCENARIOS)
    tables = _draw(window, days_back, profile, [seed, scenario_code, services, team_size, GENERATOR_VERSION], services,
                   team_size)
    return Universe(tables, window, seed, resolve_scenario(seed, scenario), profile, services, team_size)


# uniforms each event draws from its day's stream, in this order
DEPLOY_DRAWS = 3        # time, status, change type
PR_DRAWS = 7            # created, 3 delays, reviewed?, merged?, second review?
INCIDENT_DRAWS = 7      # caused by a deployment?, which one, lag, time, service, recovery, responders
TIMED_DRAWS = 2         # toil, platform hours, onboarding: time, amount


def _exp(u: np.ndarray) -> np.ndarray:
    """Standard exponential variates from uniforms on [0, 1)."""
    return -np.log1p(-u)


def _at(day0: np.ndarray, u: np.ndarray, lo_hours: float = 0.0, hi_hours: float = 24.0) -> np.ndarray:
    """Whole-second times between ``lo_hours`` and ``hi_hours`` into each event's day (ns)."""
    return day0 + (lo_hours * 3600 + u * ((hi_hours - lo_hours) * 3600)).astype(np.int64) * NS_PER_SECOND


def _hours(hours: np.ndarray) -> np.ndarray:
    """Durations in hours as whole seconds (ns)."""
    return np.round(hours * 3600).astype(np.int64) * NS_PER_SECOND


def _draw(window: Window, days_back: int, p: Profile, key: list, services: int, team_size: int) -> EventTables:
    """Draw every day's counts and uniforms from its own stream, then turn them into events at once."""
    scale = services / 3.0
    platform_events = int(np.ceil(scale))
    # day offsets back from the universe's end (the window's end + days_back), oldest first: tables come out in time order
    # and, for an earlier block, the days just after it that hold PRs whose first commits fall in it
    offsets = np.arange(days_back + window.days + CONTEXT_DAYS - 1, max(days_back - FACT_DAYS, 0) - 1, -1)
    per_day = {name: [] for name in ("d_counts", "p_counts", "n_inc", "n_survey", "n_toil", "n_onboard")}
    blocks = {name: [] for name in ("d", "p", "i", "t", "pi", "o", "s", "z")}
    for k in offsets:
        rng = np.random.Generator(np.random.PCG64(key + [int(k)]))
        rate = (p.deploys_per_day + p.deploy_boost / (1.0 + k / p.deploy_boost_days)) / 3.0
        dc = rng.poisson(rate, services)
        pc = rng.poisson(p.prs_per_day / 3.0, services)
        ni = int(rng.binomial(services, min(1.0, p.incidents_per_day / 3.0)))
        ns = int(rng.binomial(team_size, SURVEY_RESPONSE_RATE)) if k % 7 == 3 else 0     # weekly pulse survey
        nt = int(rng.binomial(team_size, TOIL_REPORTING_SHARE))
        no = int(rng.poisson(p.onboardings_per_day * team_size / 8.0))
        n, m = int(dc.sum()), int(pc.sum())
        sizes = [n * DEPLOY_DRAWS, m * PR_DRAWS, ni * INCIDENT_DRAWS, nt * TIMED_DRAWS, platform_events * TIMED_DRAWS,
                 no * TIMED_DRAWS, ns]
        u = rng.random(sum(sizes))
        for name, part in zip(("d", "p", "i", "t", "pi", "o", "s"), np.split(u, np.cumsum(sizes)[:-1])):
            blocks[name].append(part)
        blocks["z"].append(rng.standard_normal(ns))
        for name, value in zip(per_day, (dc, pc, ni, ns, nt, no)):
            per_day[name].append(value)

    day0 = window.end_ns + days_back * NS_PER_DAY - (offsets + 1) * NS_PER_DAY
    service_ids = np.tile(np.arange(services, dtype=np.int32), len(offsets))

    def matrix(name: str, width: int) -> np.ndarray:
        return np.concatenate(blocks[name]).reshape(-1, width)

    def per_event(counts) -> tuple[np.ndarray, np.ndarray]:
        """Day start and day offset of each event, from per-day counts."""
        counts = np.asarray(counts)
        return np.repeat(day0, counts), np.repeat(offsets, counts)

    # deployments, Poisson per service; the adoption boost fades with the day's age
    d_counts = np.concatenate(per_day["d_counts"])
    n_by_day = d_counts.reshape(len(offsets), services).sum(axis=1)
    D = matrix("d", DEPLOY_DRAWS)
    d_day0, d_k = per_event(n_by_day)
    d_ts = _at(d_day0, D[:, 0])
    order = np.argsort(d_ts, kind="stable")          # days are disjoint and oldest first: sorts within each day
    d_ts, d_service, D = d_ts[order], np.repeat(service_ids, d_counts)[order], D[order]
    first_of_day = np.cumsum(n_by_day) - n_by_day
    d_index = np.arange(len(d_ts)) - np.repeat(first_of_day, n_by_day)

    # pull requests: created -> reviewed (0, 1 or 2 times) -> merged (or abandoned)
    p_counts = np.concatenate(per_day["p_counts"])
    P = matrix("p", PR_DRAWS)
    p_day0, p_k = per_event(p_counts.reshape(len(offsets), services).sum(axis=1))
    created = _at(p_day0, P[:, 0])
    delays = np.minimum(_exp(P[:, 1:4]) * np.array([p.review_hours, p.merge_hours, p.review_hours / 2]), MAX_SPILL_HOURS)
    reviewed = P[:, 4] >= p.unreviewed_share
    first_review = np.where(reviewed, created + _hours(delays[:, 0]), NA)
    merged = np.where(P[:, 5] >= p.abandoned_share, np.where(reviewed, first_review, created) + _hours(delays[:, 1]), NA)
    second = reviewed & (P[:, 6] < p.second_review_share)
    pr_service = np.repeat(service_ids, p_counts)
    p_counts_by_day = p_counts.reshape(len(offsets), services).sum(axis=1)
    pr_key = p_k * KEY_STRIDE + np.arange(len(created)) - np.repeat(np.cumsum(p_counts_by_day) - p_counts_by_day, p_counts_by_day)

    # incidents: each service-day has a chance of one; most start 5-120 minutes after one of the day's deployments
    n_inc = np.asarray(per_day["n_inc"])
    I = matrix("i", INCIDENT_DRAWS)
    i_day0, i_k = per_event(n_inc)
    day_n = np.repeat(n_by_day, n_inc)
    after = (I[:, 0] < p.incident_after_deploy) & (day_n > 0)
    pick = np.repeat(first_of_day, n_inc) + (I[:, 1] * np.maximum(day_n, 1)).astype(np.int64)
    pick = np.minimum(pick, max(len(d_ts) - 1, 0))
    anywhere = _at(i_day0, I[:, 3])
    i_start = np.where(after, (d_ts[pick] if len(d_ts) else anywhere) + _hours((5 + 115 * I[:, 2]) / 60), anywhere)
    i_service = np.where(after, d_service[pick] if len(d_ts) else 0, (I[:, 4] * services).astype(np.int32))
    minutes = p.recovery_minutes[0] + I[:, 5] * (p.recovery_minutes[1] - p.recovery_minutes[0])
    responders = 1 + (I[:, 6] * 3).astype(np.int64)
    i_resolved = i_start + _hours(minutes / 60)
    i_key = i_k * KEY_STRIDE + np.arange(len(i_start)) - np.repeat(np.cumsum(n_inc) - n_inc, n_inc)

    n_toil = np.asarray(per_day["n_toil"])
    T = matrix("t", TIMED_DRAWS)
    t_day0, _ = per_event(n_toil)
    PI = matrix("pi", TIMED_DRAWS)
    pi_day0, _ = per_event(np.full(len(offsets), platform_events))
    n_onboard = np.asarray(per_day["n_onboard"])
    O = matrix("o", TIMED_DRAWS)
    o_day0, _ = per_event(n_onboard)
    n_survey = np.asarray(per_day["n_survey"])
    s_day0, _ = per_event(n_survey)
    s_ts = _at(s_day0, np.concatenate(blocks["s"]), 9, 17)
    s_noise = np.concatenate(blocks["z"]) * SURVEY_NOISE

    end = window.end_ns
    t = EventTables(services=service_names(services), key_stride=KEY_STRIDE, authors=developer_names(team_size))
    keep = d_ts < end
    t.deploys = pd.DataFrame({"key": (d_k * KEY_STRIDE + d_index)[keep], "ts": d_ts[keep], "service": d_service[keep],
                              "production": np.ones(keep.sum(), bool), "success": D[keep, 1] >= p.failed_share,
                              "change_type": np.where(D[keep, 2] < p.hotfix_share, 1,
                                                      np.where(D[keep, 2] < p.hotfix_share + p.rollback_share, 2, 0)).astype(np.int8)})
    keep = i_start < end
    t.incidents = pd.DataFrame({"key": i_key[keep], "service": i_service[keep].astype(np.int32), "start": i_start[keep],
                                "resolved": np.where(i_resolved < end, i_resolved, NA)[keep],
                                "deploy_key": np.full(keep.sum(), NA, dtype=np.int64)})
    done = i_resolved < end
    team, platform = services + 1, services           # service_names ends with "platform", "team"
    t.response = pd.DataFrame({"ts": i_resolved[done], "service": np.full(done.sum(), team, dtype=np.int32),
                               "minutes": np.round(minutes * responders, 1)[done]})
    coding, *size = pr_facts(key, pr_key)
    first_commit = created - _hours(coding)
    keep = created < end
    merged_kept = np.where(merged < end, merged, NA)[keep]
    t.prs = pd.DataFrame({"key": pr_key[keep], "service": pr_service[keep], "created": created[keep],
                          "first_review": np.where(first_review < end, first_review, NA)[keep],
                          "merged": merged_kept,
                          "deploy_key": np.full(keep.sum(), NA, dtype=np.int64),
                          "author": pr_authors(key, pr_key[keep], team_size),
                          "first_commit": first_commit[keep],
                          **{column: np.where(merged_kept != NA, value[keep], np.nan)
                             for column, value in zip(SIZE_COLUMNS, size, strict=True)},
                          "ai_assisted": np.full(keep.sum(), np.nan), "git": np.zeros(keep.sum(), dtype=bool)})
    known, value, rule, assistant = ai_verdicts(key, pr_key[keep], coding[keep], size[0][keep] + size[1][keep])
    t.prs["ai_assisted"] = np.where(known, value, np.nan)
    t.assistants = np.asarray([name for name, _ in AI_ASSISTANT_SHARES], dtype=object)
    t.ai_checks = pd.DataFrame({"key": pr_key[keep][known], "service": pr_service[keep][known],
                                "ts": created[keep][known], "value": value[known], "rule": rule[known],
                                "assistant": assistant[known]})
    # every first commit before the end (a PR opened after it included: as it stood), every merged PR's size
    committed = first_commit < end
    t.first_commits = pd.DataFrame({"key": pr_key[committed], "service": pr_service[committed],
                                    "ts": first_commit[committed]})
    was_merged = merged_kept != NA
    m_key, m_service, m_ts = (t.prs[c].to_numpy()[was_merged] for c in ("key", "service", "merged"))
    t.sizes = pd.DataFrame({"key": np.tile(m_key, len(SIZE_COLUMNS)), "service": np.tile(m_service, len(SIZE_COLUMNS)),
                            "ts": np.tile(m_ts, len(SIZE_COLUMNS)),
                            "measure": np.repeat(np.arange(len(SIZE_COLUMNS), dtype=np.int8), len(m_key)),
                            "value": np.concatenate([t.prs[c].to_numpy()[was_merged] for c in SIZE_COLUMNS])})
    r_key = np.concatenate([pr_key[reviewed], pr_key[second]])
    r_service = np.concatenate([pr_service[reviewed], pr_service[second]])
    r_ts = np.concatenate([first_review[reviewed], first_review[second] + _hours(delays[second, 2])])
    keep = r_ts < end
    t.reviews = pd.DataFrame({"key": r_key[keep], "service": r_service[keep], "ts": r_ts[keep]})
    t.merges = pd.DataFrame({"key": m_key, "service": m_service, "ts": m_ts})

    recent = soon_after(s_ts, t.incidents["start"].to_numpy(), 7 * NS_PER_DAY)
    score = np.clip(np.round(p.satisfaction - p.incident_dip * recent + s_noise), 1, 5)
    keep = s_ts < end
    t.surveys = pd.DataFrame({"ts": s_ts[keep], "service": np.full(keep.sum(), team, dtype=np.int32), "score": score[keep]})
    for attr, ts, col, value in (
            ("platform", _at(pi_day0, PI[:, 0], 8, 18), "hours",
             np.round(p.platform_hours[0] + PI[:, 1] * (p.platform_hours[1] - p.platform_hours[0]), 1)),
            ("toil", _at(t_day0, T[:, 0], 9, 18), "minutes", np.round(_exp(T[:, 1]) * p.toil_minutes / TOIL_REPORTING_SHARE, 1)),
            ("onboarding", _at(o_day0, O[:, 0]), "weeks",
             np.round(p.onboarding_weeks[0] + O[:, 1] * (p.onboarding_weeks[1] - p.onboarding_weeks[0]), 1))):
        keep = ts < end
        owner = platform if attr == "platform" else team
        setattr(t, attr, pd.DataFrame({"ts": ts[keep], "service": np.full(keep.sum(), owner, dtype=np.int32),
                                       col: value[keep]}))
    return t
