"""Real Scrapy crawls of the local demo site, through real pymongo, into a MongoDB-wire server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.demo.site import DemoServer, DemoSite
from ingest.store.client import ARTICLES, REVISIONS, RUNS, connect
from ingest.store.times import as_datetime

ROOT = Path(__file__).resolve().parents[1]
SITE_NOISE = ("Recent Posts", "Generic selectors", "Exact matches only", "Filter by Categories",
              "Share this", "Related")


def crawl(base_url: str, mongo_uri: str, database: str, data_dir: Path, *extra: str
          ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", base_url,
               "--all-categories", "--mongo-uri", mongo_uri, "--database", database,
               "--data-dir", str(data_dir), "--log-level", "INFO", *extra]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def demo():
    site = DemoSite(n_articles=320)
    with DemoServer(site) as server:
        yield site, server


@pytest.fixture(scope="module")
def store(mongo_uri, tmp_path_factory):
    client = connect(mongo_uri)
    name = "e2e_demo"
    client.drop_database(name)
    yield client[name], name
    client.drop_database(name)
    client.close()


@pytest.fixture(scope="module")
def first_crawl(demo, store, mongo_uri, tmp_path_factory):
    site, server = demo
    db, name = store
    data_dir = tmp_path_factory.mktemp("crawl-data")
    crawl(server.base_url, mongo_uri, name, data_dir)
    stored = {doc["source_id"]: doc for doc in db[ARTICLES].find({})}
    expected = {str(article["id"]): article for article in site.expected()}
    return site, server, db, name, data_dir, stored, expected


def test_every_article_is_stored_once_with_its_categories(first_crawl):
    site, server, db, name, data_dir, stored, expected = first_crawl
    assert len(expected) >= 300
    assert db[ARTICLES].count_documents({}) == len(expected)
    assert set(stored) == set(expected)
    for key, truth in expected.items():
        doc = stored[key]
        assert doc["categories"] == truth["categories"], doc["url"]
        assert sorted(doc["listed_in"]) == sorted(truth["categories"]), doc["url"]
        assert doc["title"] == truth["title"]
        assert doc["language"] == truth["language"]


def test_bodies_are_the_article_text_only(first_crawl):
    *_, stored, expected = first_crawl
    for key, truth in expected.items():
        body = stored[key]["body"]
        assert body == "\n\n".join(truth["paragraphs"]), stored[key]["url"]
        for noise in SITE_NOISE:
            assert noise not in body
        for caption in truth["captions"]:
            assert caption["text"] not in body
            if caption["alt"]:
                assert caption["alt"] not in body


def test_captions_and_dates(first_crawl):
    *_, stored, expected = first_crawl
    with_captions = 0
    for key, truth in expected.items():
        doc = stored[key]
        got = [(c["text"], c["alt"], c["credit"]) for c in doc["captions"]]
        want = [(c["text"], c["alt"], c["credit"]) for c in truth["captions"]]
        assert got == want, doc["url"]
        for caption, true_caption in zip(doc["captions"], truth["captions"]):
            assert caption["image_url"].endswith(true_caption["image_path"])
        with_captions += bool(want)
        assert as_datetime(doc["published_at"]) == truth["published_at"], doc["url"]
    assert with_captions > 50
    persian = [k for k, t in expected.items() if t["language"] == "fa"]
    assert persian and all(stored[k]["date_source"] == "text" for k in persian)


def test_local_dates_drive_day_filters_month_counts_and_exports(first_crawl, mongo_uri, tmp_path):
    """The demo site publishes in Tehran (+03:30/+04:30): an article at 01:00 there is the
    previous day in UTC. The store keeps the site's own date beside the UTC instant, and a
    YYYY-MM-DD filter, the month counts and the exports go by the site's day."""
    import csv
    import json
    from collections import Counter

    import pyarrow.parquet as pq

    from ingest.demo.site import TEHRAN
    from ingest.store.exports import export_articles
    from ingest.store.queries import ArticleFilter, counts_by, search_articles

    site, server, db, name, data_dir, stored, expected = first_crawl
    for key, truth in expected.items():
        local = truth["published_at"].astimezone(TEHRAN)
        assert stored[key]["published_local"] == local.isoformat(), stored[key]["url"]
        assert stored[key]["published_zone"] in ("page", "Asia/Tehran")
        assert stored[key]["published_month"] == local.strftime("%Y-%m")
    shifted = [k for k, t in expected.items()
               if t["published_at"].astimezone(TEHRAN).date() != t["published_at"].date()]
    assert shifted, "the demo site has articles whose Tehran day is not their UTC day"

    key = shifted[0]
    local_day = expected[key]["published_at"].astimezone(TEHRAN).date()
    url = stored[key]["canonical_url"]

    def found(day) -> bool:
        flt = ArticleFilter.from_params({"from": day.isoformat(), "to": day.isoformat()})
        return url in {item["canonical_url"] for item in search_articles(db, flt, per_page=1000).items}

    assert found(local_day) and not found(expected[key]["published_at"].date())
    command = [sys.executable, "-m", "ingest", "search", "--from", local_day.isoformat(),
               "--to", local_day.isoformat(), "--json", "--per-page", "1000",
               "--mongo-uri", mongo_uri, "--database", name]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    listed = json.loads(result.stdout)["items"]
    assert url in {item["canonical_url"] for item in listed}
    assert {item["published_local"][:10] for item in listed} == {local_day.isoformat()}

    months = Counter(t["published_at"].astimezone(TEHRAN).strftime("%Y-%m") for t in expected.values())
    assert dict(counts_by(db, ArticleFilter(), "month")) == dict(months)
    assert months != Counter(t["published_at"].strftime("%Y-%m") for t in expected.values())

    fields = ["canonical_url", "published_at", "published_local", "published_zone"]
    day = ArticleFilter.from_params({"from": local_day.isoformat(), "to": local_day.isoformat()})
    exported = {}
    out = tmp_path / "day.jsonl"
    command = [sys.executable, "-m", "ingest", "export", "--format", "jsonl", "--output", str(out),
               "--from", local_day.isoformat(), "--to", local_day.isoformat(),
               "--fields", ",".join(fields), "--mongo-uri", mongo_uri, "--database", name]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    exported["jsonl"] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    export_articles(db, day, "csv", tmp_path / "day.csv", fields)
    exported["csv"] = list(csv.DictReader((tmp_path / "day.csv").open(encoding="utf-8")))
    export_articles(db, day, "parquet", tmp_path / "day.parquet", fields)
    exported["parquet"] = pq.read_table(tmp_path / "day.parquet").to_pylist()
    for fmt, rows in exported.items():
        assert [r["canonical_url"] for r in rows] == [item["canonical_url"] for item in listed], fmt
        row = next(r for r in rows if r["canonical_url"] == url)
        assert (row["published_local"], row["published_zone"]) == (
            stored[key]["published_local"], stored[key]["published_zone"]), fmt


def test_run_record(first_crawl):
    site, server, db, name, data_dir, stored, expected = first_crawl
    run = db[RUNS].find_one({"site": "demo"})
    assert run["status"] == "finished"
    assert run["counts"]["new"] == len(expected)
    assert as_datetime(run["finished_at"]) >= as_datetime(run["started_at"])


def test_recrawl_adds_nothing_and_an_edit_makes_one_revision(first_crawl, mongo_uri):
    site, server, db, name, data_dir, stored, expected = first_crawl
    before = server.requests_served
    crawl(server.base_url, mongo_uri, name, data_dir)  # incremental: stored articles skipped
    assert db[ARTICLES].count_documents({}) == len(expected)
    assert db[REVISIONS].count_documents({}) == 0
    incremental = db[RUNS].find_one({"site": "demo"}, sort=[("started_at", -1)])
    assert incremental["counts"]["new"] == 0
    categories = len(site.categories)
    assert server.requests_served - before <= 1 + 1 + 2 * categories  # robots, menu, 2 pages each

    edited = site.articles[5]
    site.edit_article(edited.id, "An added paragraph: the correction published later.")
    crawl(server.base_url, mongo_uri, name, data_dir, "--full")
    assert db[ARTICLES].count_documents({}) == len(expected)
    full = db[RUNS].find_one({"site": "demo"}, sort=[("started_at", -1)])
    assert full["counts"]["unchanged"] == len(expected) - 1 and full["counts"]["changed"] == 1
    revisions = list(db[REVISIONS].find({}))
    assert len(revisions) == 1
    doc = db[ARTICLES].find_one({"source_id": str(edited.id)})
    assert revisions[0]["canonical_url"] == doc["canonical_url"]
    assert doc["revision"] == 2
    assert doc["body"].endswith("An added paragraph: the correction published later.")
    assert not revisions[0]["body"].endswith("An added paragraph: the correction published later.")


def test_incremental_run_fetches_new_articles_and_recent_edits(first_crawl, mongo_uri):
    """New articles appear and recent ones are edited between runs: the next run fetches a
    few pages and stores exactly the new articles plus one revision per edited article."""
    site, server, db, name, data_dir, stored, expected = first_crawl
    crawl(server.base_url, mongo_uri, name, data_dir)  # settle the previous test's state
    recent = site.add_articles(4)
    crawl(server.base_url, mongo_uri, name, data_dir)
    revisions_before = db[REVISIONS].count_documents({})
    total_before = db[ARTICLES].count_documents({})

    newer = site.add_articles(3)
    for article in recent[:2]:
        site.edit_article(article.id, "Update: officials later confirmed the figures.")
    before = server.requests_served
    crawl(server.base_url, mongo_uri, name, data_dir)
    fetched = server.requests_served - before

    assert db[ARTICLES].count_documents({}) == total_before + len(newer)
    for article in newer:
        assert db[ARTICLES].count_documents({"source_id": str(article.id)}) == 1
    assert db[REVISIONS].count_documents({}) == revisions_before + 2
    run = db[RUNS].find_one({"site": "demo"}, sort=[("started_at", -1)])
    assert run["counts"]["new"] == len(newer) and run["counts"]["changed"] == 2
    listing_pages = run["counts"]["listing_pages"]
    assert listing_pages <= 2 * len(site.categories)
    # robots.txt, the menu, the listing pages, the new articles and the recent ones re-checked
    assert fetched <= 2 + listing_pages + len(newer) + len(recent)


def test_generic_wordpress_profile_needs_only_a_category_url(demo, mongo_uri, tmp_path):
    """No site profile of its own: the generic WordPress one, one category, two pages."""
    site, server = demo
    category = next(c for c in site.categories if c.slug == "economy")
    name = "e2e_generic"
    client = connect(mongo_uri)
    client.drop_database(name)
    try:
        command = [sys.executable, "-m", "ingest", "crawl", "--site", "wordpress",
                   "--start-url", server.base_url + category.path, "--max-pages", "2",
                   "--mongo-uri", mongo_uri, "--database", name, "--data-dir", str(tmp_path),
                   "--set", "AUTOTHROTTLE_ENABLED=false", "--log-file", str(tmp_path / "logs" / "run.log")]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        log = (tmp_path / "logs" / "run.log").read_text()
        assert "Spider closed (finished)" in log and "Spider closed (finished)" in result.stderr
        first_pages = site.listing(category)[: 2 * site.per_page]
        stored = {d["source_id"]: d for d in client[name][ARTICLES].find({})}
        assert set(stored) == {str(a.id) for a in first_pages}
        for article in first_pages:
            doc = stored[str(article.id)]
            assert doc["title"] == article.title
            assert doc["body"] == "\n\n".join(article.paragraphs)
            assert "Economy" in doc["listed_in"]
    finally:
        client.drop_database(name)
        client.close()


def test_a_graceful_stop_loses_nothing(demo, mongo_uri, tmp_path):
    """SIGTERM mid-crawl: Scrapy closes the spider and every extracted article is stored."""
    import signal
    import time

    site, server = demo
    name = "e2e_sigterm"
    client = connect(mongo_uri)
    client.drop_database(name)
    command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", server.base_url,
               "--all-categories", "--mongo-uri", mongo_uri, "--database", name,
               "--data-dir", str(tmp_path), "--set", "DOWNLOAD_DELAY=0.05",
               "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "--set", "MONGO_BUFFER_SIZE=1000"]
    served_before = server.requests_served
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.requests_served - served_before < 80:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
        run = client[name][RUNS].find_one({})
        assert run is not None, stderr[-2000:]
        assert run["finish_reason"] == "shutdown"
        extracted = run["counts"]["articles_extracted"]
        assert 0 < extracted < len(site.articles)
        assert client[name][ARTICLES].count_documents({}) == extracted == run["counts"]["new"]
        assert process.returncode != 0  # an interrupted run is not a success for a scheduler
    finally:
        if process.poll() is None:
            process.kill()
        client.drop_database(name)
        client.close()


@pytest.mark.parametrize("entry", ["rest", "sitemap", "feed"])
def test_other_entry_points(demo, mongo_uri, tmp_path, entry):
    """The REST API and sitemaps reach every article (REST with the CMS's exact GMT dates and
    category names); the RSS feed reaches the newest ten. Captions still come from pages."""
    site, server = demo
    name = f"e2e_{entry}"
    client = connect(mongo_uri)
    client.drop_database(name)
    try:
        result = crawl(server.base_url, mongo_uri, name, tmp_path, "--entry", entry)
        docs = {d["source_id"]: d for d in client[name][ARTICLES].find({})}
        truth = {str(t["id"]): t for t in site.expected()}
        wanted = [str(a.id) for a in site.newest(10)] if entry == "feed" else list(truth)
        assert sorted(docs) == sorted(wanted), result.stderr[-2000:]
        for key in wanted:
            doc, expected = docs[key], truth[key]
            assert [c["text"] for c in doc["captions"]] == [c["text"] for c in expected["captions"]]
            assert doc["categories"] == expected["categories"]
            if entry != "sitemap":  # sitemaps name no categories
                assert sorted(doc["listed_in"]) == sorted(expected["categories"])
            if entry == "rest":
                assert doc["date_source"] == "rest-api"
                assert as_datetime(doc["published_at"]) == expected["published_at"]
    finally:
        client.drop_database(name)
        client.close()
