"""The writer's counts (ingest.store.counts) against the aggregations over the articles,
on a generated corpus written, re-written, revised and re-listed through the store writer."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from benchmarks.read_latency import SITES, CorpusGenerator
from ingest.store.articles import add_listings, write_articles
from ingest.store.client import ensure_indexes
from ingest.store.counts import COUNTS, STATE_ID, build_counts, counts_complete, ensure_counts
from ingest.store.queries import (
    ArticleFilter, counts_by, field_coverage, monthly_counts_by_category,
)

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
FILTERS = [ArticleFilter(), ArticleFilter(site=SITES[1]), ArticleFilter(language="fa"),
           ArticleFilter(site=SITES[2], language="en")]


def generated(n: int) -> list[dict[str, Any]]:
    generator = CorpusGenerator(seed=11)
    items = [generator.article(i, NOW) for i in range(n)]
    for i, item in enumerate(items):
        if i % 9 == 0:
            item["categories"] = []  # to take its listings' names later
        if i % 13 == 0:
            del item["published_at"]
    return items


def all_stats(db: Any) -> list[Any]:
    stats: list[Any] = []
    for flt in FILTERS:
        stats += [counts_by(db, flt, by) for by in ("category", "month", "site", "language")]
        stats += [monthly_counts_by_category(db, flt), field_coverage(db, flt)]
    return stats


def stored_counts(db: Any) -> dict[str, dict[str, Any]]:
    """The count documents without zeros (an article moved away leaves a zero behind)."""
    documents = {}
    for doc in db[COUNTS].find({"_id": {"$ne": STATE_ID}}):
        amounts = {k: v for k, v in doc.items() if isinstance(v, int) and v}
        if amounts:
            documents[doc["_id"]] = amounts
    return documents


def test_counts_follow_writes_and_equal_the_aggregations(db):
    ensure_indexes(db)
    ensure_counts(db)
    items = generated(240)
    write_articles(db, items[:160], now=NOW)
    write_articles(db, items[100:], now=NOW + timedelta(hours=1))  # 60 again, 80 new
    write_articles(db, items[100:], now=NOW + timedelta(hours=2))  # a retried batch
    revised = []
    for i, item in enumerate(items[:60]):
        change = dict(item, body=item["body"] + " Correction.")
        if i % 2:
            change.update(categories=["Corrections"], language="fa", site=SITES[0])
        if i % 3 == 0:
            change["published_at"] = datetime(2021, 12, 31, 23, 0, tzinfo=timezone.utc)
        if i % 5 == 0:
            change.pop("lead", None)
            change["tags"] = []
        revised.append(change)
    write_articles(db, revised, now=NOW + timedelta(days=1))
    listings = {item["url"]: ["Listed", "World"] for item in items[::9]}
    assert add_listings(db, listings) > 0
    add_listings(db, listings)  # nothing new: nothing counted

    assert counts_complete(db)
    from_counts = all_stats(db)
    incremental = stored_counts(db)
    db[COUNTS].update_one({"_id": STATE_ID}, {"$set": {"complete": False}})
    from_articles = all_stats(db)
    assert from_counts == from_articles
    without_categories = [i for i in range(0, 240, 9) if not (i < 60 and i % 2)]
    assert dict(counts_by(db, ArticleFilter(), "category"))["Listed"] == len(without_categories)
    assert dict(counts_by(db, ArticleFilter(), "category"))["Corrections"] == 30

    assert build_counts(db) == 240
    assert stored_counts(db) == incremental


def test_counts_answer_when_complete_and_are_built_for_a_store_without_them(db):
    ensure_indexes(db)
    write_articles(db, generated(30), now=NOW)  # no counts: the aggregations answer
    expected = all_stats(db)
    ensure_counts(db)
    assert db[COUNTS].find_one({"_id": STATE_ID})["complete"] is True
    assert all_stats(db) == expected

    politics = db[COUNTS].find_one({"kind": "category", "category": "Politics"})
    db[COUNTS].update_one({"_id": politics["_id"]}, {"$inc": {"n": 1000}})
    assert dict(counts_by(db, ArticleFilter(), "category"))["Politics"] > 1000
    ensure_counts(db, rebuild=True)
    assert all_stats(db) == expected


def test_tally_counts_each_category_and_filled_field_once():
    from ingest.store.counts import tally

    doc = {"site": "s", "language": "en", "published_month": "2024-02",
           "categories": ["A", "B", "A"], "title": "T", "lead": "", "tags": []}
    counted = tally(doc)
    assert Counter({k: v for k, v in counted.items() if k[1] == "n"}) == Counter({
        ('["category", "s", "en", "2024-02", "A"]', "n"): 2,
        ('["category", "s", "en", "2024-02", "B"]', "n"): 1})
    cell = '["cell", "s", "en", "2024-02"]'
    assert counted[(cell, "filled_title")] == 1 and counted[(cell, "filled_lead")] == 0
    assert counted[(cell, "filled_tags")] == 0 and counted[(cell, "articles")] == 1

