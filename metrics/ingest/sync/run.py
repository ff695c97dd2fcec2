"""Running a sync: fetch a source's changes page by page, map them to events, store each page with
the state that covers it, and record how the run went (shown by ``datasets`` and the dashboard)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ... import store
from . import mapping, providers
from .config import TOKENS, Source, default_since
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

    def line(self) -> str:
        """One line for the terminal: the source, what it added, how it went."""
        head = f"{self.source.key} -> {self.source.dataset}: "
        if self.error:
            return head + f"failed: {self.error}"
        extra = f", {sum(self.skipped.values())} skipped" if self.skipped else ""
        extra += f", {self.rejected} rejected" if self.rejected else ""
        extra += f", waited {self.waited:.0f} s on rate limits" if self.waited >= 1 else ""
        return head + f"+{self.added} events from {self.requests} requests in {self.seconds:.1f} s{extra}"


def token_for(provider: str, environ=None) -> str:
    """The provider's token from its environment variable, or SyncError saying which to set."""
    environ = os.environ if environ is None else environ
    name = TOKENS[provider]
    token = environ.get(name, "").strip()
    if not token:
        raise SyncError(f"set {name} in the environment to sync from {provider} (tokens are never taken on the command line)")
    return token


def client_for(source: Source, token: str, notify=None, sleep=time.sleep) -> Client:
    """An API client for ``source`` with the provider's authentication header."""
    headers = {
        "github": {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"},
        "gitlab": {"PRIVATE-TOKEN": token},
        "pagerduty": {"Authorization": f"Token token={token}", "Accept": "application/vnd.pagerduty+json;version=2"},
        "opsgenie": {"Authorization": f"GenieKey {token}"},
    }[source.provider]
    return Client(source.api_url, headers, notify=notify, sleep=sleep)


def batches_of(source: Source, client: Client, state: dict, now: str):
    """The provider's batches for ``source`` from ``state``."""
    options = providers.Options(since=source.since or default_since(), deploy_workflow=source.deploy_workflow,
                                service_ids=source.service_ids, extra={"pr_files": bool(source.service_paths)})
    if source.provider == "github":
        return providers.github(client, source.target, state, options, now)
    if source.provider == "gitlab":
        return providers.gitlab(client, source.target, state, options, now)
    if source.provider == "pagerduty":
        return providers.pagerduty(client, state, options, now)
    return providers.opsgenie(client, state, options, now)


def sync(source: Source, *, full: bool = False, progress=None, environ=None, sleep=time.sleep,
         now: datetime | None = None) -> Outcome:
    """Bring ``source``'s dataset up to date: every page stored with its state, the run recorded.
    ``full`` forgets the stored state (re-collects from ``since``). Raises SyncError after
    recording it when the source cannot be synced."""
    outcome = Outcome(source)
    started = time.monotonic()
    now_text = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def notify(message: str) -> None:
        if progress:
            progress(outcome.batches, 0, message)

    try:
        token = token_for(source.provider, environ)
        store.check_name(source.dataset)
        state = {} if full else store.sync_state(source.dataset, source.key)
        client = client_for(source, token, notify=notify, sleep=sleep)
        for batch in batches_of(source, client, state, now_text):
            frame, report = mapping.events_of(source, batch.objects)
            for reason, count in report.skipped.items():
                outcome.skipped[reason] = outcome.skipped.get(reason, 0) + count
            outcome.rejected += report.rejected_count
            outcome.added += store.append_with_state(source.dataset, frame, source.key, batch.state,
                                                       who=f"sync ({store.local_user()})")
            outcome.batches += 1
            if progress:
                progress(outcome.batches, 0, f"{source.key}: {batch.what}")
        outcome.requests, outcome.waited = client.requests, client.waited
    except (SyncError, store.StoreError) as e:
        outcome.error = str(e)
    outcome.seconds = time.monotonic() - started
    record(outcome, now_text)
    if outcome.error:
        raise SyncError(outcome.error)
    return outcome


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
