"""Writing gzip-compressed WARC files: one gzip member per record (what makes a record
seekable by offset and a killed writer's files readable up to the record it was in),
rotated by size, a warcinfo record at the start of each file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from deflate import gzip_compress
from warcio.warcwriter import WARCWriter

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
        return asdict(self)

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


class _GzipMembers:
    """Where warcio writes records: it writes one record in several pieces and flushes at its
    end; each record is compressed there at once, as one gzip member, by libdeflate (the
    deflate package). At the same level it makes files as small as zlib's for about half the
    CPU, and a whole record in memory needs no streaming compressor."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.parts: list[bytes] = []
        self.members: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def flush(self) -> None:
        self.members.append(gzip_compress(b"".join(self.parts), self.level))
        self.parts = []

    def take(self) -> list[bytes]:
        members, self.members = self.members, []
        return members


class _MemberWarcWriter(WARCWriter):
    """warcio's writer (record headers, digests, the HTTP block) handing each record to a
    _GzipMembers instead of its own stream. Overrides warcio's private _write_warc_record,
    whose `out` it replaces; test_archive reads the files back with warcio and runs
    `warcio check` on them, so a change there fails loudly."""

    def __init__(self, level: int) -> None:
        super().__init__(None, gzip=False)
        self.members = _GzipMembers(level)

    def _write_warc_record(self, out: Any, record: Any) -> None:
        super()._write_warc_record(self.members, record)


class RotatingWarcWriter:
    """Files `<folder>/<prefix>-00000.warc.gz`, `-00001`, ... each up to about `max_bytes`.
    Files are created exclusively: a writer never overwrites another's file."""

    def __init__(self, folder: Path, prefix: str, max_bytes: int, info: Mapping[str, Any],
                 gzip_level: int = 1) -> None:
        if not 0 <= gzip_level <= 12:
            raise ValueError(f"gzip level {gzip_level}: libdeflate takes 0 to 12")
        self.folder = folder
        self.gzip_level = gzip_level
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = dict(info)
        self.serial = -1
        self.path: Path | None = None
        self.stream: Any = None
        self.writer: _MemberWarcWriter | None = None
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
        self.writer = _MemberWarcWriter(self.gzip_level)
        self.durable[str(path)] = 0
        self.writer.write_record(self.writer.create_warcinfo_record(path.name, self.info))
        self._write_out()

    def _write_out(self) -> list[bytes]:
        """The records compressed since the last call, written at the end of the file in one
        write and flushed to the operating system."""
        assert self.writer is not None
        members = self.writer.members.take()
        self.stream.write(b"".join(members))
        self.stream.flush()
        return members

    def write(self, exchange: Exchange) -> RecordRef:
        """The response record, then its request (WARC-Concurrent-To the response), as
        warcio pairs them; returns where the response record is. Both reach the operating
        system, in one write, before this returns."""
        if self.stream is None or self.stream.tell() >= self.max_bytes:
            self._open_next()
        assert self.writer is not None and self.path is not None
        response_headers = [(k, v) for k, v in exchange.response_headers
                            if k.lower() != "transfer-encoding"]  # the body is stored de-chunked
        http = StatusAndHeaders(_status_line(exchange.status), response_headers,
                                protocol=exchange.protocol or "HTTP/1.1")
        response = self.writer.create_warc_record(exchange.url, "response", payload=BytesIO(exchange.body),
                                                  length=len(exchange.body), http_headers=http)
        path = _request_target(exchange.url)
        request_http = StatusAndHeaders(f"{exchange.method} {path} HTTP/1.1",
                                        list(exchange.request_headers), is_http_request=True)
        request = self.writer.create_warc_record(exchange.url, "request",
                                                 payload=BytesIO(exchange.request_body),
                                                 length=len(exchange.request_body),
                                                 http_headers=request_http)
        offset = self.stream.tell()
        self.writer.write_record(response)
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        request.rec_headers.replace_header("WARC-Date", response.rec_headers.get_header("WARC-Date"))
        self.writer.write_record(request)
        members = self._write_out()
        self.records += 1
        self.bytes += self.stream.tell() - offset
        return RecordRef(str(self.path), offset, len(members[0]),
                         response.rec_headers.get_header("WARC-Record-ID"))

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
        self.stream = self.writer = None

    @property
    def files(self) -> list[str]:
        return list(self.durable)


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def header_pairs(headers: Mapping[bytes, Iterable[bytes]]) -> list[tuple[str, str]]:
    """Scrapy's Headers (bytes name -> list of bytes values) as WARC header lines."""
    pairs = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs
