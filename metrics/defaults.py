"""Every default and limit a user can meet, and the checks of the values they give, in one place.

The command line, the dashboard's view, the synthetic generator, the PVM assumptions and the seed
documents' API all read these. Each check is one named rule with its message beside it (after
pandera's built-in checks); a failed check raises ``CheckError`` whose text is one sentence.
"""
from __future__ import annotations

import math
import numbers

# the synthetic universe and the window
SEED = 42
DAYS = 14
SERVICES = 3
TEAM_SIZE = 8
MAX_SEED = 2**32 - 1
MAX_DAYS = 3650
MAX_SERVICES = 5000
MAX_TEAM = 10000

# the PVM assumptions
HOURLY_RATE = 150.0            # USD per hour of platform, response and toil work
VALUE_PER_DEPLOY = 200.0       # USD of value per successful deployment
HOURS_PER_DAY = 8.0            # working hours a day
WORKWEEK = "Mon Tue Wed Thu Fri"
MAX_AMOUNT = 1e9               # the largest rate or value a user may enter

# the times an event may carry: a window over all of them, and the differences of any two of its
# times, stay inside what int64 nanoseconds can hold (+-292 years)
EARLIEST_EVENT = "1970-01-01"
LATEST_EVENT = "2200-01-01"          # exclusive

# DORA: how long after a deployment an incident is attributed to it (change failure rate)
ATTRIBUTION_HOURS = 24.0

# PR size (docs/metrics.md): a merged PR of more than this many changed lines (added + removed) is
# large (``--large-pr-lines``); PR sizes and deployment batches are compared with lead time and change
# failure in bins: each bin from its lower edge up to the next edge (the last one open-ended)
LARGE_PR_LINES = 400
MAX_PR_LINES = 10**9
PR_SIZE_BINS = (0, 50, 200, 400, 1000)        # changed lines: <50, 50-199, 200-399, 400-999, >=1000
BATCH_SIZE_BINS = (1, 2, 4, 8)                # PRs a deployment shipped: 1, 2-3, 4-7, >=8

# DORA's benchmarks: what the cards judge by ("tiers" or "quick-check", metrics/benchmarks.py:
# BENCHMARKS) and the Quick Check baseline the scores are compared with (BASELINES: "2024" is the
# 2024 edition's "All industries"); METRICS_BENCHMARK and METRICS_BASELINE change them
BENCHMARK = "tiers"
BASELINE = "2024"

# SLA compliance: each service's recovery-time target in minutes. ``METRICS_SLA_MINUTES`` sets
# them ("60", or "api=30,web=240,*=120": ``*`` is every other service); unset, every service has
# ``SLA_MINUTES`` (DORA's elite recovery band, under an hour)
SLA_MINUTES = 60.0
SLA_SETTING = "METRICS_SLA_MINUTES"

# sign-in (dashboard/auth/): a session lasts this many hours from sign-in (METRICS_SESSION_HOURS);
# the key that signs sessions has at least this many characters; this many failed sign-ins from one
# address within the window (per server process) make that address wait until the window has passed
SESSION_HOURS = 12
MAX_SESSION_HOURS = 24 * 90
# a session whose sign-in time is more than this many seconds ahead of the server's clock (another
# worker's clock a little ahead) is refused: a sign-in from the future would never expire
SESSION_CLOCK_SKEW_S = 5
MIN_SECRET_KEY = 32
FAILED_SIGN_INS = 10
FAILURE_WINDOW_S = 300
# passwords of METRICS_AUTH=basic users: at least, and at most (a longer one only costs hashing time)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
# webhooks: the largest delivery (METRICS_WEBHOOK_MAX_MB; GitHub's own limit) and how far a
# Standard Webhooks timestamp may be from the server's clock (either way; exactly this far is accepted)
WEBHOOK_MAX_MB = 25
WEBHOOK_TOLERANCE_S = 5 * 60
# how long a write waits for another writer (SQLite's file lock, PostgreSQL's write lock) before
# giving up with a sentence
STORE_LOCK_WAIT_S = 60
# PostgreSQL as the shared store (METRICS_DATABASE_URL): the connections each server process keeps
# (METRICS_DATABASE_POOL; a gunicorn worker serves one request at a time, plus the live poll and a
# background sync), how long a connection attempt may take, and the oldest server accepted
DATABASE_POOL = 4
DATABASE_CONNECT_TIMEOUT_S = 5
MIN_POSTGRES = 13
# sync --every: how often a loop waiting for another host's loop (same dataset) tries to take over
SYNC_LOCK_RETRY_S = 5
# live redraw: how often an open dataset's version is checked; editors see this many recent writes
LIVE_POLL_SECONDS = 3
RECENT_WRITES = 10
# the dashboard's cache of recent views, in MB per worker (METRICS_CACHE_MB): four workers fit a
# 2-core server with 4 GB (python -m bench.memory measures a worker; the README's "Memory" says why)
CACHE_MB = 128

# the Teams tab compares at most this many teams at once (each costs two analyses); the Team
# selector picks others
MAX_COMPARED_TEAMS = 50

# low samples: a tier placed, or a growth measured, from fewer events than this is marked "low
# sample: n=..." on its card (a median of 4 incidents or "+500 %: 1 -> 6 deploys" is mostly noise)
MIN_SAMPLE = 20
# enough evidence for a tier (METRICS.md section 3): below this many events a DORA key gets no tier,
# no Quick Check score and no coloured change; deployment frequency also gets one from a window of
# ``FREQUENCY_TIER_DAYS`` days or more (0 deployments in 30 days is low; in 7 days it says nothing)
MIN_TIER_EVIDENCE = 5
FREQUENCY_TIER_DAYS = 30

# alerts (python -m metrics alerts check; docs/deploy.md "Alerts, digests and the schedule"): an
# alert's window when its entry gives none, in days ending with today
ALERT_WINDOW_DAYS = 30
# hysteresis: an alert that fired recovers only when its value is back past its line by this share
# of the line (above = 15: it fires above 15 and recovers at or below 13.5); an entry's ``recover``
# sets its own recovery line instead
ALERT_RECOVERY_MARGIN = 0.10
# the times an alert fired are kept this many days (the digest lists the week's)
ALERT_FIRED_KEPT_DAYS = 90
# a digest's period, compared with the one before it
DIGEST_DAYS = 7
# the scheduler waits at most this long between looks at the clock (a stop is seen within it)
SCHEDULE_TICK_S = 30.0

# charts over time: a daily line longer than this many days is drawn per ISO week, and longer than
# ``WEEKLY_LINE_MAX_DAYS`` per calendar month (the downloads keep the daily values)
DAILY_LINE_MAX_DAYS = 120
WEEKLY_LINE_MAX_DAYS = 730           # two years
# cycle-time stages per period: per ISO week in a window shorter than this many days, per calendar
# month from it on; from it on too, the monthly trends of the DORA keys (issue 27)
MONTHLY_MIN_DAYS = 90


def stage_bucket(days: int) -> str:
    """The period of the cycle-time stages' medians over a window of ``days`` days: "week" or "month"."""
    return "month" if days >= MONTHLY_MIN_DAYS else "week"


def line_bucket(days: int) -> str:
    """How a daily line over ``days`` days is drawn: "day", "week" or "month"."""
    if days <= DAILY_LINE_MAX_DAYS:
        return "day"
    return "week" if days <= WEEKLY_LINE_MAX_DAYS else "month"


def low_sample(n: int | None) -> bool:
    """Whether a figure computed from ``n`` events is below ``MIN_SAMPLE`` (None: nothing to mark)."""
    return n is not None and n < MIN_SAMPLE


class CheckError(ValueError):
    """A value outside what a check allows; the message is one sentence (no final period)."""


def _shown(value) -> str:
    """The value as a message quotes it: numbers (and number text) plain, other text in quotes."""
    text = str(value).strip()[:40]
    try:
        float(text)
        return text
    except ValueError:
        return repr(text)


def whole(name: str, value, lo: int, hi: int, text_ok: bool = True) -> int:
    """Rule "a whole number in [lo, hi]": ``value`` as an int, or CheckError. With ``text_ok``,
    text such as ``"7"`` or ``"7.0"`` is read; otherwise only an int is a whole number."""
    message = f"{name} must be a whole number between {lo} and {hi}, got {_shown(value)}"
    if isinstance(value, bool):
        raise CheckError(message)
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif text_ok and isinstance(value, (str, float)):
        try:
            number = int(str(value).strip())
        except ValueError:
            try:
                as_float = float(str(value).strip())
            except ValueError:
                raise CheckError(message) from None
            if not math.isfinite(as_float) or as_float != int(as_float):
                raise CheckError(message) from None
            number = int(as_float)
    else:
        raise CheckError(message)
    if not lo <= number <= hi:
        raise CheckError(message)
    return number


def amount(name: str, value, lo: float = 0.0, hi: float = MAX_AMOUNT) -> float:
    """Rule "a finite number in [lo, hi]": ``value`` (a number or its text) as a float, or CheckError."""
    message = f"{name} must be a number between {lo:g} and {hi:g}, got {_shown(value)}"
    if isinstance(value, bool):
        raise CheckError(message)
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise CheckError(message) from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise CheckError(message)
    return number


def seed(value, text_ok: bool = True) -> int:
    """Rule: a seed is a whole number from 0 to ``MAX_SEED``."""
    return whole("seed", value, 0, MAX_SEED, text_ok)


def days(value, text_ok: bool = True, lo: int = 1) -> int:
    """Rule: a window is 1 to ``MAX_DAYS`` whole days (0 means "all data" where ``lo`` allows it)."""
    return whole("days", value, lo, MAX_DAYS, text_ok)


def services(value, text_ok: bool = True) -> int:
    """Rule: a synthetic organisation has 1 to ``MAX_SERVICES`` services."""
    return whole("services", value, 1, MAX_SERVICES, text_ok)


def team_size(value, text_ok: bool = True) -> int:
    """Rule: a team has 1 to ``MAX_TEAM`` developers."""
    return whole("team size", value, 1, MAX_TEAM, text_ok)


def large_pr_lines(value, text_ok: bool = True) -> int:
    """Rule: the large-PR threshold is a whole number of changed lines from 0 to ``MAX_PR_LINES``."""
    return whole("large PR lines", value, 0, MAX_PR_LINES, text_ok)


def sentence(error: Exception) -> str:
    """A check's message as a sentence for the page: capital first letter, final period."""
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def sla_targets(text: str | None) -> dict[str, float]:
    """Rule: ``METRICS_SLA_MINUTES`` is minutes, or ``service=minutes`` pairs separated by commas
    (``*`` for every other service); returns service -> minutes with ``"*"`` always present."""
    targets = {"*": SLA_MINUTES}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        service, _, minutes = part.rpartition("=")
        service = service.strip() or "*"
        targets[service] = amount(f"{SLA_SETTING} for {service}", minutes, 0.0, 10_000_000.0)
    return targets


# ----- goals and annotations (issue 28) -------------------------------------------------------
ALERTS_FILE = "alerts.toml"          # in the data directory; METRICS_ALERTS moves it ([[goal]] and [[alert]])
ANNOTATION_GAP_DAYS = 14             # a deployment after none for this many days (or more) is annotated
ANNOTATION_MANY_PRS = 10             # a deployment that shipped this many PRs (or more) is annotated
ANNOTATION_TEXT_MAX = 200            # characters of an annotation's text
ANNOTATION_EARLIEST = "2000-01-01"   # an annotation's date: from this day to today (UTC)
ANNOTATION_BODY_MAX_BYTES = 16_384   # the largest POST /api/v1/annotations body

# ----- the AI comparison (issue 29; docs/metrics.md "AI-assisted delivery: the comparison") ------
# AI-assisted and other merged PRs are compared only when each group has at least this many (and
# mostly-AI and other deployments only when each group has this many deployments); below, a sentence
AI_MIN_SAMPLE = 20
# the bootstrap of every median and p75: this many resamples, the percentile interval of this level
# (90: the 5th to the 95th percentile of the resampled statistics), numpy's default_rng seeded with
# BOOTSTRAP_SEED (the AI-assisted group) and BOOTSTRAP_SEED + 1 (the other group), fresh per measure;
# at most BOOTSTRAP_BLOCK_CELLS resampled values are held at once (a block of resamples at a time,
# the same numbers as one (resamples, n) draw)
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_LEVEL_PCT = 90
BOOTSTRAP_SEED = 2025
BOOTSTRAP_BLOCK_CELLS = 4_000_000
# a deployment is "mostly AI" when more than this share of its shipped PRs with a verdict were
# AI-assisted (exactly half is not mostly)
MOSTLY_AI_SHARE = 0.5
