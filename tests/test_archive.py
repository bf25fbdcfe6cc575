"""The crawl's WARC archive: real crawls of the local demo site through real Scrapy into the
embedded store; the archived records read back with warcio and checked by its CLI."""

from __future__ import annotations

import gzip
import json
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from ingest.archive.reader import ArchivedPage, Problem, read_page, read_pages
from ingest.archive.writer import Exchange, RecordRef, RotatingWarcWriter, header_pairs
from ingest.demo.site import DemoServer, DemoSite
from ingest.distributed.localserver import LocalRedis
from ingest.store.articles import published_keys
from ingest.store.client import ARTICLES, RUNS, connect

ROOT = Path(__file__).resolve().parents[1]
WARCIO = [sys.executable, "-m", "warcio.cli"]


def crawl_command(base_url: str, mongo_uri: str, database: str, data_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", base_url,
            "--all-categories", "--mongo-uri", mongo_uri, "--database", database,
            "--data-dir", str(data_dir), "--log-level", "WARNING", *extra]


def crawl(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(crawl_command(*args), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def warc_records(path: Path) -> list[tuple[str, str | None, dict[str, str]]]:
    """(type, target URI, WARC headers) of every record, read by warcio itself."""
    with open(path, "rb") as stream:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), dict(r.rec_headers.headers))
                for r in ArchiveIterator(stream)]


def ref_of(doc: dict) -> RecordRef:
    return RecordRef(**doc["archive"])


@pytest.fixture(scope="module")
def demo():
    site = DemoSite(n_articles=60, seed=41)
    with DemoServer(site) as server:
        yield site, server


@pytest.fixture(scope="module")
def archived_crawl(demo, mongo_uri, tmp_path_factory):
    """A crawl through listings, sitemaps and feeds, with small WARC files (rotation) and
    extraction in a worker process."""
    site, server = demo
    data_dir = tmp_path_factory.mktemp("archived")
    database = "archive_crawl"
    client = connect(mongo_uri)
    client.drop_database(database)
    crawl(server.base_url, mongo_uri, database, data_dir, "--entry", "listings,sitemap,feed,rest",
          "--set", "INGEST_WARC_MAX_SIZE=60000", "--set", "INGEST_EXTRACT_PROCESSES=1")
    yield site, server, client[database], data_dir
    client.drop_database(database)
    client.close()


def test_the_gzip_level_setting_trades_size_for_cpu_and_keeps_records_readable(tmp_path):
    words = random.Random(7).choices("the a of news city council said on report year people water".split(), k=6000)
    page = ("<html><body><p class='story'>" + " ".join(words) + "</p></body></html>").encode()
    exchange = Exchange("https://news.example/a/", "GET", [("Host", "news.example")], b"", 200,
                        "HTTP/1.1", [("Content-Type", "text/html; charset=utf-8")], page)
    sizes, pages = {}, {}
    for level in (1, 9):
        writer = RotatingWarcWriter(tmp_path / str(level), "run", 1 << 30, {"isPartOf": "run"}, level)
        refs = [writer.write(exchange) for _ in range(3)]
        writer.close()
        sizes[level] = Path(refs[0].warc_file).stat().st_size
        pages[level] = [read_page(ref).body for ref in refs]
        with open(refs[0].warc_file, "rb") as stream:  # warcio reads every member: warcinfo, response, request
            assert [record.rec_type for record in ArchiveIterator(stream)] == ["warcinfo"] + ["response", "request"] * 3
    assert pages[1] == pages[9] == [page] * 3
    assert sizes[1] > sizes[9]


def test_a_gzip_level_libdeflate_lacks_is_a_usage_error_not_a_crawl_without_archive(tmp_path):
    done = subprocess.run([sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--start-url",
                           "http://127.0.0.1:9/", "--data-dir", str(tmp_path), "--set", "INGEST_WARC_GZIP_LEVEL=13"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: INGEST_WARC_GZIP_LEVEL 13: libdeflate takes 0 to 12"


def test_records_are_laid_out_as_warcio_writes_them_and_pass_its_digest_check(tmp_path):
    """The writer builds response and request records itself: same headers in the same order
    as warcio's own writer gives, digests `warcio check` verifies, bodies read back as sent."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import BufferWARCWriter

    exchange = Exchange("https://news.example/a/?p=1", "POST", [("Host", "news.example"), ("X-Note", "d\u00e9j\u00e0")],
                        b"q=1", 200, "HTTP/1.1", [("Content-Type", "text/html"), ("X-Cafe", "cr\u00e8me")],
                        "<p>caf\u00e9</p>".encode())
    writer = RotatingWarcWriter(tmp_path, "run", 1 << 30, {"isPartOf": "run"})
    refs = [writer.write(exchange) for _ in range(2)]
    writer.close()
    check = subprocess.run([*WARCIO, "check", "-v", refs[0].warc_file], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and check.stdout.count("digest pass") == 5, check.stdout + check.stderr
    with open(refs[0].warc_file, "rb") as stream:
        ours = [(r.rec_type, r.rec_headers.headers, r.http_headers.to_str(), r.content_stream().read())
                for r in ArchiveIterator(stream) if r.rec_type != "warcinfo"]
    assert [body for *_, body in ours] == [exchange.body, exchange.request_body] * 2
    assert ours[1][1][5] == ("WARC-Concurrent-To", refs[0].record_id)

    reference = BufferWARCWriter(gzip=False)
    response = reference.create_warc_record(
        exchange.url, "response", payload=BytesIO(exchange.body), length=len(exchange.body),
        http_headers=StatusAndHeaders("200 OK", exchange.response_headers, protocol="HTTP/1.1"))
    request = reference.create_warc_record(
        exchange.url, "request", payload=BytesIO(exchange.request_body), length=3,
        http_headers=StatusAndHeaders("POST /a/?p=1 HTTP/1.1", exchange.request_headers, is_http_request=True))
    reference.write_request_response_pair(request, response)
    theirs = [(r.rec_type, r.rec_headers.headers, r.http_headers.to_str())
              for r in ArchiveIterator(reference.get_stream())]
    for (kind, headers, http, _), (their_kind, their_headers, their_http) in zip(ours, theirs):
        assert (kind, http) == (their_kind, their_http)
        different = {"WARC-Record-ID", "WARC-Date", "WARC-Concurrent-To"}
        assert [(k, v) for k, v in headers if k not in different] == \
            [(k, v) for k, v in their_headers if k not in different]
        assert [k for k, _ in headers] == [k for k, _ in their_headers]


def test_every_response_is_archived_with_its_request(archived_crawl):
    site, server, db, data_dir = archived_crawl
    run = db[RUNS].find_one()
    files = sorted((data_dir / "warc" / "demo").glob("*.warc.gz"))
    assert len(files) > 3  # rotated by size
    assert all(f.name.startswith(f"{run['_id']}-") and run["_id"].startswith("demo-") for f in files)
    records = [r for f in files for r in warc_records(f)]
    kinds = Counter(kind for kind, _, _ in records)
    assert kinds["warcinfo"] == len(files)  # one at the start of each file
    for f in files:
        kind, _, _ = warc_records(f)[0]
        assert kind == "warcinfo"
    info = gzip.open(files[0]).read(2000).decode()
    assert f"isPartOf: {run['_id']}" in info and "site demo" in info
    responses = [uri for kind, uri, _ in records if kind == "response"]
    assert len(responses) == run["stats"]["response_received_count"] == kinds["request"]
    assert any(u.endswith("/robots.txt") for u in responses)
    assert any("sitemap" in u for u in responses) and any(u.rstrip("/").endswith("/feed") for u in responses)
    assert any("/category/" in u for u in responses)  # listings
    assert any("/wp-json/" in u for u in responses)  # the REST API's answers
    assert sum(bool(site_url_is_article(u)) for u in responses) >= len(site.articles)
    requests = {uri: headers for kind, uri, headers in records if kind == "request"}
    assert set(requests) == set(responses)


def site_url_is_article(url: str) -> bool:
    from ingest.sites import load_profile

    return load_profile("demo").is_article_url(url)


def test_each_article_points_to_the_exact_bytes_it_was_made_from(archived_crawl):
    site, server, db, data_dir = archived_crawl
    docs = list(db[ARTICLES].find())
    assert len(docs) == len(site.articles)
    files = {d["archive"]["warc_file"] for d in docs}
    assert len(files) > 1  # the pointers span the rotated files
    for doc in docs:
        page = read_page(ref_of(doc))
        assert page.url == doc["url"] and page.status == 200
        with urllib.request.urlopen(doc["url"], timeout=10) as answer:
            assert page.body == answer.read()
        raw = Path(doc["archive"]["warc_file"]).read_bytes()
        member = raw[doc["archive"]["offset"]: doc["archive"]["offset"] + doc["archive"]["length"]]
        text = gzip.decompress(member)  # one whole gzip member: the record alone
        assert text.startswith(b"WARC/1.0\r\nWARC-Type: response")
        assert doc["archive"]["record_id"].encode() in text
        assert doc["extractor"] and doc["change_reason"] == "crawl"


def test_warcio_checks_the_crawls_files(archived_crawl):
    *_, data_dir = archived_crawl
    files = [str(f) for f in sorted((data_dir / "warc" / "demo").glob("*.warc.gz"))]
    check = subprocess.run([*WARCIO, "check", *files], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_setting_turns_archiving_off_another_moves_it(demo, mongo_uri, tmp_path):
    _, server = demo
    with connect(mongo_uri) as client:
        client.drop_database("archive_off")
        crawl(server.base_url, mongo_uri, "archive_off", tmp_path / "off", "--max-pages", "1",
              "--set", "INGEST_WARC_ENABLED=false")
        assert not (tmp_path / "off" / "warc").exists()
        docs = list(client["archive_off"][ARTICLES].find())
        assert docs and all(d.get("archive") is None for d in docs)

        client.drop_database("archive_elsewhere")
        crawl(server.base_url, mongo_uri, "archive_elsewhere", tmp_path / "data", "--max-pages", "1",
              "--set", f"INGEST_WARC_DIR={tmp_path / 'elsewhere'}")
        files = list((tmp_path / "elsewhere" / "demo").glob("*.warc.gz"))
        assert files and not (tmp_path / "data" / "warc").exists()
        docs = list(client["archive_elsewhere"][ARTICLES].find())
        assert docs and all(Path(d["archive"]["warc_file"]).parent == files[0].parent for d in docs)
        client.drop_database("archive_off")
        client.drop_database("archive_elsewhere")


def test_a_killed_crawl_leaves_readable_files_and_no_dangling_pointer(mongo_uri, tmp_path):
    site = DemoSite(n_articles=1500, seed=5)
    database = "archive_killed"
    with DemoServer(site) as server, connect(mongo_uri) as client:
        client.drop_database(database)
        articles = client[database][ARTICLES]
        process = subprocess.Popen(crawl_command(server.base_url, mongo_uri, database, tmp_path),
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 180
            while articles.count_documents({}) < 150 and time.monotonic() < deadline:
                assert process.poll() is None, "the crawl ended before it could be killed"
                time.sleep(0.1)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        docs = list(articles.find({}, {"url": 1, "archive": 1}))
        assert 150 <= len(docs) < len(site.articles)
        pages = 0
        for path in (tmp_path / "warc" / "demo").glob("*.warc.gz"):
            events = list(read_pages(path))
            problems = [e for e in events if isinstance(e, Problem)]
            assert all(p.kind == "truncated" for p in problems) and len(problems) <= 1
            pages += sum(isinstance(e, ArchivedPage) for e in events)
        assert pages >= len(docs)
        for doc in docs:  # the store never points to a record that is not whole on disk
            assert read_page(ref_of(doc)).url == doc["url"]
        client.drop_database(database)


def test_shared_crawl_workers_archive_each_in_their_own_files(mongo_uri, tmp_path):
    site = DemoSite(n_articles=200, seed=9)
    database = "archive_shared"
    with LocalRedis(tmp_path / "redis") as redis_server, DemoServer(site) as server, \
            connect(mongo_uri) as client:
        client.drop_database(database)
        workers = [subprocess.Popen(crawl_command(server.base_url, mongo_uri, database, tmp_path / f"w{i}",
                                                  "--redis-url", redis_server.url),
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for i in range(2)]
        try:
            for worker in workers:
                _, err = worker.communicate(timeout=300)
                assert worker.returncode == 0, err[-3000:]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.communicate()
        docs = list(client[database][ARTICLES].find({}, {"url": 1, "archive": 1}))
        assert len(docs) == len(site.articles)
        folders = {Path(d["archive"]["warc_file"]).parents[2].name for d in docs}
        assert folders == {"w0", "w1"}  # both workers fetched articles, each archived its own
        for doc in docs:
            assert read_page(ref_of(doc)).url == doc["url"]
        client.drop_database(database)


def test_export_writes_the_matching_archived_pages_to_a_warc_warcio_accepts(archived_crawl, mongo_uri, tmp_path):
    site, server, db, data_dir = archived_crawl
    category = site.expected()[0]["categories"][0]
    wanted = {d["canonical_url"] for d in db[ARTICLES].find({"categories": {"$in": [category]}})}
    output = tmp_path / "category.warc.gz"
    result = subprocess.run([sys.executable, "-m", "ingest", "export", "--format", "warc", "-o", str(output),
                             "--category", category, "--mongo-uri", mongo_uri, "--database", db.name],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    check = subprocess.run([*WARCIO, "check", str(output)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([*WARCIO, "index", str(output)], capture_output=True, text=True, timeout=60)
    assert index.returncode == 0, index.stderr
    rows = [json.loads(line) for line in index.stdout.splitlines()]
    assert [r["warc-type"] for r in rows[:1]] == ["warcinfo"]
    exported = {r["warc-target-uri"] for r in rows if r["warc-type"] == "response"}
    assert wanted and exported == wanted and len(rows) == len(wanted) + 1


def test_reextracting_a_fresh_crawl_changes_nothing(archived_crawl, mongo_uri):
    site, server, db, data_dir = archived_crawl
    # An article dated by the REST API (which listing reached it first is the crawl's timing):
    # its dates are the CMS's, which its page need not repeat; re-extraction keeps them.
    doc = db[ARTICLES].find_one({"date_source": {"$ne": "rest-api"}})
    published = doc["published_at"] - timedelta(hours=3, minutes=7)
    doc.update(date_source="rest-api", published_at=published, **published_keys(published))
    db[ARTICLES].replace_one({"_id": doc["_id"]}, doc)  # not $set: the embedded store keeps its dates as text
    before = {d["_id"]: d for d in db[ARTICLES].find()}
    result = subprocess.run([sys.executable, "-m", "ingest", "reextract", "--force", "--mongo-uri", mongo_uri,
                             "--database", db.name, "--log-level", "WARNING"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"re-extracted {len(before)} | changed 0 | unchanged {len(before)}" in result.stderr
    after = {d["_id"]: d for d in db[ARTICLES].find()}
    dated = after.pop(doc["_id"])
    assert dated["date_source"] == "rest-api" and dated["published_at"] == published
    assert dated["body"] == before.pop(doc["_id"])["body"]
    differing = {(key, field): (before[key].get(field), after[key].get(field)) for key in before
                 for field in set(before[key]) | set(after[key]) if before[key].get(field) != after[key].get(field)}
    assert differing == {}
    assert after == before


def test_a_header_name_outside_ascii_is_archived_percent_encoded(tmp_path):
    """Servers send such names; warcio cannot write one, which failed the page's response."""
    from scrapy.http import Headers

    pairs = header_pairs(Headers({"X-Caf\u00e9".encode(): [b"cr\xe8me"], b"Content-Type": [b"text/html"]}))
    assert pairs == [("X-Caf%C3%A9", "cr\u00e8me"), ("Content-Type", "text/html")]
    writer = RotatingWarcWriter(tmp_path, "run", 1 << 30, {"isPartOf": "run"})
    ref = writer.write(Exchange("https://news.example/a/", "GET", [("Host", "news.example")], b"", 200,
                                "HTTP/1.1", pairs, b"<p>body</p>"))
    writer.close()
    with open(ref.warc_file, "rb") as stream:
        response = next(r for r in ArchiveIterator(stream) if r.rec_type == "response")
        assert response.http_headers.get_header("X-Caf%C3%A9") == "cr%C3%A8me"
        assert response.content_stream().read() == b"<p>body</p>"
