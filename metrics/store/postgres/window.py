"""Reading only what a view needs from PostgreSQL's ``events`` table: the rows of a ``metrics.reach.Reach``
(a window, its previous period and what pairs and links with them) in two statements, and the facts
of the whole dataset (``metrics.reach.DatasetFacts``) by a few index probes, never a scan.

The rows come as CSV from ``COPY (query) TO STDOUT`` (``events.copied``: no Python object a row)
and are parsed by Arrow, each text column dictionary-encoded: ``events.columns_from_arrow`` turns them into the
arrays ``codec.to_columns`` gives (``ts`` int64 ns, ``metric_value`` float64, each text column as
int32 codes and its distinct texts), so ``tables.tables_from_codes`` builds the tables as for a
whole load. Rows are ordered by (``ts_ns``, ``row_hash``).
"""
from __future__ import annotations


import numpy as np

from ... import schema as s
from ...analysis import present_of
from ...reach import DatasetFacts, Reach
from ...selection import LISTED_TABLES
from ..codec import joined
from . import chunks
from .events import OUT, columns_from_arrow, copied

# a deployment's local id: its deploy_id less its own ``SERVICE@`` (``EventTables.link_keys``); the
# index ``events_by_local_deploy`` is on this expression, so the query must spell it the same way
LOCAL_DEPLOY_ID = (f"CASE WHEN starts_with(deploy_id, service || '{s.DEPLOY_MARK}') "
                   f"THEN substr(deploy_id, length(service) + {len(s.DEPLOY_MARK) + 1}) ELSE deploy_id END")
_OUTSIDE = "(ts_ns < %(lo)s OR ts_ns >= %(hi)s)"
_ALL = "dataset = %(dataset)s"
# rule 1: the range, in the order of the whole load
RANGE_ROWS = f"SELECT {OUT} FROM events WHERE {_ALL} AND ts_ns >= %(lo)s AND ts_ns < %(hi)s"
# rules 2 and 3 outside the range: the events of the incidents and PRs the range leaves incomplete
# (``incomplete``), then the deployments that their links, the range's links (``links``, ``services``) and
# the pinned incidents' pins may name. Each id is one probe of its index on (dataset, id, time) a side, in a
# nested loop the planner cannot trade for a scan of the whole table (as it did for ``= ANY`` of 36,600 PR
# ids of a 10M-event dataset; revision 20261207_0004). Both sides: the store may hold an incident's or a PR's
# later events before its start (a resolution or review stored before the start or creation that came
# later); a side past the data's first or last event is given no ids (``read_window``)


def _probes(column: str, side: str, bound: str) -> str:
    """The events of the ids of parameter ``column_side`` (``incidents_before``...) on one side of the range."""
    ids = "incidents" if column == "incident_id" else "prs"
    return (f"SELECT found.* FROM unnest(%({ids}_{side})s::text[]) AS asked(id) CROSS JOIN LATERAL (\n"
            f"        SELECT {OUT} FROM events WHERE {_ALL} AND {column} <> '' AND {column} = asked.id AND {bound}) found")


PROBES = "\n    UNION\n    ".join(_probes(column, side, bound) for column in ("incident_id", "pr_id")
                                  for side, bound in (("before", "ts_ns < %(lo)s"), ("after", "ts_ns >= %(hi)s")))
PAIRED_ROWS = f"""
WITH paired AS MATERIALIZED (
    {PROBES}),
links AS MATERIALIZED (
    SELECT link, service FROM unnest(%(links)s::text[], %(services)s::text[]) AS given(link, service)
    UNION
    SELECT deploy_id, service FROM paired WHERE kind IN ('{s.INCIDENT_START}', '{s.PR_MERGED}') AND deploy_id <> ''),
named AS (
    SELECT {OUT} FROM events WHERE {_ALL} AND kind = '{s.DEPLOY}' AND deploy_id <> '' AND deploy_id IN (
        SELECT link FROM links UNION SELECT service || '{s.DEPLOY_MARK}' || link FROM links)
    UNION
    SELECT {OUT} FROM events WHERE {_ALL} AND kind = '{s.DEPLOY}' AND deploy_id <> ''
        AND ({LOCAL_DEPLOY_ID}) IN (SELECT link FROM links))
SELECT {OUT} FROM (SELECT * FROM paired UNION SELECT * FROM named WHERE {_OUTSIDE}) found"""

# a PR's optional facts (issues 27 and 29), of any time, and whether the dataset holds each, by one index probe a
# kind: a PR of the range lacking one the dataset holds is incomplete (its first commit, before its creation, is
# often before the range), while a dataset without them leaves its PRs as complete as before
PR_FACT_KINDS = (s.PR_FIRST_COMMIT,) + s.PR_SIZE_KINDS + (s.PR_AI_ASSISTED,)
HELD_FACTS = "SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM events WHERE dataset = ? AND kind = '{kind}')"
                                   for kind in PR_FACT_KINDS)
# the dataset's (kind, service) pairs by a skip scan of ``events_by_kind``: one index probe a pair
KINDS_AND_SERVICES = """
WITH RECURSIVE pairs AS (
    (SELECT kind, service FROM events WHERE dataset = %(dataset)s ORDER BY kind, service LIMIT 1)
    UNION ALL
    SELECT later.kind, later.service FROM pairs, LATERAL (
        SELECT kind, service FROM events WHERE dataset = %(dataset)s AND (kind, service) > (pairs.kind, pairs.service)
        ORDER BY kind, service LIMIT 1) later)
SELECT kind, service FROM pairs"""
# each answered by its partial index (the literals let the planner prove the index's predicate)
FLAGS = f"""
SELECT min(ts_ns), max(ts_ns),
    EXISTS (SELECT 1 FROM events WHERE {_ALL} AND kind = '{s.DEPLOY}' AND status = 'failed'),
    EXISTS (SELECT 1 FROM events WHERE {_ALL} AND kind = '{s.DEPLOY}'
            AND change_type IN ({", ".join(f"'{c}'" for c in s.CHANGE_TYPES[1:])})),
    EXISTS (SELECT 1 FROM events WHERE {_ALL} AND kind = '{s.PR_CREATED}' AND environment = '{s.GIT_HISTORY}')
FROM events WHERE {_ALL}"""


def exists(con, name: str) -> bool:
    """Whether the dataset is stored."""
    return con.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone() is not None


def read_window(con, name: str, reach: Reach) -> dict:
    """The rows ``reach`` names of dataset ``name`` (``metrics.reach``) as ``codec.to_columns``' arrays
    (see ``events.columns_from_arrow``): the range (from the chunks that reach into it, in their order,
    ``chunks.read``; ``RANGE_ROWS`` for a dataset without chunks yet), then what pairs and links with
    it from outside (``PAIRED_ROWS``, by the ids' indexes), and between them the index probes of the PR
    facts the dataset holds (``HELD_FACTS``); ordered by (``ts_ns``, ``row_hash``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bounds = {"dataset": name, "lo": reach.start_ns, "hi": reach.end_ns}
    inside = chunks.read(con, name, reach.start_ns, reach.end_ns) if chunks.chunked(con, name) \
        else copied(con, RANGE_ROWS, bounds)
    near = columns_from_arrow(inside)
    held = [kind for kind, yes in zip(PR_FACT_KINDS, con.execute(HELD_FACTS, (name,) * len(PR_FACT_KINDS)).fetchone(),
                                      strict=True) if yes]
    incidents, prs, links, services = _reaching_out(near, dict(reach.pins), held)
    first, last = con.execute("SELECT first_ns, last_ns FROM datasets WHERE name = ?", (name,)).fetchone()
    before = first is not None and first < reach.start_ns       # no probe where nothing is stored: before
    after = last is not None and last >= reach.end_ns            # the data, or after it (a view of the latest days)
    outside = copied(con, PAIRED_ROWS, {**bounds, "incidents_before": incidents if before else [],
                                        "incidents_after": incidents if after else [],
                                        "prs_before": prs if before else [], "prs_after": prs if after else [],
                                        "links": links, "services": services})
    if outside.num_rows:
        near = joined([near, columns_from_arrow(outside)])
    # in the order of (ts_ns, row_hash), as a whole load's rows: the order of the tables' rows (the
    # drill-down's lists) is the same on every backend and every read
    keys = pa.concat_tables([inside.select(["ts_ns", "row_hash"]), outside.select(["ts_ns", "row_hash"])])
    order = pc.sort_indices(keys, sort_keys=[("ts_ns", "ascending"), ("row_hash", "ascending")],
                            memory_pool=chunks.READ_POOL).to_numpy()
    return {c: (value[0][order], value[1]) if isinstance(value, tuple) else value[order] for c, value in near.items()}


def _reaching_out(columns: dict, pins: dict, held=()) -> tuple[list, list, list, list]:
    """What the range's rows (``codec.to_columns``' arrays) need from outside it (``metrics.reach``
    rules 2 and 3): the ids of its incidents without their ``incident_resolved`` in it, of its PRs
    without their ``pr_merged``, without a review, or without an event of one of the PR fact kinds
    the dataset holds (``held``) in it, and the links (with the linking event's service) of its
    ``incident_start`` and ``pr_merged`` events and of its pinned incidents."""
    kind_codes, kinds = columns["kind"]

    def rows(kind) -> np.ndarray:
        return kind_codes == (np.flatnonzero(kinds == kind)[:1].tolist() or [-2])[0]

    def having(codes, texts, kind) -> np.ndarray:
        """Per distinct text, whether an event of ``kind`` has it."""
        found = np.zeros(len(texts), dtype=bool)
        found[codes[rows(kind)]] = True
        return found

    def ids(column, first, *later) -> list:
        codes, texts = columns[column]
        complete = np.logical_and.reduce([having(codes, texts, kind) for kind in later])
        left = np.flatnonzero(having(codes, texts, first) & ~complete)
        return [text for text in texts[left].tolist() if text]

    deploy_codes, deploy_texts = columns["deploy_id"]
    service_codes, service_texts = columns["service"]
    linking = rows(s.INCIDENT_START) | rows(s.PR_MERGED)
    pairs = np.unique(deploy_codes[linking].astype(np.int64) * len(service_texts) + service_codes[linking])
    links = deploy_texts[pairs // len(service_texts)].tolist()
    services = service_texts[pairs % len(service_texts)].tolist()
    if pins:
        inc_codes, inc_texts = columns["incident_id"]
        started = rows(s.INCIDENT_START)
        for incident, service in zip(inc_texts[inc_codes[started]].tolist(),
                                     service_texts[service_codes[started]].tolist()):
            if incident in pins:
                links.append(pins[incident])
                services.append(service)
    kept = [i for i, link in enumerate(links) if link]
    return (ids("incident_id", s.INCIDENT_START, s.INCIDENT_RESOLVED), ids("pr_id", s.PR_CREATED, s.PR_MERGED, s.PR_REVIEWED, *held),
            [links[i] for i in kept], [services[i] for i in kept])


def read_facts(con, name: str) -> DatasetFacts:
    """The facts of dataset ``name`` (``metrics.reach.DatasetFacts``) by index probes: its first and
    last event, its (kind, service) pairs and whether it holds a failed deployment, a hotfix or
    rollback, PRs from git history."""
    first, last, failed, rework, git = con.execute(FLAGS.replace("%(dataset)s", "?"), (name,) * 4).fetchone()
    pairs = con.execute(KINDS_AND_SERVICES.replace("%(dataset)s", "?"), (name, name)).fetchall()
    listed = {kind for _, kind in LISTED_TABLES}
    services = tuple(sorted({service for kind, service in pairs if kind in listed}))
    return DatasetFacts(None if first is None else (int(first), int(last)), services,
                        present_of({kind for kind, _ in pairs}, failed, rework, git))
