"""The crawl's own state in the store: what an incremental crawl knows of a site's stored
articles, and the site's last run."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from ingest.store.client import ARTICLES, RUNS
from ingest.store.queries import QUERY_TIME_LIMIT_MS
from ingest.store.times import as_datetime


def last_run(db: Database, site: str | None = None, excluding: str | None = None) -> dict[str, Any] | None:
    """The latest run (of `site`), other than the run `excluding` names."""
    query: dict[str, Any] = {"site": site} if site else {}
    if excluding:
        query["_id"] = {"$ne": excluding}
    return db[RUNS].find_one(query, sort=[("started_at", -1)], max_time_ms=QUERY_TIME_LIMIT_MS)


def ended_unclean(run: dict[str, Any] | None) -> bool:
    """A run that never recorded its end (killed, machine lost) or was stopped before its end
    (SIGTERM, Ctrl-C): what it had not reached yet may lie deeper in the listings than an
    incremental run looks."""
    return bool(run) and (run.get("status") == "running" or run.get("finish_reason") != "finished")


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
