"""Live connectors: ``python -m metrics sync`` keeps stored datasets current from every source that
declares a ``SyncSpec`` (GitHub, GitLab, PagerDuty, Opsgenie, ...: ``python -m metrics sources``).

- ``http``: one JSON client for every API (token header, rate limits, retries, clear failures);
- ``providers``: what every provider shares: batches, resumable newest-first walks, re-checking
  what was open, the sync state (what each API is asked lives in ``sources/<name>/sync.py``);
- ``mapping``: fetched objects -> canonical events (the sources' own mapping, less bots);
- ``run``: one source's sync, each page stored with its state in one transaction;
- ``group``: an organisation's or group's sync, each repository as its own source through one client,
  and the teams file it writes (``codeowners``: teams from CODEOWNERS files);
- ``config``: the TOML file naming a team's sources; the command line is ``metrics.cli.sync``.
"""
