"""Which pull requests were AI-assisted: the detection rules (issue 29), pure and columnar.

A PR is AI-assisted when one of four rules matches a fact its source gives (docs/metrics.md,
"AI-assisted pull requests"):

- ``trailer``: a commit message of the PR carries a trailer (``Co-authored-by:``, ``Assisted-by:``,
  ``Generated-by:``; case-insensitive) naming an assistant: its address is one of the assistant's
  (exactly, or with GitHub's ``ID+`` prefix: ``223556219+Copilot@users.noreply.github.com``), or its
  whole name is one of the assistant's names (``Claude``; case-insensitive);
- ``label``: the PR carries one of an assistant's labels, or one of the labels naming none
  (``ai-assisted``);
- ``bot-author``: the PR's author login is one of an assistant's bot accounts (``Copilot``,
  ``devin-ai-integration[bot]``);
- ``branch``: the PR's source branch matches one of an assistant's globs (``copilot/*``; ``*``
  crosses ``/``).

The rules decide in the order of ``rules`` (default: trailer, label, bot-author, branch; the first
that matches names the rule and the assistant; within a rule, the assistants in their order), so
a PR is assisted whichever rule finds it, and the order only says which one is named. A PR none
matches is ``0`` with rule ``none``; a PR with no fact at all (every column empty) is unknown:
NaN, and no ``pr_ai_assisted`` event is made for it.

Everything is configurable in an ``[ai]`` table of a TOML settings file (``read_ai_settings``; the
file ``ai.toml`` in the data directory, or ``METRICS_AI_RULES``)::

    [ai]
    rules = ["trailer", "label", "bot-author", "branch"]   # which rules decide, in this order
    trailer_keys = ["Co-authored-by", "Assisted-by", "Generated-by"]
    labels = ["ai-assisted", "ai-generated"]                # labels naming no assistant
    builtin = true                                          # keep the built-in assistants

    [ai.assistants.claude]          # a key given replaces the built-in one's; a new name adds one
    names = ["Claude"]
    addresses = ["noreply@anthropic.com"]
    bots = ["claude[bot]"]
    branches = ["claude/*"]
    labels = ["claude"]

A setting of the wrong type, an empty text or an unknown key is ``AiRulesError``: one sentence
naming the entry.
"""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as s
from .settings_files import read_settings

FILE_NAME = "ai.toml"
ENV = "METRICS_AI_RULES"
RULES = tuple(r for r in s.AI_RULES if r != s.AI_NO_RULE)          # the rules that can match, default order
TRAILER_KEYS = ("Co-authored-by", "Assisted-by", "Generated-by")
GENERIC_LABELS = ("ai-assisted", "ai-generated")
ASSISTANT_KEYS = ("names", "addresses", "bots", "branches", "labels")
ASSISTANT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# the built-in assistants: the trailer names and addresses, bot logins and branch prefixes their
# own tools write (Copilot's coding agent, Claude Code, Cursor's agent, OpenAI Codex, Gemini Code
# Assist, Devin, Aider), as their public commits show them
BUILTIN_ASSISTANTS = {
    "copilot": {"names": ("Copilot", "copilot-swe-agent[bot]"),
                "addresses": ("Copilot@users.noreply.github.com", "copilot-swe-agent[bot]@users.noreply.github.com",
                              "copilot@github.com"),
                "bots": ("Copilot", "copilot-swe-agent[bot]"), "branches": ("copilot/*",), "labels": ("copilot",)},
    "claude": {"names": ("Claude", "Claude Code"), "addresses": ("noreply@anthropic.com",),
               "bots": ("claude[bot]",), "branches": ("claude/*",), "labels": ("claude",)},
    "cursor": {"names": ("Cursor", "Cursor Agent"), "addresses": ("cursoragent@cursor.com",),
               "bots": ("cursor[bot]",), "branches": ("cursor/*",), "labels": ("cursor",)},
    "codex": {"names": ("Codex",), "addresses": ("noreply@openai.com", "codex@openai.com"),
              "bots": ("chatgpt-codex-connector[bot]",), "branches": ("codex/*",), "labels": ("codex",)},
    "gemini": {"names": ("Gemini", "gemini-code-assist[bot]"), "addresses": ("gemini-code-assist[bot]@users.noreply.github.com",),
               "bots": ("gemini-code-assist[bot]",), "branches": ("gemini/*",), "labels": ("gemini",)},
    "devin": {"names": ("Devin", "Devin AI"),
              "addresses": ("devin-ai-integration[bot]@users.noreply.github.com", "devin@cognition.ai"),
              "bots": ("devin-ai-integration[bot]",), "branches": ("devin/*",), "labels": ("devin",)},
    "aider": {"names": ("aider",), "addresses": ("noreply@aider.chat",), "bots": (), "branches": (), "labels": ("aider",)},
}
# the facts a PR is checked on (``detect``'s columns besides pr_id and service): one text each;
# ``messages`` its commit messages (or their trailer lines) and ``labels`` its labels, one a line
FACT_COLUMNS = ("messages", "labels", "author", "branch")
TOP_KEYS = ("rules", "trailer_keys", "labels", "builtin", "assistants")


class AiRulesError(Exception):
    """An ``[ai]`` setting that cannot be used: one sentence naming the entry."""


@dataclass(frozen=True)
class AiRules:
    """The rules, checked: the ``rules`` in their deciding order, the ``trailer_keys`` read, the
    ``labels`` naming no assistant, and per assistant (in order) its names, addresses, bots,
    branch globs and labels (all lower-cased but the globs)."""

    rules: tuple = RULES
    trailer_keys: tuple = TRAILER_KEYS
    labels: tuple = GENERIC_LABELS
    assistants: dict = field(default_factory=lambda: {name: dict(spec) for name, spec in BUILTIN_ASSISTANTS.items()})


def ai_settings_path(data_dir) -> Path:
    """The rules' file: ``METRICS_AI_RULES``, else ``ai.toml`` in the data directory."""
    return Path(os.environ.get(ENV) or Path(data_dir) / FILE_NAME)


def read_ai_settings(path, required: bool = False) -> AiRules:
    """The rules of the ``[ai]`` table of the TOML file ``path`` (the defaults when the file or the
    table is not there, unless ``required``); AiRulesError of one sentence otherwise."""
    data = read_settings(path, "the AI rules file", AiRulesError, required)
    return AiRules() if data is None else ai_rules_of(data.get("ai", {}), f"the AI rules file {path}")


def ai_rules_of(table, where: str = "the [ai] settings") -> AiRules:
    """``AiRules`` from the ``[ai]`` table of a settings file (a dict, as TOML reads it), checked:
    AiRulesError of one sentence naming ``where`` and the entry for anything it cannot use."""
    if not isinstance(table, dict):
        raise AiRulesError(f"{where}: [ai] must be a table of settings, not {type(table).__name__}")
    unknown = sorted(set(table) - set(TOP_KEYS))
    if unknown:
        raise AiRulesError(f"{where}: [ai] has an unknown key {unknown[0]!r} (keys: {', '.join(TOP_KEYS)})")
    rules = _texts(table.get("rules", RULES), f"{where}: [ai] rules")
    bad = [r for r in rules if r not in RULES]
    if bad or len(set(rules)) != len(rules):
        raise AiRulesError(f"{where}: [ai] rules lists each of {', '.join(RULES)} at most once, not {bad[0] if bad else 'twice'!r}")
    keys = _texts(table.get("trailer_keys", TRAILER_KEYS), f"{where}: [ai] trailer_keys")
    if any(not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", k) for k in keys):
        raise AiRulesError(f"{where}: [ai] trailer_keys are trailer names such as Co-authored-by (letters, digits, '-')")
    labels = _texts(table.get("labels", GENERIC_LABELS), f"{where}: [ai] labels")
    builtin = table.get("builtin", True)
    if not isinstance(builtin, bool):
        raise AiRulesError(f"{where}: [ai] builtin must be true or false")
    given = table.get("assistants", {})
    if not isinstance(given, dict):
        raise AiRulesError(f"{where}: [ai.assistants] must be a table of assistants ([ai.assistants.NAME])")
    assistants = {name: dict(spec) for name, spec in BUILTIN_ASSISTANTS.items()} if builtin else {}
    for name, spec in given.items():
        entry = f"{where}: [ai.assistants.{name}]"
        if not ASSISTANT_NAME.match(str(name)):
            raise AiRulesError(f"{entry}: an assistant's name is lower-case letters, digits and '-' (at most 40)")
        if not isinstance(spec, dict):
            raise AiRulesError(f"{entry} must be a table of {', '.join(ASSISTANT_KEYS)}")
        unknown = sorted(set(spec) - set(ASSISTANT_KEYS))
        if unknown:
            raise AiRulesError(f"{entry} has an unknown key {unknown[0]!r} (keys: {', '.join(ASSISTANT_KEYS)})")
        merged = dict(assistants.get(name, {k: () for k in ASSISTANT_KEYS}))
        merged.update({k: _texts(v, f"{entry} {k}") for k, v in spec.items()})
        assistants[name] = merged
    return AiRules(rules=rules, trailer_keys=keys, labels=labels, assistants=assistants)


def assistant_bots(rules: AiRules | None) -> frozenset:
    """The bot accounts of the rules' assistants, lower-cased (none when ``rules`` is None)."""
    if rules is None:
        return frozenset()
    return frozenset(b.lower() for spec in rules.assistants.values() for b in spec.get("bots", ()))


def _texts(value, entry: str) -> tuple:
    """A list of non-empty texts (stripped), or AiRulesError naming ``entry``."""
    if not isinstance(value, (list, tuple)):
        raise AiRulesError(f"{entry} must be a list of texts, not {type(value).__name__}")
    out = []
    for i, v in enumerate(value, start=1):
        if not isinstance(v, str):
            raise AiRulesError(f"{entry}: item {i} must be a text, not {type(v).__name__}")
        if not v.strip():
            raise AiRulesError(f"{entry}: item {i} is empty (an empty pattern would match every PR)")
        out.append(v.strip())
    return tuple(out)


def _column(facts: pd.DataFrame, name: str) -> pd.Series:
    """A fact column as text, "" where missing (the whole column when ``facts`` has none)."""
    if name not in facts:
        return pd.Series("", index=facts.index, dtype=object)
    column = facts[name]
    return column.where(column.notna(), "").astype(str)


def _first_match(found: pd.DataFrame, n: int, order: dict) -> np.ndarray:
    """Per PR (``found["pr"]``: row positions 0..n-1), the code of the first assistant (in
    ``order``: name -> rank) among its ``found["assistant"]`` matches; -1 where none."""
    best = np.full(n, -1, dtype=np.int64)
    if not len(found):
        return best
    rank = found["assistant"].map(order).to_numpy(dtype=np.int64)
    pr = found["pr"].to_numpy(dtype=np.int64)
    top = pd.Series(rank).groupby(pr).min()
    best[top.index.to_numpy()] = top.to_numpy()
    return best


def _lookup(values: pd.Series, table: dict) -> pd.DataFrame:
    """The (pr, assistant) pairs of the texts of ``values`` (one per PR position; lower-cased) that
    ``table`` (lower-cased text -> assistant) holds."""
    hit = values.str.lower().map(table)
    keep = hit.notna().to_numpy()
    return pd.DataFrame({"pr": np.flatnonzero(keep), "assistant": hit[keep].to_numpy()})


def detect(facts: pd.DataFrame, rules: AiRules | None = None) -> pd.DataFrame:
    """Per PR of ``facts`` (columns ``pr_id``, ``service`` and any of ``FACT_COLUMNS``: its commit
    messages, its labels one a line, its author login, its source branch; a missing column or
    value is an unknown fact), in its order: ``pr_id``, ``service``, ``ai_assisted`` (1.0, 0.0, or
    NaN when every fact is unknown), ``rule`` (the deciding rule, ``none``, or "" when unknown) and
    ``assistant`` (the assistant named, "" when none is)."""
    rules = AiRules() if rules is None else rules
    n = len(facts)
    order = {name: rank for rank, name in enumerate(rules.assistants)}
    names = np.append(np.asarray(list(rules.assistants), dtype=object), "")          # rank -1 reads ""
    lowered = {k: {v.lower(): a for a in reversed(list(rules.assistants)) for v in rules.assistants[a].get(k, ())}
               for k in ("names", "addresses", "bots", "labels")}
    text = {c: _column(facts.reset_index(drop=True), c) for c in FACT_COLUMNS}
    found = {}

    if "trailer" in rules.rules:
        keys = "|".join(re.escape(k) for k in rules.trailer_keys)
        lines = text["messages"].str.extractall(rf"(?im)^[ \t]*(?:{keys})[ \t]*:[ \t]*(?P<value>.*?)[ \t]*\r?$")
        value = lines["value"].astype(str)
        parts = value.str.extract(r"^(?P<name>[^<]*?)\s*(?:<(?P<address>[^>]*)>)?\s*$")
        pr = lines.index.get_level_values(0).to_numpy()
        address = parts["address"].fillna("").str.lower().str.replace(r"^\d+\+", "", regex=True)
        by_name = _lookup(parts["name"].fillna("").reset_index(drop=True), lowered["names"])
        by_address = _lookup(address.reset_index(drop=True), lowered["addresses"])
        both = pd.concat([by_name, by_address], ignore_index=True)
        both["pr"] = pr[both["pr"].to_numpy(dtype=np.int64)] if len(both) else both["pr"]
        found["trailer"] = _first_match(both, n, order)
    if "label" in rules.rules:
        labels = text["labels"].str.split("\n").explode().str.strip()
        positions = labels.index.to_numpy()
        generic = labels.str.lower().isin([g.lower() for g in rules.labels]).to_numpy()
        hits = _lookup(labels.reset_index(drop=True), lowered["labels"])
        hits["pr"] = positions[hits["pr"].to_numpy(dtype=np.int64)] if len(hits) else hits["pr"]
        best = _first_match(hits, n, order)
        plain = np.zeros(n, dtype=bool)
        plain[positions[generic]] = True
        found["label"] = np.where((best < 0) & plain, len(names) - 1, best)         # a generic label: no assistant
    if "bot-author" in rules.rules:
        found["bot-author"] = _first_match(_lookup(text["author"].str.strip(), lowered["bots"]), n, order)
    if "branch" in rules.rules:
        best = np.full(n, -1, dtype=np.int64)
        branch = text["branch"].str.strip()
        for rank, spec in reversed(list(enumerate(rules.assistants.values()))):       # the first assistant wins
            globs = spec.get("branches", ())
            if globs:
                pattern = "|".join(f"(?:{fnmatch.translate(g)})" for g in globs)
                best[branch.str.match(pattern).to_numpy(dtype=bool)] = rank
        found["branch"] = best

    rule = np.full(n, s.AI_NO_RULE, dtype=object)
    assistant = np.full(n, -1, dtype=np.int64)
    decided = np.zeros(n, dtype=bool)
    for name in rules.rules:
        hit = (found[name] >= 0) & ~decided
        rule[hit], assistant[hit] = name, found[name][hit]
        decided |= hit
    known = np.zeros(n, dtype=bool)
    for c in FACT_COLUMNS:
        known |= (text[c].str.strip() != "").to_numpy()
    value = np.where(decided, 1.0, 0.0)
    value[~known] = np.nan
    rule[~known] = ""
    return pd.DataFrame({"pr_id": _column(facts.reset_index(drop=True), "pr_id").to_numpy(),
                         "service": _column(facts.reset_index(drop=True), "service").to_numpy(),
                         "ai_assisted": value, "rule": rule, "assistant": names[assistant]})


def ai_events(facts: pd.DataFrame, rules: AiRules | None = None) -> pd.DataFrame:
    """The raw ``pr_ai_assisted`` event rows (``ts``, kind, service, pr_id, metric_value, status,
    author) of the PRs of ``facts`` (``detect``'s columns plus ``ts``, the time the event takes,
    e.g. the PR's creation) whose facts are known: an importer's rows for ``normalize``. The
    frame's index is each row's PR's position in ``facts`` (0, 1, ...)."""
    decided = detect(facts, rules)
    ts = facts["ts"].reset_index(drop=True) if "ts" in facts else pd.Series("", index=decided.index)
    keep = decided["ai_assisted"].notna().to_numpy()
    return pd.DataFrame({"ts": ts[keep].to_numpy(), "kind": s.PR_AI_ASSISTED, "service": decided["service"][keep].to_numpy(),
                         "pr_id": decided["pr_id"][keep].to_numpy(),
                         "metric_value": decided["ai_assisted"][keep].to_numpy(),
                         "status": decided["rule"][keep].to_numpy(), "author": decided["assistant"][keep].to_numpy()},
                        index=np.flatnonzero(keep))
