"""Exports of the articles a filter selects, to JSON Lines, CSV or Parquet, streamed: one
cursor read in batches, each batch written before the next is fetched, so an export of
any size holds one batch in memory.

Exports are the one read that may return more than queries.MAX_LIMIT documents; they are
still bounded in server time (EXPORT_TIME_LIMIT_MS)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, get_args

from bson import ObjectId
from pymongo.database import Database

from ingest.store.client import ARTICLES
from ingest.store.queries import (
    ARTICLE_FIELDS, NEWEST_FIRST, ArticleFilter, QueryError, article_query,
    count_matching,
)
from ingest.store.times import as_datetime

if TYPE_CHECKING:
    import pyarrow as pa

ExportFormat = Literal["jsonl", "csv", "parquet"]
EXPORT_BATCH_SIZE = 1000
EXPORT_TIME_LIMIT_MS = 60 * 60_000
# Left out unless asked for: body_html (body holds the same text, and the HTML is the
# heaviest field by far) and the store's plain copies of the publication time.
DEFAULT_EXPORT_FIELDS = tuple(f for f in ARTICLE_FIELDS if f not in (
    "body_html", "published_ms", "published_local_ms", "published_month"))

_STRING_LISTS = ("authors", "categories", "listed_in", "tags")
_TIMESTAMPS = ("published_at", "modified_at", "first_seen_at", "last_seen_at", "last_changed_at")
_INTEGERS = ("word_count", "revision", "published_ms", "published_local_ms")
_CAPTION_KEYS = ("text", "image_url", "alt", "credit")


def _parquet_type(field: str) -> pa.DataType:
    import pyarrow as pa

    if field in _STRING_LISTS:
        return pa.list_(pa.string())
    if field in _TIMESTAMPS:
        return pa.timestamp("ms", tz="UTC")  # MongoDB stores milliseconds
    if field in _INTEGERS:
        return pa.int64()
    if field == "captions":
        return pa.list_(pa.struct([(key, pa.string()) for key in _CAPTION_KEYS]))
    return pa.string()


# (done, total): articles written so far, articles the filter matched when the export began.
Progress = Callable[[int, int], None]


def export_fields(names: Sequence[str] | None) -> tuple[str, ...]:
    """The fields to export, checked against the stored ones; None: the default set."""
    if not names:
        return DEFAULT_EXPORT_FIELDS
    unknown = [name for name in names if name not in ARTICLE_FIELDS]
    if unknown:
        raise QueryError(f"fields: unknown field {unknown[0][:40]!r}; "
                         f"known: {', '.join(ARTICLE_FIELDS)}")
    return tuple(dict.fromkeys(names))


def json_default(value: Any) -> Any:
    """For json.dumps: datetimes as ISO 8601, ObjectIds as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ObjectId):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=json_default)


def _integer(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _record(doc: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """One article with every exported field present and typed as the schema says (None
    where the article has no value), whatever a server or an older crawl stored."""
    record: dict[str, Any] = {}
    for field in fields:
        value = doc.get(field)
        if field in ("published_local", "published_zone") and value is None:
            value = _stored_before_local_dates(doc)[field]
        if field in _STRING_LISTS:
            record[field] = [_text(v) for v in _as_list(value) if v is not None]
        elif field in _TIMESTAMPS:
            record[field] = as_datetime(value)
        elif field in _INTEGERS:
            record[field] = _integer(value)
        elif field == "captions":
            record[field] = [{key: _text(c.get(key)) for key in _CAPTION_KEYS}
                             for c in _as_list(value) if isinstance(c, Mapping)]
        else:
            record[field] = _text(value)
    return record


def _stored_before_local_dates(doc: Mapping[str, Any]) -> dict[str, str | None]:
    """What the store's backfill gives an article stored before published_local: its UTC
    time, zone "UTC"."""
    published = as_datetime(doc.get("published_at"))
    if published is None:
        return {"published_local": None, "published_zone": None}
    return {"published_local": published.isoformat(), "published_zone": "UTC"}


class JsonLinesWriter:
    def __init__(self, stream: IO[str], fields: Sequence[str]) -> None:
        self.stream = stream

    def write(self, records: list[dict[str, Any]]) -> None:
        self.stream.writelines(json.dumps(r, ensure_ascii=False, default=json_default) + "\n"
                               for r in records)

    def close(self) -> None:
        self.stream.flush()


# A spreadsheet runs a cell starting with these as a formula (scraped text could call
# HYPERLINK or DDE): such cells get a leading apostrophe, which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CsvWriter:
    """Lists and captions as JSON text in their cell (a tag may hold '; ' or ','; JSON
    reads back exactly); datetimes as ISO 8601; no value as an empty cell; text that a
    spreadsheet would run as a formula prefixed with an apostrophe."""

    def __init__(self, stream: IO[str], fields: Sequence[str]) -> None:
        self.stream = stream
        self.writer = csv.writer(stream)
        self.writer.writerow(fields)

    def write(self, records: list[dict[str, Any]]) -> None:
        self.writer.writerows([self._cell(v) for v in r.values()] for r in records)

    @staticmethod
    def _cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False, default=json_default)
        if isinstance(value, str) and value.startswith(FORMULA_START):
            return "'" + value
        return value

    def close(self) -> None:
        self.stream.flush()


class ParquetBatchWriter:
    """One row group per batch, typed columns: lists of strings, captions as a list of
    structs, UTC timestamps, 64-bit integers. pyarrow is imported by the first Parquet export,
    not by every command that loads the CLI (0.06 s)."""

    def __init__(self, sink: str | Path, fields: Sequence[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.schema = pa.schema([(field, _parquet_type(field)) for field in fields])
        self.writer = pq.ParquetWriter(str(sink), self.schema, compression="zstd")

    def write(self, records: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        self.writer.write_table(pa.Table.from_pylist(records, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def export_cursor(db: Database, query: dict[str, Any], fields: Sequence[str],
                  batch_size: int = EXPORT_BATCH_SIZE) -> Any:
    projection = {"_id": 0, **{field: 1 for field in fields}}
    return (db[ARTICLES].find(query, projection, allow_disk_use=True)
            .sort(NEWEST_FIRST).batch_size(batch_size).max_time_ms(EXPORT_TIME_LIMIT_MS))


def _batches(cursor: Any, fields: Sequence[str], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for doc in cursor:
        batch.append(_record(doc, fields))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def export_articles(db: Database, flt: ArticleFilter, fmt: ExportFormat,
                    output: str | Path | IO[str], fields: Sequence[str] | None = None,
                    progress: Progress | None = None,
                    batch_size: int = EXPORT_BATCH_SIZE) -> int:
    """Write the matching articles, newest first, to a path or (JSON Lines and CSV) an open
    text stream; returns how many. A path is written under a temporary name and renamed
    at the end, so a failed export never leaves a file that looks complete."""
    if fmt not in get_args(ExportFormat):
        raise QueryError(f"format: one of {', '.join(get_args(ExportFormat))}, not {fmt!r}")
    to_file = isinstance(output, (str, Path))
    if fmt == "parquet" and not to_file:
        raise QueryError("parquet is written to a file, not a stream")
    if batch_size < 1:
        raise QueryError("batch size: a whole number from 1")
    columns = export_fields(fields)
    query = article_query(db, flt)
    total = count_matching(db, query)

    def write_all(writer: Any) -> int:
        return _write_all(export_cursor(db, query, columns, batch_size), writer, columns, total,
                          progress, batch_size)

    if not to_file:
        return write_all(_open_writer(fmt, output, columns))
    final = Path(output)
    partial = final.with_name(f".{final.name}.partial")
    try:
        if fmt == "parquet":
            written = write_all(ParquetBatchWriter(partial, columns))
        else:
            with partial.open("w", encoding="utf-8", newline="") as stream:
                written = write_all(_open_writer(fmt, stream, columns))
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return written


def _open_writer(fmt: str, stream: IO[str], fields: Sequence[str]) -> JsonLinesWriter | CsvWriter:
    return JsonLinesWriter(stream, fields) if fmt == "jsonl" else CsvWriter(stream, fields)


def _write_all(cursor: Any, writer: Any, fields: Sequence[str], total: int,
               progress: Progress | None, batch_size: int) -> int:
    done = 0
    try:
        for batch in _batches(cursor, fields, batch_size):
            writer.write(batch)
            done += len(batch)
            if progress:
                progress(done, total)
    finally:
        cursor.close()
        writer.close()
    if progress and not done:
        progress(0, total)
    return done
