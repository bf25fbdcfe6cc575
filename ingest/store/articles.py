"""Writing articles: bulk upserts keyed on canonical URL, crawl times, revisions.

Written to MongoDB's documented semantics. Whole-document replacement is used rather than
$set so that field types (datetimes) survive on every MongoDB-wire server, including the
embedded one, which stores datetimes given through $set as strings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import bson
from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from ingest.store.client import ARTICLES, REVISIONS, RUNS, find_by_values
from ingest.store.counts import apply_change, categories_of, changes_of, ensure_counts
from ingest.store.times import as_datetime, as_utc, epoch_ms

# Fields that define an article's content: a change in any of them is a new revision.
CONTENT_FIELDS = ("title", "body", "captions")
# Item fields that are not stored.
TRANSIENT_FIELDS = ("published_raw", "modified_raw", "printed_date_raw", "fetched_at", "http_status")
DUPLICATE_KEY = 11000
# MongoDB's BSON document limit, enforced here too: some MongoDB-wire servers accept more.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
PUBLISHED_KEYS = ("published_ms", "published_local_ms", "published_month")


def content_hash(doc: Mapping[str, Any]) -> str:
    payload = json.dumps([doc.get(f) for f in CONTENT_FIELDS], ensure_ascii=False, sort_keys=True,
                         default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class WriteResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    untouched: int = 0  # unchanged and identical as stored: not written at all
    failed: list[tuple[str, str]] = field(default_factory=list)  # (canonical_url, reason)


def _stored_instant(previous: Mapping[str, Any], key: str, default: datetime) -> datetime:
    value = as_datetime(previous.get(key))
    return as_utc(value) if value else default


def safe_keys(value: Any) -> Any:
    """Field names MongoDB accepts everywhere: no '.' inside, no leading '$'."""
    if isinstance(value, Mapping):
        return {str(k).replace(".", "_").lstrip("$") or "_": safe_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [safe_keys(v) for v in value]
    return value


def local_published(published_at: Any, published_local: Any) -> datetime | None:
    """The publication time on the site's calendar (aware, in its offset; a date alone as
    its midnight): published_local when stored, else published_at in UTC (articles stored
    before published_local)."""
    if isinstance(published_local, str):
        try:
            local = datetime.fromisoformat(published_local)
        except ValueError:
            local = None
        if local is not None:
            return local if local.tzinfo is not None else local.replace(tzinfo=timezone.utc)
    return as_utc(published_at) if isinstance(published_at, datetime) else None


def published_keys(published_at: Any, published_local: Any = None) -> dict[str, Any]:
    """Plain copies of the publication time for the read side: `published_ms` (the instant,
    milliseconds since the epoch), `published_local_ms` (the site's wall time read as UTC:
    its calendar days are whole ranges) and `published_month` ("YYYY-MM" on the site's
    calendar). The embedded store compares and groups stored datetimes in a scan of every
    document; integers and strings it compares on an index and groups in SQL. Nothing for
    an article without a publication time."""
    local = local_published(published_at, published_local)
    if not isinstance(published_at, datetime) or local is None:
        return {}
    return {"published_ms": epoch_ms(published_at),
            "published_local_ms": epoch_ms(local.replace(tzinfo=timezone.utc)),
            "published_month": local.strftime("%Y-%m")}


def build_document(item: Mapping[str, Any], previous: Mapping[str, Any] | None,
                   now: datetime) -> tuple[dict[str, Any], str]:
    """The document to store for an item, and whether it is new/changed/unchanged."""
    doc = safe_keys({k: v for k, v in item.items() if k not in TRANSIENT_FIELDS})
    for key in PUBLISHED_KEYS:
        doc.pop(key, None)
    doc.update(published_keys(doc.get("published_at"), doc.get("published_local")))
    doc["content_hash"] = content_hash(doc)
    doc["last_seen_at"] = doc.get("last_seen_at") or now  # re-extraction keeps the crawl's
    reason = doc.get("change_reason") or "crawl"
    if previous is None:
        doc.update(first_seen_at=now, last_changed_at=now, revision=1, change_reason=reason)
        doc["listed_in"] = sorted(set(doc.get("listed_in") or []))
        return doc, "new"
    doc["first_seen_at"] = _stored_instant(previous, "first_seen_at", now)
    doc["listed_in"] = sorted(set(doc.get("listed_in") or []) | set(previous.get("listed_in") or []))
    if previous.get("content_hash") == doc["content_hash"]:
        doc["last_changed_at"] = _stored_instant(previous, "last_changed_at", now)
        doc["revision"] = previous.get("revision", 1)
        doc.pop("change_reason", None)
        if previous.get("change_reason"):
            doc["change_reason"] = previous["change_reason"]
        return doc, "unchanged"
    doc["last_changed_at"] = now
    doc["revision"] = int(previous.get("revision", 1)) + 1
    doc["change_reason"] = reason
    return doc, "changed"


def same_document(doc: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """Whether writing `doc` over `stored` would change nothing (compared as stored: BSON
    keeps milliseconds, and key order does not matter)."""
    as_stored = bson.decode(bson.encode(doc), codec_options=_AWARE)
    return as_stored == {k: v for k, v in stored.items() if k != "_id"}


_AWARE = bson.CodecOptions(tz_aware=True)


def write_articles(db: Database, items: Iterable[Mapping[str, Any]],
                   now: datetime | None = None) -> WriteResult:
    """Upsert a batch; keep the stored version of each changed article in revisions.

    New articles are inserted and stored ones replaced by _id: the embedded store runs an
    update filtered on any other field as a scan of the collection (15 ms per article at
    2,000 stored, growing with the corpus), an insert or an _id replacement in ~0.3 ms.
    The unique index on canonical_url turns a racing writer's insert into a duplicate-key
    error, retried as an upsert on the key. Safe to retry after a failure: revisions are
    keyed on (canonical_url, revision) and replacements are idempotent."""
    now = now or datetime.now(timezone.utc)
    batch = {item["canonical_url"]: item for item in items}
    result = WriteResult()
    if not batch:
        return result
    previous = {d["canonical_url"]: d for d in find_by_values(db[ARTICLES], "canonical_url", batch)}
    revision_ops, article_ops, documents, outcomes = [], [], [], []
    for key, item in batch.items():
        old = previous.get(key)
        doc, outcome = build_document(item, old, now)
        size = len(bson.encode(doc))
        if size > MAX_DOCUMENT_BYTES:
            result.failed.append((key, f"document too large: {size} bytes"))
            continue
        if outcome == "unchanged" and old is not None and same_document(doc, old):
            result.unchanged += 1
            result.untouched += 1
            continue
        if outcome == "changed" and old is not None:
            archived = {k: v for k, v in old.items() if k != "_id"}
            archived.update(article_id=old["_id"], archived_at=now)
            revision_ops.append(InsertOne(archived))
        article_ops.append(InsertOne(doc) if old is None else ReplaceOne({"_id": old["_id"]}, doc, upsert=True))
        documents.append(doc)
        outcomes.append((key, outcome))
    if revision_ops:
        _bulk(db[REVISIONS], revision_ops, tolerate_duplicates=True)
    failed_indexes = _bulk(db[ARTICLES], article_ops) if article_ops else {}
    raced = [i for i, (code, _) in failed_indexes.items() if code == DUPLICATE_KEY]
    if raced:  # another writer inserted the key between our read and our write: replace theirs
        previous.update((d["canonical_url"], d) for d in find_by_values(
            db[ARTICLES], "canonical_url", [outcomes[i][0] for i in raced]))
        retried = _bulk(db[ARTICLES], [ReplaceOne({"canonical_url": outcomes[i][0]},
                                                  {k: v for k, v in documents[i].items() if k != "_id"},
                                                  upsert=True) for i in raced])
        for position, index in enumerate(raced):
            if position in retried:
                failed_indexes[index] = retried[position]
            else:
                del failed_indexes[index]
    for index, (key, outcome) in enumerate(outcomes):
        if index in failed_indexes:
            code, message = failed_indexes[index]
            result.failed.append((key, f"{code}: {message}"))
        else:
            setattr(result, outcome, getattr(result, outcome) + 1)
    apply_change(db, changes_of((previous.get(key), documents[index])
                                for index, (key, _) in enumerate(outcomes)
                                if index not in failed_indexes))
    return result


def _bulk(collection: Any, ops: list[Any], tolerate_duplicates: bool = False
          ) -> dict[int, tuple[int | None, str]]:
    """Unordered bulk write; returns {op index: (error code, message)} for the operations
    that failed (the others are applied)."""
    try:
        collection.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        errors = {}
        for error in exc.details.get("writeErrors", []):
            if tolerate_duplicates and error.get("code") == DUPLICATE_KEY:
                continue
            errors[error["index"]] = (error.get("code"), str(error.get("errmsg")))
        return errors
    return {}


def add_listings(db: Database, listings: Mapping[str, Iterable[str]]) -> int:
    """Add categories to the listed_in of stored articles (found by URL or canonical URL);
    articles whose pages named no category take these as their categories. Returns how
    many articles changed. $addToSet, not a replacement: workers of a shared crawl may add
    to one article at once."""
    # The fields the counts file an article under, too (see counts.tally).
    projection = {"url": 1, "canonical_url": 1, "listed_in": 1, "categories": 1, "site": 1,
                  "language": 1, "published_month": 1}
    stored = stored_by_url(db, list(listings), projection)
    wanted: dict[Any, tuple[set[str], dict[str, Any]]] = {}
    for url, names in listings.items():
        doc = stored.get(url)
        if doc is not None:
            wanted.setdefault(doc["_id"], (set(), doc))[0].update(names)
    ops, changes = [], []
    for doc_id, (names, doc) in wanted.items():
        missing = sorted(names - set(doc.get("listed_in") or []))
        if not missing:
            continue
        update: dict[str, Any] = {"listed_in": {"$each": missing}}
        after = dict(doc, listed_in=list(doc.get("listed_in") or []) + missing)
        if not doc.get("categories"):
            update["categories"] = {"$each": sorted(names | set(doc.get("listed_in") or []))}
            after["categories"] = categories_of(doc) + update["categories"]["$each"]
        ops.append(UpdateOne({"_id": doc_id}, {"$addToSet": update}))
        changes.append((doc, after))
    if ops:
        db[ARTICLES].bulk_write(ops, ordered=False)
        apply_change(db, changes_of(changes))
    return len(ops)


def backfill_published_keys(db: Database, batch: int = 1000) -> int:
    """Give the read side's copies of the publication time (published_keys) to stored
    articles that have a publication time but not these fields (stored before they existed),
    and published_local to those without it: their UTC time, published_zone "UTC" (the
    page's own offset was not kept then). Returns how many changed. Idempotent and cheap
    once done (an indexed lookup of articles without published_local_ms)."""
    missing = {"published_local_ms": {"$exists": False}, "published_at": {"$ne": None}}
    ops = []
    changed = 0
    for doc in db[ARTICLES].find(missing, {"published_at": 1, "published_local": 1}):
        published_at = as_datetime(doc.get("published_at"))
        keys: dict[str, Any] = published_keys(published_at, doc.get("published_local"))
        if keys and not isinstance(doc.get("published_local"), str):
            keys.update(published_local=published_at.astimezone(timezone.utc).isoformat(),
                        published_zone="UTC")
        if keys:
            ops.append(UpdateOne({"_id": doc["_id"]}, {"$set": keys}))
        if len(ops) >= batch:
            changed += db[ARTICLES].bulk_write(ops, ordered=False).modified_count
            ops = []
    if ops:
        changed += db[ARTICLES].bulk_write(ops, ordered=False).modified_count
    return changed


LOOKUP_CHUNK = 500


def stored_by_url(db: Database, urls: list[str],
                  projection: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Stored articles by URL or canonical URL, a few queries per LOOKUP_CHUNK URLs: one
    query per URL costs a round trip each, and a scan each where $or is not served by
    the indexes (the embedded server)."""
    found: dict[str, dict[str, Any]] = {}
    by_id: dict[Any, dict[str, Any]] = {}  # one dict per article, however it was found
    for start in range(0, len(urls), LOOKUP_CHUNK):
        chunk = urls[start: start + LOOKUP_CHUNK]
        for key in ("canonical_url", "url"):
            for doc in find_by_values(db[ARTICLES], key, chunk, projection):
                found.setdefault(doc[key], by_id.setdefault(doc["_id"], doc))
    return found


def remove_site(db: Database, site: str) -> int:
    """Delete a site's articles, their revisions and the site's run records; the counts are
    built afresh. Returns how many articles were removed."""
    removed = db[ARTICLES].delete_many({"site": site}).deleted_count
    db[REVISIONS].delete_many({"site": site})
    db[RUNS].delete_many({"site": site})
    ensure_counts(db, rebuild=True)
    return removed
