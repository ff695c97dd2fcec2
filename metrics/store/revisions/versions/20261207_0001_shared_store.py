"""2026-12-07 (issue 25): the shared store's tables.

PostgreSQL: every table, events as a plain table (one row per event, indexed by dataset and time)
and a view per DORA table (``deployments``, ``incidents``, ``pull_requests``) for SQL tools.
SQLite: nothing to do; the file as ``migrations.set_up`` leaves it (its format 6) is this revision.

Revision ID: 20261207_0001
Revises:
Create Date: 2026-12-07
"""
from alembic import op

# a deployment's local id (its deploy_id less its own ``SERVICE@``), written out: a revision never changes
# with the code; ``postgres.window.LOCAL_DEPLOY_ID`` must spell it the same (a test checks)
LOCAL_DEPLOY_ID = ("CASE WHEN starts_with(deploy_id, service || '@') THEN substr(deploy_id, length(service) + 2) "
                   "ELSE deploy_id END")

revision = "20261207_0001"
down_revision = None
branch_labels = None
depends_on = None

POSTGRES = (
    # a dataset: its event count, first and last event (ns since the epoch, UTC); ``segments`` is
    # SQLite's and stays 0 here
    "CREATE TABLE datasets (name text PRIMARY KEY, events bigint NOT NULL, first_ns bigint, last_ns bigint, "
    "segments integer NOT NULL DEFAULT 0)",
    # every write to a dataset bumps its generation (``store.version``: caches and the live poll)
    "CREATE TABLE generations (dataset text PRIMARY KEY, generation bigint NOT NULL)",
    # the events: one row each, METRICS.md section 1's columns; ``ts_ns`` is the exact time
    # (nanoseconds since the epoch, UTC) and ``ts`` the same as a timestamp for SQL tools; ``row_hash``
    # is the 64-bit hash of the event's columns that finds exact duplicates
    "CREATE TABLE events (dataset text NOT NULL, ts_ns bigint NOT NULL, kind text NOT NULL, service text NOT NULL, "
    "deploy_id text NOT NULL, incident_id text NOT NULL, pr_id text NOT NULL, metric_value double precision, "
    "status text NOT NULL, change_type text NOT NULL, environment text NOT NULL, author text NOT NULL, "
    "row_hash bigint NOT NULL, "
    "ts timestamptz GENERATED ALWAYS AS (to_timestamp(ts_ns / 1000000000.0)) STORED)",
    "CREATE INDEX events_by_time ON events (dataset, ts_ns)",
    "CREATE UNIQUE INDEX events_by_hash ON events (dataset, row_hash)",
    "CREATE INDEX events_by_incident ON events (dataset, incident_id) WHERE incident_id <> ''",
    "CREATE INDEX events_by_pr ON events (dataset, pr_id) WHERE pr_id <> ''",
    # a view reads a window's rows only (``metrics.reach``, ``postgres/window.py``): the deployments a
    # link may name, by id and by local id (the id less its own ``SERVICE@``); the dataset's kinds and
    # services (a skip scan) and whether it holds a failed or rework deployment or PRs from git history
    "CREATE INDEX events_by_deploy ON events (dataset, deploy_id) WHERE kind = 'deploy' AND deploy_id <> ''",
    f"CREATE INDEX events_by_local_deploy ON events (dataset, ({LOCAL_DEPLOY_ID})) "
    "WHERE kind = 'deploy' AND deploy_id <> ''",
    "CREATE INDEX events_by_kind ON events (dataset, kind, service)",
    "CREATE INDEX events_failed_deploys ON events (dataset) WHERE kind = 'deploy' AND status = 'failed'",
    "CREATE INDEX events_rework_deploys ON events (dataset) WHERE kind = 'deploy' "
    "AND change_type IN ('hotfix', 'rollback')",
    "CREATE INDEX events_git_prs ON events (dataset) WHERE kind = 'pr_created' AND environment = 'git-history'",
    "CREATE TABLE sync_state (dataset text NOT NULL, source text NOT NULL, state text NOT NULL, "
    "PRIMARY KEY (dataset, source))",
    "CREATE TABLE sync_runs (dataset text NOT NULL, source text NOT NULL, run text NOT NULL, "
    "PRIMARY KEY (dataset, source))",
    # a webhook delivery id, stored once (the primary key: a delivery retried to another host at the
    # same moment is stored by one of them)
    "CREATE TABLE deliveries (dataset text NOT NULL, source text NOT NULL, delivery text NOT NULL, "
    "at_ns bigint NOT NULL, PRIMARY KEY (dataset, source, delivery))",
    "CREATE TABLE audit (id bigserial PRIMARY KEY, at_ns bigint NOT NULL, who text NOT NULL, action text NOT NULL, "
    "dataset text NOT NULL, events bigint NOT NULL, detail text NOT NULL DEFAULT '')",
    "CREATE INDEX audit_by_time ON audit (at_ns)",
    'CREATE TABLE sessions (id text PRIMARY KEY, "user" text NOT NULL, started_ns bigint NOT NULL)',
    'CREATE INDEX sessions_by_user ON sessions ("user")',
    # the users and API tokens files (their JSON, as the files hold it) for every host
    "CREATE TABLE documents (name text PRIMARY KEY, body text NOT NULL, updated_ns bigint NOT NULL)",
    # SQL tools: a view per DORA table
    "CREATE VIEW deployments AS SELECT dataset, ts, service, deploy_id, status, change_type, environment, author "
    "FROM events WHERE kind = 'deploy'",
    "CREATE VIEW incidents AS SELECT s.dataset, s.service, s.incident_id, s.ts AS started, r.ts AS resolved, "
    "r.ts - s.ts AS time_to_restore FROM events s LEFT JOIN events r ON r.dataset = s.dataset "
    "AND r.kind = 'incident_resolved' AND r.incident_id = s.incident_id WHERE s.kind = 'incident_start'",
    "CREATE VIEW pull_requests AS SELECT dataset, pr_id, min(service) AS service, "
    "min(ts) FILTER (WHERE kind = 'pr_created') AS created, "
    "min(ts) FILTER (WHERE kind = 'pr_reviewed') AS first_review, "
    "min(ts) FILTER (WHERE kind = 'pr_merged') AS merged, min(author) FILTER (WHERE author <> '') AS author "
    "FROM events WHERE kind IN ('pr_created', 'pr_reviewed', 'pr_merged') AND pr_id <> '' GROUP BY dataset, pr_id",
)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for statement in POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for view in ("pull_requests", "incidents", "deployments"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("documents", "sessions", "audit", "deliveries", "sync_runs", "sync_state", "events",
                  "generations", "datasets"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
