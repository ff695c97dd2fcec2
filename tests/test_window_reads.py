"""A view of a PostgreSQL dataset reads only what it needs (``metrics.reach``, ``store.load_window``,
``store.dataset_facts``): every number of a window and of its previous period from the window's rows
equals the number from the whole dataset (the oracle: ``tables_from_frame`` of every event), on data
whose incidents and PRs cross the windows' edges, with events exactly on them and deployments exactly
at the attribution limit; and a 30-day view of a big dataset fetches about the window's rows.

The rows are put in the ``events`` table with plain COPY (schema: revision 20261207_0001), so these
tests depend on no writer of the store."""
import io
import json

import numpy as np
import pandas as pd
import pytest

from metrics import analyze, store
from metrics.analysis import kinds_present
from metrics.attribution import Overrides
from metrics.reach import facts_of, reach
from metrics.selection import tables_of_services
from metrics.schema import COLUMNS, NS_PER_DAY, NS_PER_HOUR, TEXT_COLUMNS
from metrics.store.connection import reading, writing
from metrics.store.postgres.window import read_window
from metrics.tables import tables_from_frame, ts_ns
from metrics.window import Window

DAY0 = 20_000 * NS_PER_DAY          # 2024-10-04, a Friday
DAYS = 120
SERVICES = ("shop", "pay", "search")


def edge_events(seed: int = 5) -> pd.DataFrame:
    """Events of every kind over DAYS days, built to cross edges: incidents and PRs lasting up to 50
    days, many events exactly at midnight, deployments exactly 24 h (the attribution limit) and a
    nanosecond more before incidents, explicit links to deployments far in the past or the future,
    local ids one service holds and ids several services share, open incidents, unmerged PRs."""
    rng = np.random.default_rng(seed)
    rows = []

    def at(day, hour=0.0):
        return DAY0 + int(day * NS_PER_DAY + hour * NS_PER_HOUR)

    def add(ts, kind, service, **cols):
        rows.append({"ts": ts, "kind": kind, "service": service, **cols})

    deploys = []                                        # (ts, service, id)
    for day in range(DAYS):
        for i in range(rng.integers(1, 5)):
            service = SERVICES[rng.integers(3)]
            ts = at(day, 0 if i == 0 else rng.uniform(0, 24))
            local = f"v{day}.{i}"
            ident = f"{service}@{local}" if rng.random() < 0.7 else local
            status = "failed" if rng.random() < 0.1 else "success"
            change = ("hotfix", "rollback", "feature", "")[rng.integers(4)] if rng.random() < 0.2 else ""
            env = "staging" if rng.random() < 0.1 else ("production" if rng.random() < 0.5 else "")
            add(ts, "deploy", service, deploy_id=ident, status=status, change_type=change, environment=env)
            deploys.append((ts, service, ident))
    # an id several services share (ambiguous by local id), and one shared with another service's name
    add(at(3, 5), "deploy", "pay", deploy_id="pay@release")
    add(at(100, 5), "deploy", "search", deploy_id="search@release")
    add(at(2, 1), "deploy", "shop", deploy_id="lonely")
    add(at(1, 2), "deploy", "pay", deploy_id="shop@cross")        # a shop link "cross" names it (SERVICE@LINK)
    for n in range(160):
        start_day = rng.integers(0, DAYS)
        service = SERVICES[rng.integers(3)]
        start = at(start_day, 0 if n % 3 == 0 else rng.uniform(0, 24))
        link = ""
        r = rng.random()
        if r < 0.15:
            link = deploys[rng.integers(len(deploys))][2]                  # anywhere, future included
        elif r < 0.2:
            link = ("release", "lonely", "nothing", "v7.0", "cross")[rng.integers(5)]
        elif r < 0.3:                                                      # at the attribution limit
            extra = 0 if n % 2 else 1
            add(start - 24 * NS_PER_HOUR - extra, "deploy", service, deploy_id=f"{service}@lim{n}")
        add(start, "incident_start", service, incident_id=f"inc-{n}", deploy_id=link)
        if rng.random() < 0.9:
            length = rng.choice([rng.uniform(0.1, 5) * NS_PER_HOUR, rng.uniform(1, 50) * NS_PER_DAY])
            resolved = start + int(length) if n % 5 else at(start_day + rng.integers(1, 40))
            add(resolved, "incident_resolved", service, incident_id=f"inc-{n}")
    for n in range(400):
        day = rng.integers(0, DAYS)
        service = SERVICES[rng.integers(3)]
        created = at(day, 0 if n % 4 == 0 else rng.uniform(0, 24))
        author = ("ann", "bob", "cy", "")[rng.integers(4)]
        add(created, "pr_created", service, pr_id=f"pr-{n}", author=author,
            environment="git-history" if n == 7 else "")
        t = created
        for _ in range(rng.integers(0, 3)):
            t += int(rng.uniform(0.5, 20 * 24) * NS_PER_HOUR)
            add(t, "pr_reviewed", service, pr_id=f"pr-{n}", author="rev")
        if rng.random() < 0.85:
            t += int(rng.uniform(0.1, 30 * 24) * NS_PER_HOUR)
            link = deploys[rng.integers(len(deploys))][2] if rng.random() < 0.2 else ("cross" if n % 50 == 0 else "")
            add(t, "pr_merged", service, pr_id=f"pr-{n}", deploy_id=link)
    for day in range(DAYS):
        add(at(day), "platform_investment_hour", "platform", metric_value=float(rng.integers(2, 9)))
        add(at(day, 9), "toil", "team", metric_value=float(rng.integers(0, 60)))
        add(at(day, 10), "incident_response", "team", metric_value=float(rng.integers(0, 30)))
        if day % 7 == 0:
            for _ in range(5):
                add(at(day, rng.uniform(0, 24)), "satisfaction_survey", "team", metric_value=float(rng.integers(1, 6)))
        if day % 30 == 4:
            add(at(day, 12), "onboarding_complete", "team", metric_value=3.0)
        if day % 11 == 0:
            add(at(day, 1), "custom_kind", "shop", metric_value=1.0)
    frame = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in frame:
            frame[c] = np.nan if c == "metric_value" else ""
    for c in TEXT_COLUMNS:
        frame[c] = frame[c].fillna("").astype(str)
    frame["ts"] = pd.to_datetime(frame["ts"].astype(np.int64), utc=True, unit="ns")
    return frame[list(COLUMNS)].sort_values("ts", kind="stable").reset_index(drop=True)


def put(name: str, frame: pd.DataFrame) -> None:
    """Store ``frame`` (ordered as it should load) in the ``events`` table by COPY, with its
    ``datasets`` and ``generations`` rows; ``row_hash`` is the row's position."""
    out = io.StringIO()
    body = frame.assign(ts=ts_ns(frame["ts"]), row_hash=np.arange(len(frame)), dataset=name)
    body = body.rename(columns={"ts": "ts_ns"})
    body[["dataset", "ts_ns", *TEXT_COLUMNS, "metric_value", "row_hash"]].to_csv(out, index=False, header=False)
    ts = body["ts_ns"].to_numpy()
    with writing() as con:
        with con.raw.cursor() as cursor:
            with cursor.copy(f"COPY events (dataset, ts_ns, {', '.join(TEXT_COLUMNS)}, metric_value, row_hash) "
                             f"FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({', '.join(TEXT_COLUMNS)}))") as copy:
                copy.write(out.getvalue())
        con.execute("INSERT INTO datasets (name, events, first_ns, last_ns) VALUES (?, ?, ?, ?)",
                    (name, len(frame), int(ts.min()), int(ts.max())))
        con.execute("INSERT INTO generations (dataset, generation) VALUES (?, 1)", (name,))


def as_text(analysis) -> str:
    """Every number of an analysis, as text (NaN and None kept apart)."""
    parts = {"summary": analysis.summary, "details": analysis.details}
    for name in ("daily", "weekly", "weekly_delivery", "iar_periods", "incidents", "prs", "deployments"):
        parts[name] = getattr(analysis, name).to_json(orient="split", date_format="iso", double_precision=15)
    parts["marks"] = [analysis.deployment_marks().shape, analysis.incident_marks()["recovery_minutes"].tolist()]
    parts["lead"] = analysis.lead_time_hours().tolist()
    return json.dumps(parts, sort_keys=True, default=str)


WINDOWS = [(start, days) for days, step in ((1, 9), (7, 6), (14, 11), (30, 10)) for start in range(0, DAYS + 10, step)]


def test_every_number_of_a_window_equals_the_whole_datasets(pg):
    frame = edge_events()
    put("edges", frame)
    whole = tables_from_frame(frame)
    present = kinds_present(whole)
    pins = Overrides({"inc-3": "v5.0", "inc-8": "release", "inc-11": "lonely"}, frozenset({"inc-20"}))
    compared = 0
    for start, days in WINDOWS:
        window = Window(DAY0 + start * NS_PER_DAY, DAY0 + (start + days) * NS_PER_DAY)
        part = store.load_window("edges", reach(window, pins=pins.pins))
        assert part.event_count() < whole.event_count() or days >= 30
        overrides = pins if start % 2 else None            # half the windows with attribution overrides
        for period in (window, window.previous()):
            expected = as_text(analyze(whole, period, present=present, overrides=overrides))
            got = as_text(analyze(part, period, present=present, overrides=overrides))
            assert got == expected, (start, days, period, overrides)
            compared += 1
    assert compared == 2 * len(WINDOWS)


def test_the_window_rule_is_tight_at_the_attribution_limit(pg):
    """An incident at the previous period's first instant, a deployment exactly 24 h before it: read,
    and attributed; one nanosecond earlier: not read (and not attributed in the whole data either)."""
    window = Window(DAY0 + 10 * NS_PER_DAY, DAY0 + 17 * NS_PER_DAY)
    first = window.previous().start_ns
    rows = [(first - 24 * NS_PER_HOUR, "deploy", "shop", "shop@a"), (first - 24 * NS_PER_HOUR - 1, "deploy", "pay", "pay@b"),
            (first, "incident_start", "shop", ""), (first + 1, "incident_start", "pay", "")]
    frame = pd.DataFrame([{"ts": t, "kind": k, "service": s, "deploy_id": d, "incident_id": f"i{n}" if "inc" in k else ""}
                          for n, (t, k, s, d) in enumerate(rows)])
    for c in COLUMNS:
        if c not in frame:
            frame[c] = np.nan if c == "metric_value" else ""
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, unit="ns")
    frame = frame[list(COLUMNS)].sort_values("ts", kind="stable").reset_index(drop=True)
    put("limit", frame)
    part = store.load_window("limit", reach(window))
    assert sorted(part.deploy_id(part.deploys["key"])) == ["shop@a"]
    got = analyze(part, window.previous())
    assert got.incidents["attribution"].tolist() == ["inferred", "unattributed"]
    assert analyze(tables_from_frame(frame), window.previous()).incidents["attribution"].tolist() == ["inferred",
                                                                                                       "unattributed"]


def test_the_facts_of_a_dataset_without_loading_it(pg):
    frame = edge_events(8)
    put("facts", frame)
    assert store.dataset_facts("facts") == facts_of(tables_from_frame(frame))
    bare = frame[frame["kind"].isin(["platform_investment_hour", "toil"])].reset_index(drop=True)
    put("bare", bare)
    assert store.dataset_facts("bare") == facts_of(tables_from_frame(bare))
    with pytest.raises(store.StoreError, match="no dataset named 'nope'"):
        store.dataset_facts("nope")
    with pytest.raises(store.StoreError, match="no dataset named 'nope'"):
        store.load_window("nope", reach(Window(DAY0, DAY0 + NS_PER_DAY)))


def test_an_empty_window_loads_no_rows(pg):
    put("early", edge_events())
    far = Window(DAY0 + 900 * NS_PER_DAY, DAY0 + 930 * NS_PER_DAY)
    part = store.load_window("early", reach(far))
    assert part.event_count() == 0
    assert analyze(part, far).summary["dora"]["deployments"] == 0


def test_a_30_day_view_of_a_big_dataset_reads_about_its_window(pg):
    """200,000 events over 1,000 days (200 a day): a 30-day view and its previous period read the 61
    days of rows (the 60 days and the attribution day before them) and the few pairing rows, not the
    dataset."""
    with writing() as con:
        con.execute("""
            INSERT INTO events (dataset, ts_ns, kind, service, deploy_id, incident_id, pr_id, metric_value, status,
                                change_type, environment, author, row_hash)
            SELECT 'big', %s::bigint + g * (86400000000000 / 200), k.kind, 'svc' || (g % 7),
                   CASE WHEN k.kind = 'deploy' THEN 'd' || g ELSE '' END,
                   CASE WHEN k.kind LIKE 'incident%' THEN 'i' || (g / 40) ELSE '' END,
                   CASE WHEN k.kind LIKE 'pr%' THEN 'p' || (g / 40) ELSE '' END,
                   NULL, '', '', '', '', g
            FROM generate_series(0, 199999) g,
                 LATERAL (SELECT (ARRAY['deploy', 'incident_start', 'incident_resolved', 'pr_created', 'pr_merged'])[
                          1 + (g % 5)] AS kind) k""".replace("%s", str(DAY0)))
        con.execute("INSERT INTO datasets (name, events) VALUES ('big', 200000)")
    window = Window(DAY0 + 900 * NS_PER_DAY, DAY0 + 930 * NS_PER_DAY)
    with reading() as con:
        columns = read_window(con, "big", reach(window))
    fetched = len(columns["ts"])
    assert 61 * 200 <= fetched <= 61 * 200 + 200          # the range, and pairs reaching just past its ends
    assert store.dataset_facts("big").services == tuple(f"svc{i}" for i in range(7))


def test_a_dashboard_view_of_a_postgresql_dataset_reads_its_window_and_shows_the_whole_datasets_numbers(pg):
    """``Views.compute`` of a stored dataset on PostgreSQL: the numbers of the window and of its previous
    period, the services and the days are those of the whole dataset; another window loads its own rows."""
    from dashboard.data import Views
    from dashboard.fields import View
    frame = edge_events(11)
    put("shown", frame)
    whole = tables_from_frame(frame)
    facts = facts_of(whole)
    views = Views()
    for days, end in ((30, ""), (7, "2024-12-01"), (14, "2025-01-05")):
        view = View(dataset="shown", days=days, end=end, only=("shop", "pay") if days == 7 else ())
        computed = views.compute(view)
        window = computed.window
        narrowed = tables_of_services(whole, view.only)
        for got, period in ((computed.current, window), (computed.previous, window.previous())):
            assert as_text(got) == as_text(analyze(narrowed, period, got.assumptions, present=facts.present))
        assert computed.services == facts.services and computed.span == facts.days
        windows = [key for key in views.cache._items if key[0] == "dataset-window"]
        assert windows and not [key for key in views.cache._items if key[0] == "dataset-tables"]
    assert len({key[3] for key in views.cache._items if key[0] == "dataset-window"}) == 3


def test_the_command_line_summary_of_a_postgresql_dataset_reads_its_window(pg, tmp_path, monkeypatch):
    """``python -m metrics --dataset NAME --json`` on PostgreSQL (the window's rows alone) prints what
    ``--events FILE`` of the same events prints (read whole from the file)."""
    import contextlib

    from metrics.cli.summary import run
    frame = edge_events(13)
    put("cli", frame)
    csv = tmp_path / "cli.csv"
    frame.assign(ts=[stamp.isoformat() for stamp in frame["ts"]]).to_csv(csv, index=False)   # ns kept

    def whole(name):
        raise AssertionError("the whole dataset was loaded")
    monkeypatch.setattr(store, "load_tables", whole)
    for extra in ([], ["--days", "30"], ["--start", "2024-11-03", "--end", "2024-12-01", "--only-service", "shop"],
                  ["--days", "7", "--attribution-hours", "48"]):
        outs = []
        for source in (["--dataset", "cli"], ["--events", str(csv)]):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stderr(io.StringIO()):
                assert run([*source, "--json", *extra], out, err) == 0, err.getvalue()
            outs.append(json.loads(out.getvalue()))
        assert outs[0] == outs[1], extra


def test_the_monthly_trends_of_a_long_window_have_their_previous_year_from_a_window_read(pg):
    """A 120-day view of two years of data reads the same days a year earlier too (its monthly
    trends compare each month with them): the trends and their previous year equal the whole's."""
    from metrics import frame_from_tables, generate
    whole = generate(730, 4, services=2, end="2026-06-30").tables
    store.save("years", frame_from_tables(whole))
    window = Window(ts_ns(pd.Series(pd.to_datetime(["2026-03-02"], utc=True)))[0],
                    ts_ns(pd.Series(pd.to_datetime(["2026-06-30"], utc=True)))[0])
    assert window.days == 120
    part = store.load_window("years", reach(window))
    assert part.event_count() < whole.event_count()
    present = kinds_present(whole)
    expected, got = (analyze(t, window, present=present).trends for t in (whole, part))
    assert got["previous_year"] is not None and got["previous_year"]["deploys_per_day"].notna().all()
    for key in ("months", "previous_year"):
        pd.testing.assert_frame_equal(got[key], expected[key])


def with_facts(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """``frame`` with the PR facts of issue 27, drawn by a stream of their own (the other events as they
    were): most PRs a first commit up to 40 days before their creation (some at the creation, some at
    midnight), most merged PRs their three sizes at the merge (a few a day after it, as a file may
    have them), and a first commit of a PR that has no ``pr_created``."""
    rng = np.random.default_rng(seed)
    rows = []
    created = frame[frame["kind"] == "pr_created"]
    for n, (ts, service, pr) in enumerate(zip(ts_ns(created["ts"]), created["service"], created["pr_id"])):
        if rng.random() < 0.85:
            back = 0 if n % 9 == 0 else int(rng.uniform(0, 40) * NS_PER_DAY)
            first = ts - back if n % 5 else (ts - back) // NS_PER_DAY * NS_PER_DAY
            rows.append({"ts": first, "kind": "pr_first_commit", "service": service, "pr_id": pr})
    merged = frame[frame["kind"] == "pr_merged"]
    for n, (ts, service, pr) in enumerate(zip(ts_ns(merged["ts"]), merged["service"], merged["pr_id"])):
        if rng.random() < 0.9:
            at = ts + (NS_PER_DAY if n % 13 == 0 else 0)
            for kind in ("pr_lines_added", "pr_lines_removed", "pr_files_changed"):
                rows.append({"ts": at, "kind": kind, "service": service, "pr_id": pr,
                             "metric_value": float(rng.integers(0, 900))})
    rows.append({"ts": DAY0 + 50 * NS_PER_DAY, "kind": "pr_first_commit", "service": "shop", "pr_id": "pr-orphan"})
    facts = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in facts:
            facts[c] = np.nan if c == "metric_value" else ""
    facts["ts"] = pd.to_datetime(facts["ts"].astype(np.int64), utc=True, unit="ns")
    both = pd.concat([frame, facts[list(COLUMNS)]], ignore_index=True)
    return both.sort_values("ts", kind="stable").reset_index(drop=True)


def pr_facts_of(tables) -> str:
    """The PR facts a period's tables hold, by PR id: the PR table's first commit and sizes, and every
    first commit and size event kept."""
    prs = tables.prs
    table = pd.DataFrame({"pr": tables.pr_id(prs["key"]), "first_commit": prs["first_commit"],
                          **{c: prs[c] for c in ("lines_added", "lines_removed", "files_changed")}})
    events = [sorted(zip(tables.pr_id(tables.first_commits["key"]), tables.first_commits["ts"].tolist())),
              sorted(zip(tables.pr_id(tables.sizes["key"]), tables.sizes["ts"].tolist(), tables.sizes["measure"].tolist(),
                         tables.sizes["value"].tolist()))]
    return table.sort_values("pr").to_json(orient="split", index=False) + json.dumps(events, default=str)


def test_first_commits_and_sizes_of_a_window_equal_the_whole_datasets(pg):
    from metrics.analysis import window_tables
    from metrics.compute.dora import lead_time
    frame = with_facts(edge_events())
    put("facts27", frame)
    whole = tables_from_frame(frame)
    present = kinds_present(whole)
    compared = 0
    for start, days in WINDOWS[::2]:
        window = Window(DAY0 + start * NS_PER_DAY, DAY0 + (start + days) * NS_PER_DAY)
        part = store.load_window("facts27", reach(window))
        for period in (window, window.previous()):
            assert pr_facts_of(window_tables(part, period)) == pr_facts_of(window_tables(whole, period)), (start, days)
            per_pr = [lead_time(window_tables(t, period), period)["prs"] for t in (part, whole)]
            columns = ["coding_hours", "lines_added", "lines_removed", "files_changed", "lead_time_hours"]
            assert [p.sort_values("created")[columns].to_json() for p in per_pr][0] == \
                per_pr[1].sort_values("created")[columns].to_json(), (start, days)
            assert as_text(analyze(part, period, present=present)) == as_text(analyze(whole, period, present=present))
            compared += 1
    assert compared == 2 * len(WINDOWS[::2])


def test_a_dataset_without_the_facts_reads_no_more_than_before(pg):
    """The PRs of a dataset holding no first commit or size are complete as before: a window reads
    exactly the rows the rule without the facts names (counted from the events); the same events with
    the facts read the first commits before the range."""
    late = pd.DataFrame([{"ts": DAY0 + day * NS_PER_DAY + 7, "kind": kind, "service": "shop", "pr_id": "pr-late"}
                         for day, kind in ((61, "pr_created"), (62, "pr_reviewed"), (63, "pr_merged"), (80, "pr_reviewed"))])
    for c in COLUMNS:
        if c not in late:
            late[c] = np.nan if c == "metric_value" else ""
    late["ts"] = pd.to_datetime(late["ts"], utc=True, unit="ns")
    # a PR complete in the range (created, reviewed, merged in it) with a review long after: not read
    frame = pd.concat([edge_events(), late[list(COLUMNS)]]).sort_values("ts", kind="stable").reset_index(drop=True)
    put("plain27", frame)
    put("rich27", with_facts(frame))
    window = Window(DAY0 + 60 * NS_PER_DAY, DAY0 + 67 * NS_PER_DAY)
    with reading() as con:
        plain = read_window(con, "plain27", reach(window))
        rich = read_window(con, "rich27", reach(window))
    rows = reach(window)
    # the rich dataset fetches the first commits before the range of the range's PRs
    kinds = rich["kind"][1][rich["kind"][0]]
    assert ((kinds == "pr_first_commit") & (rich["ts"] < rows.start_ns)).sum() > 10
    # the plain one reads exactly what the rule before the facts names (not pr-late's last review)
    assert len(plain["ts"]) == window_rows(frame, rows)
    assert not (plain["ts"] == DAY0 + 80 * NS_PER_DAY + 7).any()


def window_rows(frame: pd.DataFrame, rows) -> int:
    """How many rows the rule of ``metrics.reach`` (before issue 27) names for ``frame``: the range, and
    the later events of its incidents and PRs (without their resolution / merge / a review in it),
    and the deployments their links name (counted from the frame, independently of the store's code)."""
    ts = ts_ns(frame["ts"])
    inside = (ts >= rows.start_ns) & (ts < rows.end_ns)
    r = frame[inside]
    def incomplete(first, later, column):
        mine = set(r.loc[r["kind"] == first, column])
        done = [set(r.loc[r["kind"] == k, column]) for k in later]
        return {i for i in mine if i and not all(i in d for d in done)}
    incidents = incomplete("incident_start", ["incident_resolved"], "incident_id")
    prs = incomplete("pr_created", ["pr_merged", "pr_reviewed"], "pr_id")
    paired = ~inside & (frame["incident_id"].isin(incidents) | frame["pr_id"].isin(prs)).to_numpy()
    linking = frame[(inside | paired) & frame["kind"].isin(["incident_start", "pr_merged"]).to_numpy()]
    links = {(d, s) for d, s in zip(linking["deploy_id"], linking["service"]) if d}
    names = {d for d, _ in links} | {f"{s}@{d}" for d, s in links}
    local = {d for d, _ in links}
    deploy = (frame["kind"] == "deploy").to_numpy() & (frame["deploy_id"] != "").to_numpy()
    own_local = [d.split("@", 1)[1] if d.startswith(f"{s}@") else d for d, s in zip(frame["deploy_id"], frame["service"])]
    named = deploy & (frame["deploy_id"].isin(names).to_numpy() | np.isin(own_local, list(local)))
    return int((inside | paired | (named & ~inside)).sum())


def test_a_long_windows_reach_starts_a_year_earlier_with_or_without_its_previous_period():
    """A view of 90 days or more, and the command line's summary of one (no previous period), read
    from the same days a year earlier (less the attribution window): the monthly trends' previous year."""
    from metrics.analysis import year_before
    window = Window.between("2026-03-02", "2026-06-30")             # 120 days
    for previous in (True, False):
        assert reach(window, attribution_hours=0, previous=previous).start_ns == year_before(window).start_ns
    short = Window.between("2026-04-01", "2026-06-29")              # 89 days: its previous period only
    assert reach(short, attribution_hours=0).start_ns == short.previous().start_ns


def pr_rows(*rows) -> pd.DataFrame:
    """Events of service shop from (day, kind, pr_id, value) tuples, at DAY0 + day (fractions allowed)."""
    frame = pd.DataFrame([{"ts": DAY0 + int(day * NS_PER_DAY), "kind": kind, "service": "shop", "pr_id": pr,
                           "metric_value": value} for day, kind, pr, value in rows])
    for c in COLUMNS:
        if c not in frame:
            frame[c] = ""
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, unit="ns")
    return frame.sort_values("ts", kind="stable").reset_index(drop=True)[list(COLUMNS)]


def probes(monkeypatch) -> list:
    """The parameters of every ``PAIRED_ROWS`` read from now on (the ids probed outside the range)."""
    import metrics.store.postgres.window as pg_window
    asked, copied = [], pg_window.copied

    def recorded(con, query, params=None):
        if query == pg_window.PAIRED_ROWS:
            asked.append(params)
        return copied(con, query, params)
    monkeypatch.setattr(pg_window, "copied", recorded)
    return asked


def prs_by_id(tables) -> str:
    """The PR table of some tables with ids and service names for its codes, by id (codes differ between reads)."""
    prs = tables.prs.assign(key=tables.pr_id(tables.prs["key"]), service=tables.service_name(tables.prs["service"]))
    return prs.drop(columns=["deploy_key", "author"]).sort_values("key").to_json(orient="records")


def test_facts_of_free_time_are_found_on_both_sides_and_later_events_after_only(pg, monkeypatch):
    """A window of days 40-50 (its previous period 30-40; no attribution reach): PR a, created on day
    35, has its size (a canonical file may time it anywhere) on day 10 and its AI verdict on day 70;
    PR b's review comes on day 60; PR c is complete in the range; PR d lacks only its AI verdict
    (day 80); events on days 0 and 90 bound the data. The window's numbers equal the whole's, and
    the PRs lacking a fact, a merge or a review (a, b, d) are probed on both sides of the range."""
    frame = pr_rows((0, "pr_created", "early", np.nan), (10, "pr_lines_added", "a", 40.0),
                    (35, "pr_created", "a", np.nan), (36, "pr_merged", "a", np.nan), (70, "pr_ai_assisted", "a", 1.0),
                    (38, "pr_created", "b", np.nan), (39, "pr_merged", "b", np.nan), (60, "pr_reviewed", "b", np.nan),
                    (41, "pr_created", "c", np.nan), (41.5, "pr_reviewed", "c", np.nan), (42, "pr_merged", "c", np.nan),
                    (42, "pr_lines_added", "c", 7.0), (41, "pr_ai_assisted", "c", 0.0), (90, "pr_created", "late", np.nan),
                    (43, "pr_created", "d", np.nan), (43.5, "pr_reviewed", "d", np.nan), (44, "pr_merged", "d", np.nan),
                    (44, "pr_lines_added", "d", 3.0), (80, "pr_ai_assisted", "d", 1.0))
    frame.loc[frame["kind"] == "pr_ai_assisted", "status"] = np.where(
        frame.loc[frame["kind"] == "pr_ai_assisted", "metric_value"] == 1, "label", "none")
    put("free", frame)
    asked = probes(monkeypatch)
    window = Window(DAY0 + 40 * NS_PER_DAY, DAY0 + 50 * NS_PER_DAY)
    part = store.load_window("free", reach(window, attribution_hours=0))
    paired = asked[-1]
    assert sorted(paired["prs_before"]) == ["a", "b", "d"] and sorted(paired["prs_after"]) == ["a", "b", "d"]
    whole = tables_from_frame(frame)
    from metrics.analysis import window_tables
    for period in (window, window.previous()):
        assert prs_by_id(window_tables(part, period)) == prs_by_id(window_tables(whole, period))
    prs = part.prs.set_axis(part.pr_id(part.prs["key"]))
    assert prs.loc["a", "lines_added"] == 40.0 and prs.loc["a", "ai_assisted"] == 1.0
    assert prs.loc["b", "first_review"] == DAY0 + 60 * NS_PER_DAY and prs.loc["d", "ai_assisted"] == 1.0


def test_a_view_of_the_latest_days_probes_nothing_after_the_data_nor_before_it(pg, monkeypatch):
    """Data of days 20-49 and a window of days 40-50: no event is stored after the range, so no id is
    probed after it (a and b, without their first commit in it, are probed before it); a window of
    days 20-25 (its previous period 15-20: the range starts before the data) probes nothing
    before it. The numbers still equal the whole's."""
    frame = pr_rows((20, "pr_first_commit", "a", np.nan), (41, "pr_created", "a", np.nan),
                    (44, "pr_created", "b", np.nan), (49, "pr_reviewed", "b", np.nan),
                    (22, "pr_created", "c", np.nan), (23, "pr_first_commit", "c", np.nan))
    put("latest", frame)
    asked = probes(monkeypatch)
    latest = Window(DAY0 + 40 * NS_PER_DAY, DAY0 + 50 * NS_PER_DAY)
    part = store.load_window("latest", reach(latest, attribution_hours=0))
    paired = asked[-1]
    assert paired["prs_after"] == [] and paired["incidents_after"] == [] and sorted(paired["prs_before"]) == ["a", "b"]
    whole = tables_from_frame(frame)
    from metrics.analysis import window_tables
    assert prs_by_id(window_tables(part, latest)) == prs_by_id(window_tables(whole, latest))
    asked.clear()
    early = Window(DAY0 + 20 * NS_PER_DAY, DAY0 + 25 * NS_PER_DAY)
    part = store.load_window("latest", reach(early, attribution_hours=0))
    paired = asked[-1]
    assert paired["prs_before"] == [] and paired["prs_after"] == ["c"]
    assert prs_by_id(window_tables(part, early)) == prs_by_id(window_tables(whole, early))


def test_later_events_stored_before_a_start_that_came_later_are_read(pg, tmp_path):
    """Two imports: the first stores PR x's review (day 10), PR y's merge (day 11) and incident i1's
    resolution (day 10); the second x's and y's creations (day 45) and i1's start (day 44). The store
    refuses y's creation after its stored merge and i1's start after its stored resolution, with
    their reasons, but keeps x's creation (a review is no pairing event): a window of days 40-50
    holds it, so the review before its range must come along and every number equals the whole
    dataset's (the reviewer's case; a read that looked after the range only lost it)."""
    from metrics.ingest import load_events

    def csv(name, rows):
        frame = pd.DataFrame([{"ts": pd.Timestamp(DAY0 + int(day * NS_PER_DAY), tz="UTC").isoformat(), "kind": kind,
                               "service": "shop", **cols} for day, kind, cols in rows])
        for c in COLUMNS:
            if c not in frame:
                frame[c] = ""
        frame[list(COLUMNS)].to_csv(tmp_path / name, index=False)
        return tmp_path / name

    reports = []
    for rows in ([(0, "deploy", {"deploy_id": "v0"}), (10, "pr_reviewed", {"pr_id": "x"}), (11, "pr_merged", {"pr_id": "y"}),
                  (10, "incident_resolved", {"incident_id": "i1"}), (90, "deploy", {"deploy_id": "v9"})],
                 [(45, "pr_created", {"pr_id": "x"}), (44, "incident_start", {"incident_id": "i1"}),
                  (45, "pr_created", {"pr_id": "y"}), (46, "deploy", {"deploy_id": "v4"})]):
        frame, _ = load_events([csv(f"part{len(rows)}.csv", rows)])
        reports.append(store.append("late", frame)[2])
    # a start after its stored resolution, a creation after its stored merge: refused, said with the reason
    said = " ".join(reports[1].lines())
    assert "incident_start after its incident_resolved (already stored)" in said
    assert "pr_created after its pr_merged (already stored)" in said
    whole = store.load_tables("late")
    assert len(store.load("late")) == 7                # x's review stays before the creation that came later
    window = Window(DAY0 + 40 * NS_PER_DAY, DAY0 + 50 * NS_PER_DAY)
    part = store.load_window("late", reach(window))
    present = kinds_present(whole)
    assert as_text(analyze(part, window, present=present)) == as_text(analyze(whole, window, present=present))
