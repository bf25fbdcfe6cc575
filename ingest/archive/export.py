"""`ingest export --format warc`: the archived response records of the matching articles,
byte for byte, in one gzip WARC file any WARC tool reads (warcio, pywb, OpenWayback)."""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from pymongo.database import Database
from warcio.warcwriter import WARCWriter

from ingest.archive.reader import GZIP_MAGIC, read_page, record_bytes, relocated
from ingest.archive.writer import RecordRef
from ingest.store.client import ARTICLES
from ingest.store.queries import ArticleFilter, article_query, count_matching

logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


def export_warc(db: Database, flt: ArticleFilter, output: Path,
                progress: Progress | None = None, warc_dir: Path | None = None) -> tuple[int, int]:
    """Write the records; returns (records written, articles whose record could not be
    read). Written under a temporary name, renamed once complete. A file no longer where
    it was written is looked for by name under `warc_dir`."""
    query = {**article_query(db, flt), "archive": {"$ne": None}}
    total = count_matching(db, query)
    partial = output.with_name(f".{output.name}.partial")
    written = missing = 0
    try:
        with partial.open("wb") as stream:
            writer = WARCWriter(stream, gzip=True)
            writer.write_record(writer.create_warcinfo_record(output.name, {
                "software": f"ingest export (warcio {version('warcio')})",
                "format": "WARC File Format 1.0",
                "description": f"archived pages of {total} stored articles matching "
                               f"{flt.as_params() or 'everything'}",
            }))
            cursor = db[ARTICLES].find(query, {"archive": 1, "canonical_url": 1}).sort("_id", 1)
            for done, doc in enumerate(cursor, 1):
                ref = relocated(RecordRef.from_dict(doc["archive"]), warc_dir)
                try:
                    read_page(ref)  # the record is there, whole, and the one the article names
                    data = record_bytes(ref)
                except (LookupError, ValueError, OSError) as exc:
                    missing += 1
                    logger.error("%s: archived page not exported: %s", doc.get("canonical_url"), exc)
                    continue
                stream.write(data if data.startswith(GZIP_MAGIC) else gzip.compress(data + b"\r\n\r\n"))
                written += 1
                if progress:
                    progress(done, total)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    if progress and not total:
        progress(0, 0)
    return written, missing
