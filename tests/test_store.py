from datetime import datetime, timedelta, timezone

from ingest.store.articles import backfill_published_keys, content_hash, write_articles
from ingest.store.client import ARTICLES, REVISIONS, ensure_indexes, redact_uri
from ingest.store.queries import (
    ArticleFilter, corpus_summary, counts_by, revisions_of, search_articles,
)
from ingest.store.times import as_datetime

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def article(key: str, body: str = "First paragraph.\n\nSecond paragraph.", **extra):
    doc = {
        "canonical_url": f"https://news.example/{key}/", "url": f"https://news.example/{key}/",
        "site": "example", "title": f"Title {key}", "body": body, "captions": [],
        "categories": ["News"], "listed_in": ["News"], "published_at": T0 - timedelta(days=1),
        "published_raw": "raw", "fetched_at": T0,
    }
    doc.update(extra)
    return doc


def test_new_unchanged_changed_and_one_revision(db):
    ensure_indexes(db)
    first = write_articles(db, [article("a"), article("b")], now=T0)
    assert (first.new, first.changed, first.unchanged) == (2, 0, 0)

    later = T0 + timedelta(hours=1)
    again = write_articles(db, [article("a", listed_in=["Reports"]), article("b")], now=later)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    stored = db[ARTICLES].find_one({"canonical_url": "https://news.example/a/"})
    assert as_datetime(stored["first_seen_at"]) == T0
    assert as_datetime(stored["last_seen_at"]) == later
    assert as_datetime(stored["last_changed_at"]) == T0
    assert stored["listed_in"] == ["News", "Reports"]
    assert "published_raw" not in stored and "fetched_at" not in stored

    edited = write_articles(db, [article("a", body="First paragraph.\n\nA correction.")],
                            now=later + timedelta(hours=1))
    assert (edited.new, edited.changed) == (0, 1)
    assert db[ARTICLES].count_documents({}) == 2
    revisions = revisions_of(db, "https://news.example/a/")
    assert len(revisions) == 1
    assert revisions[0]["body"] == "First paragraph.\n\nSecond paragraph."
    assert revisions[0]["revision"] == 1
    current = db[ARTICLES].find_one({"canonical_url": "https://news.example/a/"})
    assert current["revision"] == 2 and current["body"].endswith("A correction.")
    assert current["content_hash"] == content_hash(current)


def test_retrying_a_batch_is_idempotent(db):
    ensure_indexes(db)
    write_articles(db, [article("a")], now=T0)
    changed = article("a", body="Changed body text here.")
    write_articles(db, [changed], now=T0)
    # The same batch again (as after a retry): no second revision, no duplicate.
    result = write_articles(db, [changed], now=T0)
    assert result.unchanged == 1
    assert db[REVISIONS].count_documents({}) == 1
    assert db[ARTICLES].count_documents({}) == 1


def test_dates_keep_their_type(db):
    ensure_indexes(db)
    write_articles(db, [article("a")], now=T0)
    stored = db[ARTICLES].find_one({})
    assert isinstance(stored["published_at"], datetime)
    assert db[ARTICLES].count_documents({"published_at": {"$gte": T0 - timedelta(days=2)}}) == 1


def test_summary(db):
    ensure_indexes(db)
    captioned = article("b", captions=[{"text": "A caption", "alt": None, "credit": None,
                                        "image_url": "https://news.example/b.jpg"}],
                        published_at=T0 - timedelta(days=3))
    write_articles(db, [article("a", categories=["News", "Women"]), captioned], now=T0)
    summary = corpus_summary(db)
    assert summary["sample"]["canonical_url"] == "https://news.example/b/"  # has a caption
    assert summary["articles"] == 2
    assert dict(summary["categories"]) == {"News": 2, "Women": 1}
    assert summary["published_from"] == T0 - timedelta(days=3)


def test_redact_uri_hides_password():
    assert redact_uri("mongodb://user:s3cret@db.example:27017/news") == "mongodb://***@db.example:27017/news"
    assert "s3cret" not in redact_uri("mongodb+srv://u:s3cret@cluster.example/")


def test_indexes_can_be_ensured_on_a_filled_store(db):
    ensure_indexes(db)
    write_articles(db, [article("a", body="Sanctions hit the currency market hard")], now=T0)
    ensure_indexes(db)  # every run starts with this
    found = list(db[ARTICLES].find({"$text": {"$search": "sanctions"}}, {"canonical_url": 1}))
    assert [d["canonical_url"] for d in found] == ["https://news.example/a/"]


def test_odd_field_names_are_made_safe(db):
    ensure_indexes(db)
    odd = article("odd", captions=[{"text": "c", "a.b": 1, "$where": "x", "image_url": None}])
    result = write_articles(db, [odd], now=T0)
    assert result.new == 1
    stored = db[ARTICLES].find_one({"canonical_url": "https://news.example/odd/"})
    assert stored["captions"][0] == {"text": "c", "a_b": 1, "where": "x", "image_url": None}


def test_late_listings_are_added_by_url_or_canonical_url_in_batches(db, monkeypatch):
    import ingest.store.articles as articles

    monkeypatch.setattr(articles, "LOOKUP_CHUNK", 2)  # several lookup rounds on a few articles
    ensure_indexes(db)
    docs = [article(str(n)) for n in range(5)]
    docs[1]["url"] = "https://news.example/?p=1"  # found by its permalink (the canonical URL)
    docs[2]["categories"] = []
    write_articles(db, docs, now=T0)
    listings = {"https://news.example/0/": {"Reports"}, "https://news.example/1/": {"Economy"},
                "https://news.example/2/": {"Opinion"}, "https://news.example/3/": {"News"},
                "https://news.example/?p=4": {"Women"}, "https://news.example/4/": {"Women"}}
    changed = articles.add_listings(db, listings)  # added as sets: order is the order of adding
    stored = {d["title"]: d for d in db[ARTICLES].find({})}
    assert changed == 4  # article 3 was listed in News already; ?p=4 is no stored URL
    assert sorted(stored["Title 0"]["listed_in"]) == ["News", "Reports"]
    assert sorted(stored["Title 1"]["listed_in"]) == ["Economy", "News"]
    assert sorted(stored["Title 2"]["listed_in"]) == ["News", "Opinion"]
    assert sorted(stored["Title 2"]["categories"]) == ["News", "Opinion"]
    assert sorted(stored["Title 3"]["listed_in"]) == ["News"]
    assert sorted(stored["Title 4"]["listed_in"]) == ["News", "Women"]


def test_lookups_by_url_use_the_indexes_and_find_what_in_finds(db):
    """Stored articles are looked up by URL per write batch: on the embedded server, whose $in
    scans the collection, one equality query per URL on an index."""
    from ingest.store.client import find_by_values, is_embedded_server

    ensure_indexes(db)
    write_articles(db, [article(f"k{i}", url=f"https://news.example/k{i}/?from=feed") for i in range(30)], now=T0)
    wanted = [f"https://news.example/k{i}/" for i in range(0, 40, 3)]  # some stored, some not
    for field, values in (("canonical_url", wanted), ("url", [w + "?from=feed" for w in wanted])):
        found = sorted(d["_id"] for d in find_by_values(db[ARTICLES], field, values, {"_id": 1}))
        assert found == sorted(d["_id"] for d in db[ARTICLES].find({field: {"$in": values}}, {"_id": 1}))
        assert len(found) == 10
        if is_embedded_server(db):
            plan = db[ARTICLES].find({field: values[0]}).explain()
            assert "USING INDEX" in str(plan["queryPlanner"]["winningPlan"])
    assert list(find_by_values(db[ARTICLES], "url", [])) == []


def test_published_copies_are_written_and_backfilled(db):
    """published_ms and published_month follow published_at through writes; articles
    stored without them get them from the backfill, and date filters then find them."""
    ensure_indexes(db)
    when = datetime(2024, 3, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
    write_articles(db, [article("a", published_at=when), article("b", published_at=None)], now=T0)
    stored = db[ARTICLES].find_one({"canonical_url": "https://news.example/a/"})
    assert (stored["published_ms"], stored["published_month"]) == (1711929599999, "2024-03")
    undated = db[ARTICLES].find_one({"canonical_url": "https://news.example/b/"})
    assert "published_ms" not in undated and "published_month" not in undated

    write_articles(db, [article("a", published_at=when + timedelta(milliseconds=1))], now=T0)
    stored = db[ARTICLES].find_one({"canonical_url": "https://news.example/a/"})
    assert (stored["published_ms"], stored["published_month"]) == (1711929600000, "2024-04")

    db[ARTICLES].update_one({"_id": stored["_id"]},  # as stored before these fields existed
                            {"$unset": {"published_ms": "", "published_local_ms": "",
                                        "published_month": "", "published_local": "",
                                        "published_zone": ""}})
    april = ArticleFilter(published_from=datetime(2024, 4, 1, tzinfo=timezone.utc))
    april_days = ArticleFilter.from_params({"from": "2024-04-01"})
    assert search_articles(db, april).total == 0
    assert search_articles(db, april_days).total == 0
    assert backfill_published_keys(db) == 1
    assert backfill_published_keys(db) == 0
    assert search_articles(db, april).total == 1
    assert search_articles(db, april_days).total == 1
    assert counts_by(db, ArticleFilter(), "month") == [("2024-04", 1)]
    stored = db[ARTICLES].find_one({"canonical_url": "https://news.example/a/"})
    assert (stored["published_local"], stored["published_zone"]) == ("2024-04-01T00:00:00+00:00", "UTC")
