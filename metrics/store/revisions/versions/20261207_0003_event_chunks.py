"""2026-12-07 (issue 25): a columnar copy of each dataset's events for reading (PostgreSQL only).

``event_chunks``: the events of a dataset as Arrow IPC files (zstd), each holding up to a set
number of events of one write sorted by time, with its first and last event time, so a whole
load reads a few large values instead of a row an event and a window reads only the chunks that
reach into it. The ``events`` table stays the documented one, written in the same transaction;
``datasets.chunked`` says a dataset's chunks hold all its events (a dataset stored before this
revision is read from its rows until its next write makes its chunks). SQLite: nothing to do (its
segments are already columnar).

Revision ID: 20261207_0003
Revises: 20261207_0002
Create Date: 2026-12-07
"""
from alembic import op

revision = "20261207_0003"
down_revision = "20261207_0002"
branch_labels = None
depends_on = None

POSTGRES = (
    "CREATE TABLE event_chunks (dataset text NOT NULL, chunk bigint NOT NULL, first_ns bigint NOT NULL, "
    "last_ns bigint NOT NULL, events integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (dataset, chunk))",
    # the Arrow files are compressed already: stored as they are, out of line
    "ALTER TABLE event_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
    "ALTER TABLE datasets ADD COLUMN chunked boolean NOT NULL DEFAULT false",
)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for statement in POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE datasets DROP COLUMN IF EXISTS chunked")
    op.execute("DROP TABLE IF EXISTS event_chunks")
