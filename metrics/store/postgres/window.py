"""Reading only what a view needs from PostgreSQL's ``events`` table: the rows of a ``metrics.reach.Reach``
(a window, its previous period and what pairs and links with them) in one statement, and the facts
of the whole dataset (``metrics.reach.DatasetFacts``) by a few index-only queries, never a scan.

The rows come as CSV from ``COPY (query) TO STDOUT`` (one round trip, no Python object a row) and
are parsed by Arrow, each text column dictionary-encoded: ``columns_of_arrow`` turns them into the
arrays ``codec.to_columns`` gives (``ts`` int64 ns, ``metric_value`` float64, each text column as
int32 codes and its distinct texts), so ``tables.tables_from_codes`` builds the tables as for a
whole load. Rows are ordered by (``ts_ns``, ``row_hash``).
"""
from __future__ import annotations

import io

import numpy as np

from ... import schema as s
from ...analysis import present_of
from ...reach import DatasetFacts, Reach
from ...selection import LISTED_TABLES

# a deployment's local id: its deploy_id less its own ``SERVICE@`` (``EventTables.link_keys``); the
# index ``events_by_local_deploy`` is on this expression, so the query must spell it the same way
LOCAL_DEPLOY_ID = (f"CASE WHEN starts_with(deploy_id, service || '{s.DEPLOY_MARK}') "
                   f"THEN substr(deploy_id, length(service) + {len(s.DEPLOY_MARK) + 1}) ELSE deploy_id END")
_KEPT = "ts_ns, kind, service, deploy_id, incident_id, pr_id, metric_value, status, change_type, environment, " \
        "author, row_hash"
_OUTSIDE = "(ts_ns < %(lo)s OR ts_ns >= %(hi)s)"
_ALL = "dataset = %(dataset)s"
# the module's rules (``metrics.reach``): 1 the range; 2 the events paired with its incidents and PRs;
# 3 the deployments their links (and the pinned incidents' pins) may name; outside the range, once each
WINDOW_ROWS = f"""
WITH span AS MATERIALIZED (
    SELECT {_KEPT} FROM events WHERE {_ALL} AND ts_ns >= %(lo)s AND ts_ns < %(hi)s),
paired AS MATERIALIZED (
    SELECT {_KEPT} FROM events WHERE {_ALL} AND incident_id <> '' AND {_OUTSIDE} AND incident_id IN (
        SELECT incident_id FROM span WHERE kind = '{s.INCIDENT_START}' AND incident_id <> '')
    UNION
    SELECT {_KEPT} FROM events WHERE {_ALL} AND pr_id <> '' AND {_OUTSIDE} AND pr_id IN (
        SELECT pr_id FROM span WHERE kind = '{s.PR_CREATED}' AND pr_id <> '')),
links AS MATERIALIZED (
    SELECT deploy_id AS link, service FROM (
        SELECT kind, service, deploy_id FROM span UNION ALL SELECT kind, service, deploy_id FROM paired) linking
        WHERE kind IN ('{s.INCIDENT_START}', '{s.PR_MERGED}') AND deploy_id <> ''
    UNION
    SELECT pin.deploy, span.service FROM span
        JOIN unnest(%(pinned)s::text[], %(pins)s::text[]) AS pin(incident, deploy)
        ON span.kind = '{s.INCIDENT_START}' AND span.incident_id = pin.incident),
named AS (
    SELECT {_KEPT} FROM events WHERE {_ALL} AND kind = '{s.DEPLOY}' AND deploy_id <> '' AND deploy_id IN (
        SELECT link FROM links UNION SELECT service || '{s.DEPLOY_MARK}' || link FROM links)
    UNION
    SELECT {_KEPT} FROM events WHERE {_ALL} AND kind = '{s.DEPLOY}' AND deploy_id <> ''
        AND ({LOCAL_DEPLOY_ID}) IN (SELECT link FROM links))
SELECT ts_ns, metric_value, {", ".join(s.TEXT_COLUMNS)} FROM (
    SELECT * FROM span
    UNION ALL
    (SELECT * FROM paired UNION SELECT * FROM named WHERE {_OUTSIDE})) found
ORDER BY ts_ns, row_hash"""

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
    """The rows ``reach`` names of dataset ``name`` (rules 1-3 of ``metrics.reach``), in one
    statement, as ``codec.to_columns``' arrays (see ``columns_of_arrow``)."""
    from pyarrow import csv

    params = {"dataset": name, "lo": reach.start_ns, "hi": reach.end_ns,
              "pinned": [i for i, _ in reach.pins], "pins": [d for _, d in reach.pins]}
    data = bytearray()
    with con.raw.cursor() as cursor:
        with cursor.copy(f"COPY ({WINDOW_ROWS}) TO STDOUT (FORMAT csv)", params) as copy:
            for chunk in copy:
                data += chunk
    import pyarrow as pa
    schema = pa.schema([("ts_ns", pa.int64()), ("metric_value", pa.float64())]
                       + [(c, pa.dictionary(pa.int32(), pa.string())) for c in s.TEXT_COLUMNS])
    if not data:                        # no rows: Arrow reads no CSV of none
        return columns_of_arrow(schema.empty_table())
    table = csv.read_csv(io.BytesIO(bytes(data)), read_options=csv.ReadOptions(column_names=schema.names),
                         parse_options=csv.ParseOptions(newlines_in_values=True),
                         convert_options=csv.ConvertOptions(column_types=schema, strings_can_be_null=False,
                                                            quoted_strings_can_be_null=False))
    return columns_of_arrow(table)


def columns_of_arrow(table) -> dict:
    """Events as an Arrow table (``ts_ns`` int64 ns, ``metric_value`` float64 with nulls, each text
    column dictionary-encoded) as ``codec.to_columns``' arrays: ``ts``, ``metric_value`` (NaN where
    null) and each text column as (int32 codes, its distinct texts as an object array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = table.unify_dictionaries()
    columns = {"ts": table.column("ts_ns").to_numpy().astype(np.int64, copy=False),
               "metric_value": pc.fill_null(table.column("metric_value"), np.nan).to_numpy().astype(np.float64)}
    for c in s.TEXT_COLUMNS:
        column = table.column(c)
        joined = column.combine_chunks() if column.num_chunks else pa.array([], pa.dictionary(pa.int32(), pa.string()))
        texts = joined.dictionary.to_numpy(zero_copy_only=False).astype(object)
        columns[c] = (joined.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False),
                      texts if len(texts) else np.asarray([""], dtype=object))
    return columns


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
