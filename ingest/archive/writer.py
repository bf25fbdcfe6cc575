"""Writing gzip-compressed WARC files: one gzip member per record (what makes a record
seekable by offset and a killed writer's files readable up to the record it was in),
rotated by size, a warcinfo record at the start of each file."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from deflate import gzip_compress
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import BufferWARCWriter

WARC_SUFFIX = ".warc.gz"


@dataclass(frozen=True)
class RecordRef:
    """Where a record is: `length` bytes from `offset` of `warc_file` (for a .warc.gz, one
    whole gzip member), with the record's WARC-Record-ID to check it is the right one."""

    warc_file: str
    offset: int
    length: int
    record_id: str

    def as_dict(self) -> dict[str, Any]:
        """Without dataclasses.asdict, which deep-copies every field (a cost per archived
        response)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> RecordRef:
        """From an article's `archive` field (as stored, or from an older version)."""
        return cls(str(stored["warc_file"]), int(stored["offset"]), int(stored.get("length") or 0),
                   str(stored.get("record_id") or ""))


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as the crawl saw them."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    protocol: str
    response_headers: list[tuple[str, str]]
    body: bytes


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def check_gzip_level(level: int) -> None:
    if not 0 <= level <= 12:
        raise ValueError(f"INGEST_WARC_GZIP_LEVEL {level}: libdeflate takes 0 to 12")


def _digest(*parts: bytes) -> str:
    sha1 = hashlib.sha1()
    for part in parts:
        sha1.update(part)
    return "sha1:" + base64.b32encode(sha1.digest()).decode("ascii")


def _http_record(kind: str, url: str, date: str, record_id: str, http_head: bytes, body: bytes,
                 concurrent_to: str | None = None) -> bytes:
    """A WARC/1.0 `response` or `request` record, laid out as warcio lays it out (same
    headers, same order, same digests). Written here rather than through warcio's
    RecordBuilder, which streams the body through its digesters and then its writer in 16 KB
    pieces: that took 4% of a crawl's main thread, this a fifth of it. The HTTP head is
    warcio's StatusAndHeaders encoding (non-ASCII values percent-encoded)."""
    lines = ["WARC/1.0", f"WARC-Type: {kind}", f"WARC-Record-ID: {record_id}",
             f"WARC-Target-URI: {url}", f"WARC-Date: {date}", f"WARC-Payload-Digest: {_digest(body)}"]
    if concurrent_to:
        lines.append(f"WARC-Concurrent-To: {concurrent_to}")
    lines += [f"WARC-Block-Digest: {_digest(http_head, body)}",
              f"Content-Type: application/http; msgtype={kind}",
              f"Content-Length: {len(http_head) + len(body)}", "", ""]
    return "\r\n".join(lines).encode("utf-8") + http_head + body + b"\r\n\r\n"


def _warcinfo_record(filename: str, info: Mapping[str, Any]) -> bytes:
    writer = BufferWARCWriter(gzip=False)
    writer.write_record(writer.create_warcinfo_record(filename, dict(info)))
    return writer.get_contents()


class RotatingWarcWriter:
    """Files `<folder>/<prefix>-00000.warc.gz`, `-00001`, ... each up to about `max_bytes`.
    Files are created exclusively: a writer never overwrites another's file."""

    def __init__(self, folder: Path, prefix: str, max_bytes: int, info: Mapping[str, Any],
                 gzip_level: int = 1) -> None:
        check_gzip_level(gzip_level)
        self.folder = folder
        self.gzip_level = gzip_level
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = dict(info)
        self.serial = -1
        self.path: Path | None = None
        self.stream: Any = None
        self.durable: dict[str, int] = {}  # file -> bytes known to be on disk
        self.records = 0
        self.bytes = 0

    def _open_next(self) -> None:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            self.serial += 1
            path = self.folder / f"{self.prefix}-{self.serial:05d}{WARC_SUFFIX}"
            try:
                self.stream = open(path, "xb")
            except FileExistsError:
                continue
            break
        self.path = path
        self.durable[str(path)] = 0
        self._write_out(_warcinfo_record(path.name, self.info))

    def _write_out(self, *records: bytes) -> list[bytes]:
        """Records compressed each as a gzip member, appended in one write and flushed to the
        operating system; returns the members."""
        members = [gzip_compress(record, self.gzip_level) for record in records]
        self.stream.write(b"".join(members))
        self.stream.flush()
        return members

    def write(self, exchange: Exchange) -> RecordRef:
        """The response record, then its request (WARC-Concurrent-To the response), as
        warcio pairs them; returns where the response record is. Both reach the operating
        system, in one write, before this returns."""
        if self.stream is None or self.stream.tell() >= self.max_bytes:
            self._open_next()
        assert self.path is not None
        response_headers = [(k, v) for k, v in exchange.response_headers
                            if k.lower() != "transfer-encoding"]  # the body is stored de-chunked
        response_head = StatusAndHeaders(_status_line(exchange.status), response_headers,
                                         protocol=exchange.protocol or "HTTP/1.1").to_ascii_bytes()
        request_head = StatusAndHeaders(f"{exchange.method} {_request_target(exchange.url)} HTTP/1.1",
                                        list(exchange.request_headers), is_http_request=True).to_ascii_bytes()
        date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        response_id, request_id = f"<urn:uuid:{uuid.uuid4()}>", f"<urn:uuid:{uuid.uuid4()}>"
        offset = self.stream.tell()
        members = self._write_out(
            _http_record("response", exchange.url, date, response_id, response_head, exchange.body),
            _http_record("request", exchange.url, date, request_id, request_head, exchange.request_body,
                         concurrent_to=response_id))
        self.records += 1
        self.bytes += self.stream.tell() - offset
        return RecordRef(str(self.path), offset, len(members[0]), response_id)

    def is_durable(self, warc_file: str, end: int) -> bool:
        """Whether the bytes of `warc_file` up to `end` are known to be on disk; True for
        files this writer does not write (an imported archive)."""
        return self.durable.get(warc_file, end) >= end

    def begin_sync(self) -> tuple[str, int, int] | None:
        """(file, bytes written, a duplicate of its descriptor) to fsync outside the reactor
        thread, or None when everything written is durable already. The duplicate stays
        valid should the file be rotated and closed meanwhile."""
        if self.stream is None or self.path is None:
            return None
        end = self.stream.tell()
        if self.durable.get(str(self.path), 0) >= end:
            return None
        self.stream.flush()
        return str(self.path), end, os.dup(self.stream.fileno())

    def mark_durable(self, warc_file: str, end: int) -> None:
        self.durable[warc_file] = max(self.durable.get(warc_file, 0), end)

    def close(self) -> None:
        if self.stream is None or self.path is None:
            return
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.mark_durable(str(self.path), self.stream.tell())
        self.stream.close()
        self.stream = None

    @property
    def files(self) -> list[str]:
        return list(self.durable)


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def header_pairs(headers: Mapping[bytes, Iterable[bytes]]) -> list[tuple[str, str]]:
    """Scrapy's Headers (bytes name -> list of bytes values) as WARC header lines. A name
    with bytes outside ASCII (servers send them) is percent-encoded: warcio encodes such
    values but cannot write such a name."""
    pairs = []
    for name, values in headers.items():
        raw = name if isinstance(name, bytes) else str(name).encode("utf-8")
        key = raw.decode("ascii") if raw.isascii() else quote(raw, safe="!#$%&'*+^`|")
        for value in values:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs
