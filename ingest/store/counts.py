"""Article counts kept by the store writer: articles, filled fields and categories per
site, language and month, in the collection `article_counts`.

They answer the stats over whole sites and languages (counts by category, month by
category, field coverage) that the embedded store otherwise computes in Python over
every article (seconds to tens of seconds at 100k articles). Each write adds what the
new version of an article counts and takes away what its stored version counted, so
re-storing or revising an article never counts it twice. The counts are used only while
their state document says they are complete: build_counts writes them from the articles
(at the start of a crawl when they are missing or a backfill changed articles)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from ingest.store.client import ARTICLES
from ingest.store.fields import ARTICLE_FIELDS, holds_value

logger = logging.getLogger(__name__)

COUNTS = "article_counts"
STATE_ID = "state"
# Counter of the articles holding a value for a field: "filled_title"... Not a "filled."
# path: the embedded server's upsert stores a dotted $inc as one literal field name.
FILLED = "filled_"
# (document _id, counter field) -> how much an article adds to it.
Tally = Counter[tuple[str, str]]


def _cell(doc: Mapping[str, Any]) -> dict[str, Any]:
    month = doc.get("published_month")
    return {"site": doc.get("site"), "language": doc.get("language"),
            "month": month if isinstance(month, str) else None}


def _count_id(kind: str, cell: Mapping[str, Any], category: Any = None) -> str:
    parts = [kind, cell["site"], cell["language"], cell["month"]]
    return json.dumps(parts + [category] if kind == "category" else parts, ensure_ascii=False)


def _identity(count_id: str) -> dict[str, Any]:
    kind, site, language, month, *category = json.loads(count_id)
    identity = {"kind": kind, "site": site, "language": language, "month": month}
    if category:
        identity["category"] = category[0]
    return identity


def categories_of(doc: Mapping[str, Any]) -> list[Any]:
    """The values $unwind gives for the categories field (a lone value counts as one)."""
    value = doc.get("categories")
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def tally(doc: Mapping[str, Any] | None) -> Tally:
    """What one stored article counts for."""
    counted: Tally = Counter()
    if doc is None:
        return counted
    cell = _cell(doc)
    cell_id = _count_id("cell", cell)
    counted[(cell_id, "articles")] += 1
    for field in ARTICLE_FIELDS:
        if holds_value(doc.get(field)):
            counted[(cell_id, FILLED + field)] += 1
    for category in categories_of(doc):
        counted[(_count_id("category", cell, category), "n")] += 1
    return counted


def change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Tally:
    """What replacing `before` by `after` changes (either may be None: no article)."""
    delta = tally(after)
    delta.subtract(tally(before))
    return delta


def apply_change(db: Database, delta: Tally) -> None:
    """Add a change to the counts ($inc: writers may add at once)."""
    increments: dict[str, dict[str, int]] = {}
    for (count_id, field), amount in delta.items():
        if amount:
            increments.setdefault(count_id, {})[field] = amount
    if increments:
        db[COUNTS].bulk_write([UpdateOne({"_id": count_id},
                                         {"$inc": fields, "$setOnInsert": _identity(count_id)},
                                         upsert=True)
                               for count_id, fields in increments.items()], ordered=False)


def counts_complete(db: Database) -> bool:
    state = db[COUNTS].find_one({"_id": STATE_ID})
    return bool(state and state.get("complete"))


def build_counts(db: Database, batch: int = 1000) -> int:
    """Count every stored article afresh; returns how many. Run it while no crawl writes
    to the store (a write between the reading and the state update may count twice or
    not at all): ensure_counts does, at the start of a crawl."""
    db[COUNTS].delete_many({"_id": {"$ne": STATE_ID}})
    totals: Tally = Counter()
    articles = 0
    for doc in db[ARTICLES].find({}, {"_id": 0}).batch_size(batch):
        totals.update(tally(doc))
        articles += 1
    documents: dict[str, dict[str, Any]] = {}
    for (count_id, field), amount in totals.items():
        documents.setdefault(count_id, {"_id": count_id, **_identity(count_id)})[field] = amount
    ops = [InsertOne(document) for document in documents.values()]
    for start in range(0, len(ops), batch):
        db[COUNTS].bulk_write(ops[start: start + batch], ordered=False)
    state = {"complete": True, "articles": articles, "built_at": datetime.now(timezone.utc)}
    # Not an upsert: the embedded server gives an upserted replacement an ObjectId of its own.
    if db[COUNTS].replace_one({"_id": STATE_ID}, state).matched_count == 0:
        db[COUNTS].insert_one({"_id": STATE_ID, **state})
    return articles


def ensure_counts(db: Database, rebuild: bool = False) -> None:
    """Build the counts when they are missing (a store written before they existed), or
    when `rebuild` says articles changed outside the writer. Of workers starting at once,
    the one that records the state first builds them."""
    if rebuild:
        db[COUNTS].delete_one({"_id": STATE_ID})
    if db[COUNTS].find_one({"_id": STATE_ID}) is not None:
        return
    try:
        db[COUNTS].insert_one({"_id": STATE_ID, "complete": False})
    except DuplicateKeyError:
        return
    started = datetime.now(timezone.utc)
    articles = build_counts(db)
    logger.info("counted %d stored articles in %.1fs", articles,
                (datetime.now(timezone.utc) - started).total_seconds())


def _sum_rows(db: Database, match: dict[str, Any], group: dict[str, Any], limit: int,
              max_time_ms: int) -> list[dict[str, Any]]:
    pipeline = [{"$match": match}, {"$group": group}, {"$limit": limit}]
    return list(db[COUNTS].aggregate(pipeline, maxTimeMS=max_time_ms))


def _cell_match(kind: str, site: str | None, language: str | None) -> dict[str, Any]:
    match: dict[str, Any] = {"kind": kind}
    if site is not None:
        match["site"] = site
    if language is not None:
        match["language"] = language
    return match


def counted_by(db: Database, by: str, site: str | None, language: str | None, limit: int,
               max_time_ms: int) -> list[tuple[Any, int]]:
    """(value, articles) for `by` in category, month, site or language."""
    kind = "category" if by == "category" else "cell"
    amount = "$n" if kind == "category" else "$articles"
    rows = _sum_rows(db, _cell_match(kind, site, language),
                     {"_id": f"${by}", "n": {"$sum": amount}}, limit, max_time_ms)
    return [(row["_id"], int(row["n"])) for row in rows if row["n"]]


def counted_by_month_and_category(db: Database, site: str | None, language: str | None,
                                  limit: int, max_time_ms: int) -> list[tuple[str, Any, int]]:
    """(month, category, articles). The key is the month's 7 characters then the category
    (no separator: the embedded server runs a $group key with a literal in Python);
    articles without a month have a null key."""
    rows = _sum_rows(db, _cell_match("category", site, language), {"_id": {"$concat": ["$month", "$category"]},
                                 "n": {"$sum": "$n"}}, limit, max_time_ms)
    return [(row["_id"][:7], row["_id"][7:], int(row["n"])) for row in rows
            if isinstance(row["_id"], str) and row["n"]]


def counted_fields(db: Database, site: str | None, language: str | None,
                   max_time_ms: int) -> tuple[int, dict[str, int]]:
    """(articles, {field: articles holding a value for it})."""
    group: dict[str, Any] = {"_id": None, "_total": {"$sum": "$articles"}}
    for field in ARTICLE_FIELDS:
        group[field] = {"$sum": f"${FILLED}{field}"}
    rows = _sum_rows(db, _cell_match("cell", site, language), group, 1, max_time_ms)
    row = rows[0] if rows else {}
    return int(row.get("_total") or 0), {field: int(row.get(field) or 0) for field in ARTICLE_FIELDS}


def changes_of(pairs: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]]) -> Tally:
    """The change of many replacements (before, after) at once."""
    total: Tally = Counter()
    for before, after in pairs:
        total.update(change(before, after))
    return total
