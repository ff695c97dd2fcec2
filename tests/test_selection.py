"""The service filter: service-level events narrowed, team-level events kept (hand-computed on hand.csv)."""
import json

import oracle
from browser_helpers import cards_from_summary
from conftest import FIXTURES, run_cli
from dashboard.data import Views
from dashboard.state import View
from metrics import analyze, generate, load_events, tables_from_frame
from metrics.selection import only_services, services_of, tables_of_services
from metrics.summary import to_json
from metrics.tables import frame_from_tables
from metrics.window import today_ns

HAND = FIXTURES / "hand.csv"


def test_services_are_those_with_delivery_events():
    frame, _ = load_events([HAND])
    # team and platform only carry surveys, toil and platform hours
    assert services_of(tables_from_frame(frame)) == ["api", "db", "web"]


def test_only_services_keeps_team_level_events():
    frame, _ = load_events([HAND])
    db = only_services(frame, ["db"])
    assert sorted(db.loc[db["service"] == "db", "kind"]) == ["incident_resolved", "incident_start"]
    assert set(db["service"]) == {"db", "team", "platform"}
    assert len(db) == 2 + (frame["kind"].isin(["satisfaction_survey", "platform_investment_hour", "incident_response",
                                                "toil", "onboarding_complete"])).sum()


def test_only_service_on_the_command_line():
    d = json.loads(run_cli("--events", HAND, "--only-service", "db", "--json").stdout)
    # db: one incident, 09:00 -> 09:10 on 2024-01-06, and no deployment of db to attribute it to
    assert (d["dora"]["deployments"], d["dora"]["incidents"], d["dora"]["unattributed_incidents"]) == (0, 1, 1)
    assert d["dora"]["mttr_minutes_mean"] == 10.0
    # team-level events stay: 3 survey answers averaging 4.0, 4 + 6 platform hours
    assert (d["space"]["satisfaction_mean"], d["space"]["satisfaction_responses"]) == (4.0, 3)
    assert d["pvm"]["platform_hours"] == 10.0
    web = json.loads(run_cli("--events", HAND, "--only-service", "web", "--json").stdout)["dora"]
    assert web["deployments"] == 1                                   # d6 on 2024-01-05
    p = run_cli("--events", HAND, "--only-service", "mobile")
    assert p.returncode == 2 and "no service named 'mobile' (services: api, db, web)" in p.stderr


def test_the_dashboard_filters_the_synthetic_universe_like_the_command_line():
    view = View(seed=7, days=30, only=("search",))
    an = Views().compute(view).current
    got = an.summary
    u = generate(30, 7, end=today_ns())
    assert got == analyze(tables_of_services(u.tables, ["search"]), u.window).summary
    # and against the independent oracle (plain pandas from METRICS.md; test_oracle checks it by hand):
    # search's deliveries, every team-level event
    start, end = oracle.window_ending_today(30)
    events = oracle.tidy(frame_from_tables(u.tables))
    assert cards_from_summary(got) == oracle.cards(oracle.summary(events, start, end, only=("search",)))
    assert cards_from_summary(got) != oracle.cards(oracle.summary(events, start, end))    # the filter did narrow
    assert to_json(an) == json.loads(run_cli("--seed", 7, "--days", 30, "--only-service", "search", "--json").stdout)
    assert Views().compute(view).services == ("checkout", "payments", "search")


def test_masking_tables_equals_filtering_the_events():
    """Narrowing the tables by mask gives the summary of the events filtered first, for synthetic
    universes of several scenarios and for the hand-made file, one service or several."""
    from metrics.tables import frame_from_tables
    cases = []
    for seed, services in ((42, 3), (7, 5), (100, 4)):
        u = generate(30, seed, services=services, end=today_ns())
        cases.append((u.tables, u.window))
    frame, _ = load_events([HAND])
    hand = tables_from_frame(frame)
    from metrics.window import over_data
    cases.append((hand, over_data(hand.time_span(), None, None, None)))
    for tables, window in cases:
        names = services_of(tables)
        for chosen in ([names[0]], names[1:3]):
            masked = analyze(tables_of_services(tables, chosen), window).summary
            filtered = analyze(tables_from_frame(only_services(frame_from_tables(tables), chosen)), window).summary
            assert _close(masked, filtered), (window, chosen)


def _close(a, b) -> bool:
    """Equal summaries, floats to 12 significant digits (summation order differs)."""
    import math
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


def test_grouped_rows_narrow_exactly_as_the_mask_does():
    """``ServiceRows.narrow`` (rows grouped by service once) gives the frames the mask gives, in
    the same order with the same index, for one service, several, none known, and all of them."""
    import pandas as pd
    from metrics.selection import SERVICE_TABLES, ServiceRows
    tables = generate(30, 5, services=12).tables
    rows = ServiceRows(tables)
    names = list(tables.services)
    for chosen in ([names[0]], names[2:7], [names[3], "no-such-service"], ["no-such-service"], names, []):
        mask, grouped = tables_of_services(tables, chosen), rows.narrow(chosen)
        for attr in SERVICE_TABLES:
            pd.testing.assert_frame_equal(getattr(grouped, attr), getattr(mask, attr))
        assert grouped.surveys is tables.surveys          # team-level tables whole
    one = rows.narrow([names[0]]).deploys
    assert len(one) and set(one["service"]) == {0} and one["ts"].is_monotonic_increasing
