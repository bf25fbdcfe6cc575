"""Misbehaving servers and hostile links: what the crawl refuses, waits for and survives."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from fault_server import FaultServer, article_page, calendar_trap, listing_page, month_calendar
from scrapy.selector import Selector

from ingest.middlewares.allowlist import SiteAllowlistMiddleware
from ingest.middlewares.retryafter import retry_after_seconds
from ingest.spiders.news import reads_like_headline, within_listing
from ingest.store.client import ARTICLES, connect

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "/2024/05/{slug}/"


def crawl(server: FaultServer, mongo_uri: str, database: str, tmp_path: Path, *extra: str
          ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ingest", "crawl", "--site", "wordpress",
               "--start-url", server.base_url + "/category/news/", "--mongo-uri", mongo_uri,
               "--database", database, "--data-dir", str(tmp_path), "--set", "AUTOTHROTTLE_ENABLED=false",
               *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def stored(mongo_uri: str, database: str) -> int:
    with connect(mongo_uri) as client:
        count = client[database][ARTICLES].count_documents({})
        client.drop_database(database)
    return count


def test_robots_txt_answering_5xx_means_nothing_is_fetched(mongo_uri, tmp_path, figure):
    with FaultServer() as server:
        server.routes["/robots.txt"] = server.html("down", status=503)
        server.routes["/category/news/"] = server.html(listing_page([ARTICLE.format(slug="a")]))
        server.routes[ARTICLE.format(slug="a")] = server.html(article_page("A"))
        result = crawl(server, mongo_uri, "fault_robots5xx", tmp_path)
        assert server.hits["/category/news/"] == 0 and server.hits[ARTICLE.format(slug="a")] == 0
    assert stored(mongo_uri, "fault_robots5xx") == 0
    assert result.returncode == 1
    figure("robots.txt answering 503: 0 pages fetched, exit 1")
    assert "robots.txt of" in result.stderr and "unreachable" in result.stderr


def test_disallowed_paths_are_never_fetched(mongo_uri, tmp_path):
    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nDisallow: /2024/05/private\n")
        links = [ARTICLE.format(slug="open"), ARTICLE.format(slug="private-one")]
        server.routes["/category/news/"] = server.html(listing_page(links))
        for link in links:
            server.routes[link] = server.html(article_page(link))
        result = crawl(server, mongo_uri, "fault_robots", tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        assert server.hits[links[1]] == 0 and server.hits[links[0]] == 1
    assert stored(mongo_uri, "fault_robots") == 1


def test_links_and_redirects_off_the_site_make_no_connection(mongo_uri, tmp_path, figure):
    with FaultServer() as trap, FaultServer() as server:
        trap.routes[ARTICLE.format(slug="trap")] = trap.html(article_page("Trap"))
        other_port = trap.base_url + ARTICLE.format(slug="trap")
        by_name = other_port.replace("127.0.0.1", "localhost")  # a name resolving to a loopback address
        links = [ARTICLE.format(slug="real"), ARTICLE.format(slug="to-other-port"),
                 ARTICLE.format(slug="to-metadata"), other_port, by_name, "file:///etc/passwd",
                 "data:text/html,<h1>x</h1>"]
        server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        server.routes["/category/news/"] = server.html(listing_page(links))
        server.routes[ARTICLE.format(slug="real")] = server.html(article_page("Real"))
        server.routes[ARTICLE.format(slug="to-other-port")] = lambda _h: (302, {"Location": other_port}, b"")
        server.routes[ARTICLE.format(slug="to-metadata")] = lambda _h: (
            302, {"Location": "http://169.254.169.254/2024/05/latest/"}, b"")
        result = crawl(server, mongo_uri, "fault_allowlist", tmp_path, "--set", "DOWNLOAD_TIMEOUT=5")
        assert result.returncode == 0, result.stderr[-2000:]
        assert trap.connections == 0
    assert stored(mongo_uri, "fault_allowlist") == 1
    figure("links/redirects to another port, localhost, file:, data:, 169.254.169.254: 0 connections, 1/1 real stored")


def test_credentials_are_not_carried_to_another_host_on_redirect(mongo_uri, tmp_path, figure):
    """Host A (127.0.0.1) gets HTTP auth and sets a cookie; one of its articles redirects to host B
    (127.0.0.2), a second origin of the same site. B must see neither."""
    secret = "CANARY-redirect-5e1d"
    with FaultServer() as a, FaultServer(host="127.0.0.2") as b:
        moved = b.base_url + ARTICLE.format(slug="moved")
        for server in (a, b):
            server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        a.routes["/category/news/"] = a.html(
            listing_page([ARTICLE.format(slug="stays"), ARTICLE.format(slug="moved")]),
            **{"Set-Cookie": f"session={secret}; Path=/"})
        a.routes[ARTICLE.format(slug="stays")] = a.html(article_page("Stays"))
        a.routes[ARTICLE.format(slug="moved")] = lambda _h: (302, {"Location": moved}, b"")
        b.routes["/category/news/"] = b.html(listing_page([]))
        b.routes[ARTICLE.format(slug="moved")] = b.html(article_page("Moved"))
        result = crawl(a, mongo_uri, "fault_redirect_auth", tmp_path, "--start-url", b.base_url + "/category/news/",
                       "--set", "HTTPAUTH_USER=reader", "--set", f"HTTPAUTH_PASS={secret}",
                       "--set", f"HTTPAUTH_DOMAIN={a.base_url.removeprefix('http://')}")  # Scrapy matches host:port
        assert result.returncode == 0, result.stderr[-2000:]
        assert secret not in result.stderr  # Scrapy logs overridden settings; the password is masked
    basic = "Basic " + base64.b64encode(f"reader:{secret}".encode()).decode()
    to_a = [headers for path, headers in a.received if path.startswith("/2024/")]
    assert len(to_a) == 2  # both articles were asked of A, with its credentials
    assert all(h.get("Authorization") == basic and secret in h.get("Cookie", "") for h in to_a)
    assert b.hits[ARTICLE.format(slug="moved")] == 1
    leaked = [path for path, headers in b.received
              if "Authorization" in headers or secret in headers.get("Cookie", "")]
    assert leaked == []
    assert stored(mongo_uri, "fault_redirect_auth") == 2
    figure(f"redirect A→B with HTTP auth and A's cookie: A got them on {len(to_a)}/2 articles, "
           f"B got them on {len(leaked)}/{len(b.received)} requests")


def test_allowlist_rules():
    domains, own = {"news.example", "127.0.0.1"}, {("news.example", 443), ("127.0.0.1", 8080)}
    refusal = SiteAllowlistMiddleware.refusal
    assert refusal("https://news.example/a/", domains, own) is None
    assert refusal("http://www.news.example/a/", domains, own) is None
    assert refusal("https://news.example:8443/a/", domains, own) == "port"
    assert refusal("http://127.0.0.1:8080/a/", domains, own) is None
    assert refusal("http://127.0.0.1:9090/a/", domains, own) == "port"
    assert refusal("file:///etc/passwd", domains, own) == "scheme"
    assert refusal("http://169.254.169.254/latest/", {"169.254.169.254"}, set()) == "internal_address"
    assert refusal("http://localhost/x", {"localhost"}, set()) == "internal_address"
    assert refusal("https://evil.example/a/", domains, own) == "host"


def test_retry_after_is_honoured(mongo_uri, tmp_path, figure):
    state = {"calls": 0}

    def limited(_handler):
        state["calls"] += 1
        if state["calls"] == 1:
            return 429, {"Retry-After": "2"}, b"slow down"
        return 200, {"Content-Type": "text/html"}, article_page("Limited").encode()

    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        server.routes["/category/news/"] = server.html(listing_page([ARTICLE.format(slug="limited")]))
        server.routes[ARTICLE.format(slug="limited")] = limited
        result = crawl(server, mongo_uri, "fault_retry_after", tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        first, second = server.times[ARTICLE.format(slug="limited")]
        assert second - first >= 2.0  # nothing was asked inside the window
        figure(f"429 Retry-After 2 s: next request after {second - first:.1f} s, 0 inside the window")
    assert stored(mongo_uri, "fault_retry_after") == 1
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_repeating_pagination_and_empty_sites_stop(mongo_uri, tmp_path, figure):
    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        server.routes["/category/news/"] = server.html(
            listing_page([ARTICLE.format(slug="only")], next_href="/category/news/page/2/"))
        for n in range(2, 200):  # every further page repeats the same article and links onward
            server.routes[f"/category/news/page/{n}/"] = server.html(
                listing_page([ARTICLE.format(slug="only")], next_href=f"/category/news/page/{n + 1}/"))
        server.routes[ARTICLE.format(slug="only")] = server.html(article_page("Only"))
        result = crawl(server, mongo_uri, "fault_trap", tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        assert sum(server.hits.values()) <= 6
        figure(f"repeating pagination (200 pages offered): {sum(server.hits.values())} requests")
    assert stored(mongo_uri, "fault_trap") == 1

    with FaultServer() as empty:
        empty.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        empty.routes["/category/news/"] = empty.html("<html><body><p>No posts yet.</p></body></html>")
        result = crawl(empty, mongo_uri, "fault_empty", tmp_path)
    assert result.returncode == 1 and "no article link" in result.stderr
    stored(mongo_uri, "fault_empty")


def test_endless_calendar_is_not_followed(mongo_uri, tmp_path, figure):
    """A category of 10 articles over two pages, each page carrying an events calendar whose
    day links look like date permalinks and whose month links (rel=next) never end."""
    real = [ARTICLE.format(slug=f"real-{n}") for n in range(10)]
    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        server.prefix_routes["/calendar/"] = calendar_trap
        server.routes["/category/news/"] = server.html(
            listing_page(real[:5], next_href="/category/news/page/2/", extra=month_calendar(2024, 5)))
        server.routes["/category/news/page/2/"] = server.html(
            listing_page(real[5:], extra=month_calendar(2024, 5)))
        for link in real:
            server.routes[link] = server.html(article_page(link.strip("/")))
        result = crawl(server, mongo_uri, "fault_calendar", tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        requests = sum(server.hits.values())
        calendar_requests = sum(n for path, n in server.hits.items() if path.startswith("/calendar/"))
    count = stored(mongo_uri, "fault_calendar")
    figure(f"endless calendar beside 10 articles: {requests} requests ({calendar_requests} to the calendar), "
           f"{count}/10 stored")
    assert all(server.hits[link] == 1 for link in real) and count == 10
    assert calendar_requests == 0 and requests <= 1 + 2 + len(real)  # robots.txt, 2 listing pages, articles


def test_listing_link_rules():
    def anchor(html: str) -> Selector:
        return Selector(text=html).xpath("//a")[0]

    assert reads_like_headline(anchor("<a href='/2024/05/17/'>Storm closes <b>port</b></a>"))
    assert reads_like_headline(anchor("<a href='/1403/02/x/'>توفان بندر را بست</a>"))
    assert reads_like_headline(anchor("<a href='/2024/05/x/'><img src='t.jpg'></a>"))  # a bare thumbnail
    assert not reads_like_headline(anchor("<a href='/2024/05/17/' aria-label='Posts of May 17'> 17 </a>"))
    assert within_listing("https://a.example/category/news/page/2/", "https://a.example/category/news/")
    assert within_listing("https://a.example/news?page=2", "https://a.example/news")
    assert not within_listing("https://a.example/calendar/2024/06/", "https://a.example/category/news/")
    assert not within_listing("https://a.example/category/newsroom/", "https://a.example/category/news")


def test_flaky_server_still_yields_every_article(mongo_uri, tmp_path, figure):
    """20% 503, 5% truncated bodies, 2% hangs: retries still store 1000/1000, and every
    scheduled request is accounted for."""
    from ingest.demo.site import DemoServer, DemoSite, FaultPlan
    from ingest.store.client import RUNS

    site = DemoSite(n_articles=1000, seed=5)
    plan = FaultPlan(error_503=0.20, truncate=0.05, hang=0.02, hang_seconds=4.0, seed=3)
    name = "fault_flaky"
    with DemoServer(site, faults=plan) as server:
        command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", server.base_url,
                   "--all-categories", "--mongo-uri", mongo_uri, "--database", name,
                   "--data-dir", str(tmp_path), "--set", "DOWNLOAD_TIMEOUT=2", "--set", "RETRY_TIMES=10",
                   "--set", "INGEST_MAX_ERROR_RATE=0.5"]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        faults = dict(server.faults_served)
    with connect(mongo_uri) as client:
        try:
            assert result.returncode == 0, result.stderr[-2000:]
            ids = [d["source_id"] for d in client[name][ARTICLES].find({}, {"source_id": 1})]
            assert len(ids) == len(set(ids)) == 1000
            stats = client[name][RUNS].find_one({})["stats"]
            assert faults["503"] > 100 and faults["truncate"] > 20 and faults["hang"] > 5
            gave_up = stats.get("retry/max_reached", 0)
            figure(f"flaky server: faults {faults}, retries {stats.get('retry/count')}, "
                  f"stored {len(ids)}/1000, gave up {gave_up}")
            dropped = sum(v for k, v in stats.items() if k.startswith("validate/dropped/"))
            assert stats["extract/articles"] == 1000 + dropped and gave_up == 0
        finally:
            client.drop_database(name)
