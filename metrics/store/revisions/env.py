"""Alembic's environment for the store's revisions: always run on the connection the caller gives
(``schema_version.config``), never from a URL of its own."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()
