"""Running a sync: fetch a source's changes page by page, map them to events, store each page with
the state that covers it, and record how the run went (shown by ``datasets`` and the dashboard)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from ... import store
from ...ai_rules import AiRulesError
from ..ai_facts import rules_of_data
from ...registry.source import source as registered
from . import mapping
from .config import Source, default_since
from .http import Client, SyncError


@dataclass
class Outcome:
    """What one sync of one source did."""

    source: Source
    batches: int = 0
    requests: int = 0
    added: int = 0
    skipped: dict = field(default_factory=dict)
    rejected: int = 0
    waited: float = 0.0
    seconds: float = 0.0
    error: str = ""
    warnings: list = field(default_factory=list)    # about the source as a whole, each said once

    def warn(self, warnings) -> None:
        """Keep ``warnings`` not kept yet (a batch's, its events'), in order."""
        self.warnings += [w for w in dict.fromkeys(warnings) if w not in self.warnings]

    def line(self) -> str:
        """One line for the terminal: the source, what it added, how it went."""
        head = f"{self.source.key} -> {self.source.dataset}: "
        if self.error:
            return head + f"failed: {self.error}"
        extra = f", {sum(self.skipped.values())} skipped" if self.skipped else ""
        extra += f", {self.rejected} rejected" if self.rejected else ""
        extra += f", waited {self.waited:.0f} s on rate limits" if self.waited >= 1 else ""
        return head + f"+{self.added} events from {self.requests} requests in {self.seconds:.1f} s{extra}"


def client_for(source: Source, environ=None, notify=None, sleep=time.sleep) -> Client:
    """An API client for ``source`` with its authentication headers (``SyncSpec.auth`` reads the
    token from the environment: SyncError naming the variable to set when it is missing)."""
    environ = os.environ if environ is None else environ
    spec = registered(source.provider).sync
    return Client(source.api_url, spec.auth(environ), notify=notify, sleep=sleep, credentials=spec.credentials)


def batches_of(source: Source, client: Client, state: dict, now: str):
    """The source's batches from ``state`` (``SyncSpec.batches``), ``since`` filled in."""
    return registered(source.provider).sync.batches(client, replace(source, since=source.since or default_since()),
                                                    state, now)


def sync(source: Source, *, full: bool = False, progress=None, environ=None, sleep=time.sleep,
         now: datetime | None = None, client: Client | None = None) -> Outcome:
    """Bring ``source``'s dataset up to date: every page stored with its state, the run recorded.
    ``full`` forgets the stored state (re-collects from ``since``). ``client``: the API client to
    share (an organisation's repositories share one, and so its rate limits); by default its own.
    Raises SyncError (with the HTTP status that ended it) after recording it when the source cannot
    be synced."""
    outcome = Outcome(source)
    started = time.monotonic()
    now_text = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, before = None, (client.requests, client.waited) if client else (0, 0.0)

    def notify(message: str) -> None:
        if progress:
            progress(outcome.batches, 0, message)

    try:
        client = client or client_for(source, environ, notify=notify, sleep=sleep)
        store.check_name(source.dataset)
        rules = sync_ai_rules()
        state = {} if full else store.sync_state(source.dataset, source.key)
        stored = json.loads(json.dumps(state))
        for batch in batches_of(source, client, state, now_text):
            outcome.warn(batch.warnings)
            if batch.objects or batch.state != stored:      # else nothing new to write (an unchanged repository)
                frame, report = mapping.events_of(source, batch.objects, rules)
                for reason, count in report.skipped.items():
                    outcome.skipped[reason] = outcome.skipped.get(reason, 0) + count
                outcome.rejected += report.rejected_count
                outcome.warn(report.warnings)
                outcome.added += store.append_with_state(source.dataset, frame, source.key, batch.state,
                                                           who=f"sync ({store.local_user()})")
                stored = batch.state
            outcome.batches += 1
            if progress:
                progress(outcome.batches, 0, f"{source.key}: {batch.what}")
    except (SyncError, store.StoreError) as e:
        outcome.error, status = str(e), getattr(e, "status", None)
    if client is not None:
        outcome.requests, outcome.waited = client.requests - before[0], client.waited - before[1]
    outcome.seconds = time.monotonic() - started
    record(outcome, now_text)
    if outcome.error:
        raise SyncError(outcome.error, status)
    return outcome


def sync_ai_rules():
    """The AI rules a sync decides by (the data directory's ``ai.toml``, or ``METRICS_AI_RULES``);
    SyncError of one sentence, before any request, for a file that cannot be used."""
    try:
        return rules_of_data(store.data_dir())
    except AiRulesError as e:
        raise SyncError(f"{e} (nothing synced)") from None


def record(outcome: Outcome, when: str) -> None:
    """Keep the run's outcome with the dataset (last sync time, source, error), if the store takes it."""
    try:
        store.record_sync_run(outcome.source.dataset, outcome.source.key, {
            "at": when, "added": outcome.added, "requests": outcome.requests, "seconds": round(outcome.seconds, 2),
            "skipped": outcome.skipped, "rejected": outcome.rejected, "error": outcome.error})
    except store.StoreError:
        pass


def last_runs(dataset: str) -> list[dict]:
    """Each source's last sync of ``dataset``: source, time, events added, error ("" if none)."""
    return [{"source": key, **json.loads(value)} for key, value in store.sync_runs(dataset)]
