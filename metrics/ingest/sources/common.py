"""Helpers every source reader shares: JSON documents, pages of items, counting what is skipped,
outcomes and environments as the event schema names them."""
from __future__ import annotations

import fnmatch
import json

from ... import schema as s
from ...registry.source import Option
from ..report import LoadError, RawRows

DEFAULT_DEPLOY_PATTERN = "*deploy*"
# two options several sources take, declared once here and listed by each of them
DEPLOY_WORKFLOW_OPTION = Option("deploy_workflow", "the workflows or pipelines whose runs are deployments (a glob on "
                                "the name or file)", default=DEFAULT_DEPLOY_PATTERN, metavar="GLOB")
PRODUCTION_OPTION = Option("production", "the environment that is production", default=s.PRODUCTION, metavar="ENV")


def json_documents(text: str, name: str, keep_going: bool = False) -> list:
    """Every JSON document in the text: one, or several written one after another (as paginating
    exports save them; NDJSON too). A document that cannot be read is a LoadError naming ``name``;
    with ``keep_going`` it becomes a ValueError in the list saying why, and reading goes on at the
    next line that starts a document (``{`` or ``[`` in the first column)."""
    decoder, docs, at = json.JSONDecoder(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return docs
        try:
            doc, at = decoder.raw_decode(text, at)
            docs.append(doc)
        except (ValueError, RecursionError) as e:
            if not keep_going:
                raise LoadError(f"{name}: {unreadable(e)}") from None
            message = e.msg if isinstance(e, json.JSONDecodeError) else type(e).__name__
            docs.append(ValueError(f"invalid JSON ({message})"))
            starts = [i for i in (text.find("\n{", at + 1), text.find("\n[", at + 1)) if i >= 0]
            at = min(starts) + 1 if starts else len(text)


def unreadable(error: Exception) -> str:
    """Why a JSON document cannot be read, in words: where its syntax breaks, nesting too deep for
    Python, or a value the decoder refuses (a 5,000-digit number)."""
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON at line {error.lineno} ({error.msg})"
    if isinstance(error, RecursionError):
        return "JSON nested too deeply to read"
    return f"JSON this reader refuses ({str(error)[:120]})"


def items_of(docs: list, key: str, name: str, what: str) -> list:
    """The objects under ``key`` of every page, or the objects themselves when a document is a list of them."""
    items = []
    for doc in docs:
        for part in doc if isinstance(doc, list) else [doc]:
            if isinstance(part, dict) and isinstance(part.get(key), list):
                items.extend(part[key])
            elif isinstance(part, dict) and key not in part:
                items.append(part)
            else:
                raise LoadError(f"{name}: expected {what} pages with a list under '{key}', or a list of {key}")
    return items


def raw_rows(rows: list, numbers: list, bad: list, unit: str, skipped: dict | None = None,
             warnings=(), facts: list | None = None) -> RawRows:
    """A reader's result (see ``RawRows``) from plain lists; ``facts``, when given, the PRs' facts
    (``ai_facts.pr_facts``: one dict per PR)."""
    import numpy as np
    import pandas as pd                 # here: reading the sources' declarations needs no pandas
    from ..ai_facts import facts_frame
    raw = pd.DataFrame(rows) if rows else pd.DataFrame({c: [] for c in s.COLUMNS})
    return RawRows(raw, np.asarray(numbers, dtype=np.int64), bad, unit, skipped or {}, tuple(warnings),
                   None if facts is None else facts_frame(facts))


def count_skip(skipped: dict, reason: str) -> None:
    skipped[reason] = skipped.get(reason, 0) + 1


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def matches(pattern: str, *names: str) -> bool:
    """Whether any of ``names`` matches the glob ``pattern``, ignoring case."""
    return any(fnmatch.fnmatchcase(str(n).lower(), pattern.lower()) for n in names)


def outcome_of(value: str) -> str | None:
    """A CI or deployment outcome as a deploy status: ``success``, ``failed`` (failure, error,
    timed_out), or None when it is not a final outcome (cancelled, skipped, in_progress ...)."""
    return "success" if value == "success" else "failed" if value in ("failure", "error", "timed_out") else None


def environment_of(environment: str, production: str) -> str:
    """The environment as stored: ``production`` when it names the production environment."""
    environment = str(environment or "").strip()
    return s.PRODUCTION if environment.lower() == production.lower() else environment


GLOB_CHARACTERS = "*?["


def service_globs(pairs, what: str) -> dict:
    """SERVICE -> globs from (service, glob) pairs (a service may come back), or a ValueError of one
    sentence naming ``what`` (the option or key) when a name or a glob is empty."""
    out: dict = {}
    for service, glob in pairs:
        if not isinstance(service, str) or not service.strip() or not isinstance(glob, str) or not glob.strip():
            raise ValueError(f"{what} needs SERVICE=GLOB with a service name and a non-empty glob, got {service!r}={glob!r}")
        out[service.strip()] = out.get(service.strip(), ()) + (glob.strip(),)
    return out


def path_matches(path: str, glob: str) -> bool:
    """Whether a repository path is under ``glob``: a glob (``*`` crosses ``/``, so ``services/api/**``
    is everything below), or a plain directory or file (``services/api``: itself and everything below)."""
    if any(c in glob for c in GLOB_CHARACTERS):
        return fnmatch.fnmatchcase(path, glob)
    glob = glob.rstrip("/")
    return path == glob or path.startswith(glob + "/")
