"""What the readers of tools' REST API JSON share (Argo CD, Jenkins, Azure DevOps, Bitbucket Cloud): a
reader of paginated API JSON, the documents of a file that a reader recognises, a field of an API
record by its dotted path, a pull request's id qualified by its repository, a reader's growing
result, and the one sentence for a file that holds none of a tool's records."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..ai_facts import pr_fact
from ..report import LoadError, RawRows
from .common import count_skip, items_of, json_documents, raw_rows


def pages_reader(key: str, tool: str, mapping: Callable, **options):
    """A reader of a tool's REST API JSON saved page after page (one or several documents, each a
    page with its records in a list under ``key``, or a list of records): the records of every
    page, in order, mapped by ``mapping(records, name=FILE_NAME, **options)``."""
    def read(text: str, path: Path) -> RawRows:
        return mapping(items_of(json_documents(text, path.name), key, path.name, tool), name=path.name, **options)

    return read


def recognised(docs: list, is_document: Callable, name: str, expected: str) -> list:
    """The documents ``is_document`` recognises, a JSON array's values each counted as one when any
    of them is one (the others stay, for the mapping to reject one by one; an empty array is empty);
    LoadError naming the file ``name`` and saying what was ``expected`` when a document is none."""
    out = []
    for doc in docs:
        if is_document(doc):
            out.append(doc)
        elif isinstance(doc, list) and (not doc or any(is_document(d) for d in doc)):
            out.extend(doc)
        else:
            raise LoadError(f"{name}: {expected}")
    return out


def text_at(record, path: str) -> str:
    """The value at a dotted path (``"repository.name"``) as stripped text; "" when a step is
    missing, null or not an object, or the value is an object, an array or a boolean."""
    value = record
    for key in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(key)
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).strip()


def first_missing(record, *paths: str) -> str | None:
    """The first of ``paths`` that has no value in ``record`` (see ``text_at``), or None."""
    return next((p for p in paths if not text_at(record, p)), None)


def pr_key(repository: str, number: str) -> str:
    """A pull request's ``pr_id``: ``REPO#NUMBER``, since a number is only unique in its repository."""
    return f"{repository}#{number}"


def not_this_tool(name: str, tool: str, kinds: str) -> LoadError:
    """The error for a file none of whose records is one of ``tool``'s: one sentence naming the file."""
    return LoadError(f"{name}: not {tool} REST API JSON (no {kinds} in it)")


class Events:
    """A reader's result as it grows: event rows with their record numbers, rejected records with
    their reasons, valid records that are not events counted by reason, warnings, and its pull
    requests' facts for the AI rules."""

    def __init__(self):
        self.rows, self.numbers, self.bad, self.skipped, self.warnings, self.facts = [], [], [], {}, [], []

    def add(self, number: int, **row) -> None:
        self.rows.append(row)
        self.numbers.append(number)

    def reject(self, number: int, reason: str) -> None:
        self.bad.append((number, reason))

    def skip(self, reason: str) -> None:
        count_skip(self.skipped, reason)

    def pr_facts(self, number: int, ts: str, service: str, pr_id: str, **facts) -> None:
        """A pull request's facts for the AI rules (``ai_facts.pr_fact``'s keywords)."""
        self.facts.append(pr_fact(number, ts, service, pr_id, **facts))

    def result(self) -> RawRows:
        """The rows as ``RawRows``, numbered by record, with the PRs' facts."""
        return raw_rows(self.rows, self.numbers, self.bad, "record", self.skipped, self.warnings, self.facts)
