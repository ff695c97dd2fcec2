"""A team's weekly digest: the five keys of the last ``defaults.DIGEST_DAYS`` whole days and their
change against the days before, the cycle-time stage whose median moved most, the alerts that
fired in the period, the three slowest PRs and a link to the dashboard's view; as text (chat
webhooks) and as HTML (email)."""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import defaults
from ..compute.stages import STAGES, median_key, stage_summary
from ..schema import NS_PER_DAY

SLOWEST = 3                             # the slowest PRs a digest lists


@dataclass(frozen=True)
class DigestText:
    """A digest: its title (the email's subject), its text lines and the same as HTML."""

    title: str
    lines: tuple
    html: str

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def digest_window(now_ns: int):
    """The ``DIGEST_DAYS`` whole days before today (a digest sent on Monday covers Monday to Sunday)."""
    from ..window import Window
    return Window.ending(now_ns, defaults.DIGEST_DAYS)


def said(spec, value) -> str:
    """A value as its card writes it (the metric's format and unit), "n/a" for none."""
    return "n/a" if value is None else spec.fmt.format(value) + spec.suffix


def change_words(spec, now, before) -> str:
    """"was 8.3%, +4.2, worse": the change against the period before (the sign as measured; better or
    worse by the metric's direction), "was n/a" when either is missing."""
    if before is None or now is None:
        return f"was {said(spec, before)}"
    delta = now - before
    if delta == 0:
        return f"was {said(spec, before)}, unchanged"
    better = (delta < 0) == spec.lower_is_better
    return f"was {said(spec, before)}, {'+' if delta > 0 else '-'}{spec.fmt.format(abs(delta))}, " \
           f"{'better' if better else 'worse'}"


def stage_medians(prs: pd.DataFrame) -> dict:
    """Each cycle-time stage's median hours over a per-PR table (None where no PR has it), as the
    DORA tab's stages (``compute.stages.stage_summary``)."""
    summary = stage_summary(prs)
    return {stage: summary[median_key(stage)] for stage in STAGES}


def moved_most(now: dict, before: dict) -> str:
    """The stage whose median moved most (in hours) between the two periods, in words."""
    moves = {s: now[s] - before[s] for s in STAGES if now[s] is not None and before[s] is not None}
    if not moves:
        return "Cycle-time stage that moved most: n/a (no stage timed in both weeks)"
    stage = max(moves, key=lambda s: (abs(moves[s]), -list(STAGES).index(s)))
    delta = moves[stage]
    return (f"Cycle-time stage that moved most: {stage}, median {now[stage]:.1f} h "
            f"(was {before[stage]:.1f} h, {'+' if delta >= 0 else '-'}{abs(delta):.1f} h)")


def slowest_lines(tables, prs: pd.DataFrame) -> list[str]:
    """The ``SLOWEST`` PRs with the longest lead time (created -> deployed), slowest first."""
    timed = prs[prs["lead_time_hours"].notna()]
    order = np.argsort(-timed["lead_time_hours"].to_numpy(), kind="stable")[:SLOWEST]
    rows = timed.iloc[order]
    ids = tables.pr_id(rows["pr_key"])             # as the data names them ("service#id" where ids repeat across services)
    lines = [f"  {n}. {pr}: {hours:.1f} h" for n, (pr, hours) in enumerate(zip(ids, rows["lead_time_hours"]), 1)]
    return ["Slowest PRs (lead time):"] + (lines or ["  none deployed this week"])


def build_digest(tables, teams: dict, team: str, dataset: str, now_ns: int, fired=(), link: str = "") -> DigestText:
    """The digest of ``team`` (a name of ``teams``) in ``tables`` (a dataset's, ``dataset``) for the
    week before ``now_ns``; ``fired``: (alert name, time in ns) of the alerts of the team that fired
    (those in the week are listed); ``link``: the dashboard view. ``TeamsError`` for a team the
    data does not know."""
    from ..analysis import analyze
    from ..compute.dora import lead_time
    from ..reach import facts_of
    from ..teams import TEAM_METRICS, tables_of_teams
    from .check import too_few
    present = facts_of(tables).present
    narrowed = tables_of_teams(tables, teams, [team])
    window = digest_window(now_ns)
    now, before = (analyze(narrowed, w, present=present) for w in (window, window.previous()))
    last_day = pd.Timestamp(window.end_ns - NS_PER_DAY, tz="UTC").date()
    prev = window.previous()
    lines = [f"Weekly digest: team {team}, dataset {dataset}, {window.start.date()} to {last_day} "
             f"(against {prev.start.date()} to {window.start.date() - pd.Timedelta(days=1)})", ""]
    for spec in TEAM_METRICS:
        value, previous = spec.value(now), spec.value(before)
        short = too_few(spec, now) if value is not None else None
        lines.append(f"{spec.label}: {said(spec, value)} ({change_words(spec, value, previous)})"
                     + (f"; too few events to judge: {short}" if short else ""))
    lines.append("")
    prs_now, prs_before = (lead_time(narrowed, w)["prs"] for w in (window, prev))
    lines.append(moved_most(stage_medians(prs_now), stage_medians(prs_before)))
    in_week = sorted((ns, name) for name, ns in fired if window.start_ns <= ns < window.end_ns)
    lines.append("Alerts fired this week: " + ("; ".join(
        f"{name} ({pd.Timestamp(ns, tz='UTC').strftime('%Y-%m-%d %H:%M')} UTC)" for ns, name in in_week) or "none"))
    lines += slowest_lines(narrowed, prs_now)
    if link:
        lines += ["", f"On the dashboard: {link}"]
    title = f"Weekly digest: {team} ({window.start.date()} to {last_day})"
    return DigestText(title, tuple(lines), as_html(title, lines, link))


def as_html(title: str, lines: list[str], link: str) -> str:
    """The digest's lines as a small HTML email (each line a paragraph, the list items a list, the
    link a link); every text escaped."""
    parts = [f"<h2>{html.escape(title)}</h2>"]
    items = []
    for line in lines[1:]:
        if line.startswith("  "):
            items.append(f"<li>{html.escape(line.strip().split('. ', 1)[-1])}</li>")
            continue
        if items:
            parts.append("<ol>" + "".join(items) + "</ol>")
            items = []
        if link and line.endswith(link):
            parts.append(f'<p><a href="{html.escape(link, quote=True)}">Open the view on the dashboard</a></p>')
        elif line:
            parts.append(f"<p>{html.escape(line)}</p>")
    if items:
        parts.append("<ol>" + "".join(items) + "</ol>")
    return "<html><body>" + "".join(parts) + "</body></html>"


def fired_of(alerts, states: dict, team: str, dataset: str) -> list[tuple[str, int]]:
    """(alert name, time fired) of the alerts of ``team`` in ``dataset``, from their kept states."""
    return [(alert.name, ns) for alert in alerts if alert.team == team and alert.dataset == dataset
            for ns in states.get(alert.name, {}).get("fired", [])]


def send_digest(digest: DigestText, targets, dry_run: bool, out, sender=None) -> int:
    """Print the digest (dry run: with where it would go) or send it to ``targets``; 0, or 1 when a
    delivery failed (each one line, the target as scheme and host only)."""
    from .notify import send
    sender = sender or send
    if dry_run:
        print(digest.text, file=out)
        for target in targets:
            print(f"(dry run: would send to {target.label})", file=out)
        return 0
    failed = 0
    for target in targets:
        if sender(target, digest.title, digest.text, html=digest.html):
            print(f"sent the digest to {target.label}", file=out)
        else:
            print(f"delivery of the digest to {target.label} failed", file=out)
            failed += 1
    return 1 if failed else 0


def digest_of(config, teams: dict, team: str, dataset: str, now_ns: int) -> DigestText:
    """The digest of ``team`` in the stored ``dataset`` for the week before ``now_ns``, with the
    alerts of ``config`` (the alerts file) that fired and the dashboard link (``METRICS_PUBLIC_URL``).
    A StoreError or TeamsError (one sentence) when the dataset or the team cannot be read."""
    from .. import store
    from ..view_link import view_link
    tables = store.load_tables(dataset)
    fired = fired_of(config.alerts, store.alert_states(), team, dataset)
    link = view_link(dataset, digest_window(now_ns), team=team)
    return build_digest(tables, teams, team, dataset, now_ns, fired, link)
