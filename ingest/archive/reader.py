"""Reading WARC files from any producer (this crawl, wget, Heritrix, Common Crawl), .warc or
.warc.gz, streamed record by record: memory holds one record at a time, whatever the
file's size.

Damage does not end a file: a record that cannot be read (a gzip member broken in the
middle, a wrong Content-Length, a truncated end, bytes that are no WARC at all) is
reported as a Problem and reading resumes at the next record found after it (the next
gzip member, or the next `WARC/1.x` line of an uncompressed file)."""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from ingest.archive.writer import RecordRef

GZIP_MAGIC = b"\x1f\x8b\x08"
SCAN_CHUNK = 1 << 20
# What can go wrong inside warcio and zlib while reading damaged bytes.
READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, ValueError, IndexError, KeyError,
               UnicodeDecodeError, AttributeError)


@dataclass(frozen=True)
class ArchivedPage:
    """An HTTP response record: its HTTP headers, and its body with any transfer and
    content encoding undone."""

    ref: RecordRef
    url: str
    date: str | None
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")


@dataclass(frozen=True)
class Problem:
    """A record (or stretch of bytes) that could not be read; `kind` names the damage."""

    warc_file: str
    offset: int
    kind: str  # corrupt | truncated | wrong_length | too_large | undecodable
    message: str

    def __str__(self) -> str:
        return f"{self.warc_file} at byte {self.offset}: {self.message}"


@dataclass(frozen=True)
class Skipped:
    """A response record deliberately not read: its `reason` (not_html, filtered, ...)."""

    url: str
    reason: str


Event = ArchivedPage | Problem | Skipped
# Whether to read a response: None to read it, else the reason to skip it. Given the
# target URI and the HTTP Content-Type.
Selector = Callable[[str, str], str | None]


def _http_status(headers: StatusAndHeaders) -> int:
    try:
        return int(headers.get_statuscode())
    except (TypeError, ValueError):
        return 0


def decode_body(raw: bytes, headers: StatusAndHeaders) -> bytes:
    """The payload with chunked transfer encoding and gzip/deflate/br content encoding
    undone, as warcio's content_stream() does."""
    record = ArcWarcRecord("warc", "response", None, io.BytesIO(raw), headers, "", len(raw))
    return record.content_stream().read()


def read_pages(path: Path, select: Selector | None = None, max_record_bytes: int = 8 << 20
               ) -> Iterator[Event]:
    """Every response record of a WARC file as an ArchivedPage (those `select` accepts),
    Skipped (those it refuses), or a Problem. One damaged stretch is one Problem, however
    many records it spoils."""
    size = path.stat().st_size
    with open(path, "rb") as stream:
        compressed = stream.read(2) == GZIP_MAGIC[:2]
        start: int | None = 0
        damaged = False  # no record read since the last problem
        while start is not None:
            stream.seek(start)
            iterator = ArchiveIterator(stream)
            position = start
            try:
                while True:
                    with contextlib.redirect_stderr(io.StringIO()):  # warcio prints warnings
                        record = next(iterator, None)
                    if record is None:
                        break
                    position = iterator.offset
                    if record.format != "warc":  # warcio reads any line as an ARC header
                        raise ArchiveLoadFailed("no WARC record here")
                    for event in _one_record(path, iterator, record, select, max_record_bytes):
                        damaged = isinstance(event, Problem)
                        yield event
            except READ_ERRORS as exc:
                position = max(position, iterator.offset)  # where the unreadable record starts
                if not damaged:
                    yield Problem(str(path), position, "corrupt", _reason(exc))
                damaged = True
                start = _next_record_start(stream, position + 1, compressed)
                continue
            start = None
            end = iterator.offset
            if end < size and not damaged and _has_content(stream, end):
                yield Problem(str(path), end, "truncated",
                              f"the last {size - end:,} bytes are not a whole WARC record "
                              "(a truncated file, or no WARC at all); ignored")


def _has_content(stream: IO[bytes], offset: int) -> bool:
    stream.seek(offset)
    return bool(stream.read(SCAN_CHUNK).strip())


def _reason(exc: Exception) -> str:
    text = "".join(c if c.isascii() and c.isprintable() else "?" for c in " ".join(str(exc).split()))
    text = text[:120] or type(exc).__name__
    if isinstance(exc, zlib.error):
        return f"broken gzip member ({text})"
    if isinstance(exc, EOFError):
        return "the file ends inside a record (truncated)"
    return f"not a readable WARC record ({text})"


def _one_record(path: Path, iterator: ArchiveIterator, record: ArcWarcRecord,
                select: Selector | None, max_record_bytes: int) -> Iterator[Event]:
    offset = iterator.offset
    if record.rec_type != "response" or record.http_headers is None:
        return
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    content_type = record.http_headers.get_header("Content-Type") or ""
    reason = select(url, content_type) if select else None
    if reason:
        yield Skipped(url, reason)
        return
    declared = record.length or 0
    if declared > max_record_bytes:
        yield Problem(str(path), offset, "too_large",
                      f"record of {declared:,} bytes for {url} is over the limit of "
                      f"{max_record_bytes:,} bytes; skipped")
        return
    raw = record.raw_stream.read()
    missing = getattr(record.raw_stream, "limit", 0)
    errors_before = iterator.err_count
    with contextlib.redirect_stderr(io.StringIO()):
        iterator.read_to_end()
    if missing:
        yield Problem(str(path), offset, "truncated",
                      f"record for {url} ends {missing:,} bytes short of its Content-Length "
                      "(a truncated file)")
        return
    if iterator.err_count > errors_before:
        yield Problem(str(path), offset, "wrong_length",
                      f"record for {url}: its Content-Length does not match its content; skipped")
        return
    try:
        body = decode_body(raw, record.http_headers)
    except READ_ERRORS as exc:
        yield Problem(str(path), offset, "undecodable",
                      f"body of {url} cannot be decoded ({exc}); skipped")
        return
    ref = RecordRef(str(path), iterator.get_record_offset(), iterator.get_record_length(),
                    record.rec_headers.get_header("WARC-Record-ID") or "")
    headers = [(k, v) for k, v in record.http_headers.headers
               if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")]
    yield ArchivedPage(ref, url, record.rec_headers.get_header("WARC-Date"),
                       _http_status(record.http_headers), headers, body)


def _next_record_start(stream: IO[bytes], start: int, compressed: bool) -> int | None:
    """Offset of the next record at or after `start`: a gzip member whose content begins a
    WARC record, or a line starting `WARC/1.`; None at the end of the file."""
    needle = GZIP_MAGIC if compressed else b"WARC/1."
    position = start
    while True:
        stream.seek(position)
        chunk = stream.read(SCAN_CHUNK + len(needle))
        if len(chunk) < len(needle):
            return None
        index = chunk.find(needle)
        while index >= 0:
            candidate = position + index
            if _starts_record(stream, candidate, compressed):
                return candidate
            index = chunk.find(needle, index + 1)
        position += SCAN_CHUNK


def _starts_record(stream: IO[bytes], offset: int, compressed: bool) -> bool:
    stream.seek(max(offset - 1, 0))
    head = stream.read(4096 + 1)
    if not compressed:
        return offset == 0 or head[:1] == b"\n"
    data = head[1:] if offset else head
    try:
        text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 16)
    except zlib.error:
        return False
    return text.startswith(b"WARC/")


def read_page(ref: RecordRef, max_record_bytes: int = 64 << 20) -> ArchivedPage:
    """The response record at `ref`. Raises LookupError when the file or record is missing
    or is not that record, ValueError when it cannot be read."""
    path = Path(ref.warc_file)
    for event in _read_at(path, ref.offset, max_record_bytes):
        if isinstance(event, Problem):
            raise ValueError(str(event))
        if isinstance(event, ArchivedPage):
            if ref.record_id and event.ref.record_id != ref.record_id:
                raise LookupError(f"{path} at byte {ref.offset} holds record {event.ref.record_id}, "
                                  f"not {ref.record_id}")
            return event
    raise LookupError(f"no response record in {path} at byte {ref.offset}")


def _read_at(path: Path, offset: int, max_record_bytes: int) -> Iterator[Event]:
    try:
        stream = open(path, "rb")
    except FileNotFoundError as exc:
        raise LookupError(f"archive file {path} is not there") from exc
    with stream:
        stream.seek(offset)
        iterator = ArchiveIterator(stream)
        try:
            record = next(iterator)
            yield from _one_record(path, iterator, record, None, max_record_bytes)
        except StopIteration:
            return
        except READ_ERRORS as exc:
            yield Problem(str(path), offset, "corrupt", _reason(exc))


def relocated(ref: RecordRef, warc_dir: Path | None) -> RecordRef:
    """`ref`, or, when its file is no longer where it was written and a file of that name
    is under `warc_dir` (in its site's folder, or at the top), the same record there: an
    archive folder moved or copied to another machine."""
    if warc_dir is None or Path(ref.warc_file).exists():
        return ref
    name = Path(ref.warc_file)
    for candidate in (warc_dir / name.parent.name / name.name, warc_dir / name.name):
        if candidate.exists():
            return RecordRef(str(candidate), ref.offset, ref.length, ref.record_id)
    return ref


def record_bytes(ref: RecordRef) -> bytes:
    """The record exactly as stored: its gzip member in a .warc.gz file, the record's
    bytes in an uncompressed one."""
    with open(ref.warc_file, "rb") as stream:
        stream.seek(ref.offset)
        return stream.read(ref.length)
