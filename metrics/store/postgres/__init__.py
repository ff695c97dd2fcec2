"""The store kept in a PostgreSQL server (``METRICS_DATABASE_URL``): the connection (``connection``),
and each operation of ``metrics.store`` where it differs from the SQLite file's."""
