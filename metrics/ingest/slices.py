"""Reading a big event CSV in slices of rows: pyarrow's streaming reader from the file (never the
whole text in memory), each slice checked field by field into codes (``validate.check_piece``) and
its text let go before the next; then the steps that need every event (exact duplicates across
slices, pairing by id, the report) run once (``validate.finish``). The accepted and rejected rows,
their line numbers and messages are those of reading the file whole: a file whose whole reading
would take another path (quotes, a byte-order mark, text that is not UTF-8, a row pyarrow refuses,
not a ``.csv``) is read whole (``load_in_slices`` answers None)."""
from __future__ import annotations

import codecs
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from .sources.events.reader import arrow_options, categoricals, cells, header_of, read_as
from .validate import check_piece, finish

SLICE_ROWS = int(os.environ.get("METRICS_IMPORT_SLICE_ROWS", "200000"))   # rows checked at a time
BLOCK_BYTES = 1 << 20                # pyarrow reads the file 1 MB at a time
SCAN_BYTES = 1 << 24                 # the first look at the file: 16 MB at a time


class NotInSlices(Exception):
    """pyarrow refused a row: the file is read whole (which names the bad rows)."""


def header_to_slice(path: Path) -> list | None:
    """The header of an event CSV that can be read in slices (``.csv``, UTF-8 without a
    byte-order mark, no quote anywhere, not blank, a header ``arrow_csv`` accepts), else None.
    Reads the file once, a block at a time."""
    if path.suffix.lower() != ".csv":
        return None
    decoder, head, blank = codecs.getincrementaldecoder("utf-8")(), "", True
    try:
        with path.open("rb") as f:
            if f.read(3) == codecs.BOM_UTF8:
                return None
            f.seek(0)
            while chunk := f.read(SCAN_BYTES):
                if b'"' in chunk:
                    return None
                text = decoder.decode(chunk)
                head += text[:max((1 << 20) - len(head), 0)]
                blank = blank and (not text or text.isspace())
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return None
    return None if blank else header_of(head)


def csv_slices(path: Path, header: list, slice_rows: int):
    """The CSV's rows ``slice_rows`` at a time: each slice's cells as categoricals (blank rows
    dropped) and their line numbers, numbered as the whole file's (``reader.cells``).
    Raises NotInSlices when pyarrow refuses the file."""
    try:
        reader = pa_csv.open_csv(str(path), read_options=pa_csv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
                                 **arrow_options(header))
        if not read_as(reader.schema, header):
            raise NotInSlices
        pending, first = [], 0
        for batch in reader:
            pending.append(batch)
            table = pa.Table.from_batches(pending, reader.schema)
            while table.num_rows >= slice_rows:
                yield cells(categoricals(table.slice(0, slice_rows)), first, coded=True)
                first += slice_rows
                table = table.slice(slice_rows)
            pending = table.to_batches()
        table = pa.Table.from_batches(pending, reader.schema)
        if table.num_rows:
            yield cells(categoricals(table), first, coded=True)
    except pa.ArrowInvalid:
        raise NotInSlices from None


def load_in_slices(path: Path, strict: bool, service: str | None = None, slice_rows: int | None = None):
    """``files.load_one`` of an event CSV read in slices of ``slice_rows`` rows (``SLICE_ROWS``):
    the events in codes and the report, the same as reading it whole; None for a file that is
    read whole (``header_to_slice``, ``NotInSlices``, no rows)."""
    header = header_to_slice(path)
    if header is None:
        return None
    pieces = []
    try:
        for raw, numbers in csv_slices(path, header, slice_rows or SLICE_ROWS):
            pieces.append(check_piece(raw.assign(service=service) if service else raw, numbers, path.name, "line"))
    except NotInSlices:
        return None
    if not pieces:
        return None
    return finish(pieces, path.name, "line", strict)
