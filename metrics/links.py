"""Where a PR can be opened, when its id and service say so unambiguously.

The events name no host. A PR's id is qualified by its service (``SERVICE#N``, ``SERVICE!N``:
``metrics/ingest/ids.py``); ``OWNER/REPO#N`` links to ``https://github.com/OWNER/REPO/pull/N`` only
when its service names the repository with its owner ("acme/checkout": a canonical file or a
``--service`` mapping that says so). The sources' readers name a service by the repository alone
("checkout"), and then no address is known. A GitLab merge request (``SERVICE!IID``) never links: its
instance is as often self-hosted as gitlab.com, and the readers keep the project's name without its
group. Other ids (``checkout#p9``; Bitbucket's and Azure DevOps' ``REPO#ID`` under a name without an
owner) stay text.
"""
from __future__ import annotations

import re

import numpy as np

GITHUB_PR = "https://github.com/{repository}/pull/{number}"
# GitHub's owner names: letters, digits and hyphens; repositories: letters, digits, '.', '_', '-'
OWNER_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
NUMBER = re.compile(r"[1-9][0-9]{0,9}")


def pr_url(service: str, pr_id: str) -> str:
    """The address of the PR ``pr_id`` (qualified: ``SERVICE#N``) of ``service`` (see the module's
    docstring), or ""."""
    service, pr_id = service or "", pr_id or ""
    number = pr_id[len(service) + 1:]
    if (not pr_id.startswith(service + "#") or not NUMBER.fullmatch(number) or not OWNER_REPO.fullmatch(service)
            or service.split("/")[1] in (".", "..")):
        return ""
    return GITHUB_PR.format(repository=service, number=number)


def pr_urls(services, pr_ids) -> np.ndarray:
    """``pr_url`` of each (service, pr_id) pair (a drill-down's rows: a few hundred)."""
    return np.asarray([pr_url(s, p) for s, p in zip(services, pr_ids, strict=True)], dtype=object)
