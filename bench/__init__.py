"""Speed benchmarks (not tests): ``python -m bench`` prints the tables the README quotes."""

# the synthetic universe's events a service a year (365 days, seed 42; with the PR facts of issue 27:
# first commits and sizes): the benchmarks' services for a number of events
EVENTS_PER_SERVICE_YEAR = 4330


def services_for(events: int) -> int:
    """The services of a 365-day synthetic universe of about ``events`` events."""
    return max(1, round(events / EVENTS_PER_SERVICE_YEAR))
