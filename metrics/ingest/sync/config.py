"""A team's sync configuration: every source in one TOML file, read and checked in one place.

```toml
[defaults]                  # optional: applies to every source below
since = "2024-01-01"        # first sync's backfill (default: 90 days back)
bots = ["deploy-robot"]     # logins left out besides those ending "[bot]" and accounts of type Bot

[[source]]
type = "github"             # any source that syncs: python -m metrics sources lists them
repo = "acme/shop"          # github: OWNER/NAME; gitlab: project = "group/name" or its id
                            # or every repository: github org = "acme" (repo_pattern = "shop-*",
                            # include_archived, include_forks, teams = true); gitlab group = "acme"
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
Tokens never go in this file, nor in ``api_url``: they come from the environment (each source's
``SyncSpec.credentials``: ``GITHUB_TOKEN``, ``JENKINS_USER`` and ``JENKINS_TOKEN``, ...;
``python -m metrics sync --help`` lists them). Which types
there are, their target key (``repo``, ``project``), their own keys and default API URLs come from
the source registry (``metrics.registry.source``).
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ...registry.options import merged, not_for
from ...registry.source import sources
from ...settings_files import read_toml
from ..sources.common import service_globs

BACKFILL_DAYS = 90
COMMON_KEYS = ("type", "dataset", "api_url", "services", "bots", "since", "service")   # every source's
MONOREPO_KEYS = ("service_paths", "tag_patterns")                                     # a monorepo source's


def syncing() -> dict:
    """The sources that sync (name -> SourceSpec), in the registry's order."""
    return {name: spec for name, spec in sources().items() if spec.sync is not None}


def api_url_required(spec) -> bool:
    """Whether a ``SyncSpec`` has no default API URL (every installation has its own: Argo CD, Jenkins)."""
    return not spec.api_url and spec.api_url_for is None


def sync_options() -> dict:
    """Every key a syncing source declares beyond the common ones (its target and its options),
    merged by name: name -> ``MergedOption`` (its first ``Option`` and the sources declaring it)."""
    return {option.name: option for option in merged(
        (name, option) for name, spec in syncing().items()
        for option in ((spec.sync.target,) if spec.sync.target else ()) + tuple(spec.sync.options))}


def own_keys(spec) -> set:
    """The keys a ``SyncSpec`` takes of its own: its target's and its options' names."""
    return {option.name for option in ((spec.target,) if spec.target else ()) + tuple(spec.options)}


def source_keys() -> set:
    """The keys a ``[[source]]`` table may hold: the common ones and every syncing source's."""
    return set(COMMON_KEYS) | set(MONOREPO_KEYS) | set(sync_options())


def spoken(names) -> str:
    """Names as a sentence says them: "a", "a and b", "a, b and c"."""
    names = list(names)
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]


class ConfigError(Exception):
    """A configuration that cannot be used: one sentence naming the file, the source and the key."""


@dataclass
class Source:
    """One thing to sync into one dataset. ``options`` holds the source's own options
    (``SyncSpec.options``) as configured; a provider reads each through ``option``."""

    provider: str
    dataset: str
    target: str = ""                         # what to sync (SyncSpec.target): a repo, a project; "" for none
    api_url: str = ""
    services: dict = field(default_factory=dict)      # source service name -> dataset service name
    service: str = ""                                  # every event's service, when set
    bots: tuple = ()
    since: str = ""
    service_paths: dict = field(default_factory=dict)  # monorepo: service -> path globs
    tag_patterns: dict = field(default_factory=dict)   # monorepo: service -> ref globs
    options: dict = field(default_factory=dict)        # the source's own keys (SyncSpec.options), checked

    def option(self, name: str):
        """The value of the source's option ``name`` (one of its ``SyncSpec.options``): as configured,
        else the default its declaration gives. KeyError for an option the source does not declare."""
        if name in self.options:
            return self.options[name]
        declared = {o.name: o for o in syncing()[self.provider].sync.options}
        return declared[name].default

    @property
    def group(self) -> str:
        """The organisation or group synced (``SyncSpec.group_option``'s value), "" for one target."""
        spec = syncing().get(self.provider)
        return str(self.options.get(spec.sync.group_option) or "") if spec is not None and spec.sync.group_option \
            else ""

    @property
    def key(self) -> str:
        """The source's name in the sync state: provider and target ("github:acme/shop"), or with no
        target the values of its ``SyncSpec.key_option`` ("pagerduty:PABC,PDEF"), else "all". A source
        with no default API URL adds its installation ("argocd:all@argocd.example.com"): two Argo CDs
        (or Jenkinses) syncing into one dataset keep a state each. An organisation or group is
        "github:acme/*" (each of its repositories keeps its own state, under its own key)."""
        spec = syncing().get(self.provider)
        if self.group:
            return f"{self.provider}:{self.group}/*"
        chosen = self.option(spec.sync.key_option) if spec is not None and spec.sync.key_option else ()
        extra = self.target or ",".join(chosen or ()) or "all"
        if spec is None or not api_url_required(spec.sync) or not self.api_url:
            return f"{self.provider}:{extra}"
        return f"{self.provider}:{extra}@{installation(self.api_url)}"


def installation(api_url: str) -> str:
    """An API URL's host, port and path: what names an installation (never a user or password)."""
    parts = urllib.parse.urlsplit(api_url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.hostname or ''}{port}{parts.path.rstrip('/')}"


def default_since(now: datetime | None = None) -> str:
    """The first sync's backfill start: ``BACKFILL_DAYS`` before now, at midnight UTC."""
    now = now or datetime.now(timezone.utc)
    day = (now - timedelta(days=BACKFILL_DAYS)).date()
    return f"{day.isoformat()}T00:00:00Z"


def since_of(text, where: str = "since") -> str:
    """``text`` (YYYY-MM-DD or an ISO date-time) as an ISO UTC time, or ConfigError naming ``where``
    (the file, the source and the key)."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{where} must be a date (YYYY-MM-DD), got {text!r}") from None
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
        if value and not syncing()[provider].sync.monorepo:
            monorepos = spoken(name for name, spec in syncing().items() if spec.sync.monorepo)
            raise ConfigError(f"{where}: {key} is for {monorepos} sources (a monorepo's pull or merge requests "
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
    """The sources of a TOML sync configuration, checked: unknown keys, another source's key,
    missing datasets, wrong types and unknown providers are one sentence each. A ``[defaults]`` key
    applies to the sources that take it (one no source of the file takes is refused)."""
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
        sources.append(source_of(entry, where, defaults))
    declared = sync_options()
    for key in (k for k in defaults if k in declared and k not in COMMON_KEYS):
        if not any(key in own_keys(syncing()[source.provider].sync) for source in sources):
            raise ConfigError(f"{path}: [defaults] {key} is for sync {' / '.join(declared[key].sources)}, "
                              f"and no source here is one")
    seen: dict = {}
    for number, source in enumerate(sources, start=1):
        first = seen.setdefault((source.dataset, source.key), number)
        if first != number:
            raise ConfigError(f"{path}: sources {first} and {number} both sync {source.key} into {source.dataset}, "
                              f"which keeps one sync state for them: merge them, or give each its own dataset")
    return sources


def option_value(option, value, where: str, said: str = ""):
    """A configuration value of ``option``: by its own ``check`` when it has one, else by its kind
    (``text``: text; ``repeat``: a name or a list of names; ``choice``: one of its choices; ``flag``:
    true or false; ``pairs``: a table of names); ConfigError naming the key as ``where`` says it
    (``said``: a command line's flag; default the key)."""
    name, said = option.name, said or option.name
    if option.check:
        try:
            return option.check(value)
        except ValueError as e:
            text = str(e)
            raise ConfigError(f"{where}: {said + text[len(name):] if text.startswith(name + ' ') else text}") from None
    if option.kind == "text" and not isinstance(value, str):
        raise ConfigError(f"{where}: {said} must be text")
    if option.kind == "repeat":
        value = _text_list(value, f"{where}: {said}")
    if option.kind == "choice" and value not in option.choices:
        raise ConfigError(f"{where}: {said} must be {spoken(option.choices).replace(' and ', ' or ')}, got {value!r}")
    if option.kind == "flag" and not isinstance(value, bool):
        raise ConfigError(f"{where}: {said} must be true or false")
    if option.kind == "pairs":
        if not isinstance(value, dict) or not all(isinstance(v, (str, list)) for v in value.values()):
            raise ConfigError(f"{where}: {said} must map names to values ({said} = {{ a = \"b\" }})")
        value = {k: tuple(v) if isinstance(v, list) else (v,) for k, v in value.items()}
    return value


def source_of(entry: dict, where: str, defaults: dict | None = None, called: dict | None = None) -> Source:
    """One checked ``Source`` from a configuration table (or the command line's options): its type
    one of the syncing sources, its target and its own keys as that source declares them; another
    source's key is refused (as the command line refuses its flag), a ``defaults`` key the source
    does not take is left out. ``called``: what ``where`` calls a key, when not by its name (the
    command line's flags: ``api_url`` -> ``--api-url``)."""
    defaults = defaults or {}
    said = lambda key: (called or {}).get(key, key)  # noqa: E731
    known = source_keys()
    unknown = sorted((set(defaults) | set(entry)) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    provider = {**defaults, **entry}.get("type")
    if provider not in syncing():
        raise ConfigError(f"{where}: type must be one of {', '.join(syncing())}, got {provider!r}")
    spec = syncing()[provider].sync
    declared, mine = sync_options(), own_keys(spec) | set(COMMON_KEYS)
    others = [key for key in entry if key in declared and key not in mine]
    if others:
        raise ConfigError(f"{where}: {not_for(said(others[0]), declared[others[0]].sources, provider, 'sync')}")
    entry = {**{k: v for k, v in defaults.items() if k not in declared or k in mine}, **entry}
    dataset = entry.get("dataset")
    if not isinstance(dataset, str) or not dataset:
        raise ConfigError(f"{where}: {said('dataset')} is required (the stored dataset the events go to)")
    target = ""
    group = spec.group_option if spec.group_option and entry.get(spec.group_option) is not None else ""
    if group and spec.target is not None and spec.target.name in entry:
        raise ConfigError(f"{where}: give {said(spec.target.name)} (one) or {said(group)} (all of them), not both")
    if not group and spec.target is not None and (spec.target_required or spec.target.name in entry):
        if spec.target.name not in entry and not spec.target.check:
            raise ConfigError(f"{where}: {said(spec.target.name)} is required ({spec.target.help})")
        target = option_value(spec.target, entry.get(spec.target.name), where, said(spec.target.name))
    services = entry.get("services", {})
    if not isinstance(services, dict) or not all(isinstance(k, str) and isinstance(v, str) and v
                                                 for k, v in services.items()):
        raise ConfigError(f"{where}: services must map source service names to dataset service names")
    options = {o.name: option_value(o, entry[o.name], where, said(o.name)) if o.name in entry else o.default
               for o in spec.options}
    for o in spec.options:
        if o.needs and options[o.name] not in (None, False, o.default) and options.get(o.needs) in (None, False):
            raise ConfigError(f"{where}: {said(o.name)} needs {said(o.needs)}")
    api_url = entry.get("api_url") or (spec.api_url_for(options) if spec.api_url_for else "") or spec.api_url
    url = said("api_url")
    if not api_url:
        raise ConfigError(f"{where}: {url} is required for {provider} (every installation has its own)")
    if not str(api_url).startswith(("http://", "https://")):
        raise ConfigError(f"{where}: {url} must start with https:// (or http:// for a local server)")
    try:
        parts = urllib.parse.urlsplit(str(api_url))
        parts.port                                          # a port that is not a number 0-65535 raises
    except ValueError:
        raise ConfigError(f"{where}: {url} is not a URL (https://HOST[:PORT][/PATH])") from None
    if "@" in parts.netloc:
        raise ConfigError(f"{where}: {url} must not hold a user or password; credentials come from the "
                          f"environment ({' and '.join(spec.credentials)})")
    if not parts.hostname:
        raise ConfigError(f"{where}: {url} names no host (https://HOST[:PORT][/PATH])")
    if "service" in entry and not isinstance(entry["service"], str):
        raise ConfigError(f"{where}: {said('service')} must be text")
    service_paths, tag_patterns = monorepo_of(entry, provider, where)
    if service_paths and entry.get("service"):
        raise ConfigError(f"{where}: service sets one service for every event, service_paths one per path: give one")
    return Source(provider=provider, dataset=dataset, target=str(target or "").strip("/"),
                  api_url=str(api_url).rstrip("/"), services=dict(services), service=entry.get("service", ""),
                  bots=_text_list(entry.get("bots", []), f"{where}: {said('bots')}"),
                  since=since_of(entry["since"], f"{where}: {said('since')}") if entry.get("since") else "",
                  service_paths=service_paths, tag_patterns=tag_patterns, options=options)


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
