"""Survey answers from a form service's CSV export -> ``satisfaction_survey`` events.

Google Forms, Typeform and Microsoft Forms all export one row per answer, with a submission time
and one column per question. The column the team chose as the 1-5 satisfaction question becomes
each event's score; the submission time its ``ts``; its service is ``team`` (a team-level event)
unless ``--service`` says otherwise. Respondents' names and e-mail addresses are never read.

- Time: ``--time-column``, else the first present of "Submit Date (UTC)" (Typeform), "Completion
  time" (Microsoft Forms), "Timestamp" (Google Forms), "Submitted at", "Submission time". A
  Google-style "GMT+1" suffix is read as the offset; a time without offset counts as UTC (and as
  naive in the load report). Dates are month first ("3/5/2024" is 5 March) unless ``day_first``.
- Score: a number, or text that starts with one ("4 - Satisfied"); outside 1-5 the row is
  rejected by the usual rule. An empty answer is skipped and counted (unanswered question).
- DORA's AI Capabilities Model: a column per capability (``schema.AI_CAPABILITIES``), each answer
  (1-5, read as the score is) an event of that capability's kind at the submission time. A column
  is a capability's when ``--capability-column SHORT=COLUMN`` says so (``stance=Q4``), or when its
  header is the capability's name as DORA writes it ("Working in small batches"), its short name or
  its kind (case and spaces around ignored). An empty answer is skipped and counted.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .... import schema as s
from ...report import LoadError, RawRows
from ..common import count_skip

TIME_COLUMNS = ("Submit Date (UTC)", "Completion time", "Timestamp", "Submitted at", "Submission time")
TEAM_SERVICE = "team"
LEADING_NUMBER = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)")
GMT_OFFSET = re.compile(r"\s*GMT\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$")


def _score(text: str) -> str:
    """The leading number of an answer ("4 - Satisfied" -> "4"), or the text itself."""
    match = LEADING_NUMBER.match(text)
    return match.group(1).replace(",", ".") if match else text


def _time(text: str, day_first: bool) -> str:
    """An ISO time from a form's timestamp text, or the text unchanged when it cannot be read (the
    row is then rejected as a bad timestamp with its line number)."""
    import pandas as pd
    text = text.strip()
    offset = ""
    match = GMT_OFFSET.search(text)
    if match:
        sign, hours, minutes = match.groups()
        offset = f"{sign}{int(hours):02d}:{minutes or '00'}"
        text = text[:match.start()]
    elif text.endswith(("Z", "UTC")):
        text, offset = text.removesuffix("UTC").removesuffix("Z").strip(), "+00:00"
    try:
        moment = pd.to_datetime(text, dayfirst=day_first)
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return text + offset
    if pd.isna(moment):
        return text
    if moment.tzinfo is not None:
        return moment.isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + offset


def capability_columns(header: list, given: dict | None, name: str) -> dict:
    """Column index -> the capability kind it answers: the ``given`` short name -> columns
    (``--capability-column``), then every header naming a capability (``survey_reader``'s
    docstring); LoadError of one sentence for an unknown short name or a column not in ``header``."""
    short = {short: kind for kind, _, short in s.AI_CAPABILITIES}
    found = {}
    for key, columns in (given or {}).items():
        if key not in short:
            raise LoadError(f"--capability-column {key}=...: {key!r} is not a capability; the capabilities are "
                            f"{', '.join(short)}")
        for column in columns:
            if column not in header:
                raise LoadError(f"{name} has no column {column!r} (--capability-column {key}=...); its columns are: "
                                f"{', '.join(header[:20])}")
            found[header.index(column)] = short[key]
    named = {text.lower(): kind for kind, title, brief in s.AI_CAPABILITIES for text in (kind, title, brief)}
    for at, column in enumerate(header):
        if at not in found and column.strip().lower() in named:
            found[at] = named[column.strip().lower()]
    return found


def survey_reader(score_column: str, time_column: str | None = None, day_first: bool = False,
                  service: str = TEAM_SERVICE, capability_column: dict | None = None):
    """A reader of a form service's CSV export (see the module's docstring)."""
    def read_survey(text: str, path: Path) -> RawRows:
        import numpy as np
        import pandas as pd
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as e:
            raise LoadError(f"{path.name} is not a CSV file ({e})") from None
        if not rows:
            raise LoadError(f"{path.name} is empty: expected a form export with a header row")
        header = [h.strip().lstrip("\ufeff") for h in rows[0]]
        if score_column not in header:
            raise LoadError(f"{path.name} has no column {score_column!r} (--score-column); its columns are: "
                            f"{', '.join(header[:20])}")
        when = time_column or next((c for c in TIME_COLUMNS if c in header), None)
        if when is None or when not in header:
            raise LoadError(f"{path.name} has no submission time column "
                            f"({time_column!r} not found)" if time_column else
                            f"{path.name} has no submission time column (looked for {', '.join(TIME_COLUMNS)}; "
                            f"name it with --time-column)")
        score_at, time_at = header.index(score_column), header.index(when)
        asked = {score_at: s.SURVEY, **capability_columns(header, capability_column, path.name)}
        records, numbers, skipped = [], [], {}
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            stamp = row[time_at] if time_at < len(row) else ""
            for at, kind in asked.items():
                answer = row[at].strip() if at < len(row) else ""
                if not answer:
                    count_skip(skipped, "answers without a score (question left empty)" if kind == s.SURVEY
                               else "AI capability answers left empty")
                    continue
                records.append({"ts": _time(stamp, day_first), "kind": kind, "service": service,
                                "metric_value": _score(answer)})
                numbers.append(line)
        frame = pd.DataFrame(records, columns=["ts", "kind", "service", "metric_value"])
        return RawRows(frame, np.asarray(numbers, dtype=np.int64), [], "line", skipped)

    return read_survey
