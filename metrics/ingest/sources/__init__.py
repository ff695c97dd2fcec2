"""One module per source of events; ``reader_for`` gives a source's file reader with its options.

- ``events``: canonical CSV / NDJSON / JSON event files;
- ``git``: a local repository (tags = deployments, PR merges = changes);
- ``github``, ``gitlab``: REST API objects (exports, live sync, webhooks);
- ``pagerduty``: incidents; ``cdevents``: CDEvents 0.4 / 0.5.
"""
from __future__ import annotations

from ... import schema as s
from .cdevents import cdevents_reader
from .common import DEFAULT_DEPLOY_PATTERN, service_globs
from .events import read_events_file
from .git import git_reader
from .github import github_reader
from .gitlab import gitlab_reader
from .opsgenie import opsgenie_reader
from .pagerduty import pagerduty_reader
from .survey import survey_reader


__all__ = ["SOURCES", "reader_for", "service_globs"]
SOURCES = ("events", "git", "github", "gitlab", "pagerduty", "opsgenie", "cdevents", "survey")


def reader_for(source: str, tag_pattern: str = "*", deploy_workflow: str = DEFAULT_DEPLOY_PATTERN,
               production: str = s.PRODUCTION, urgency: str | None = None, score_column: str | None = None,
               time_column: str | None = None, day_first: bool = False, releases: bool = False,
               incident_label: str | None = None, repo_service: dict | None = None,
               service_paths: dict | None = None, tag_patterns: dict | None = None):
    """The reader of a source named in ``SOURCES``, with its options."""
    return {"events": lambda: read_events_file,
            "git": lambda: git_reader(tag_pattern, service_paths, tag_patterns),
            "github": lambda: github_reader(deploy_workflow, production, releases, incident_label),
            "gitlab": lambda: gitlab_reader(production),
            "pagerduty": lambda: pagerduty_reader(urgency),
            "opsgenie": lambda: opsgenie_reader(),
            "survey": lambda: survey_reader(score_column or "", time_column, day_first),
            "cdevents": lambda: cdevents_reader(deploy_workflow, production, repo_service)}[source]()
