"""Manual annotations kept in the store: a note on a dataset's time line ("migrated CI"), on a day,
optionally of one service, with who wrote it. Each is one row of the ``annotations`` table (schema
revision 20261207_0002, both backends) written with its audit entry in one transaction, so the
note and its entry are both kept or neither. The automatic annotations (incidents, a deployment
after a long gap, a deployment of many PRs) are computed from the data, never stored:
``metrics.annotations``."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timezone

from .. import defaults
from ..schema import NS_PER_DAY
from .connection import reading, writing
from .errors import StoreError, check_name
from .trail import local_user, record

ACTION = "annotate"                    # the audit trail's action of a new annotation



class AnnotationError(StoreError):
    """An annotation that cannot be stored: one sentence saying why (nothing was stored)."""


@dataclass(frozen=True)
class Annotation:
    """One stored annotation: its id, dataset, day (``at_ns``: midnight UTC), service ("": every
    service), text, author and when it was written (``created_ns``)."""

    id: int
    dataset: str
    at_ns: int
    service: str
    text: str
    author: str
    created_ns: int

    @property
    def day(self) -> str:
        """The annotation's day, YYYY-MM-DD."""
        return datetime.fromtimestamp(self.at_ns // 10**9, timezone.utc).strftime("%Y-%m-%d")


def _plain(value, what: str, limit: int, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise AnnotationError(f"the annotation's {what} must be text; got {type(value).__name__}")
    text = value.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AnnotationError(f"the annotation's {what} holds a character that is not text (a lone surrogate)") from None
    if required and not text:
        raise AnnotationError(f"the annotation's {what} is empty: say what happened (\"migrated CI\")")
    if len(text) > limit:
        raise AnnotationError(f"the annotation's {what} is {len(text):,} characters long; at most {limit} are kept")
    if any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text):
        raise AnnotationError(f"the annotation's {what} holds a control character (a line break, a tab): "
                              "write it on one line")
    return text


def annotation_day(value, today: date | None = None) -> int:
    """The day ``value`` names ("YYYY-MM-DD") as ns since the epoch (midnight UTC), checked to lie
    from ``defaults.ANNOTATION_EARLIEST`` to ``today`` (UTC); AnnotationError otherwise."""
    if not isinstance(value, str):
        raise AnnotationError(f"the annotation's date must be a day, YYYY-MM-DD; got {type(value).__name__}")
    try:
        day = date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise AnnotationError(f"the annotation's date must be a day, YYYY-MM-DD; got {value[:40]!r}")
    today = today or datetime.now(timezone.utc).date()
    earliest = date.fromisoformat(defaults.ANNOTATION_EARLIEST)
    if not earliest <= day <= today:
        raise AnnotationError(f"the annotation's date {day} is outside the days it may have "
                              f"({earliest} to today, {today})")
    return (day - date(1970, 1, 1)).days * NS_PER_DAY


def add_annotation(dataset: str, day, text, service=None, who: str | None = None) -> Annotation:
    """Store an annotation of the stored dataset ``dataset`` on ``day`` (YYYY-MM-DD), of ``service``
    (None or "": every service), by ``who``, with its audit entry; the stored annotation.
    AnnotationError (one sentence; nothing stored) for an unknown dataset, an empty or too long
    text (``defaults.ANNOTATION_TEXT_MAX``), a service that is not a name, or a day outside the range."""
    try:
        check_name(dataset)
    except StoreError as e:
        raise AnnotationError(str(e)) from None
    at_ns = annotation_day(day)
    text = _plain(text, "text", defaults.ANNOTATION_TEXT_MAX, True)
    service = _plain(service, "service", defaults.ANNOTATION_TEXT_MAX, False)
    author = (who or local_user())[:200]
    with writing() as con:
        if con.execute("SELECT 1 FROM datasets WHERE name = ?", (dataset,)).fetchone() is None:
            raise AnnotationError(f"no dataset named {dataset!r}: an annotation belongs to a stored dataset")
        now = time.time_ns()
        record(con, author, ACTION, dataset, 0, f"{datetime.fromtimestamp(at_ns // 10**9, timezone.utc):%Y-%m-%d}"
                                                f"{' ' + service if service else ''}: {text}")
        con.execute("INSERT INTO annotations (dataset, at_ns, service, text, author, created_ns) VALUES (?, ?, ?, ?, ?, ?)",
                    (dataset, at_ns, service, text, author, now))
        found = con.execute("SELECT MAX(id) FROM annotations WHERE dataset = ? AND created_ns = ?",
                            (dataset, now)).fetchone()[0]
    return Annotation(int(found), dataset, at_ns, service, text, author, now)


def annotations_of(dataset: str, start_ns: int | None = None, end_ns: int | None = None) -> list[Annotation]:
    """The stored annotations of ``dataset`` on days in [start_ns, end_ns) (None: no bound), oldest first."""
    check_name(dataset)
    query, params = ("SELECT id, dataset, at_ns, service, text, author, created_ns FROM annotations "
                     "WHERE dataset = ?"), [dataset]
    if start_ns is not None:
        query, params = query + " AND at_ns >= ?", params + [int(start_ns)]
    if end_ns is not None:
        query, params = query + " AND at_ns < ?", params + [int(end_ns)]
    with reading() as con:
        rows = con.execute(query + " ORDER BY at_ns, id", tuple(params)).fetchall()
    return [Annotation(int(i), d, int(at), s, t, a, int(c)) for i, d, at, s, t, a, c in rows]
