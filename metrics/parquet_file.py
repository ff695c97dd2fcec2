"""Events as one Parquet file, for backups and for other engines (DuckDB, Spark, pandas read it):
one row per event, the event schema's columns (``ts`` a UTC timestamp in nanoseconds,
``metric_value`` a double, the rest text, an empty text as it is stored), zstd-compressed, and
key/value metadata naming the product, the dataset, the event count and the columns.

``write_events`` writes such a file whole (a temporary name beside it, then renamed);
``read_cells`` reads one back (ours, or any file with the schema's columns and types) as text
cells for the event validation, or says in one sentence why it cannot (``ParquetError``)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import schema as s

PRODUCT = "engineering-metrics"                  # the metadata's ``product``: which program wrote the file
COMPRESSION = "zstd"
SCHEMA = pa.schema([pa.field(c, pa.timestamp("ns", tz="UTC") if c == "ts" else
                             pa.float64() if c == "metric_value" else pa.string()) for c in s.COLUMNS])
# what a column of a file read back may be (another engine's file: any time unit or zone, any text
# type, and a column of nulls alone, which some engines write as type null)
TYPE_CHECKS = {"ts": (pa.types.is_timestamp, "a timestamp"),
               "metric_value": (lambda t: pa.types.is_floating(t) or pa.types.is_integer(t), "a number")}
TEXT_TYPE = (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t) or
             (pa.types.is_dictionary(t) and pa.types.is_string(t.value_type)), "text")
WRAPPER = "Could not open Parquet input source '<Buffer>': "      # pyarrow's words before its reason
SHOWN_REASON = 120                               # characters of pyarrow's own reason kept in a sentence


class ParquetError(Exception):
    """A Parquet file that cannot be written or read as events: one sentence."""


def metadata(dataset: str, events: int) -> dict:
    """The file's key/value metadata: the product, the dataset, the event count, the columns."""
    return {"product": PRODUCT, "dataset": dataset, "events": str(events), "columns": json.dumps(list(s.COLUMNS))}


def events_table(frame, dataset: str) -> pa.Table:
    """The event frame (``metrics.store.load``'s) as the file's table: ``SCHEMA`` and ``metadata``."""
    arrays = [pa.array(frame[c], type=SCHEMA.field(c).type, from_pandas=True) for c in s.COLUMNS]
    return pa.Table.from_arrays(arrays, schema=SCHEMA.with_metadata(metadata(dataset, len(frame))))


def write_events(frame, dataset: str, path, force: bool = False) -> Path:
    """Write the event frame as one Parquet file at ``path``: to a temporary name beside it, then
    renamed, so a file at ``path`` is always whole. ``ParquetError`` of one sentence when ``path``
    exists (unless ``force``), is a directory, or cannot be written (nothing is left behind)."""
    path = Path(path)
    if path.is_dir():
        raise ParquetError(f"{path} is a directory; give a file name")
    if path.exists() and not force:
        raise ParquetError(f"{path} exists already (--force replaces it)")
    if not path.parent.is_dir():
        raise ParquetError(f"cannot write {path}: there is no folder {path.parent}")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(events_table(frame, dataset), temporary, compression=COMPRESSION)
        os.replace(temporary, path)
    except OSError as e:
        temporary.unlink(missing_ok=True)
        reason = e.strerror or (os.strerror(e.errno) if e.errno else "") or one_line(e).replace(temporary.name, path.name)
        raise ParquetError(f"cannot write {path} ({reason})") from None
    return path


def one_line(error: Exception) -> str:
    """An error's message on one line, cut to ``SHOWN_REASON`` characters."""
    text = " ".join(str(error).split()).replace(WRAPPER, "") or type(error).__name__
    return text if len(text) <= SHOWN_REASON else text[:SHOWN_REASON - 3] + "..."


def read_table(data: bytes, name: str) -> pa.Table:
    """The Parquet file's table; ``ParquetError`` naming ``name`` when the bytes are not Parquet, or
    a damaged or cut one, or when its metadata (this product's) says another event count."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError, KeyError, MemoryError) as e:
        raise ParquetError(f"{name}: not a Parquet file, or a damaged one ({one_line(e)})") from None
    said = (table.schema.metadata or {}).get(b"events")
    if (table.schema.metadata or {}).get(b"product") == PRODUCT.encode() and said != str(table.num_rows).encode():
        raise ParquetError(f"{name}: its metadata says {said.decode(errors='replace') if said else 'no'} events and it "
                           f"holds {table.num_rows}: a damaged file")
    return table


def schema_problem(schema: pa.Schema) -> str | None:
    """Why a file of ``schema`` is not events (a column missing, one more, one of another type), or None."""
    names = list(schema.names)
    if len(set(names)) != len(names):
        return "a column is named twice"
    missing = [c for c in s.COLUMNS if c not in names]
    if missing:
        return f"missing column(s) {', '.join(missing)} (the columns are {', '.join(s.COLUMNS)})"
    more = [c for c in names if c not in s.COLUMNS]
    if more:
        return f"column(s) {', '.join(more)} are not event columns (the columns are {', '.join(s.COLUMNS)})"
    for c in s.COLUMNS:
        check, what = TYPE_CHECKS.get(c, TEXT_TYPE)
        if not (check(schema.field(c).type) or pa.types.is_null(schema.field(c).type)):
            return f"column {c} is {schema.field(c).type}, not {what}"
    return None


def read_cells(data: bytes, name: str) -> pa.Table:
    """The events of a Parquet file as text cells, as an event CSV's are read: ``ts`` written out
    (ISO 8601 with ``Z`` when the file's times have a zone, without one when they are naive, so
    validation counts them as read as UTC; null as ""), ``metric_value`` a double with NaN as
    null (missing), the texts as text (null as ""). ``ParquetError`` of one sentence for a file that is not Parquet,
    is damaged, or has other columns or types."""
    table = read_table(data, name)
    problem = schema_problem(table.schema)
    if problem:
        raise ParquetError(f"{name}: not an event file: {problem}")
    try:
        ts = table.column("ts")
        if pa.types.is_timestamp(ts.type) and ts.type.tz is not None:
            ts = pc.cast(ts, pa.timestamp(ts.type.unit, tz="UTC"))
        value = pc.cast(table.column("metric_value"), pa.float64())
        columns = {"ts": pc.fill_null(pc.cast(ts, pa.string()), ""),
                   "metric_value": pc.if_else(pc.is_nan(value), pa.scalar(None, pa.float64()), value)}
        columns.update({c: pc.fill_null(pc.cast(table.column(c), pa.string()), "") for c in s.TEXT_COLUMNS})
        return pa.table({c: columns[c] for c in s.COLUMNS})
    except (pa.ArrowException, ValueError, TypeError, MemoryError) as e:
        raise ParquetError(f"{name}: not a Parquet file, or a damaged one ({one_line(e)})") from None
