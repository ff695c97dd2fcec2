"""``alerts check``: each alert's value now, its state, the message a change of state sends, the
deliveries that failed before retried, and every state kept in the store (``alert_states``).

States: ``ok``, ``firing``, and ``unknown`` (too few events to judge the number: n/a, or short of
the evidence METRICS.md section 3 asks for; never a crossing). A message goes out when the judged
state (ok or firing) differs from the last one notified: once when an alert fires, once when it
recovers, never twice for the same state; a value between the line and the recovery line keeps
the state it had (hysteresis: ``Alert.recovery``). A delivery that fails is kept and retried at
the next check, until it goes through or a newer change of state replaces it."""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import defaults
from ..schema import NS_PER_DAY
from .file import Alert
from .notify import Target, send

OK, FIRING, UNKNOWN = "ok", "firing", "unknown"


@dataclass(frozen=True)
class Reading:
    """An alert's value now, or None with why it cannot be judged (``unknown``); ``error``: the
    alert cannot be evaluated at all (its dataset is gone): its state is left as it was."""

    value: float | None
    why: str = ""
    error: str = ""


@dataclass
class Outcome:
    """What one check did: per alert its new state body, the lines to print, and the failures."""

    states: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    failed_deliveries: int = 0
    errors: int = 0


def window_of(days: int, now_ns: int):
    """The ``days`` days ending with today (today included), as a ``Window``."""
    from ..window import Window, floor_day
    end = floor_day(now_ns) + NS_PER_DAY
    return Window(end - days * NS_PER_DAY, end)


def alert_link(alert: Alert, now_ns: int) -> str:
    """The dashboard view of ``alert``'s metric: its dataset, team or service, over its window, on
    the metric's tab ("" when ``METRICS_PUBLIC_URL`` is unset: ``metrics.view_link``)."""
    from ..builtin import BY_KEY
    from ..view_link import view_link
    spec = BY_KEY.get(alert.metric)
    return view_link(alert.dataset, window_of(alert.window_days, now_ns), alert.team, alert.service,
                     spec.section if spec is not None else "custom")


def readings(alerts, teams: dict, now_ns: int, load=None) -> dict[str, Reading]:
    """Each alert's ``Reading`` (by name), computed once per dataset, scope and window. ``load``:
    a dataset's tables by name (default: the store's)."""
    from .. import store
    load = load or store.load_tables
    out, tables_of, analyses = {}, {}, {}
    for alert in alerts:
        if alert.dataset not in tables_of:
            try:
                tables_of[alert.dataset] = load(alert.dataset)
            except store.StoreError as e:
                tables_of[alert.dataset] = e
        tables = tables_of[alert.dataset]
        if isinstance(tables, Exception):
            out[alert.name] = Reading(None, error=str(tables))
            continue
        key = (alert.dataset, alert.team, alert.service, alert.window_days)
        if key not in analyses:
            analyses[key] = scoped(tables, alert, teams, window_of(alert.window_days, now_ns))
        out[alert.name] = value_of(alert.metric, analyses[key])
    return out


def scoped(tables, alert: Alert, teams: dict, window):
    """(analysis, the window's tables) of ``alert``'s team, service or whole dataset, or the reason
    there is nothing to analyse (a string)."""
    from ..analysis import analyze
    from ..reach import facts_of
    from ..selection import tables_of_services
    from ..teams import TeamsError, tables_of_teams
    facts = facts_of(tables)
    if alert.service:
        if alert.service not in facts.services:
            return f"no events of service {alert.service!r} in dataset {alert.dataset!r}"
        tables = tables_of_services(tables, [alert.service])
    if alert.team:
        try:
            tables = tables_of_teams(tables, teams, [alert.team])
        except TeamsError as e:
            return str(e)
    return analyze(tables, window, present=facts.present), tables, window


def value_of(key: str, scope) -> Reading:
    """The metric ``key``'s value in ``scope`` (``scoped``'s), or why it cannot be judged."""
    from ..builtin import BY_KEY
    if isinstance(scope, str):
        return Reading(None, scope)
    analysis, tables, window = scope
    spec = BY_KEY.get(key)
    if spec is None:
        return custom_value(key, tables, window)
    value = spec.value(analysis)
    if value is None:
        return Reading(None, spec.missing(analysis.present) or "too few events to compute it")
    short = too_few(spec, analysis)
    return Reading(None, short) if short else Reading(float(value))


def too_few(spec, analysis) -> str | None:
    """Why ``analysis`` holds too few events to judge ``spec``'s value (the registry's evidence rule,
    METRICS.md section 3: ``Sample.shortfall``), or None (also for a metric without that rule)."""
    if spec.sample is None:
        return None
    return spec.sample.shortfall(analysis, analysis.window.days, "a tier" if spec.tiers else "a judgement")


def custom_value(key: str, tables, window) -> Reading:
    """A custom metric's headline over the window (``METRICS_PLUGINS``), or why there is none."""
    from ..plugins import PluginError, evaluate_all, load_plugins, window_events
    try:
        customs = [c for c in load_plugins() if c.spec.name == key]
        result = evaluate_all(customs, window_events(tables, window)).get(key)
    except PluginError as e:
        return Reading(None, error=str(e))
    if result is None or result.headline is None:
        return Reading(None, "the custom metric has no value for this window")
    return Reading(float(result.headline))


def stepped(alert: Alert, before: dict | None, reading: Reading, now_ns: int) -> tuple[dict, str | None]:
    """The alert's new state body after ``reading``, and the judged state to notify ("firing" or
    "ok"), or None when nothing changed. ``before``: the kept body (None at the first check)."""
    before = before or {}
    notified = before.get("notified", OK)
    body = {"notified": notified, "fired": list(before.get("fired", [])), "pending": list(before.get("pending", [])),
            "changed": before.get("changed")}
    message = None
    if reading.value is None:
        state = UNKNOWN
    else:
        if notified == FIRING:
            state = OK if alert.recovered(reading.value) else FIRING
        else:
            state = FIRING if alert.fires(reading.value) else OK
        if state != notified:
            message, body["notified"], body["changed"] = state, state, now_ns
            if state == FIRING:
                body["fired"].append(now_ns)
    kept_from = now_ns - defaults.ALERT_FIRED_KEPT_DAYS * NS_PER_DAY
    body["fired"] = [t for t in body["fired"] if t >= kept_from]
    body.update(state=state, value=reading.value, why=reading.why, checked=now_ns,
                since=before.get("since") if before.get("state") == state else now_ns)
    return body, message


def message_text(alert: Alert, state: str, value: float, link: str = "") -> tuple[str, str]:
    """(title, text) of the message a change to ``state`` sends."""
    if state == FIRING:
        title = f"Alert firing: {alert.name}"
        said = f"{alert.metric} is {value:,.2f}, {'above' if alert.above is not None else 'below'} {alert.threshold:g}"
    else:
        title = f"Alert recovered: {alert.name}"
        said = f"{alert.metric} is {value:,.2f}, back past {alert.recovery:g} (it fired past {alert.threshold:g})"
    return title, f"{said} ({alert.scope})." + (f"\n{link}" if link else "")


def pending_of(targets, title: str, text: str, failure: bool) -> list[dict]:
    """The deliveries of one message to ``targets``, as kept until each goes through (no URL kept:
    each target by its fingerprint and label)."""
    return [{"to": t.fingerprint, "label": t.label, "title": title, "text": text, "failure": failure} for t in targets]


def deliver(alert: Alert, body: dict, dry_run: bool, sender=send) -> tuple[list[str], int]:
    """Send ``alert``'s pending deliveries (``body["pending"]``) to its targets still named in the
    file; the ones that fail stay pending. Lines saying what was (or, dry, would be) sent, and how
    many deliveries failed."""
    by_print = {t.fingerprint: t for t in alert.targets}
    lines, left = [], []
    for item in body["pending"]:
        target: Target | None = by_print.get(item["to"])
        if target is None:
            continue                    # the file no longer sends there
        if dry_run:
            lines.append(f"  would send to {target.label}: {item['title']}: {item['text']}")
            continue
        if sender(target, item["title"], item["text"], failure=item["failure"]):
            lines.append(f"  sent to {target.label}: {item['title']}")
        else:
            lines.append(f"  delivery to {target.label} failed: it is retried at the next check")
            left.append(item)
    if not dry_run:
        body["pending"] = left
    return lines, len(left)


def check(alerts, states: dict, teams: dict, now_ns: int, dry_run: bool = False, sender=send, load=None,
          link=None) -> Outcome:
    """Evaluate every alert against its kept state (``states``: name -> body), send what changed and
    what failed before, and return the new bodies and the lines to print. ``link(alert)``: the
    dashboard view's address quoted in messages ("" or None: none)."""
    outcome = Outcome()
    found = readings(alerts, teams, now_ns, load)
    for alert in alerts:
        reading = found[alert.name]
        if reading.error:
            outcome.errors += 1
            outcome.lines.append(f"{alert.name}: error: {reading.error}")
            continue
        body, change = stepped(alert, states.get(alert.name), reading, now_ns)
        shown_value = "n/a" if reading.value is None else f"{reading.value:,.2f}"
        line = f"{alert.name}: {body['state']} ({alert.metric} {shown_value}"
        line += f"; {reading.why})" if body["state"] == UNKNOWN else f"; fires {alert.condition.split(' ', 1)[1]})"
        outcome.lines.append(line)
        if change is not None:
            title, text = message_text(alert, change, reading.value, link(alert) if link else "")
            body["pending"] = pending_of(alert.targets, title, text, change == FIRING)
        sent, failed = deliver(alert, body, dry_run, sender)
        outcome.failed_deliveries += failed
        outcome.lines += sent
        outcome.states[alert.name] = body
    return outcome


def run_check(path=None, now_ns: int | None = None, dry_run: bool = False, out=None, sender=send) -> int:
    """``alerts check``: read the alerts file (``path``, default ``alerts_path``), check every alert,
    keep the states (not when ``dry_run``); 0, 1 when a delivery failed (it is retried at the next
    check), 2 when an alert cannot be evaluated. An unusable file raises ``AlertsError``."""
    import sys
    import time

    from .. import store
    from .file import alerts_path, read_alerts
    out = out or sys.stdout
    teams = read_teams_here()
    config = read_alerts(path or alerts_path(store.data_dir()), teams, required=True)
    now_ns = time.time_ns() if now_ns is None else now_ns
    outcome = check(config.alerts, store.alert_states(), teams, now_ns, dry_run, sender,
                    link=lambda alert: alert_link(alert, now_ns))
    if not dry_run:
        store.keep_alert_states(outcome.states)
    for line in outcome.lines or ["no alerts in the alerts file"]:
        print(line, file=out)
    return 2 if outcome.errors else 1 if outcome.failed_deliveries else 0


def read_teams_here() -> dict:
    """The teams of the teams file (``METRICS_TEAMS``), checked; ``AlertsError`` when it cannot be read."""
    from .. import store
    from ..teams import TeamsError, read_teams, teams_path
    from .file import AlertsError
    try:
        return read_teams(teams_path(store.data_dir()))
    except TeamsError as e:
        raise AlertsError(str(e)) from None
