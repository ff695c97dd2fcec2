"""The alerts file: alerts, named notifiers, digests and the schedule, read and checked.

```toml
# alerts.toml (METRICS_ALERTS, default alerts.toml in the data directory)
[notifiers]
payments-slack = "env:PAYMENTS_SLACK_URL"      # the URL is this environment variable's value
oncall-mail = "mailtos://user:pass@example.com?to=oncall@example.com"

[schedule]
alerts = "*/15 * * * *"                         # cron expressions (UTC)
sync = "0 * * * *"
sync_config = "sync.toml"                       # python -m metrics sync --config, beside this file

[[alert]]
name = "payments CFR"
metric = "change_failure_rate_pct"              # python -m metrics metrics lists the keys
team = "payments"                               # or service = "...", or neither: the whole dataset
dataset = "acme"
window_days = 30
above = 15                                      # or below = ...; recover = 12 sets its own recovery line
notify = ["payments-slack", "oncall-mail"]      # names from [notifiers], Apprise URLs or env:NAME

[[digest]]
team = "payments"
dataset = "acme"
notify = ["oncall-mail"]
cron = "0 9 * * MON"
```

Every mistake is one ``AlertsError`` sentence naming the file and the line of the entry (an
unknown metric, team or notifier, a wrong type, TOML that does not parse)."""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .. import defaults
from ..settings_files import alerts_path, read_toml
from .notify import NotifyError, Target, resolved, shown

TABLES = ("notifiers", "schedule", "alert", "digest")
ALERT_KEYS = ("name", "metric", "team", "service", "dataset", "window_days", "above", "below", "recover", "notify")
DIGEST_KEYS = ("team", "dataset", "notify", "cron")
SCHEDULE_KEYS = ("alerts", "sync", "sync_config")
NOTIFIER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class AlertsError(Exception):
    """An alerts file that cannot be used: one sentence naming the file and the entry's line."""


@dataclass(frozen=True)
class Alert:
    """One ``[[alert]]``: fires when ``metric`` over the last ``window_days`` days (of ``team``'s or
    ``service``'s events, or the whole dataset's) is above ``above`` (or below ``below``); recovers
    at ``recovery`` (the line less the hysteresis margin, or the entry's ``recover``)."""

    name: str
    metric: str
    dataset: str
    targets: tuple
    above: float | None = None
    below: float | None = None
    recover: float | None = None
    team: str = ""
    service: str = ""
    window_days: int = defaults.ALERT_WINDOW_DAYS
    line: int = 0

    @property
    def threshold(self) -> float:
        """The line the alert fires past."""
        return self.above if self.above is not None else self.below

    @property
    def recovery(self) -> float:
        """The line a firing alert recovers at (hysteresis, ``defaults.ALERT_RECOVERY_MARGIN``)."""
        if self.recover is not None:
            return self.recover
        margin = abs(self.threshold) * defaults.ALERT_RECOVERY_MARGIN
        return self.threshold - margin if self.above is not None else self.threshold + margin

    def fires(self, value: float) -> bool:
        """Whether ``value`` is past the line (strictly: a value on the line does not fire)."""
        return value > self.above if self.above is not None else value < self.below

    def recovered(self, value: float) -> bool:
        """Whether a firing alert's ``value`` is back at or past its recovery line."""
        return value <= self.recovery if self.above is not None else value >= self.recovery

    @property
    def condition(self) -> str:
        """"change_failure_rate_pct above 15 (recovers at 13.5)"."""
        side = "above" if self.above is not None else "below"
        return f"{self.metric} {side} {self.threshold:g} (recovers at {self.recovery:g})"

    @property
    def scope(self) -> str:
        """Whose events: "team payments", "service api" or "all services", of the dataset."""
        who = f"team {self.team}" if self.team else f"service {self.service}" if self.service else "all services"
        return f"{who} in dataset {self.dataset}, last {self.window_days} days"


@dataclass(frozen=True)
class Digest:
    """One ``[[digest]]``: a weekly summary of ``team`` in ``dataset`` sent to ``targets`` at ``cron``."""

    team: str
    dataset: str
    targets: tuple
    cron: str = ""
    line: int = 0


@dataclass(frozen=True)
class Schedule:
    """``[schedule]``: the cron expressions of the alert checks and the syncs (empty: never) and the
    sync configuration file the syncs run (``python -m metrics sync --config``)."""

    alerts: str = ""
    sync: str = ""
    sync_config: Path | None = None


@dataclass(frozen=True)
class AlertsFile:
    """What an alerts file holds, checked."""

    path: Path
    alerts: tuple = ()
    digests: tuple = ()
    schedule: Schedule = Schedule()
    notifiers: tuple = ()               # the names of [notifiers]


def metric_keys() -> list[str]:
    """The keys an alert may watch: every computed metric of the registry (built-in), then the
    custom metrics of ``METRICS_PLUGINS`` (``python -m metrics metrics`` lists them all)."""
    from ..builtin import METRICS
    from ..plugins import PluginError, load_plugins, named
    keys = [spec.key for spec in METRICS if spec.compute is not None]
    if named():
        try:
            keys += [custom.spec.name for custom in load_plugins()]
        except PluginError as e:
            raise AlertsError(f"the custom metrics cannot be loaded ({e})") from None
    return keys


def header_lines(text: str, table: str) -> list[int]:
    """The line number of each ``[[table]]`` header of ``text``, in order."""
    pattern = re.compile(r"^[ \t]*\[\[[ \t]*" + re.escape(table) + r"[ \t]*\]\]", re.MULTILINE)
    return [text.count("\n", 0, m.start()) + 1 for m in pattern.finditer(text)]


def read_alerts(path, teams: dict | None = None, environ=None, required: bool = False) -> AlertsFile:
    """The alerts file at ``path``, checked against the registry's metric keys, ``teams`` (the teams
    file's, name -> Team) and the environment (``env:NAME`` URLs); an empty AlertsFile when it does
    not exist (unless ``required``)."""
    path = Path(path)
    if not path.exists():
        if required:
            raise AlertsError(f"there is no alerts file {path} (METRICS_ALERTS, default {defaults.ALERTS_FILE} in the data directory)")
        return AlertsFile(path)
    data = read_toml(path, "the alerts file", AlertsError)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    return Reader(path, text, teams or {}, os.environ if environ is None else environ).file(data)


class Reader:
    """Checks one alerts file's parsed TOML, each mistake one sentence naming its entry's line."""

    def __init__(self, path: Path, text: str, teams: dict, environ):
        self.path, self.text, self.teams, self.environ = path, text, teams, environ
        self.notifiers: dict[str, str] = {}

    def error(self, where: str, what: str) -> AlertsError:
        return AlertsError(f"the alerts file {self.path}, {where}: {what}")

    def line_of(self, table: str, index: int) -> int:
        lines = header_lines(self.text, table)
        return lines[index] if index < len(lines) else 0

    def file(self, data: dict) -> AlertsFile:
        unknown = [key for key in data if key not in TABLES]
        if unknown:
            raise self.error(f"[{unknown[0]}]", f"unknown table; the file holds {', '.join(f'[{t}]' for t in TABLES)}")
        for table in ("notifiers", "schedule"):
            if not isinstance(data.get(table, {}), dict):
                raise self.error(f"{table}", f"must be a table, [{table}]")
        for table in ("alert", "digest"):
            if not isinstance(data.get(table, []), list) or not all(isinstance(e, dict) for e in data.get(table, [])):
                raise self.error(f"{table}", f"write each entry as [[{table}]] with its keys below it")
        self.notifiers = self.read_notifiers(data.get("notifiers", {}))
        keys = set(metric_keys()) if data.get("alert") else set()
        alerts = tuple(self.alert(entry, i, keys) for i, entry in enumerate(data.get("alert", [])))
        seen = set()
        for alert in alerts:
            if alert.name in seen:
                raise self.error(self.where("alert", alert.line, alert.name), "an alert above has the same name")
            seen.add(alert.name)
        digests = tuple(self.digest(entry, i) for i, entry in enumerate(data.get("digest", [])))
        return AlertsFile(self.path, alerts, digests, self.schedule(data.get("schedule", {})), tuple(self.notifiers))

    def where(self, table: str, line: int, name: str = "") -> str:
        return (f"line {line}" if line else f"a [[{table}]] entry") + (f" (alert {name!r})" if name else "")

    def read_notifiers(self, table: dict) -> dict[str, str]:
        found = {}
        for name, value in table.items():
            where = f"[notifiers] {name}"
            if not NOTIFIER_NAME.fullmatch(name):
                raise self.error(where, "a notifier's name is 1-64 letters, digits, '.', '_' or '-'")
            if not isinstance(value, str) or not value.strip():
                raise self.error(where, 'a notifier is an Apprise URL or "env:NAME", as a string')
            found[name] = value
        return found

    def targets(self, value, where: str) -> tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(where, "notify is a list of notifier names (from [notifiers]), Apprise URLs or env:NAME")
        out = []
        for item in value:
            item = item.strip()
            named = item in self.notifiers
            if not named and "://" not in item and not item.startswith("env:"):
                # a name has no '/': anything else may be a URL without its scheme, whose path can hold a
                # secret (a webhook's token): never repeated
                said = repr(item) if "/" not in item and len(item) <= 64 else "(an entry that is not a name; an Apprise URL starts with SCHEME://)"
                raise self.error(where, f"no notifier named {said} in [notifiers]"
                                        + (f" (there: {', '.join(self.notifiers)})" if self.notifiers else ""))
            try:
                url = resolved(self.notifiers[item] if named else item, self.environ)
            except NotifyError as e:
                raise self.error(where, f"notifier {item if named or item.startswith('env:') else shown(item)!r}: {e}") from None
            out.append(Target(f"{item} ({shown(url)})" if named else shown(url), url))
        return tuple(out)

    def text_key(self, entry: dict, key: str, where: str, required: bool = False) -> str:
        value = entry.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.error(where, f"{key} must be {'a non-empty' if required else 'a'} string")
        return value.strip()

    def number(self, entry: dict, key: str, where: str) -> float | None:
        value = entry.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(where, f"{key} must be a number")
        return float(value)

    def alert(self, entry: dict, index: int, keys: set) -> Alert:
        line = self.line_of("alert", index)
        name = entry.get("name") if isinstance(entry.get("name"), str) else ""
        where = self.where("alert", line, name.strip())
        unknown = [k for k in entry if k not in ALERT_KEYS]
        if unknown:
            raise self.error(where, f"unknown key {unknown[0]!r}; an alert takes {', '.join(ALERT_KEYS)}")
        name = self.text_key(entry, "name", where, required=True)
        if len(name) > 200:
            raise self.error(where, "an alert's name is at most 200 characters")
        metric = self.text_key(entry, "metric", where, required=True)
        if metric not in keys:
            raise self.error(where, f"no metric {metric!r} (python -m metrics metrics lists the keys)")
        dataset = self.text_key(entry, "dataset", where, required=True)
        from ..store import StoreError, check_name
        try:
            check_name(dataset)
        except StoreError as e:
            raise self.error(where, str(e)) from None
        team, service = self.text_key(entry, "team", where), self.text_key(entry, "service", where)
        if team and service:
            raise self.error(where, "give team or service, not both")
        if team and team not in self.teams:
            raise self.error(where, f"no team {team!r} in the teams file"
                                    + (f" (teams: {', '.join(sorted(self.teams))})" if self.teams else " (it names none)"))
        days = entry.get("window_days", defaults.ALERT_WINDOW_DAYS)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= defaults.MAX_DAYS:
            raise self.error(where, f"window_days must be a whole number from 1 to {defaults.MAX_DAYS}")
        above, below = self.number(entry, "above", where), self.number(entry, "below", where)
        if (above is None) == (below is None):
            raise self.error(where, "give exactly one of above = NUMBER or below = NUMBER")
        recover = self.number(entry, "recover", where)
        if recover is not None and (recover > above if above is not None else recover < below):
            raise self.error(where, f"recover must be {'at or below above' if above is not None else 'at or above below'}")
        if "notify" not in entry:
            raise self.error(where, "notify is required: where the alert's messages go")
        return Alert(name, metric, dataset, self.targets(entry["notify"], where), above, below, recover, team, service,
                     days, line)

    def digest(self, entry: dict, index: int) -> "Digest":
        line = self.line_of("digest", index)
        where = self.where("digest", line)
        unknown = [k for k in entry if k not in DIGEST_KEYS]
        if unknown:
            raise self.error(where, f"unknown key {unknown[0]!r}; a digest takes {', '.join(DIGEST_KEYS)}")
        team = self.text_key(entry, "team", where, required=True)
        if team not in self.teams:
            raise self.error(where, f"no team {team!r} in the teams file")
        dataset = self.text_key(entry, "dataset", where, required=True)
        cron = self.text_key(entry, "cron", where)
        if cron:
            self.check_cron(cron, where)
        if "notify" not in entry:
            raise self.error(where, "notify is required: where the digest goes")
        return Digest(team, dataset, self.targets(entry["notify"], where), cron, line)

    def check_cron(self, cron: str, where: str) -> None:
        from croniter import croniter
        if not croniter.is_valid(cron):
            raise self.error(where, f"{cron!r} is not a cron expression (five fields: minute hour day month weekday)")

    def schedule(self, table: dict) -> Schedule:
        unknown = [k for k in table if k not in SCHEDULE_KEYS]
        if unknown:
            raise self.error("[schedule]", f"unknown key {unknown[0]!r}; it takes {', '.join(SCHEDULE_KEYS)}")
        alerts, sync = (self.text_key(table, key, "[schedule]") for key in ("alerts", "sync"))
        for cron in (alerts, sync):
            if cron:
                self.check_cron(cron, "[schedule]")
        config = self.text_key(table, "sync_config", "[schedule]")
        if bool(sync) != bool(config):
            raise self.error("[schedule]", "sync and sync_config go together: when to sync, and the sync file")
        return Schedule(alerts, sync, (self.path.parent / config) if config else None)


def targets_named(items, config: AlertsFile | None, environ=None) -> tuple:
    """The targets of a command line's ``--notify`` values: Apprise URLs, ``env:NAME`` or names of
    ``config``'s [notifiers] (the alerts file's); an AlertsError naming a value that is none."""
    reader = Reader(config.path if config else Path(defaults.ALERTS_FILE), "", {}, os.environ if environ is None else environ)
    if config is not None and config.notifiers:
        reader.notifiers = reader.read_notifiers(read_toml(config.path, "the alerts file", AlertsError)["notifiers"])
    try:
        return reader.targets(list(items), "--notify")
    except AlertsError as e:
        raise AlertsError(str(e).split(", --notify: ", 1)[-1].replace("notify is", "--notify takes")) from None
