"""A team's sync configuration: every source in one TOML file, read and checked in one place.

```toml
[defaults]                  # optional: applies to every source below
since = "2024-01-01"        # first sync's backfill (default: 90 days back)
bots = ["deploy-robot"]     # logins left out besides those ending "[bot]" and accounts of type Bot

[[source]]
type = "github"             # github | gitlab | pagerduty | opsgenie
repo = "acme/shop"          # github: OWNER/NAME; gitlab: project = "group/name" or its id
dataset = "acme"
deploy_workflow = "deploy*" # github: the workflow runs that are deployments (a glob)
production = "production"   # github / gitlab: the environment that is production
services = { shop = "checkout" }   # rename services as they arrive (source name -> dataset name)
service_paths = { api = "services/api/**" }   # github / gitlab monorepo: a PR or MR goes to the services it changes
tag_patterns = { api = "api-v*" }  # github / gitlab monorepo: a deployment (or run) of a matching ref deploys that service

[[source]]
type = "pagerduty"
dataset = "acme"
service_ids = ["PABC123"]
```
Tokens never go in this file: they come from the environment (``GITHUB_TOKEN``, ``GITLAB_TOKEN``,
``PAGERDUTY_TOKEN``, ``OPSGENIE_API_KEY``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ...settings_files import read_toml
from ..sources.common import service_globs

PROVIDERS = ("github", "gitlab", "pagerduty", "opsgenie")
MONOREPO_PROVIDERS = ("github", "gitlab")          # take service_paths and tag_patterns
TOKENS = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "pagerduty": "PAGERDUTY_TOKEN",
          "opsgenie": "OPSGENIE_API_KEY"}
API_URLS = {"github": "https://api.github.com", "gitlab": "https://gitlab.com/api/v4",
            "pagerduty": "https://api.pagerduty.com", "opsgenie": "https://api.opsgenie.com"}
BACKFILL_DAYS = 90
DEFAULT_DEPLOY_WORKFLOW = "*deploy*"
SOURCE_KEYS = {"type", "dataset", "repo", "project", "api_url", "region", "service_ids", "deploy_workflow",
               "production", "services", "bots", "since", "service", "service_paths", "tag_patterns"}


class ConfigError(Exception):
    """A configuration that cannot be used: one sentence naming the file, the source and the key."""


@dataclass
class Source:
    """One thing to sync into one dataset."""

    provider: str
    dataset: str
    target: str = ""                         # github repo OWNER/NAME, gitlab project; "" for incidents
    api_url: str = ""
    service_ids: tuple = ()
    deploy_workflow: str = DEFAULT_DEPLOY_WORKFLOW
    production: str = "production"
    services: dict = field(default_factory=dict)      # source service name -> dataset service name
    service: str = ""                                  # every event's service, when set
    bots: tuple = ()
    since: str = ""
    service_paths: dict = field(default_factory=dict)  # monorepo: service -> path globs
    tag_patterns: dict = field(default_factory=dict)   # monorepo: service -> ref globs

    @property
    def key(self) -> str:
        """The source's name in the sync state: provider and target ("github:acme/shop")."""
        extra = self.target or ",".join(self.service_ids) or "all"
        return f"{self.provider}:{extra}"


def default_since(now: datetime | None = None) -> str:
    """The first sync's backfill start: ``BACKFILL_DAYS`` before now, at midnight UTC."""
    now = now or datetime.now(timezone.utc)
    day = (now - timedelta(days=BACKFILL_DAYS)).date()
    return f"{day.isoformat()}T00:00:00Z"


def since_of(text) -> str:
    """``text`` (YYYY-MM-DD or an ISO date-time) as an ISO UTC time, or ConfigError."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"since must be a date (YYYY-MM-DD), got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text_list(value, where: str) -> tuple:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a list of names")
    return tuple(value)


def monorepo_of(entry: dict, provider: str, where: str) -> tuple[dict, dict]:
    """``service_paths`` and ``tag_patterns`` (SERVICE = a glob or a list of globs), checked."""
    tables = {}
    for key in ("service_paths", "tag_patterns"):
        value = entry.get(key, {})
        if value and provider not in MONOREPO_PROVIDERS:
            raise ConfigError(f"{where}: {key} is for github and gitlab sources (a monorepo's pull or merge requests "
                              f"and deployments), not {provider}")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must map service names to globs ({key} = {{ api = \"...\" }})")
        bare = [k for k, v in value.items() if v == []]
        if bare:
            raise ConfigError(f"{where}: {key} gives service {bare[0]!r} no glob (an empty list)")
        pairs = [(k, g) for k, v in value.items() for g in (v if isinstance(v, list) else [v])]
        try:
            tables[key] = service_globs(pairs, f"{where}: {key}")
        except ValueError as e:
            raise ConfigError(str(e)) from None
    unknown = sorted(set(tables["tag_patterns"]) - set(tables["service_paths"]))
    if unknown:
        raise ConfigError(f"{where}: tag_patterns names service {unknown[0]!r}, which service_paths does not")
    return tables["service_paths"], tables["tag_patterns"]


def read_config(path) -> list[Source]:
    """The sources of a TOML sync configuration, checked: unknown keys, missing datasets, wrong
    types and unknown providers are one sentence each."""
    path = Path(path)
    data = read_toml(path, "the sync configuration", ConfigError)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")
    entries = data.get("source", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path} names no source: add a [[source]] table with type and dataset")
    sources = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, source {number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        sources.append(source_of({**defaults, **entry}, where))
    return sources


def source_of(entry: dict, where: str) -> Source:
    """One checked ``Source`` from a configuration table (or the command line's options)."""
    unknown = sorted(set(entry) - SOURCE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(SOURCE_KEYS))})")
    provider = entry.get("type")
    if provider not in PROVIDERS:
        raise ConfigError(f"{where}: type must be one of {', '.join(PROVIDERS)}, got {provider!r}")
    dataset = entry.get("dataset")
    if not isinstance(dataset, str) or not dataset:
        raise ConfigError(f"{where}: dataset is required (the stored dataset the events go to)")
    target = entry.get("repo") if provider == "github" else entry.get("project") if provider == "gitlab" else ""
    if provider == "github" and (not isinstance(target, str) or target.count("/") != 1 or not all(target.split("/"))):
        raise ConfigError(f"{where}: repo must be OWNER/NAME, got {target!r}")
    if provider == "gitlab":
        if isinstance(target, int):
            target = str(target)
        if not isinstance(target, str) or not target.strip("/"):
            raise ConfigError(f"{where}: project must be the project's id or its path (group/name)")
    services = entry.get("services", {})
    if not isinstance(services, dict) or not all(isinstance(k, str) and isinstance(v, str) and v
                                                 for k, v in services.items()):
        raise ConfigError(f"{where}: services must map source service names to dataset service names")
    api_url = entry.get("api_url") or ""
    region = entry.get("region")
    if provider == "opsgenie" and region is not None:
        if region not in ("us", "eu"):
            raise ConfigError(f"{where}: region must be us or eu, got {region!r}")
        api_url = api_url or ("https://api.eu.opsgenie.com" if region == "eu" else API_URLS["opsgenie"])
    if api_url and not str(api_url).startswith(("http://", "https://")):
        raise ConfigError(f"{where}: api_url must start with https:// (or http:// for a local server)")
    for key in ("deploy_workflow", "production", "service"):
        if key in entry and not isinstance(entry[key], str):
            raise ConfigError(f"{where}: {key} must be text")
    service_paths, tag_patterns = monorepo_of(entry, provider, where)
    if service_paths and entry.get("service"):
        raise ConfigError(f"{where}: service sets one service for every event, service_paths one per path: give one")
    return Source(provider=provider, dataset=dataset, target=str(target or "").strip("/"),
                  api_url=str(api_url or API_URLS[provider]).rstrip("/"),
                  service_ids=_text_list(entry.get("service_ids", []), f"{where}: service_ids"),
                  deploy_workflow=entry.get("deploy_workflow", DEFAULT_DEPLOY_WORKFLOW),
                  production=entry.get("production", "production"), services=dict(services),
                  service=entry.get("service", ""), bots=_text_list(entry.get("bots", []), f"{where}: bots"),
                  since=since_of(entry["since"]) if entry.get("since") else "",
                  service_paths=service_paths, tag_patterns=tag_patterns)


def parse_every(text: str) -> float:
    """``15m``, ``1h``, ``30s``, ``1d`` as seconds (at least 60), or ConfigError."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = str(text).strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ConfigError(f"--every takes a number and a unit (30s, 15m, 1h, 1d), got {text!r}")
    seconds = int(text[:-1]) * units[text[-1]]
    if seconds < 60:
        raise ConfigError(f"--every must be at least 1m (a sync every few seconds would hit rate limits), got {text!r}")
    return float(seconds)
