"""Columnar tables, one per event kind, that every metric is computed from.

The flat event frame of METRICS.md section 1 (one row per event) is split once into these tables:
times are int64 nanoseconds since the epoch (UTC), services and ids are integer codes.

Missing values, one sentinel per type across the core: ``NA`` (the smallest int64) in int64
columns, for a time that has not happened (an open incident, an unreviewed or unmerged PR) or a
missing link; ``NaN`` in float columns (a duration that cannot be measured); ``None`` in
summaries and details (``null`` in JSON, "n/a" on screen).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import schema as s

NA = np.iinfo(np.int64).min
CHANGE_TYPE_CODES = {name: code for code, name in enumerate(s.CHANGE_TYPES)}
# the team-level tables: (attribute, event kind, value column)
VALUE_TABLES = (("surveys", s.SURVEY, "score"), ("platform", s.PLATFORM_HOURS, "hours"),
                ("response", s.INCIDENT_RESPONSE, "minutes"), ("toil", s.TOIL, "minutes"),
                ("onboarding", s.ONBOARDING, "weeks"), ("on_call", s.ON_CALL, "hours"),
                ("infra", s.INFRA_COST, "usd"))
# the PR table's size columns, one per kind of ``schema.PR_SIZE_KINDS`` (in its order)
SIZE_COLUMNS = ("lines_added", "lines_removed", "files_changed")
# team-level tables holding several kinds, each event's kind an index into the kinds: (attribute,
# kinds, index column, value column)
GROUPED_VALUE_TABLES = (("ai_usage", s.AI_USAGE_KINDS, "measure", "value"),
                        ("ai_capabilities", s.AI_CAPABILITY_KINDS, "capability", "score"))
# every team-level table (a service filter keeps them whole; a team filter drops other teams')
TEAM_TABLES = tuple(attr for attr, _, _ in VALUE_TABLES) + tuple(attr for attr, _, _, _ in GROUPED_VALUE_TABLES)


def lookup(values, index, keys) -> np.ndarray:
    """``values`` by ``index`` looked up for each of ``keys`` (first match; ``NA`` where none),
    kept in int64 so nanosecond times stay exact."""
    table = pd.Series(np.asarray(values, dtype=np.int64), index=np.asarray(index))
    table = table[~table.index.duplicated()]
    return table.reindex(np.asarray(keys), fill_value=NA).to_numpy(dtype=np.int64)


def lookup_value(values, index, keys) -> np.ndarray:
    """Float ``values`` by ``index`` looked up for each of ``keys`` (first match; NaN where none)."""
    table = pd.Series(np.asarray(values, dtype=float), index=np.asarray(index))
    table = table[~table.index.duplicated()]
    return table.reindex(np.asarray(keys)).to_numpy(dtype=float)


def _empty(**cols) -> pd.DataFrame:
    return pd.DataFrame({name: np.array([], dtype=dtype) for name, dtype in cols.items()})


@dataclass
class EventTables:
    """All events, split by kind.

    deploys:    key, ts, service, production (bool), success (bool), change_type (0 feature, 1 hotfix, 2 rollback)
    incidents:  key, service, start, resolved (NA while open), deploy_key (NA when not linked; a key
                no deployment has when the link names none: ``link_keys``)
    prs:        key, service, created, first_review, merged (NA when missing), deploy_key, author (the
                ``pr_created`` event's author: a code into ``authors``, -1 when it names none),
                first_commit (NA when no ``pr_first_commit`` names it), lines_added, lines_removed,
                files_changed (float, NaN when no ``pr_lines_added`` ... names it), ai_assisted (float: 1
                or 0 as the PR's ``pr_ai_assisted`` event says, NaN when none does: unknown)
    reviews:    key, service, ts of every pr_reviewed event; merges: key, service, ts of every pr_merged event
    first_commits: key, service, ts of every pr_first_commit event
    sizes:      key, service, ts, measure (the index of its kind in ``schema.PR_SIZE_KINDS``), value of
                every pr_lines_added, pr_lines_removed and pr_files_changed event
    ai_checks:  key, service, ts, value (1 or 0), rule (the index of its status in ``schema.AI_RULES``),
                assistant (a code into ``assistants``, -1 when it names none) of every pr_ai_assisted event
    surveys (ts, service, score), platform (ts, service, hours), response (ts, service, minutes),
    toil (ts, service, minutes), onboarding (ts, service, weeks), on_call (ts, service, hours),
    infra (ts, service, usd), ai_usage (ts, service, measure = the index of its kind in
    ``schema.AI_USAGE_KINDS``, value), ai_capabilities (ts, service, capability = the index of its
    kind in ``schema.AI_CAPABILITY_KINDS``, score): team-level events, whose service
    is usually ``team`` or ``platform``; other: rows of kinds the built-in metrics do not use.
    Every table carries its service code, so narrowing to some services is a mask per table.
    A copy with some tables changed is ``dataclasses.replace(tables, prs=...)``: every other
    attribute comes along.
    """

    services: np.ndarray
    deploys: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", ts="i8", service="i4", production="?", success="?", change_type="i1"))
    incidents: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", service="i4", start="i8", resolved="i8", deploy_key="i8"))
    prs: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", service="i4", created="i8", first_review="i8", merged="i8", deploy_key="i8", author="i4",
                                                             first_commit="i8", lines_added="f8", lines_removed="f8", files_changed="f8",
                                                             ai_assisted="f8", git="?"))
    reviews: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", service="i4", ts="i8"))
    merges: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", service="i4", ts="i8"))
    first_commits: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", service="i4", ts="i8"))
    sizes: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", service="i4", ts="i8", measure="i1", value="f8"))
    ai_checks: pd.DataFrame = field(default_factory=lambda: _empty(key="i8", service="i4", ts="i8", value="f8", rule="i1", assistant="i4"))
    surveys: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", score="f8"))
    platform: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", hours="f8"))
    response: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", minutes="f8"))
    toil: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", minutes="f8"))
    onboarding: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", weeks="f8"))
    on_call: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", hours="f8"))
    infra: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", usd="f8"))
    ai_usage: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", measure="i1", value="f8"))
    ai_capabilities: pd.DataFrame = field(default_factory=lambda: _empty(ts="i8", service="i4", capability="i1", score="f8"))
    other: pd.DataFrame | None = None
    # key -> original id text, when the ids came from a file (None: synthetic keys, named on demand)
    deploy_names: np.ndarray | None = None
    incident_names: np.ndarray | None = None
    pr_names: np.ndarray | None = None
    authors: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))    # the PRs' author names
    assistants: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))  # the assistants ai_checks name
    key_stride: int | None = None       # synthetic keys: day offset * stride + index, named "<offset>-<index>"
    git_prs: bool = False               # some PRs came from git history (created = first commit's author time)

    def deploy_id(self, keys) -> list[str]:
        return _names(keys, self.deploy_names, "deploy-", self.key_stride)

    def incident_id(self, keys) -> list[str]:
        return _names(keys, self.incident_names, "inc-", self.key_stride)

    def pr_id(self, keys) -> list[str]:
        return _names(keys, self.pr_names, "pr-", self.key_stride)

    def deploy_keys(self, ids) -> np.ndarray:
        """The keys of deploy ids (``NA`` for an id not in the data): the inverse of ``deploy_id``."""
        return _keys(ids, self.deploy_names, "deploy-", self.key_stride)

    def incident_keys(self, ids) -> np.ndarray:
        """The keys of incident ids (``NA`` for an id not in the data): the inverse of ``incident_id``."""
        return _keys(ids, self.incident_names, "inc-", self.key_stride)

    def link_keys(self, ids, service_codes) -> np.ndarray:
        """The deployment each link names, as a key (``NA`` when it names none, or several): a link is
        an incident's or a merged PR's ``deploy_id``, or an attribution pin, written by an event of
        the service ``service_codes`` gives, and may name a deployment of another service. It names
        the deployment whose id it is exactly (``shop@v1.0``); else ``SERVICE@LINK`` with its own
        service; else the one deployment, of any service, whose local id (its id less its own
        ``SERVICE@``) it is."""
        ids = np.asarray(ids, dtype=object)
        keys = np.full(len(ids), NA, dtype=np.int64)
        todo = np.flatnonzero(ids != "")
        deployed = self.deploys["key"].to_numpy()
        if not len(todo) or not len(deployed):
            return keys
        if self.deploy_names is None:                           # synthetic keys: exact ids only
            found = self.deploy_keys(ids[todo])
            keys[todo] = np.where(np.isin(found, deployed), found, NA)
            return keys
        codes, pairs = pd.MultiIndex.from_arrays([ids[todo], np.asarray(service_codes)[todo]]).factorize()
        link = np.asarray(pairs.get_level_values(0), dtype=object)
        named = deployed < len(self.deploy_names)
        deploy_keys, first = np.unique(deployed[named], return_index=True)
        names = np.asarray(self.deploy_names, dtype=object)[deploy_keys]
        exact = pd.Index(names)
        found = exact.get_indexer(link)
        own = np.strings.add(np.strings.add(_text(self.service_name(pairs.get_level_values(1))), s.DEPLOY_MARK),
                             _text(link))
        found = np.where(found >= 0, found, exact.get_indexer(own.astype(object)))
        prefix = np.strings.add(_text(self.service_name(self.deploys["service"].to_numpy()[named][first])),
                                s.DEPLOY_MARK)
        qualified = np.strings.startswith(_text(names), prefix)
        local = np.strings.slice(_text(names), np.where(qualified, np.strings.str_len(prefix), 0), None).astype(object)
        single = ~pd.Index(local).duplicated(keep=False)
        by_local = pd.Index(local[single]).get_indexer(link)              # -1: none, or several
        found = np.where(found >= 0, found, np.append(np.flatnonzero(single), -1)[by_local])
        keys[todo] = np.append(deploy_keys, NA)[found][codes]                # found -1: NA
        return keys

    def service_name(self, codes) -> np.ndarray:
        return self.services[np.asarray(codes, dtype=np.int64)]

    def author_name(self, codes) -> np.ndarray:
        """The author names of ``codes`` ("" for -1, no author)."""
        return np.append(np.asarray(self.authors, dtype=object), "")[np.asarray(codes, dtype=np.int64)]

    def event_count(self) -> int:
        n = len(self.deploys) + len(self.reviews) + len(self.merges) + len(self.prs) + len(self.first_commits) + len(self.sizes)
        n += len(self.ai_checks) + len(self.incidents) + int((self.incidents["resolved"] != NA).sum())
        n += sum(len(getattr(self, attr)) for attr in TEAM_TABLES)
        return n + (0 if self.other is None else len(self.other))

    def time_span(self) -> tuple[int, int] | None:
        """(first, last) event time in ns, or None when there are no events."""
        parts = [self.deploys["ts"].to_numpy(), self.incidents["start"].to_numpy(), self.reviews["ts"].to_numpy(),
                 self.merges["ts"].to_numpy(), self.prs["created"].to_numpy(), self.first_commits["ts"].to_numpy(),
                 self.sizes["ts"].to_numpy(), self.ai_checks["ts"].to_numpy()] + \
            [getattr(self, attr)["ts"].to_numpy() for attr in TEAM_TABLES]
        if self.other is not None and len(self.other):
            parts.append(ts_ns(self.other["ts"]))
        resolved = self.incidents["resolved"].to_numpy()
        parts.append(resolved[resolved != NA])
        parts = [p for p in parts if len(p)]
        if not parts:
            return None
        return int(min(p.min() for p in parts)), int(max(p.max() for p in parts))


def _text(values) -> np.ndarray:
    """Texts as numpy's variable-width strings (``np.strings`` works on them column-wise)."""
    return np.asarray(values, dtype=np.dtypes.StringDType())


def _names(keys, names, prefix, stride=None) -> list[str]:
    keys = np.asarray(keys, dtype=np.int64)
    if names is None and stride:
        return [f"{prefix}{k // stride}-{k % stride}" if k != NA else "" for k in keys]
    if names is None:
        return [f"{prefix}{k}" if k != NA else "" for k in keys]
    return [str(names[k]) if 0 <= k < len(names) else "" for k in keys]


def _keys(ids, names, prefix, stride=None) -> np.ndarray:
    """Keys of id texts, the inverse of ``_names`` (``NA`` where an id names nothing)."""
    ids = pd.Series(np.asarray(ids, dtype=object), dtype=object).astype(str)
    if names is not None:
        found = pd.Index(np.asarray(names, dtype=object).astype(str)).get_indexer(ids)
        return np.where(found >= 0, found, NA).astype(np.int64)
    pattern = rf"^{prefix}(\d+)-(\d+)$" if stride else rf"^{prefix}(\d+)$"
    parts = ids.str.extract(pattern).astype(float)
    ok = parts.notna().all(axis=1).to_numpy()
    if stride:
        index = parts[1].to_numpy()
        ok = ok & (np.nan_to_num(index) < stride)
        keys = parts[0].to_numpy() * stride + index
    else:
        keys = parts[0].to_numpy()
    return np.where(ok, np.nan_to_num(keys), NA).astype(np.int64)


def ts_ns(series: pd.Series) -> np.ndarray:
    """int64 nanoseconds of a tz-aware (UTC) or naive datetime Series."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.astype("datetime64[ns]").to_numpy().view("i8")


def _factorized(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column as integer codes (-1 for missing) and its distinct texts; a categorical's own."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), np.asarray(column.cat.categories, dtype=object)
    codes, uniques = pd.factorize(column.astype(str))
    return codes, np.asarray(uniques, dtype=object)


def _renumbered(raw: np.ndarray, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (int64, -1 for empty or missing) and texts renumbered in order of first appearance."""
    order = pd.unique(raw)
    order = order[order >= 0]
    order = order[texts[order] != ""]
    renumber = np.full(len(texts) + 1, -1, dtype=np.int64)      # raw code -1 (missing) reads the last: -1
    renumber[order] = np.arange(len(order))
    return renumber[raw], texts[order]


def tables_from_frame(frame: pd.DataFrame) -> EventTables:
    """Split a validated event frame (see ``events.normalize``) into per-kind tables.

    Pairs ``incident_start`` with ``incident_resolved`` and the PR events by their ids; links
    incidents and PRs to deployments by their ``deploy_id`` (``EventTables.link_keys``). Expects one ``incident_start``,
    ``incident_resolved``, ``pr_created`` and ``pr_merged`` per id at most (``normalize`` rejects
    the others). Text columns may be strings or categoricals.
    """
    text = {c: _factorized(frame[c]) for c in s.TEXT_COLUMNS}
    tables, other = _split(ts_ns(frame["ts"]), frame["metric_value"].to_numpy(dtype=float), text)
    tables.other = frame[other].reset_index(drop=True) if other.any() else None
    if tables.other is not None:
        for c in tables.other.columns:
            if isinstance(tables.other[c].dtype, pd.CategoricalDtype):
                codes, texts = _factorized(tables.other[c])
                tables.other[c] = np.append(texts, None)[codes]
    return tables


def tables_from_codes(ts: np.ndarray, value: np.ndarray, text: dict) -> EventTables:
    """``tables_from_frame`` of the frame with int64 ns times ``ts``, float ``value``s and, for each
    text column, ``text[column]`` = (integer codes, distinct texts): the frame is never built."""
    tables, other = _split(ts, value, text)
    if other.any():
        rows = {"ts": pd.to_datetime(ts[other], utc=True, unit="ns"), "metric_value": value[other]}
        rows.update({c: text[c][1][text[c][0][other]] for c in s.TEXT_COLUMNS})
        tables.other = pd.DataFrame(rows)[list(s.COLUMNS)]
    return tables


def _split(t: np.ndarray, value: np.ndarray, text: dict) -> tuple[EventTables, np.ndarray]:
    """The per-kind tables of events given as codes (see ``tables_from_codes``), and which events
    are of other kinds."""
    kind_codes, kinds = text["kind"]
    order = np.argsort(kind_codes, kind="stable")           # each kind's events, in their order, are one run
    sorted_codes = kind_codes[order]

    def of_kind(name) -> np.ndarray:
        """The positions of the events of kind ``name``, ascending."""
        code = np.flatnonzero(kinds == name)[:1]
        lo, hi = np.searchsorted(sorted_codes, [code[0], code[0] + 1]) if len(code) else (0, 0)
        return order[lo:hi]

    def text_is(column, rows, *names) -> np.ndarray:
        """Whether each of ``rows`` has one of ``names`` in ``column`` (a missing text has none)."""
        codes, texts = text[column]
        return np.append(np.isin(texts, names), False)[codes[rows]]     # code -1 (missing) reads the last

    service_codes, services = _renumbered(*text["service"])
    deploy_codes, deploy_names = _renumbered(*text["deploy_id"])
    incident_codes, incident_names = _renumbered(*text["incident_id"])
    pr_codes, pr_names = _renumbered(*text["pr_id"])
    tables = EventTables(services=services, deploy_names=deploy_names, incident_names=incident_names, pr_names=pr_names)

    m = of_kind(s.DEPLOY)
    change_code = np.zeros(len(m), dtype=np.int8)
    for name, code in CHANGE_TYPE_CODES.items():
        change_code[text_is("change_type", m, name)] = code
    keys = deploy_codes[m]
    # a deploy row without a deploy_id gets a key of its own, past the named ones
    missing = keys < 0
    keys[missing] = len(deploy_names) + np.arange(missing.sum())
    tables.deploys = pd.DataFrame({
        "key": keys, "ts": t[m], "service": service_codes[m].astype(np.int32),
        "production": text_is("environment", m, "", s.PRODUCTION),
        "success": ~text_is("status", m, "failed"), "change_type": change_code,
    })

    starts = of_kind(s.INCIDENT_START)
    ends = of_kind(s.INCIDENT_RESOLVED)
    merged = of_kind(s.PR_MERGED)
    # incidents' and merged PRs' deploy_ids are links, resolved to a deployment here; one that names
    # none (or several) keeps its own code, which no deployment has: an unknown link
    links = np.concatenate([starts, merged])
    codes = deploy_codes[links]
    resolved = tables.link_keys(np.append(deploy_names, "")[codes], service_codes[links])
    linked = np.where(resolved != NA, resolved, np.where(codes >= 0, codes, NA))
    inc = pd.DataFrame({"key": incident_codes[starts], "service": service_codes[starts].astype(np.int32),
                        "start": t[starts], "deploy_key": linked[:len(starts)]})
    inc["resolved"] = lookup(t[ends], incident_codes[ends], inc["key"])
    tables.incidents = inc[["key", "service", "start", "resolved", "deploy_key"]]

    created = of_kind(s.PR_CREATED)
    reviewed = of_kind(s.PR_REVIEWED)
    prs = pd.DataFrame({"key": pr_codes[created], "service": service_codes[created].astype(np.int32), "created": t[created]})
    first_review = pd.Series(t[reviewed]).groupby(pr_codes[reviewed]).min()
    k = prs["key"].to_numpy()
    prs["first_review"] = lookup(first_review.to_numpy(), first_review.index, k)
    prs["merged"] = lookup(t[merged], pr_codes[merged], k)
    prs["deploy_key"] = lookup(linked[len(starts):], pr_codes[merged], k)
    author_codes, author_texts = text["author"]
    author, tables.authors = _renumbered(author_codes[created], author_texts)
    prs["author"] = author.astype(np.int32)
    first = of_kind(s.PR_FIRST_COMMIT)
    prs["first_commit"] = lookup(t[first], pr_codes[first], k)
    sized = [of_kind(kind) for kind in s.PR_SIZE_KINDS]
    for column, rows in zip(SIZE_COLUMNS, sized, strict=True):
        prs[column] = lookup_value(value[rows], pr_codes[rows], k)
    tables.prs = prs
    tables.first_commits = pd.DataFrame({"key": pr_codes[first], "service": service_codes[first].astype(np.int32), "ts": t[first]})
    rows = np.concatenate(sized)
    tables.sizes = pd.DataFrame({"key": pr_codes[rows], "service": service_codes[rows].astype(np.int32), "ts": t[rows],
                                 "measure": np.repeat(np.arange(len(sized), dtype=np.int8), [len(r) for r in sized]),
                                 "value": value[rows]})
    checked = of_kind(s.PR_AI_ASSISTED)
    prs["ai_assisted"] = lookup_value(value[checked], pr_codes[checked], k)
    prs["git"] = text_is("environment", created, s.GIT_HISTORY)
    tables.git_prs = bool(prs["git"].any())
    tables.reviews = pd.DataFrame({"key": pr_codes[reviewed], "service": service_codes[reviewed].astype(np.int32), "ts": t[reviewed]})
    tables.merges = pd.DataFrame({"key": pr_codes[merged], "service": service_codes[merged].astype(np.int32), "ts": t[merged]})

    rule = np.zeros(len(checked), dtype=np.int8)
    for index, name in enumerate(s.AI_RULES):
        rule[text_is("status", checked, name)] = index
    assistant, tables.assistants = _renumbered(author_codes[checked], author_texts)
    tables.ai_checks = pd.DataFrame({"key": pr_codes[checked], "service": service_codes[checked].astype(np.int32), "ts": t[checked],
                                     "value": value[checked], "rule": rule, "assistant": assistant.astype(np.int32)})

    for attr, k_name, col in VALUE_TABLES:
        mk = of_kind(k_name)
        setattr(tables, attr, pd.DataFrame({"ts": t[mk], "service": service_codes[mk].astype(np.int32), col: value[mk]}))
    for attr, kinds_of, index_col, col in GROUPED_VALUE_TABLES:
        parts = [of_kind(name) for name in kinds_of]
        rows = np.concatenate(parts)
        setattr(tables, attr, pd.DataFrame({
            "ts": t[rows], "service": service_codes[rows].astype(np.int32),
            index_col: np.repeat(np.arange(len(parts), dtype=np.int8), [len(p) for p in parts]), col: value[rows]}))
    return tables, ~np.append(np.isin(kinds, s.BUILTIN_KINDS), False)[kind_codes]


def frame_from_tables(tables: EventTables) -> pd.DataFrame:
    """The flat, chronologically ordered event frame (METRICS.md section 1) of some tables."""
    parts = []

    def add(kind, ts, service=None, **cols):
        n = len(ts)
        if not n:
            return
        part = {"ts": np.asarray(ts, dtype=np.int64), "kind": np.full(n, kind, dtype=object)}
        part["service"] = tables.service_name(service) if service is not None else np.full(n, "team", dtype=object)
        part.update(cols)
        parts.append(pd.DataFrame(part))

    d = tables.deploys
    add(s.DEPLOY, d["ts"], d["service"], deploy_id=tables.deploy_id(d["key"]),
        status=np.where(d["success"], "success", "failed"),
        change_type=np.asarray(s.CHANGE_TYPES, dtype=object)[d["change_type"].to_numpy()],
        environment=np.where(d["production"], s.PRODUCTION, "staging"))
    inc = tables.incidents
    add(s.INCIDENT_START, inc["start"], inc["service"], incident_id=tables.incident_id(inc["key"]),
        deploy_id=tables.deploy_id(inc["deploy_key"]))
    done = inc[inc["resolved"] != NA]
    add(s.INCIDENT_RESOLVED, done["resolved"], done["service"], incident_id=tables.incident_id(done["key"]))
    p = tables.prs
    add(s.PR_CREATED, p["created"], p["service"], pr_id=tables.pr_id(p["key"]),
        environment=np.where(p["git"].to_numpy(), s.GIT_HISTORY, "").astype(object),
        author=tables.author_name(p["author"]))
    r = tables.reviews
    add(s.PR_REVIEWED, r["ts"], r["service"], pr_id=tables.pr_id(r["key"]))
    mg = p[p["merged"] != NA]
    add(s.PR_MERGED, mg["merged"], mg["service"], pr_id=tables.pr_id(mg["key"]), deploy_id=tables.deploy_id(mg["deploy_key"]))
    fc = tables.first_commits
    add(s.PR_FIRST_COMMIT, fc["ts"], fc["service"], pr_id=tables.pr_id(fc["key"]))
    sz = tables.sizes
    for measure, kind in enumerate(s.PR_SIZE_KINDS):
        one = sz[sz["measure"].to_numpy() == measure]
        add(kind, one["ts"], one["service"], pr_id=tables.pr_id(one["key"]), metric_value=one["value"].to_numpy())
    ai = tables.ai_checks
    add(s.PR_AI_ASSISTED, ai["ts"], ai["service"], pr_id=tables.pr_id(ai["key"]), metric_value=ai["value"].to_numpy(),
        status=np.asarray(s.AI_RULES, dtype=object)[ai["rule"].to_numpy()],
        author=np.append(np.asarray(tables.assistants, dtype=object), "")[ai["assistant"].to_numpy()])
    for attr, kind, col in VALUE_TABLES:
        tab = getattr(tables, attr)
        add(kind, tab["ts"], tab["service"], metric_value=tab[col].to_numpy())
    for attr, kinds_of, index_col, col in GROUPED_VALUE_TABLES:
        tab = getattr(tables, attr)
        for index, kind in enumerate(kinds_of):
            one = tab[tab[index_col].to_numpy() == index]
            add(kind, one["ts"], one["service"], metric_value=one[col].to_numpy())
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({c: [] for c in s.COLUMNS})
    for col in s.COLUMNS:
        if col not in frame:
            frame[col] = np.nan if col == "metric_value" else ""
    frame = frame[list(s.COLUMNS)]
    for col in s.TEXT_COLUMNS:
        frame[col] = frame[col].fillna("").astype(str)
    frame["metric_value"] = frame["metric_value"].astype(float)
    frame = frame.sort_values("ts", kind="stable").reset_index(drop=True)
    frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), utc=True, unit="ns")
    if tables.other is not None and len(tables.other):
        frame = pd.concat([frame, tables.other[list(s.COLUMNS)]], ignore_index=True).sort_values("ts", kind="stable").reset_index(drop=True)
    return frame


def clip(tables: EventTables, start_ns: int, end_ns: int, lookback_ns: int) -> EventTables:
    """The part of the tables a window ``[start, end)`` can use (METRICS.md section 2).

    Events inside the window; deployments from ``lookback_ns`` before it (incident attribution),
    and any deployment an incident or PR of the window names explicitly. Incidents and PRs belong
    to the window by their start / creation, so their later events come along. Returns the same
    tables when nothing would be dropped.
    """
    def inside(ts):
        return (ts >= start_ns) & (ts < end_ns)

    inc = tables.incidents[inside(tables.incidents["start"].to_numpy())]
    prs = tables.prs[inside(tables.prs["created"].to_numpy())]
    links = np.concatenate([inc["deploy_key"].to_numpy(), prs["deploy_key"].to_numpy()])
    links = links[links != NA]
    d = tables.deploys
    d_ts = d["ts"].to_numpy()
    keep = (d_ts >= start_ns - lookback_ns) & (d_ts < end_ns)
    if len(links):
        keep |= np.isin(d["key"].to_numpy(), links)
    parts = {"deploys": d if keep.all() else d[keep], "incidents": inc, "prs": prs}
    for attr in ("reviews", "merges", "first_commits", "sizes", "ai_checks") + TEAM_TABLES:
        t = getattr(tables, attr)
        m = inside(t["ts"].to_numpy())
        parts[attr] = t if m.all() else t[m]
    return replace(tables, **parts)
