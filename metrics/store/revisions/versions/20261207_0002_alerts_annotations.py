"""2026-12-07 (issue 28): each alert's state, and the annotations drawn on the time charts.

``alert_states``: one row an alert (its name in the alerts file), its state as JSON (``body``: what
the alerts check keeps between runs) and when it last changed. ``annotations``: one row a note on a
dataset's time line (a time, optionally a service, its text, who wrote it and when).
Both backends: PostgreSQL here; a SQLite file gets the same tables from ``migrations.TABLES``
(``CREATE TABLE IF NOT EXISTS``, run when the file is opened), which this revision repeats.

Revision ID: 20261207_0002
Revises: 20261207_0001
Create Date: 2026-12-07
"""
from alembic import op

revision = "20261207_0002"
down_revision = "20261207_0001"
branch_labels = None
depends_on = None

POSTGRES = (
    "CREATE TABLE alert_states (alert text PRIMARY KEY, body text NOT NULL, updated_ns bigint NOT NULL)",
    "CREATE TABLE annotations (id bigserial PRIMARY KEY, dataset text NOT NULL, at_ns bigint NOT NULL, "
    "service text NOT NULL DEFAULT '', text text NOT NULL, author text NOT NULL, created_ns bigint NOT NULL)",
    "CREATE INDEX annotations_by_time ON annotations (dataset, at_ns)",
)
# SQLite's, as ``migrations.TABLES`` holds them (a test checks that they are the same)
SQLITE = (
    "CREATE TABLE IF NOT EXISTS alert_states (alert TEXT PRIMARY KEY, body TEXT NOT NULL, updated_ns INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS annotations (id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, at_ns INTEGER NOT NULL, "
    "service TEXT NOT NULL DEFAULT '', text TEXT NOT NULL, author TEXT NOT NULL, created_ns INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS annotations_by_time ON annotations (dataset, at_ns)",
)


def upgrade() -> None:
    for statement in POSTGRES if op.get_context().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS annotations")
    op.execute("DROP TABLE IF EXISTS alert_states")
