"""Canonical event files (METRICS.md section 1): CSV, NDJSON or JSON with the schema's columns."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .... import schema as s
from ...report import LoadError, RawRows
from ..common import unreadable

TEXT = pd.StringDtype(na_value=np.nan)          # the text cells of a CSV: pandas' and pyarrow's readers alike


def detect_format(path: Path, text: str) -> str:
    """"csv", "ndjson" or "json", by the file's suffix, else by its first character."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix == ".json":
        stripped = text.lstrip()
        if stripped.startswith("{") and "\n{" in stripped.rstrip():
            return "ndjson"
        return "json"
    head = text.lstrip()[:1]
    if head == "[":
        return "json"
    if head == "{":
        return "ndjson" if "\n{" in text.strip() else "json"
    return "csv"


def raw_from_csv(text: str, name: str, coded: bool = False) -> tuple[pd.DataFrame, np.ndarray, list]:
    """A CSV's rows as text cells (blank rows dropped), their line numbers, and its unreadable rows.
    ``coded``: the cells of a file pyarrow reads as categoricals of its dictionary encoding (the
    one factorization of each column, which validation and the tables keep)."""
    if not text.strip():
        raise LoadError(f"{name}: the file is empty")
    raw = arrow_csv(text)
    if raw is None:
        return pandas_csv(text)
    return *cells(raw, 0, coded), []


def plainly_quoted(data: bytes) -> bool:
    """Whether every quote in the CSV bytes opens a field, closes one or is doubled inside one."""
    count = data.count(b'"')
    if count % 2:
        return False                                            # a field left open
    if not count:
        return True
    b = np.frombuffer(data, dtype=np.uint8)
    q = np.flatnonzero(b == ord('"'))
    first = np.flatnonzero(np.diff(q, prepend=-2) != 1)         # each run of adjacent quotes
    start, length = q[first], np.diff(np.append(first, len(q)))
    inside = first % 2 == 1                                     # an odd count of quotes before the run
    delimiter = np.zeros(256, dtype=bool)
    delimiter[[ord(","), ord("\r"), ord("\n")]] = True
    end = start + length                                        # the text's start and end count as delimiters
    before = (start == 0) | delimiter[b[np.maximum(start - 1, 0)]]
    after = (end == len(b)) | delimiter[b[np.minimum(end, len(b) - 1)]]
    # outside a field a run opens one (odd) or is a whole field (even); inside, an odd run closes it
    ends = inside == (length % 2 == 1)
    return bool(np.all(inside | before) and np.all(~ends | after))


def arrow_csv(text: str) -> pd.DataFrame | None:
    """The CSV's cells as text columns, read by pyarrow: what ``pandas_csv`` reads from a file whose
    header names are distinct and not empty, whose quotes are all plain (``plainly_quoted``) and
    not on every cell of a big file, and whose every row has the header's number of fields (a
    blank line is a row of empty cells), as categoricals (``categorical``); None for any other file."""
    header = header_of(text)                                    # checked against what pyarrow reads
    quotes = text.count('"')
    if header is None or quotes > max(len(text) // 50, 1 << 16):
        return None                                             # quoted all over: pandas is as fast
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if quotes and not plainly_quoted(data):
        return None
    try:
        table = pa_csv.read_csv(pa.BufferReader(data), **arrow_options(header))   # read in place, not copied through Python
    except pa.ArrowInvalid:
        return None
    if not read_as(table.schema, header):
        return None
    return categoricals(table)


def arrow_options(header: list) -> dict:
    """How pyarrow reads an event CSV whose header is ``header``: every column as text, nothing
    as null, quoted line breaks inside values, a blank line a row of empty cells."""
    return dict(parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=pa_csv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                      strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                      null_values=[]))


def read_as(schema: pa.Schema, header: list) -> bool:
    """Whether pyarrow read the columns of ``header`` (as the csv module reads it), all as text."""
    return schema.names == header and all(t == pa.string() for t in schema.types)


def categoricals(table: pa.Table) -> pd.DataFrame:
    """The table's columns as categoricals (``categorical``), rows numbered from 0."""
    return pd.DataFrame({c: categorical(table.column(c)) for c in table.column_names}, index=pd.RangeIndex(table.num_rows))


def header_of(text: str) -> list | None:
    """The header of a CSV that pyarrow may read (``arrow_csv``): its names as the csv module
    reads them from the first MB, None when they are missing, empty or repeated."""
    try:
        header = next(csv.reader(io.StringIO(text[:1 << 20], newline="")), [])
    except csv.Error:
        return None
    return header if header and "" not in header and len(set(header)) == len(header) else None


def cells(raw: pd.DataFrame, first: int, coded: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of a CSV read by pyarrow (the ``first`` of them the file's row ``first``, from 0):
    blank rows dropped, and the line number of each (its row's number + 2: the header is line 1)."""
    numbers = np.arange(len(raw)) + first + 2
    blank = (raw == "").all(axis=1).to_numpy()
    raw = raw[~blank].reset_index(drop=True)
    return (raw if coded else raw.astype(TEXT)), numbers[~blank]


def categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """A text column as a categorical whose codes are pyarrow's dictionary encoding of it."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    categories = pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Categorical.from_codes(encoded.indices.to_numpy(zero_copy_only=False), categories=categories)


def pandas_csv(text: str) -> tuple[pd.DataFrame, np.ndarray, list]:
    """``raw_from_csv`` by pandas, and row by row when a row has the wrong number of fields."""
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False)
        numbers = np.arange(len(raw)) + 2
        blank = (raw == "").all(axis=1).to_numpy()
        return raw[~blank].reset_index(drop=True), numbers[~blank], []
    except pd.errors.ParserError:
        pass
    # a row with the wrong number of fields: read row by row to name each bad line
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows, numbers, bad = [], [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            bad.append((reader.line_num, f"expected {len(header)} fields, got {len(row)}"))
            continue
        rows.append(row)
        numbers.append(reader.line_num)
    return pd.DataFrame(rows, columns=header, dtype=str), np.asarray(numbers, dtype=np.int64), bad


def raw_from_records(records: list, numbers: list, name: str) -> tuple[pd.DataFrame, np.ndarray, list]:
    good, good_numbers, bad = [], [], []
    for record, number in zip(records, numbers):
        if isinstance(record, dict):
            good.append(record)
            good_numbers.append(number)
        else:
            bad.append((number, f"not a JSON object ({type(record).__name__})"))
    raw = pd.DataFrame.from_records(good) if good else pd.DataFrame({c: [] for c in s.COLUMNS})
    return raw, np.asarray(good_numbers, dtype=np.int64), bad


def raw_from_ndjson(text: str, name: str):
    records, numbers, bad = [], [], []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
            numbers.append(i)
        except json.JSONDecodeError as e:
            bad.append((i, f"invalid JSON ({e.msg})"))
        except (ValueError, RecursionError) as e:      # 5,000-digit numbers, 100,000-deep nesting
            bad.append((i, f"JSON this reader refuses ({type(e).__name__}: {str(e)[:80] or 'nested too deeply'})"))
    raw, nums, bad2 = raw_from_records(records, numbers, name)
    return raw, nums, bad + bad2


def raw_from_json(text: str, name: str):
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise LoadError(f"{name}: {unreadable(e)}") from None
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        data = data["events"]
    if not isinstance(data, list):
        raise LoadError(f"{name}: expected a JSON array of events (or an object with an \"events\" array)")
    return raw_from_records(data, list(range(1, len(data) + 1)), name)


def read_events_file(text: str, path: Path) -> RawRows:
    """Raw rows of a canonical event file, their line/record numbers, unreadable rows, the unit."""
    fmt = detect_format(path, text)
    if fmt == "csv":
        raw, numbers, bad = raw_from_csv(text, str(path), coded=True)
    else:
        raw, numbers, bad = (raw_from_ndjson if fmt == "ndjson" else raw_from_json)(text, str(path))
    return RawRows(raw, numbers, bad, "record" if fmt == "json" else "line")
