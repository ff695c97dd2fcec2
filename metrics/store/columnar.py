"""A segment's three BLOBs, in standard formats: its events as one Arrow IPC file (the Feather 2
format; zstd-compressed; times as UTC nanosecond timestamps, values float64, each text column
dictionary-encoded, so the dictionary's indices are the codes the per-kind tables keep, read back
as written without hashing a text again), its events' 64-bit row hashes sorted (int64,
little-endian), and its pairing events (kind, id, time) as a second, small Arrow IPC file.

Merging reads only the last two: a duplicate is a binary search in each segment's sorted hashes,
a conflict a lookup among the stored pairing events; neither reads the stored events."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from .. import schema as s
from ..schema import TEXT_COLUMNS
from .codec import row_hashes

# zstd level 1: ~14 B an event on 1.2M synthetic events, written in 0.16 s and read in 0.07 s
# (level 9: 13.3 B, written in 0.85 s; Parquet with zstd: 13.6-15.6 B, read in 0.2-0.4 s)
WRITE_OPTIONS = ipc.IpcWriteOptions(compression=pa.Codec("zstd", compression_level=1))
TIMESTAMP = pa.timestamp("ns", tz="UTC")
ORDER = ("ts", "metric_value", *TEXT_COLUMNS)            # the events file's fields, in this order
# what reading a damaged file raises (pyarrow's errors, and the checks below): caught as damage
UNREADABLE = (pa.ArrowException, ValueError, KeyError, IndexError, TypeError, OSError, MemoryError)
REASON_CHARS = 100                      # how much of a decoding error a damage message quotes


def unreadable(blob: str, error: Exception) -> str:
    """Why a BLOB cannot be read (one of ``UNREADABLE``), as a phrase: "its events cannot be read (...)"."""
    return f"its {blob} cannot be read ({str(error)[:REASON_CHARS]})"


def events_bytes(columns: dict) -> bytes:
    """Events (``codec.to_columns``' arrays) as one Arrow IPC file: each text column's codes and
    distinct texts written as a dictionary column."""
    arrays = {"ts": pa.array(columns["ts"], type=pa.int64()).cast(TIMESTAMP),
              "metric_value": pa.array(columns["metric_value"], type=pa.float64())}
    for c in TEXT_COLUMNS:
        codes, texts = _used(*columns[c])
        arrays[c] = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(texts, type=pa.string()))
    return _ipc(pa.table({c: arrays[c] for c in ORDER}))


def _used(codes: np.ndarray, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A text column's codes and texts without the texts no event uses (validation leaves some)."""
    present = np.bincount(codes, minlength=len(texts)) > 0
    if present.all():
        return codes, texts
    return (np.cumsum(present) - 1).astype(np.int32)[codes], texts[present]


def _ipc(table: pa.Table) -> bytes:
    """``table`` as one Arrow IPC file, compressed."""
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, table.schema, options=WRITE_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _text(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A dictionary column as (int32 codes, its distinct texts as an object array; ``[""]`` when none)."""
    chunks = table.column(column).chunks
    if not chunks or not len(chunks[0].dictionary):
        return np.zeros(table.num_rows, dtype=np.int32), np.array([""], dtype=object)
    codes = chunks[0].indices.to_numpy() if len(chunks) == 1 else \
        np.concatenate([chunk.indices.to_numpy() for chunk in chunks])
    return codes.astype(np.int32, copy=False), chunks[0].dictionary.to_numpy(zero_copy_only=False).astype(object)


def events_columns(data: bytes) -> dict:
    """``events_bytes``' file as arrays: ``ts`` int64 ns, ``metric_value`` float64, each text
    column (int32 codes, its distinct texts as an object array); one of ``UNREADABLE`` when
    ``data`` is not such a file."""
    table = ipc.open_file(pa.BufferReader(data)).read_all().unify_dictionaries()
    if table.schema.names != list(ORDER) or table.column("ts").type != TIMESTAMP or \
            table.column("metric_value").type != pa.float64() or any(
                not pa.types.is_dictionary(table.column(c).type) for c in TEXT_COLUMNS):
        raise ValueError(f"not an events file: its fields are {', '.join(table.schema.names)[:200]}")
    table.validate(full=True)               # offsets and dictionary indices within their arrays
    if any(table.column(c).null_count for c in ORDER):
        raise ValueError("an event has a missing field")
    return {"ts": table.column("ts").cast(pa.int64()).to_numpy(), "metric_value": table.column("metric_value").to_numpy(),
            **{c: _text(table, c) for c in TEXT_COLUMNS}}


def pairs_bytes(columns: dict) -> bytes:
    """The pairing events (``incident_start``, ``incident_resolved``, ``pr_created``,
    ``pr_merged``) of ``codec.to_columns``' arrays as a small Arrow IPC file of (kind, id, ts ns):
    the id is the incident or PR id."""
    kind_codes, kinds = columns["kind"]
    at = np.flatnonzero(np.isin(kinds, list(s.PAIRING_IDS))[kind_codes])
    incident = np.isin(kinds, s.INCIDENT_KINDS)[kind_codes[at]]
    (incident_codes, incident_texts), (pr_codes, pr_texts) = columns["incident_id"], columns["pr_id"]
    ids = np.where(incident, incident_texts[incident_codes[at]], pr_texts[pr_codes[at]])
    return _ipc(pa.table({"kind": pa.DictionaryArray.from_arrays(pa.array(kind_codes[at], type=pa.int32()),
                                                                 pa.array(kinds, type=pa.string())),
                          "id": pa.array(ids.astype(object), type=pa.string()),
                          "ts": pa.array(columns["ts"][at], type=pa.int64())}))


def pairs_table(data: bytes) -> pa.Table:
    """``pairs_bytes``' file as a table (kind, id, ts); one of ``UNREADABLE`` when it is not such a file."""
    table = ipc.open_file(pa.BufferReader(data)).read_all()
    if table.schema.names != ["kind", "id", "ts"]:
        raise ValueError(f"not a pairing events file: its fields are {', '.join(table.schema.names)[:200]}")
    table.validate(full=True)
    return table


def pairing_events(data: bytes, ids: list[str]) -> list[tuple[str, str, int]]:
    """The (kind, id, ts ns) of ``pairs_bytes``' file whose id is one of ``ids``, in the file's order."""
    table = pairs_table(data)
    picked = table.filter(pc.is_in(table.column("id"), value_set=pa.array(ids, type=pa.string())))
    return list(zip(picked.column("kind").to_pylist(), picked.column("id").to_pylist(), picked.column("ts").to_pylist()))


def hashes_bytes(columns: dict, hashed: np.ndarray | None = None) -> bytes:
    """The events' row hashes (``codec.row_hashes``; ``hashed`` when already computed), sorted, as
    little-endian int64."""
    return np.sort(row_hashes(columns) if hashed is None else hashed).astype("<i8", copy=False).tobytes()


def hashes(data: bytes) -> np.ndarray:
    """``hashes_bytes``' sorted hashes."""
    return np.frombuffer(data, dtype="<i8")
