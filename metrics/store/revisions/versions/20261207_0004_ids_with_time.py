"""2026-12-07 (issue 25): a window's incomplete incidents and PRs found by their id and time (PostgreSQL only).

A window read asks, for each incident and PR the range leaves incomplete, for its events outside the
range (``postgres/window.py: PAIRED_ROWS``): with the event time in the id indexes, each probe reads
only the index entries before or after the range and visits the table for the rows it returns, not
for every event of the PR. The chunks written before this revision carried the dictionary of their
whole write (every text of a large import in each chunk): they are rewritten with the texts of their
own rows, as ``chunks.write`` now makes them. SQLite: nothing to do.

Revision ID: 20261207_0004
Revises: 20261207_0003
Create Date: 2026-12-07
"""
import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
from alembic import op
from sqlalchemy import text

revision = "20261207_0004"
down_revision = "20261207_0003"
branch_labels = None
depends_on = None

UP = (
    "DROP INDEX IF EXISTS events_by_incident",
    "DROP INDEX IF EXISTS events_by_pr",
    "CREATE INDEX events_by_incident ON events (dataset, incident_id, ts_ns) WHERE incident_id <> ''",
    "CREATE INDEX events_by_pr ON events (dataset, pr_id, ts_ns) WHERE pr_id <> ''",
)
DOWN = (
    "DROP INDEX IF EXISTS events_by_incident",
    "DROP INDEX IF EXISTS events_by_pr",
    "CREATE INDEX events_by_incident ON events (dataset, incident_id) WHERE incident_id <> ''",
    "CREATE INDEX events_by_pr ON events (dataset, pr_id) WHERE pr_id <> ''",
)
# as revision 20261207_0003 wrote them (frozen here: a revision does not follow the code's later changes)
OPTIONS = ipc.IpcWriteOptions(compression=pa.Codec("zstd", compression_level=1))


def _own_texts(data: bytes) -> bytes:
    """A chunk's Arrow file with each dictionary cut to the texts its rows use (in its order)."""
    table = ipc.open_file(pa.py_buffer(data)).read_all()
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            array = column.combine_chunks()
            used, codes = np.unique(array.indices.to_numpy(zero_copy_only=False), return_inverse=True)
            column = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), type=pa.int32()),
                                                    array.dictionary.take(pa.array(used, type=pa.int32())))
        columns.append(column)
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, table.schema, options=OPTIONS) as writer:
        writer.write_table(pa.table(columns, schema=table.schema))
    return sink.getvalue().to_pybytes()


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for statement in UP:
        op.execute(statement)
    connection = op.get_bind()
    keys = connection.execute(text("SELECT dataset, chunk FROM event_chunks ORDER BY dataset, chunk")).fetchall()
    for dataset, chunk in keys:             # one chunk in memory at a time
        where = {"dataset": dataset, "chunk": chunk}
        data = connection.execute(text("SELECT data FROM event_chunks WHERE dataset = :dataset AND chunk = :chunk"),
                                  where).scalar_one()
        connection.execute(text("UPDATE event_chunks SET data = :data WHERE dataset = :dataset AND chunk = :chunk"),
                           {**where, "data": _own_texts(bytes(data))})


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for statement in DOWN:
        op.execute(statement)
