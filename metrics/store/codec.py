"""Events as arrays: ``to_columns``' arrays (times int64 ns, values float64, each text column
int32 codes plus its distinct texts), joining several segments' arrays, the event frame of them
and back, a 64-bit hash of each event, the events kept once and paired (``checked``); and
``decode`` of the BLOBs the layouts before format 5 kept per column (read by the migrations only)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import schema as s
from ..ingest import LoadReport, check_coded_pairs
from ..ingest.coded import TEXT, Coded, hash_rows, repeated
from ..schema import TEXT_COLUMNS
from ..tables import ts_ns


def to_columns(blobs: dict[str, bytes], count: int) -> dict:
    """The earlier layouts' BLOBs (``ts`` int64 ns, ``metric_value`` float64, each text column int32
    codes ``c`` and its distinct texts as a JSON list ``c.texts``) as arrays: ``ts``,
    ``metric_value``, and each text column as (int32 codes, its distinct texts as an object array)."""
    columns = {"ts": np.frombuffer(blobs["ts"], dtype="<i8"),
               "metric_value": np.frombuffer(blobs["metric_value"], dtype="<f8").copy()}
    for c in TEXT_COLUMNS:
        texts = np.asarray(json.loads(blobs[c + ".texts"].decode("utf-8")) or [""], dtype=object)
        codes = np.frombuffer(blobs[c], dtype="<i4") if count else np.array([], dtype=np.int32)
        columns[c] = (codes, texts)
    return columns


def to_frame(columns: dict) -> pd.DataFrame:
    """The event frame of ``to_columns``' arrays."""
    out = {"ts": pd.to_datetime(columns["ts"], utc=True, unit="ns"), "metric_value": columns["metric_value"]}
    for c in TEXT_COLUMNS:
        codes, texts = columns[c]
        out[c] = texts[codes]
    return pd.DataFrame(out)[list(s.COLUMNS)]


def empty_frame() -> pd.DataFrame:
    """The event frame of no events."""
    return pd.DataFrame({c: pd.Series([], dtype="datetime64[ns, UTC]" if c == "ts" else float
                                      if c == "metric_value" else object) for c in s.COLUMNS})


def decode(blobs: dict[str, bytes], count: int) -> pd.DataFrame:
    """The event frame of the earlier layouts' BLOBs (``to_columns``)."""
    return to_frame(to_columns(blobs, count)) if count else empty_frame()


def joined(segments: list[dict]) -> dict:
    """Several segments' ``to_columns`` as one (each segment's texts distinct, as every reader and
    writer gives them): times and values concatenated, each text column's codes renumbered onto the
    distinct texts of all segments (the first segment's texts first, in their order, then the
    others' new ones in order of appearance). The first segment's codes are kept as they are and
    only the later segments' texts are hashed (the first's are looked up among them by Arrow), so
    joining a few rows to a large segment (a window and what pairs with it) costs about the few rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(segments) == 1:
        return segments[0]
    out = {c: np.concatenate([seg[c] for seg in segments]) for c in ("ts", "metric_value")}
    for c in TEXT_COLUMNS:
        first_codes, first = segments[0][c]
        later = pd.unique(np.concatenate([seg[c][1] for seg in segments[1:]]))
        # for each of the first's texts, its place among the later texts (NaN: none)
        place = pc.index_in(pa.array(first, type=pa.string()), value_set=pa.array(later, type=pa.string())) \
            .to_numpy(zero_copy_only=False)
        held = np.flatnonzero(~np.isnan(place))
        where = np.full(len(later), -1, dtype=np.int64)          # each later text's code among the first's
        where[place[held].astype(np.int64)] = held
        new = where < 0
        where[new] = len(first) + np.arange(int(new.sum()))
        index = pd.Index(later)
        codes = [first_codes.astype(np.int32, copy=False)] + \
                [where.astype(np.int32)[index.get_indexer(seg[c][1])][seg[c][0]] for seg in segments[1:]]
        out[c] = (np.concatenate(codes), np.concatenate([np.asarray(first, dtype=object), np.asarray(later[new], dtype=object)]))
    return out


def columns_of(frame: pd.DataFrame) -> dict:
    """The event frame as ``to_columns``' arrays: each text column factorized once (a missing
    text is "", as validation writes it)."""
    columns = {"ts": ts_ns(frame["ts"]), "metric_value": frame["metric_value"].to_numpy(dtype=float)}
    for c in TEXT_COLUMNS:
        codes, texts = pd.factorize(frame[c].fillna("").astype(str), use_na_sentinel=False)
        columns[c] = (codes.astype(np.int32), np.asarray(texts, dtype=object) if len(texts) else np.array([""], dtype=object))
    return columns


def take(columns: dict, rows) -> dict:
    """The events ``rows`` (a mask or positions) of ``to_columns``' arrays (texts kept)."""
    return {c: (v[0][rows], v[1]) if isinstance(v, tuple) else v[rows] for c, v in columns.items()}


def row_hashes(columns: dict) -> np.ndarray:
    """A 64-bit hash of each event of ``to_columns``' arrays, as signed int64: every column's value
    hashed (pandas' ``hash_array``; a text once per distinct text) and the columns combined in
    ``schema.COLUMNS`` order, so equal events hash alike whatever their codes."""
    return hash_rows([Coded(*columns[c]) if isinstance(columns[c], tuple) else columns[c] for c in s.COLUMNS]).view(np.int64)


def duplicated_rows(columns: dict) -> np.ndarray:
    """Whether each event of ``to_columns``' arrays repeats an earlier one in every column (exactly:
    on the codes and values; ``coded.repeated``, so no hash table of every event)."""
    return repeated([columns["ts"], columns["metric_value"]] + [Coded(*columns[c]) for c in TEXT_COLUMNS])


def labelled(label: str, numbers) -> np.ndarray:
    """The labels "LABEL N" of events numbered ``numbers`` (made only for those reported)."""
    return np.strings.add(np.asarray(f"{label} ", dtype=TEXT), np.asarray(numbers, dtype=np.int64).astype(TEXT)).astype(object)


def checked(columns: dict, label: str, source: str) -> tuple[dict, np.ndarray, LoadReport, int]:
    """The events (``to_columns``' arrays) each kept once (exact repeats dropped) and without those
    pairing refuses (``ingest.check_coded_pairs``): the events kept, their numbers (N counting
    every event from 1: "LABEL N" in reports, ``labelled``), the pairing's report (its rows
    labelled so, from ``source``) and how many repeats were dropped."""
    repeat = duplicated_rows(columns)
    numbers = np.flatnonzero(~repeat) + 1
    columns = take(columns, ~repeat) if repeat.any() else columns          # not copied when nothing repeats
    kind, incident, pr = (Coded(*columns[c]) for c in ("kind", "incident_id", "pr_id"))
    sources = np.broadcast_to(np.asarray(source, dtype=object), len(numbers))       # one text, not one a row
    report, kept = check_coded_pairs(kind, columns["ts"], incident, pr, numbers, sources)
    report.rejected["row"] = labelled(label, report.rejected["row"]) if len(report.rejected) else []
    return (columns if kept.all() else take(columns, kept)), numbers[kept], report, int(repeat.sum())
