import asyncio
import json

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem

from conftest import project_crawler
from ingest.items import ArticleItem
from ingest.store.client import ARTICLES, RUNS
from ingest.store.crawlstore import CrawlStore, articles_durable
from ingest.serverprocess import free_port
from pipelines.captions import CaptionsPipeline
from pipelines.dedupe import DedupePipeline
from pipelines.mongo import MongoPipeline
from pipelines.normalize import NormalizeTextPipeline
from pipelines.validate import ValidatePipeline


class StubSpider(Spider):
    name = "stub"
    crawl_id = "test-run-1"


def make_crawler(**settings):
    crawler = project_crawler(StubSpider, **settings)
    crawler.spider = StubSpider()
    return crawler


def item(**fields):
    base = dict(url="https://news.example/a/", canonical_url="https://news.example/a/",
                title="A title", body=" ".join(["word"] * 20), captions=[], authors=[],
                categories=["News"], tags=[], listed_in=[], site="example")
    base.update(fields)
    return ArticleItem(**base)


def test_normalize_fixes_and_counts():
    crawler = make_crawler()
    pipeline = NormalizeTextPipeline.from_crawler(crawler)
    result = pipeline.process_item(item(
        title="Cafe\u0301 &amp; Co\u200b",
        body="One\u00a0 two\n\n\n  three\u200b four",
        categories=["News", "News ", "Women"],
        captions=[{"text": " A  caption\u200b", "alt": "", "credit": None, "image_url": None}],
    ))
    assert result["title"] == "Café & Co"
    assert result["body"] == "One two\n\nthree four"
    assert result["categories"] == ["News", "Women"]
    assert result["captions"][0]["text"] == "A caption"
    assert result["captions"][0]["alt"] is None
    stats = crawler.stats.get_stats()
    assert stats["normalize/fixed/title"] == 1
    assert stats["normalize/fixed/body"] == 1


@pytest.mark.parametrize("fields,reason", [
    ({"title": ""}, "missing_title"),
    ({"body": ""}, "missing_body"),
    ({"body": "Too short."}, "short_body"),
])
def test_validate_drops_with_a_counted_reason(fields, reason):
    crawler = make_crawler()
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem):
        pipeline.process_item(item(**fields))
    assert crawler.stats.get_value(f"validate/dropped/{reason}") == 1


def test_validate_passes_articles_and_counts_words():
    result = ValidatePipeline.from_crawler(make_crawler()).process_item(item())
    assert result["word_count"] == 20


def test_captions_collapse_duplicates_and_leave_the_body():
    crawler = make_crawler()
    caption = "Families lay flowers at the cemetery in Tehran"
    result = CaptionsPipeline.from_crawler(crawler).process_item(item(
        body=f"First paragraph of text.\n\n{caption}.\n\nLast paragraph of text.",
        captions=[{"text": caption, "alt": caption + " 3", "image_url": "x.jpg", "credit": None},
                  {"text": caption + ".", "alt": None, "image_url": "x.jpg", "credit": None},
                  {"text": caption, "alt": None, "image_url": "y.jpg", "credit": None}],
    ))
    assert [c["image_url"] for c in result["captions"]] == ["x.jpg", "y.jpg"]
    assert result["body"] == "First paragraph of text.\n\nLast paragraph of text."
    assert crawler.stats.get_value("captions/dropped/duplicate") == 1


def test_dedupe_within_a_run():
    crawler = make_crawler()
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.process_item(item())
    with pytest.raises(DropItem):
        pipeline.process_item(item(url="https://news.example/?p=1"))
    assert crawler.stats.get_value("dedupe/dropped") == 1


def test_mongo_pipeline_buffers_and_flushes_on_close(mongo_uri, database_name, db):
    crawler = make_crawler(MONGO_URI=mongo_uri, MONGO_DATABASE=database_name, MONGO_BUFFER_SIZE=2)
    pipeline = MongoPipeline.from_crawler(crawler)
    pipeline.open_spider()

    async def feed():
        for n in range(3):
            await pipeline.process_item(item(canonical_url=f"https://news.example/{n}/"))
        assert len(pipeline.writes) == 1  # the full buffer is written in the background
        await asyncio.gather(*pipeline.writes)
        assert db[ARTICLES].count_documents({}) == 2 and pipeline.in_flight == 0  # one pending
        await pipeline.close_spider()

    asyncio.run(feed())
    assert db[ARTICLES].count_documents({}) == 3
    pipeline.spider_closed(crawler.spider, "finished")
    run = db[RUNS].find_one({"_id": "test-run-1"})
    assert run["status"] == "finished" and run["counts"]["new"] == 3


def test_mongo_pipeline_tells_how_far_accepted_articles_are_durable(mongo_uri, database_name, db):
    """What a shared crawl's leases wait for; an idle crawl writes what it holds."""
    crawler = make_crawler(MONGO_URI=mongo_uri, MONGO_DATABASE=database_name, MONGO_BUFFER_SIZE=2)
    pipeline = MongoPipeline.from_crawler(crawler)
    pipeline.open_spider()
    store = crawler.get_extension(CrawlStore)
    durable: list[int] = []
    crawler.signals.connect(lambda upto: durable.append(upto), signal=articles_durable, weak=False)

    async def feed():
        for n in range(3):
            await pipeline.process_item(item(canonical_url=f"https://news.example/{n}/"))
        await asyncio.gather(*pipeline.writes)
        assert (store.accepted, durable) == (3, [2])
        pipeline.spider_idle(crawler.spider)
        await asyncio.gather(*pipeline.writes)
        assert durable == [2, 3]
        assert db[ARTICLES].count_documents({}) == 3
        await pipeline.close_spider()

    asyncio.run(feed())
    pipeline.spider_closed(crawler.spider, "finished")


def test_store_outage_dead_letters_instead_of_dropping(tmp_path):
    dead_port = free_port()
    crawler = make_crawler(MONGO_URI=f"mongodb://127.0.0.1:{dead_port}/?serverSelectionTimeoutMS=200",
                           MONGO_RETRY_SECONDS=1, DEAD_LETTER_DIR=str(tmp_path))
    pipeline = MongoPipeline.from_crawler(crawler)
    from ingest.store.client import connect

    pipeline.store.client = connect(pipeline.store.uri, serverSelectionTimeoutMS=200)
    pipeline.store.db = pipeline.store.client["news"]
    pipeline.buffer = [dict(item(canonical_url=f"https://news.example/{n}/")) for n in range(4)]
    asyncio.run(pipeline.close_spider())
    lines = (tmp_path / "test-run-1.jsonl").read_text().splitlines()
    assert [json.loads(line)["article"]["canonical_url"] for line in lines] == [
        f"https://news.example/{n}/" for n in range(4)]
    assert crawler.stats.get_value("mongo/dead_lettered") == 4
    assert crawler.stats.get_value("mongo/write_retries") >= 1


def test_oversized_fields_are_capped_and_counted():
    crawler = make_crawler(INGEST_MAX_FIELD_CHARS=1000)
    result = ValidatePipeline.from_crawler(crawler).process_item(item(body="word " * 5000))
    assert len(result["body"]) == 1000
    assert crawler.stats.get_value("validate/truncated/body") == 1


def unsafe_keys(value) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value if "." in k or k.startswith("$")] + \
            [bad for v in value.values() for bad in unsafe_keys(v)]
    return [bad for v in value for bad in unsafe_keys(v)] if isinstance(value, list) else []


def test_odd_and_oversized_documents_are_stored_safely_or_dead_lettered(mongo_uri, database_name, db, tmp_path,
                                                                        figure):
    crawler = make_crawler(MONGO_URI=mongo_uri, MONGO_DATABASE=database_name, DEAD_LETTER_DIR=str(tmp_path))
    pipeline = MongoPipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.buffer = [dict(item(canonical_url=f"https://news.example/{n}/")) for n in range(3)]
    pipeline.buffer[1]["body"] = "x" * (20 * 1024 * 1024)
    pipeline.buffer[2]["captions"] = [{"text": "t", "image.url": "https://news.example/i.jpg",
                                       "$where": "sleep(1)", "credit": {"by.line": "A", "$gt": ""}}]
    asyncio.run(pipeline.close_spider())
    assert db[ARTICLES].count_documents({}) == 2
    dead = [json.loads(line) for line in (tmp_path / "test-run-1.jsonl").read_text().splitlines()]
    assert [d["article"]["canonical_url"] for d in dead] == ["https://news.example/1/"]
    assert crawler.stats.get_value("mongo/dead_lettered") == 1
    stored = db[ARTICLES].find_one({"canonical_url": "https://news.example/2/"})
    assert stored["captions"][0]["image_url"] == "https://news.example/i.jpg"
    bad = [key for doc in db[ARTICLES].find({}) for key in unsafe_keys(doc)]
    assert bad == []
    figure(f"20 MB body and keys with '.'/'$': 0 crashes, 1 dead-lettered, 2 stored, {len(bad)} unsafe keys stored")


def test_write_concern_comes_from_settings(mongo_uri, database_name, db):
    crawler = make_crawler(MONGO_URI=mongo_uri, MONGO_DATABASE=database_name,
                           MONGO_WRITE_CONCERN="majority", MONGO_JOURNAL=True)
    pipeline = MongoPipeline.from_crawler(crawler)
    pipeline.open_spider()
    assert pipeline.db.write_concern.document == {"w": "majority", "j": True}
    pipeline.spider_closed(crawler.spider, "finished")
