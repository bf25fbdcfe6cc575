"""Reading WARC files of any producer, damaged ones included; `ingest import-warc` into the
embedded store (files written here with warcio, the CC-NEWS layout, and by Debian's wget);
`ingest reextract` of the stored corpus from its archived pages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tracemalloc
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.archive.reader import ArchivedPage, Problem, Skipped, read_page, read_pages
from ingest.archive.spiders import WarcImportSpider
from ingest.archive.writer import RecordRef
from ingest.demo.site import DemoServer, DemoSite, Renderer
from ingest.sites import ProfileError
from ingest.store.articles import content_hash
from ingest.store.client import ARTICLES, REVISIONS, RUNS, connect

ROOT = Path(__file__).resolve().parents[1]
ONE, TWO = "https://www.news-one.example", "https://news-two.example"
Page = tuple[str, int, str, bytes]  # url, status, content type, body


def make_warc(path: Path, pages: list[Page], compress: bool = True) -> Path:
    """A WARC as a crawler like Common Crawl's writes it: request, response and metadata
    records for each page, one gzip member each."""
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test-crawler/1.0"}))
        for url, status, content_type, body in pages:
            http = StatusAndHeaders(f"{status} {'OK' if status == 200 else 'Not Found'}",
                                    [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
            response = writer.create_warc_record(url, "response", payload=BytesIO(body),
                                                 length=len(body), http_headers=http)
            request = writer.create_warc_record(url, "request", payload=BytesIO(b""), length=0,
                                                http_headers=StatusAndHeaders(
                                                    f"GET {url.split('/', 3)[-1]} HTTP/1.1",
                                                    [("User-Agent", "test")], is_http_request=True))
            metadata = writer.create_warc_record(url, "metadata", payload=BytesIO(b"fetchTimeMs: 12\r\n"),
                                                 length=17, warc_content_type="application/warc-fields")
            writer.write_request_response_pair(request, response)
            writer.write_record(metadata)
    return path


def site_pages(site: DemoSite, base: str) -> list[Page]:
    renderer = Renderer(site, base)
    return [(renderer.url(a.path), 200, "text/html; charset=UTF-8", renderer.article(a).encode())
            for a in site.articles]


@pytest.fixture(scope="module")
def sites():
    return DemoSite(n_articles=24, seed=3), DemoSite(n_articles=16, seed=4)


@pytest.fixture(scope="module")
def news_warc(sites, tmp_path_factory) -> Path:
    """CC-NEWS's layout: one file, several sites mixed, a 404 among them."""
    one, two = sites
    pages = site_pages(one, ONE) + site_pages(two, TWO)
    pages = pages[::2] + pages[1::2]  # interleaved hosts
    pages.append((f"{TWO}/gone/", 404, "text/html", b"<html><body><h1>Not found</h1></body></html>"))
    return make_warc(tmp_path_factory.mktemp("warc") / "CC-NEWS-20260101-00000.warc.gz", pages)


def ingest(*args: str, check: int | None = 0) -> subprocess.CompletedProcess:
    logs = ["--log-level", "WARNING"] if args[0] in ("import-warc", "reextract") else []
    result = subprocess.run([sys.executable, "-m", "ingest", *args, *logs],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check is not None:
        assert result.returncode == check, result.stderr[-3000:]
    return result


def store_args(mongo_uri: str, database: str) -> list[str]:
    return ["--mongo-uri", mongo_uri, "--database", database]


# --- reading damaged files -------------------------------------------------------------

def good_pages(n: int = 4) -> list[Page]:
    return [(f"{ONE}/2026/01/story-{i}/", 200, "text/html",
             f"<html><body><h1>Story {i}</h1><p>{'word ' * 40}</p></body></html>".encode())
            for i in range(n)]


def events(path: Path) -> tuple[list[ArchivedPage], list[Problem], list[Skipped]]:
    found = list(read_pages(path))
    return ([e for e in found if isinstance(e, ArchivedPage)], [e for e in found if isinstance(e, Problem)],
            [e for e in found if isinstance(e, Skipped)])


def test_reads_gzip_and_plain_files_with_exact_offsets(tmp_path):
    for compress in (True, False):
        path = make_warc(tmp_path / f"plain{compress}.warc", good_pages(), compress=compress)
        pages, problems, _ = events(path)
        assert [p.url for p in pages] == [u for u, *_ in good_pages()] and not problems
        for page in pages:
            again = read_page(page.ref)
            assert again.body == page.body and again.ref == page.ref


def test_a_truncated_last_record_is_detected_and_ignored(tmp_path):
    path = make_warc(tmp_path / "cut.warc.gz", good_pages())
    last = events(path)[0][-1].ref
    data = path.read_bytes()
    path.write_bytes(data[: last.offset + last.length // 2])
    pages, problems, _ = events(path)
    assert [p.url for p in pages] == [u for u, *_ in good_pages()[:3]]
    assert [p.kind for p in problems] == ["truncated"]


def test_a_gzip_member_broken_in_the_middle_costs_only_its_record(tmp_path):
    path = make_warc(tmp_path / "broken.warc.gz", good_pages())
    second = events(path)[0][1].ref
    data = bytearray(path.read_bytes())
    middle = second.offset + second.length // 2
    data[middle: middle + 30] = bytes(30)
    path.write_bytes(bytes(data))
    pages, problems, _ = events(path)
    urls = [u for u, *_ in good_pages()]
    assert [p.url for p in pages] == [urls[0], *urls[2:]]
    assert len(problems) == 1 and problems[0].kind == "corrupt" and problems[0].offset == second.offset


@pytest.mark.parametrize("delta", [+300, -300])
def test_a_record_with_a_wrong_length_is_skipped_the_rest_read(tmp_path, delta):
    path = make_warc(tmp_path / "good.warc", good_pages(), compress=False)
    data = path.read_bytes()
    second = events(path)[0][1].ref
    header_end = data.index(b"\r\n\r\n", second.offset)
    head = data[second.offset: header_end]
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    wrong = head.replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length + delta))
    path.write_bytes(data[: second.offset] + wrong + data[header_end:])
    pages, problems, _ = events(path)
    urls = [u for u, *_ in good_pages()]
    assert [p.url for p in pages] == [urls[0], *urls[2:]]
    assert [p.kind for p in problems] == ["wrong_length"]


def test_a_non_html_record_is_reported_not_read(tmp_path):
    pages_in = good_pages(2) + [(f"{ONE}/photo.jpg", 200, "image/jpeg", b"\xff\xd8" + bytes(500))]
    path = make_warc(tmp_path / "mixed.warc.gz", pages_in)
    selected = list(read_pages(path, lambda url, ctype: None if "html" in ctype else "not_html"))
    assert [type(e).__name__ for e in selected] == ["ArchivedPage", "ArchivedPage", "Skipped"]
    assert selected[2].reason == "not_html" and selected[2].url.endswith("photo.jpg")


def test_a_50_mb_record_is_skipped_without_loading_it(tmp_path):
    huge = b"<html><body><p>" + os.urandom(25 * 1024 * 1024).hex().encode() + b"</p></body></html>"
    path = make_warc(tmp_path / "huge.warc.gz", good_pages(1) + [(f"{ONE}/huge/", 200, "text/html", huge)]
                     + good_pages(2)[1:])
    del huge
    tracemalloc.start()
    pages, problems, _ = events(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(pages) == 2 and [p.kind for p in problems] == ["too_large"]
    assert "over the limit" in problems[0].message
    assert peak < 8 * 1024 * 1024  # streamed past, never held


def test_bytes_that_are_no_warc_are_one_problem(tmp_path):
    path = tmp_path / "noise.warc"
    path.write_bytes(b"this is not a web archive\n" * 200)
    pages, problems, _ = events(path)
    assert pages == [] and [p.kind for p in problems] == ["corrupt"]


# --- import-warc -------------------------------------------------------------------------

def test_import_a_mixed_site_archive_as_cc_news_lays_it_out(sites, news_warc, mongo_uri):
    one, two = sites
    database = "import_mixed"
    with connect(mongo_uri) as client:
        client.drop_database(database)
        result = ingest("import-warc", str(news_warc), *store_args(mongo_uri, database),
                        "--set", "INGEST_EXTRACT_PROCESSES=2")  # pages extracted two at a time
        assert "import: files 1" in result.stderr
        docs = {d["url"]: d for d in client[database][ARTICLES].find()}
        truth = {f"{ONE}{a.path}": a for a in one.articles} | {f"{TWO}{a.path}": a for a in two.articles}
        assert set(docs) == set(truth)
        for url, doc in docs.items():
            assert doc["title"] == truth[url].title
            assert doc["site"] == ("news-one.example" if url.startswith(ONE) else "news-two.example")
            assert doc["archive"]["warc_file"] == str(news_warc.resolve())  # where it came from
            assert doc["change_reason"] == "import" and doc["extractor"]
            assert read_page(RecordRef(**doc["archive"])).url == url
        run = client[database][RUNS].find_one()
        assert run["_id"] == docs[next(iter(docs))]["crawl_id"] and run["spider"] == "warc-import"
        assert run["finish_reason"] == "finished" and run["counts"]["new"] == len(truth)
        assert run["stats"]["import/skipped/status"] == 1  # the 404
        client.drop_database(database)


def test_import_filters_by_host_and_language(sites, news_warc, mongo_uri):
    one, two = sites
    with connect(mongo_uri) as client:
        client.drop_database("import_filtered")
        ingest("import-warc", str(news_warc), "--host", "news-two.example", "--language", "en",
               *store_args(mongo_uri, "import_filtered"))
        urls = {d["url"] for d in client["import_filtered"][ARTICLES].find()}
        assert urls == {f"{TWO}{a.path}" for a in two.articles if a.language == "en"} and urls
        client.drop_database("import_filtered")


def test_import_url_pattern_and_profile_select_records():
    spider = WarcImportSpider(files="x.warc.gz", site="demo", url_pattern=r"/fa/")
    article = "https://news.example/fa/news/2024/05/some-story/123/"
    assert spider.select(article, "text/html; charset=utf-8") is None
    assert spider.select(article.replace("/fa/", "/en/"), "text/html") == "url_pattern"
    assert spider.select("https://news.example/fa/category/news/", "text/html") == "not_article_url"
    assert spider.select(article, "application/pdf") == "not_html"
    generic = WarcImportSpider(files="x.warc.gz", hosts="example.org")
    assert generic.select("https://www.example.org/any/page", "") is None
    assert generic.select("https://example.org.evil.test/page", "text/html") == "host"
    with pytest.raises(ProfileError):
        WarcImportSpider(files="x.warc.gz", url_pattern="(unclosed")


def test_damaged_input_is_counted_the_rest_imported_and_the_exit_code_says_so(tmp_path, mongo_uri):
    pages = good_pages(6)
    files = [make_warc(tmp_path / "good.warc.gz", pages[:2])]
    cut = make_warc(tmp_path / "truncated.warc.gz", pages[2:4])
    last = events(cut)[0][-1].ref
    cut.write_bytes(cut.read_bytes()[: last.offset + last.length // 2])
    files.append(cut)
    broken = make_warc(tmp_path / "broken.warc.gz", [pages[4], (f"{ONE}/x/", 200, "text/html", b"<p>x</p>" * 500)])
    second = events(broken)[0][1].ref
    data = bytearray(broken.read_bytes())
    data[second.offset + 60: second.offset + 90] = bytes(30)
    broken.write_bytes(bytes(data))
    files.append(broken)
    files.append(make_warc(tmp_path / "image.warc.gz", [(f"{ONE}/a.png", 200, "image/png", bytes(100)), pages[5]]))
    noise = tmp_path / "noise.warc.gz"
    noise.write_bytes(b"\x1f\x8b\x08" + bytes(300))
    files.append(noise)
    database = "import_damaged"
    with connect(mongo_uri) as client:
        client.drop_database(database)
        result = ingest("import-warc", *map(str, files), *store_args(mongo_uri, database), check=1)
        assert "incomplete" in result.stderr and "truncated" in result.stderr
        assert "not a readable WARC record" in result.stderr or "broken gzip member" in result.stderr
        assert "not an HTML response" in result.stderr and "a.png" in result.stderr
        stored = {d["url"] for d in client[database][ARTICLES].find()}
        expected = {url for url, *_ in pages} - {pages[3][0]}  # the truncated file's last page is lost
        assert stored == expected
        stats = client[database][RUNS].find_one()["stats"]
        assert stats["import/problems/truncated"] == 1 and stats["import/problems/corrupt"] == 2
        assert stats["import/skipped/not_html"] == 1 and stats["import/files"] == 5
        client.drop_database(database)


def test_import_a_warc_written_by_wget(mongo_uri, tmp_path):
    wget = shutil.which("wget")
    assert wget, "wget is needed (tests/system/packages.txt)"
    site = DemoSite(n_articles=30, seed=12)
    warc = tmp_path / "site"
    with DemoServer(site) as server:
        fetched = subprocess.run([wget, "--recursive", "--level=3", "--no-parent", "--no-verbose",
                                  "--directory-prefix", str(tmp_path / "mirror"), "--tries=1",
                                  f"--warc-file={warc}", server.base_url + "/"],
                                 capture_output=True, text=True, timeout=120)
        base = server.base_url
    assert Path(f"{warc}.warc.gz").is_file(), fetched.stderr[-2000:]
    database = "import_wget"
    with connect(mongo_uri) as client:
        client.drop_database(database)
        ingest("import-warc", f"{warc}.warc.gz", "--site", "demo", *store_args(mongo_uri, database))
        docs = {d["url"]: d for d in client[database][ARTICLES].find()}
        expected = {f"{base}{a.path}": a for a in site.articles}
        assert set(docs) == set(expected)
        for url, doc in docs.items():
            assert doc["title"] == expected[url].title
            assert Path(doc["archive"]["warc_file"]).name == "site.warc.gz"
        client.drop_database(database)


# --- reextract -----------------------------------------------------------------------------

@pytest.fixture
def imported(sites, news_warc, mongo_uri):
    database = "reextract_corpus"
    client = connect(mongo_uri)
    client.drop_database(database)
    ingest("import-warc", str(news_warc), *store_args(mongo_uri, database))
    yield client[database], database
    client.drop_database(database)
    client.close()


def age(articles, query: dict, break_body: bool) -> list[dict]:
    """Make articles look made by an older extractor; `break_body`: one that got the body wrong."""
    docs = list(articles.find(query))
    for doc in docs:
        update = {"extractor": "older-extractor"}
        if break_body:
            wrong = dict(doc, body="Share this: Facebook Twitter " + doc["body"])
            update.update(body=wrong["body"], content_hash=content_hash(wrong))
        articles.update_one({"_id": doc["_id"]}, {"$set": update})
    return [articles.find_one({"_id": d["_id"]}) for d in docs]


def test_reextract_fixes_what_changed_keeps_a_revision_and_leaves_the_rest(imported, mongo_uri):
    db, database = imported
    articles = db[ARTICLES]
    total = articles.count_documents({})
    urls = sorted(d["url"] for d in articles.find({}, {"url": 1}))
    wrong = age(articles, {"url": {"$in": urls[:5]}}, break_body=True)
    same = age(articles, {"url": {"$in": urls[5:12]}}, break_body=False)
    current = {d["_id"]: d for d in articles.find({"url": {"$in": urls[12:]}})}

    result = ingest("reextract", *store_args(mongo_uri, database))  # no site is being served
    assert f"matching {total}" in result.stderr and "re-extracted 12" in result.stderr
    for before in wrong:
        after = articles.find_one({"_id": before["_id"]})
        assert not after["body"].startswith("Share this") and after["revision"] == 2
        assert after["change_reason"] == "reextract" and after["extractor"] != "older-extractor"
        kept = db[REVISIONS].find_one({"canonical_url": before["canonical_url"]})
        assert kept["body"] == before["body"] and kept["change_reason"] == "import"
    for before in same:
        after = articles.find_one({"_id": before["_id"]})
        assert after["extractor"] != "older-extractor"
        assert {k: v for k, v in after.items() if k != "extractor"} == \
               {k: v for k, v in before.items() if k != "extractor"}
    for doc_id, before in current.items():
        assert articles.find_one({"_id": doc_id}) == before
    assert db[REVISIONS].count_documents({}) == len(wrong)

    shown = json.loads(ingest("article", wrong[0]["url"], "--json", *store_args(mongo_uri, database)).stdout)
    assert shown["changes"][0]["reason"] == "reextract"

    again = ingest("reextract", *store_args(mongo_uri, database))
    assert "re-extracted 0" in again.stderr and f"already current {total}" in again.stderr


def test_reextract_stops_and_goes_on_without_doing_work_twice(imported, mongo_uri):
    db, database = imported
    articles = db[ARTICLES]
    total = articles.count_documents({})
    age(articles, {}, break_body=True)
    first = ingest("reextract", *store_args(mongo_uri, database), "--set", "CLOSESPIDER_ITEMCOUNT=6",
                   check=1)
    assert "run it again" in first.stderr
    done = articles.count_documents({"extractor": {"$ne": "older-extractor"}})
    assert 6 <= done < total
    second = ingest("reextract", *store_args(mongo_uri, database))
    assert f"already current {done}" in second.stderr and f"re-extracted {total - done}" in second.stderr
    assert articles.count_documents({"extractor": "older-extractor"}) == 0
    assert articles.count_documents({"body": {"$regex": "^Share this"}}) == 0


def test_reextract_takes_the_read_sides_filters_and_finds_moved_archives(imported, news_warc, mongo_uri,
                                                                           tmp_path):
    db, database = imported
    articles = db[ARTICLES]
    age(articles, {}, break_body=True)
    moved = tmp_path / "data" / "warc" / news_warc.name  # the archive folder moved elsewhere
    moved.parent.mkdir(parents=True)
    shutil.copy(news_warc, moved)
    articles.update_many({}, {"$set": {"archive.warc_file": f"/gone/{news_warc.name}"}})
    ingest("reextract", "--site", "news-two.example", "--language", "fa", "--data-dir", str(tmp_path / "data"),
           *store_args(mongo_uri, database))
    for doc in articles.find():
        chosen = doc["site"] == "news-two.example" and doc["language"] == "fa"
        assert (doc["extractor"] != "older-extractor") == chosen, doc["url"]
        assert (doc["archive"]["warc_file"] == str(moved)) == chosen  # the pointer follows the file
    assert articles.count_documents({"extractor": {"$ne": "older-extractor"}}) > 0
    bad = ingest("reextract", "--from", "yesterday", *store_args(mongo_uri, database), check=2)
    assert "error:" in bad.stderr
