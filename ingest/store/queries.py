"""The read side: every query analysts and the CLI run goes through here."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pymongo.database import Database

from ingest.store.client import ARTICLES, REVISIONS, RUNS

MAX_LIMIT = 1000
QUERY_TIME_LIMIT_MS = 10_000


def as_datetime(value: Any) -> datetime | None:
    """Datetimes as stored; tolerates servers that hand them back as ISO strings."""
    if value is None or isinstance(value, datetime):
        return value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo else value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith('{"$date"'):
            text = text.split('"')[3]
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def count_articles(db: Database, site: str | None = None) -> int:
    return db[ARTICLES].count_documents({"site": site} if site else {})


def category_counts(db: Database, site: str | None = None) -> list[tuple[str, int]]:
    match = {"site": site} if site else {}
    pipeline = [{"$match": match}, {"$unwind": "$categories"},
                {"$group": {"_id": "$categories", "n": {"$sum": 1}}}]
    rows = db[ARTICLES].aggregate(pipeline, maxTimeMS=QUERY_TIME_LIMIT_MS)
    return sorted(((r["_id"], r["n"]) for r in rows), key=lambda r: (-r[1], r[0]))


def date_range(db: Database, site: str | None = None) -> tuple[datetime | None, datetime | None]:
    match: dict[str, Any] = {"published_at": {"$ne": None}}
    if site:
        match["site"] = site
    projection = {"published_at": 1, "_id": 0}
    oldest = db[ARTICLES].find(match, projection).sort("published_at", 1).limit(1)
    newest = db[ARTICLES].find(match, projection).sort("published_at", -1).limit(1)
    first = next(iter(oldest), None)
    last = next(iter(newest), None)
    return (as_datetime(first["published_at"]) if first else None,
            as_datetime(last["published_at"]) if last else None)


def latest_articles(db: Database, site: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    query = {"site": site} if site else {}
    cursor = (db[ARTICLES].find(query, {"_id": 0}).sort("published_at", -1)
              .limit(min(limit, MAX_LIMIT)).max_time_ms(QUERY_TIME_LIMIT_MS))
    return list(cursor)


def sample_article(db: Database, site: str | None = None) -> dict[str, Any] | None:
    """A recent article with a caption if there is one: the most telling example."""
    # $elemMatch rather than "captions.0": the embedded server answers the latter wrongly.
    query: dict[str, Any] = {"captions": {"$elemMatch": {"text": {"$exists": True}}}}
    if site:
        query["site"] = site
    doc = db[ARTICLES].find_one(query, {"_id": 0}, sort=[("published_at", -1)])
    return doc or next(iter(latest_articles(db, site, 1)), None)


def article_by_url(db: Database, url: str) -> dict[str, Any] | None:
    return db[ARTICLES].find_one({"$or": [{"canonical_url": url}, {"url": url}]}, {"_id": 0})


def revisions_of(db: Database, canonical_url: str) -> list[dict[str, Any]]:
    cursor = db[REVISIONS].find({"canonical_url": canonical_url}, {"_id": 0}).sort("revision", 1)
    return list(cursor.limit(MAX_LIMIT))


def last_run(db: Database, site: str | None = None) -> dict[str, Any] | None:
    return db[RUNS].find_one({"site": site} if site else {}, sort=[("started_at", -1)])


def corpus_summary(db: Database, site: str | None = None) -> dict[str, Any]:
    oldest, newest = date_range(db, site)
    return {
        "articles": count_articles(db, site),
        "revisions": db[REVISIONS].count_documents({"site": site} if site else {}),
        "categories": category_counts(db, site),
        "published_from": oldest,
        "published_to": newest,
        "sample": sample_article(db, site),
    }


def known_articles(db: Database, site: str) -> dict[str, dict[str, Any]]:
    """What an incremental crawl needs to know of the site's stored articles, by URL and by
    canonical URL: publication time and the validators for conditional requests."""
    projection = {"_id": 0, "url": 1, "canonical_url": 1, "published_at": 1, "etag": 1,
                  "last_modified": 1}
    known: dict[str, dict[str, Any]] = {}
    for doc in db[ARTICLES].find({"site": site}, projection):
        entry = {"published_at": as_datetime(doc.get("published_at")), "etag": doc.get("etag"),
                 "last_modified": doc.get("last_modified")}
        for key in (doc.get("url"), doc.get("canonical_url")):
            if key:
                known[key] = entry
    return known
