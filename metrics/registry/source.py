"""The source registry: every source of events declared once, as a ``SourceSpec``.

A built-in source is one package under ``metrics/ingest/sources/<name>/`` whose ``__init__`` holds
``SOURCE = SourceSpec(...)``: its file reader and the reader's options, its label in the
dashboard's upload menu, its line in the docs' importer table, and, when it has them, its live
sync (``SyncSpec``) and its webhook (``WebhookSpec``). Nothing else names the source: the command
line (``import --from``, ``sync``), the upload menu, the webhook routes, the fuzz tests and the
docs iterate over ``sources()``. A plug-in source (``metrics.plugins.source``) joins the same
registry.

A reader is ``reader(**options)`` -> ``read(text, path) -> RawRows`` (``metrics.ingest.report``):
``text`` is the file's UTF-8 text, or None for a reader marked ``reads_path`` (a git repository is
a directory). Options are declared with ``Option``: the keyword the reader takes, the command-line
flag derived from it (``deploy_workflow`` -> ``--deploy-workflow``), its kind and help line.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Callable

OPTION_KINDS = ("text", "flag", "choice", "repeat", "pairs")


@dataclass(frozen=True)
class Option:
    """One option of a source's reader or sync, declared once.

    ``name`` is the reader's keyword and the sync configuration's key; the command line's flag is
    ``--`` + ``name`` with ``-`` for ``_`` unless ``flag`` says otherwise. Kinds: ``text`` (one
    value), ``flag`` (on or off), ``choice`` (one of ``choices``), ``repeat`` (a value per use, a
    tuple), ``pairs`` (``NAME=VALUE`` per use, a dict of name -> tuple of values).

    ``required``: the reader cannot do without it (the upload form, which cannot give it, does not
    offer the source). ``check(value)`` -> the value to use, or ValueError of one sentence (a sync
    target: ``repo must be OWNER/NAME``); it sees the configuration file's raw value, of any type.
    ``excludes_service``: what the option does instead of ``--service`` ("one per path"), so giving
    both is refused. ``needs``: the option (of the same source) it refines, without which it means
    nothing (``repo_pattern`` needs ``org``), so giving it alone is refused.

    ``help`` never says the default: ``default_said`` does, once, from ``default`` (``production``
    -> "default production") or, when no value says it, from ``default_help`` (the option of Argo
    CD's production: "every application" -> "default: every application")."""

    name: str
    help: str
    kind: str = "text"
    default: object = None
    choices: tuple = ()
    metavar: str = ""
    flag: str = ""
    required: bool = False
    check: Callable | None = None
    excludes_service: str = ""
    default_help: str = ""                   # what leaving it out means, when no value says it
    needs: str = ""                          # the option it refines (given without it: refused)

    def __post_init__(self):
        if self.kind not in OPTION_KINDS:
            raise ValueError(f"option {self.name!r}: kind is one of {', '.join(OPTION_KINDS)}, not {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"option {self.name!r}: a choice needs its choices")

    @property
    def default_said(self) -> str:
        """The default as the help says it: "default *deploy*", 'default "Affected services"',
        "default: every application", or "" (off, empty, or nothing to say)."""
        if self.default_help:
            return f"default: {self.default_help}"
        if self.default in (None, False, (), {}):
            return ""
        value = str(self.default)
        return f'default "{value}"' if " " in value else f"default {value}"

    @property
    def command_flag(self) -> str:
        """The command-line flag: ``flag``, else ``--`` + the name with dashes."""
        return self.flag or "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class SyncSpec:
    """A source's live sync (``python -m metrics sync NAME``, ``[[source]] type = NAME``).

    ``credentials`` are the environment variables it reads (never the command line), ``auth``
    turns the environment into the request headers (``SyncError`` naming the variable to set when
    one is missing), ``api_url`` is the default base URL ("" when every installation has its own
    and ``--api-url`` is required). ``batches(client, source, state, now)`` yields
    ``metrics.ingest.sync.providers.Batch``es from the stored ``state`` (``source`` is the
    configured ``metrics.ingest.sync.config.Source``, its ``since`` already filled in);
    ``events(source, objects)`` maps a batch's objects to ``RawRows`` exactly as the file reader
    does. ``target`` is the option naming what to sync (a repository, a project, a job), if any;
    its ``check`` cleans the value. ``api_url_for(options)``, when given, is the default base URL
    for the configured options (Opsgenie's region). ``change_name`` is what a pull request is
    called in the sync's skip reasons ("merge request"). ``key_option``: a source with no target whose
    option says what is synced (PagerDuty's ``service_ids``) names its sync state by that option's
    values ("pagerduty:PABC,PDEF"). Every option's value reaches the provider through
    ``source.option(NAME)``: as configured, else the declared default.

    Many targets at once (GitHub's organisation, GitLab's group): ``group_option`` names the option
    given instead of ``target`` (``org``); ``members(client, source)`` lists what it holds, a
    ``metrics.ingest.sync.providers.Members`` (each target synced as its own source, with its own
    state), or raises ``SyncError`` of one sentence (a group the token cannot see, none to sync);
    ``teams(client, source, members)``, when given, is the group's teams: team name -> the services
    of the members it owns (``sync --teams`` writes them to the teams file)."""

    credentials: tuple
    auth: Callable
    batches: Callable
    events: Callable
    api_url: str = ""
    target: Option | None = None
    target_required: bool = False
    options: tuple = ()                      # more Options the sync takes (the configuration's keys)
    monorepo: bool = False                   # takes service_paths and tag_patterns
    api_url_for: Callable | None = None
    change_name: str = "pull request"
    key_option: str = ""                     # with no target, the option naming what is synced in the state's key
    group_option: str = ""                   # the option naming many targets (an organisation), instead of target
    members: Callable | None = None          # members(client, source) -> providers.Members
    teams: Callable | None = None            # teams(client, source, members) -> {team: [service, ...]}


@dataclass(frozen=True)
class WebhookSpec:
    """A source's push ingestion (``POST /webhooks/NAME/DATASET``): the environment variable holding
    its secret, ``authentic(secret, body, headers, environ)`` -> why it is not authentic or None,
    ``delivery_id(headers)`` and ``delivery(headers, body, delivery_id, options)`` ->
    ``metrics.ingest.webhooks.Delivery``.

    For the docs (the README's webhook table, docs/metrics.md's delivery table): ``verified_by``,
    how a delivery is checked; ``deliveries``, which deliveries it uses; ``also_secrets``, more
    variables it reads when they are set (GitLab's signing token); ``records``, (delivery, events)
    pairs."""

    secret: str
    authentic: Callable
    delivery_id: Callable
    delivery: Callable
    verified_by: str = ""
    deliveries: str = ""
    also_secrets: tuple = ()
    records: tuple = ()


@dataclass(frozen=True)
class SourceSpec:
    """A source of events, declared once (see the module's docstring). ``reads`` says what the file
    (or folder) is and ``describe`` what becomes an event: the README's source table; ``records``,
    (record, event) pairs, are the rows of docs/metrics.md's importer table (without them, one row
    of ``reads`` and ``describe``); ``ai_facts``, for a source that reads pull requests, which of their
    facts the AI rules decide by (``metrics.ingest.ai_facts``), a row of docs/metrics.md's AI facts table."""

    name: str                                # ``import --from NAME``; lower-case letters, digits, '-'
    title: str                               # the upload menu's label: "PagerDuty incidents (JSON)"
    describe: str                            # the docs' importer table: what becomes which event
    reader: Callable                         # reader(**options) -> read(text, path) -> RawRows
    options: tuple = ()                      # the reader's Options
    upload: bool = True                      # offered in the dashboard's upload menu (a file, not a folder)
    sync: SyncSpec | None = None
    webhook: WebhookSpec | None = None
    order: int = 100                         # place in menus and tables (then by name)
    reads: str = ""                          # what PATH is: "PagerDuty `GET /incidents` pages"
    records: tuple = ()                      # (record, event) rows for docs/metrics.md
    ai_facts: str = ""                       # what the AI rules read of its PRs: docs/metrics.md's AI facts table
    plugin: str = ""                         # the plug-in file that declared it; "" for a built-in
    extra: dict = field(default_factory=dict, compare=False)

    def option(self, name: str) -> Option | None:
        """The reader's option called ``name``, or None."""
        return next((o for o in self.options if o.name == name), None)

    def make_reader(self, **options):
        """The reader with ``options`` (unset ones take their declared defaults); ValueError of one
        sentence for an option it does not take or a required one missing."""
        given = {o.name: options[o.name] if options.get(o.name) is not None else o.default for o in self.options}
        unknown = sorted(set(options) - set(given))
        if unknown:
            raise ValueError(f"{self.name} takes no option {unknown[0]!r}")
        missing = [o for o in self.options if o.required and given[o.name] is None]
        if missing:
            raise ValueError(f"--from {self.name} needs {missing[0].command_flag} {missing[0].metavar or 'VALUE'}: "
                             f"{missing[0].help}")
        return self.reader(**{k: v for k, v in given.items() if v is not None})

    @property
    def offered_for_upload(self) -> bool:
        """Whether the dashboard's upload form can read this source: a file (``upload``) whose reader
        needs no option the form cannot give."""
        return self.upload and not any(o.required for o in self.options)


def listing(spec: SourceSpec) -> dict:
    """A source as ``python -m metrics sources --json`` shows it: its name, title, what it reads and
    makes, its options (flag, kind, help, default, choices, whether required), whether the upload
    menu offers it, whether it syncs and takes webhooks, and the plug-in file that declared it."""
    plain = lambda v: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)  # noqa: E731
    return {"name": spec.name, "title": spec.title, "reads": spec.reads, "describe": spec.describe,
            "options": [{"name": o.name, "flag": o.command_flag, "kind": o.kind, "help": o.help,
                         "default": plain(o.default), "default_help": o.default_help or None,
                         "choices": list(o.choices), "required": o.required}
                        for o in spec.options],
            "upload": spec.offered_for_upload, "sync": spec.sync is not None, "webhook": spec.webhook is not None,
            "plugin": spec.plugin or None}


class SourceError(Exception):
    """A source that does not exist or cannot be declared: one sentence."""


SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")      # a plug-in source's name


@dataclass(frozen=True)
class Declared:
    """What ``@metrics.plugins.source`` declares: the source's name, title and description, and
    the function with the file and line that declare it."""

    name: str
    title: str
    describe: str
    function: object
    path: str
    line: int


def declare(name: str, title: str = "", describe: str = ""):
    """``@metrics.plugins.source(name=..., title=...)``: mark a function as a plug-in source
    (``metrics.ingest.plugin_sources`` registers it). ``name`` is ``import --from NAME``: lower-case
    letters, digits and '-', at most 40; SourceError otherwise."""
    if not isinstance(name, str) or not SOURCE_NAME.match(name):
        raise SourceError(f"source names are lower-case letters, digits and '-' (at most 40); got {name!r}")

    def mark(function):
        code = getattr(function, "__code__", None)
        function.__source__ = Declared(name, str(title or f"{name} (plug-in)"), str(describe or ""), function,
                                       code.co_filename if code else "", code.co_firstlineno if code else 0)
        return function
    return mark


_BUILTIN: dict | None = None
_PLUGINS: dict = {}


def builtin_sources() -> dict:
    """Every built-in source: each package under ``metrics.ingest.sources`` declaring ``SOURCE``."""
    global _BUILTIN
    if _BUILTIN is None:
        package = importlib.import_module("metrics.ingest.sources")
        found = {}
        for info in pkgutil.iter_modules(package.__path__):
            if not info.ispkg:
                continue
            spec = getattr(importlib.import_module(f"{package.__name__}.{info.name}"), "SOURCE", None)
            if isinstance(spec, SourceSpec):
                found[spec.name] = spec
        _BUILTIN = found
    return _BUILTIN


def reset_plugins() -> None:
    """Forget every plug-in source (before the plug-in files are read again)."""
    _PLUGINS.clear()


def register_plugin(spec: SourceSpec) -> None:
    """Add a plug-in's source; SourceError when a source of that name exists already."""
    if spec.name in builtin_sources() or (spec.name in _PLUGINS and _PLUGINS[spec.name].plugin != spec.plugin):
        raise SourceError(f"{spec.plugin or 'a plug-in'} declares source {spec.name!r}, which exists already; "
                          f"give it another name")
    _PLUGINS[spec.name] = spec


def sources() -> dict:
    """Every source, built-in then plug-in, in menu order: name -> SourceSpec."""
    every = {**builtin_sources(), **_PLUGINS}
    return {s.name: s for s in sorted(every.values(), key=lambda s: (s.order, s.name))}


def source(name: str) -> SourceSpec:
    """The source called ``name``, or SourceError listing the sources there are."""
    found = sources().get(str(name))
    if found is None:
        raise SourceError(f"no source named {str(name)[:40]!r} (sources: {', '.join(sources())})")
    return found
