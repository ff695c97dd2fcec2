"""A segment's two BLOBs, in standard formats: its events as one Arrow IPC file (the Feather 2
format; zstd-compressed; times as UTC nanosecond timestamps, values float64, each text column
dictionary-encoded, so the dictionary's indices are the codes the per-kind tables keep, read back
as written without hashing a text again), and its events' 64-bit row hashes sorted (int64,
little-endian).

Merging reads the hashes (a duplicate is a binary search in each segment's sorted hashes) and, for
conflicts, four columns of the events (kind, time, incident and PR ids), never all of them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from .. import schema as s
from ..schema import TEXT_COLUMNS
from ..tables import ts_ns
from .codec import row_hashes

# zstd level 1: ~14 B an event on 1.2M synthetic events, written in 0.16 s and read in 0.07 s
# (level 9: 13.3 B, written in 0.85 s; Parquet with zstd: 13.6-15.6 B, read in 0.2-0.4 s)
WRITE_OPTIONS = ipc.IpcWriteOptions(compression=pa.Codec("zstd", compression_level=1))
TIMESTAMP = pa.timestamp("ns", tz="UTC")
PAIRING_KINDS = (s.INCIDENT_START, s.INCIDENT_RESOLVED, s.PR_CREATED, s.PR_MERGED)
ORDER = ("ts", "metric_value", *TEXT_COLUMNS)            # the file's fields, in this order


def events_bytes(frame: pd.DataFrame) -> bytes:
    """The event frame as one Arrow IPC file: each text column factorized once, its codes and
    distinct texts written as a dictionary column."""
    columns = {"ts": pa.array(ts_ns(frame["ts"]), type=pa.int64()).cast(TIMESTAMP),
               "metric_value": pa.array(frame["metric_value"].to_numpy(dtype=float), type=pa.float64())}
    for c in TEXT_COLUMNS:
        codes, texts = pd.factorize(frame[c].astype(str), use_na_sentinel=False)
        columns[c] = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), type=pa.int32()),
                                                    pa.array(np.asarray(texts, dtype=object), type=pa.string()))
    table = pa.table({c: columns[c] for c in ORDER})
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, table.schema, options=WRITE_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _read(data: bytes, fields: tuple[str, ...]) -> pa.Table:
    """Only ``fields`` of ``events_bytes``' file (the others are not decompressed)."""
    options = ipc.IpcReadOptions(included_fields=[ORDER.index(f) for f in fields])
    return ipc.open_file(pa.BufferReader(data), options=options).read_all().unify_dictionaries()


def _text(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A dictionary column as (int32 codes, its distinct texts as an object array; ``[""]`` when none)."""
    chunks = table.column(column).chunks
    if not chunks or not len(chunks[0].dictionary):
        return np.zeros(table.num_rows, dtype=np.int32), np.array([""], dtype=object)
    codes = chunks[0].indices.to_numpy() if len(chunks) == 1 else \
        np.concatenate([chunk.indices.to_numpy() for chunk in chunks])
    return codes.astype(np.int32, copy=False), chunks[0].dictionary.to_numpy(zero_copy_only=False).astype(object)


def _times(table: pa.Table) -> np.ndarray:
    return table.column("ts").cast(pa.int64()).to_numpy()


def events_columns(data: bytes) -> dict:
    """``events_bytes``' file as arrays: ``ts`` int64 ns, ``metric_value`` float64, each text
    column (int32 codes, its distinct texts as an object array)."""
    table = _read(data, ORDER)
    return {"ts": _times(table), "metric_value": table.column("metric_value").to_numpy(),
            **{c: _text(table, c) for c in TEXT_COLUMNS}}


def pairing_events(data: bytes, ids: list[str]) -> list[tuple[str, str, int]]:
    """The (kind, id, ts ns) of the file's pairing events (``incident_start``,
    ``incident_resolved``, ``pr_created``, ``pr_merged``; the id is the incident or PR id) whose id
    is one of ``ids``, in the file's order: four columns read, compared through their dictionaries."""
    table = _read(data, ("ts", "kind", "incident_id", "pr_id"))
    kind_codes, kinds = _text(table, "kind")
    is_incident = np.isin(kinds, s.INCIDENT_KINDS)[kind_codes]
    pairing = np.isin(kinds, PAIRING_KINDS)[kind_codes]
    wanted = np.zeros(len(kind_codes), dtype=bool)
    for column, rows in (("incident_id", is_incident), ("pr_id", ~is_incident)):
        codes, texts = _text(table, column)
        wanted |= rows & pd.Index(texts).isin(ids)[codes]           # hashing: ids may be many
    at = np.flatnonzero(pairing & wanted)
    if not len(at):
        return []
    incident_codes, incident_texts = _text(table, "incident_id")
    pr_codes, pr_texts = _text(table, "pr_id")
    ident = np.where(is_incident[at], incident_texts[incident_codes[at]], pr_texts[pr_codes[at]])
    return list(zip(kinds[kind_codes[at]], ident, _times(table)[at].tolist()))


def hashes_bytes(frame: pd.DataFrame) -> bytes:
    """The events' row hashes (``codec.row_hashes``), sorted, as little-endian int64."""
    return np.sort(row_hashes(frame)).astype("<i8").tobytes()


def hashes(data: bytes) -> np.ndarray:
    """``hashes_bytes``' sorted hashes."""
    return np.frombuffer(data, dtype="<i8")
