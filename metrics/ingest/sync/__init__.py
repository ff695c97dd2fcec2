"""Live connectors: ``python -m metrics sync`` keeps stored datasets current from GitHub, GitLab,
PagerDuty and Opsgenie.

- ``http``: one JSON client for every API (token header, rate limits, retries, clear failures);
- ``providers``: what each API is asked, page by page, and the resumable sync state;
- ``mapping``: fetched objects -> canonical events (the sources' own mapping, less bots);
- ``run``: one source's sync, each page stored with its state in one transaction;
- ``config``: the TOML file naming a team's sources; ``command``: the command line.
"""
