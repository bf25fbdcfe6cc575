"""`ingest serve`: the real app on waitress at 127.0.0.1, a store seeded through the real
writer, Debian's Chromium driven by Playwright with real clicks."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ingest.store.articles import write_articles
from ingest.store.client import connect, ensure_indexes
from ingest.web import create_app
from ingest.web.app import CONTENT_SECURITY_POLICY
from ingest.web.cache import SharedResults
from ingest.web.chart import monthly_chart
from ingest.revisions import revision_changes
from ingest.web.sanitize import clean_html, web_url
from ingest.web.server import WebServer, trusted_hosts

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
T0 = datetime(2024, 6, 30, 12, 0, tzinfo=timezone.utc)
CANARY = "CANARY-web-5d1e"
REVISED = "https://news.example/2024/06/harbour-flood/"
HOSTILE = "https://news.example/2024/06/hostile/"
HOSTILE_HTML = """
<p>Hostile body text stays readable.</p>
<script>window.pwned = 1; alert("script")</script>
<img src="x" onerror="window.pwned = 1; alert('img')">
<p onmouseover="window.pwned = 1" id="hover-me">Hover over this paragraph.</p>
<a id="js-link" href="javascript:window.pwned=1;alert('link')">a javascript: link</a>
<a href="/2024/05/older/">a relative link</a>
<iframe src="javascript:alert('frame')"></iframe>
<svg><script>alert("svg")</script></svg>
<form action="https://evil.example/"><input name="q"></form>
<style>body { display: none }</style>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
"""
HOSTILE_CAPTION = '<img src=x onerror="window.pwned=1">Caption with <b>markup</b>'


def ordinary(i: int) -> dict[str, Any]:
    water = i % 2 == 1
    url = f"https://news.example/2024/story-{i}/"
    return {
        "url": url, "canonical_url": url, "site": "daily.example" if i % 3 == 0 else "news.example",
        "title": f"Story {i}: " + ("water prices rise" if water else "bread queues grow"),
        "body": f"Report number {i}.\n\nMore {'water' if water else 'bread'} news from the city.",
        "captions": [], "authors": ["A. Writer"], "tags": ["prices"],
        "categories": ["Economy", "Women"] if i % 3 == 0 else ["Economy"],
        "language": "en", "published_at": T0 - timedelta(days=8 * i), "date_source": "json-ld",
    }


def revised(version: int) -> dict[str, Any]:
    sunk = {1: "Twelve", 2: "Fourteen", 3: "Fourteen"}[version]
    return {
        "url": REVISED, "canonical_url": REVISED, "site": "news.example",
        "title": "Harbour flood report" + (" (updated)" if version == 3 else ""),
        "body": f"The harbour flooded at dawn.\n\n{sunk} boats sank before noon.",
        "captions": [{"text": "Boats in the flooded harbour" + (" at dawn" if version == 3 else ""),
                      "image_url": "https://img.news.example/harbour.jpg", "alt": "boats",
                      "credit": "Photo: A. Lens"}],
        "authors": ["B. Reporter"], "categories": ["Weather"], "tags": ["flood"], "language": "en",
        "published_at": T0 - timedelta(days=2), "date_source": "meta",
    }


def hostile() -> dict[str, Any]:
    return {
        "url": HOSTILE, "canonical_url": HOSTILE, "site": "news.example",
        "title": "<script>window.pwned=1</script>Hostile page",
        "body": "Hostile body text stays readable.", "body_html": HOSTILE_HTML,
        "captions": [{"text": HOSTILE_CAPTION, "image_url": "javascript:window.pwned=1",
                      "alt": None, "credit": None}],
        "authors": [], "categories": ["Weather"], "tags": [], "language": "en",
        "published_at": T0 - timedelta(days=400), "date_source": "url",
    }


ORDINARY = [ordinary(i) for i in range(44)]
CURRENT = [*ORDINARY, revised(3), hostile()]


def has_word(doc: dict[str, Any], word: str) -> bool:
    return word in doc["title"].lower() or word in doc["body"].lower()


def newest_first(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(docs, key=lambda d: d["published_at"], reverse=True)


@pytest.fixture(scope="module")
def seeded(mongo_uri: str) -> Iterator[tuple[Any, str]]:
    name = f"test_web_{uuid.uuid4().hex[:8]}"
    client = connect(mongo_uri)
    db = client[name]
    ensure_indexes(db)
    write_articles(db, [*ORDINARY, revised(1), hostile()], now=T0)
    write_articles(db, [revised(2)], now=T0 + timedelta(hours=1))
    write_articles(db, [revised(3)], now=T0 + timedelta(hours=2))
    yield db, name
    client.drop_database(name)
    client.close()


@pytest.fixture(scope="module")
def server(seeded: tuple[Any, str]) -> Iterator[str]:
    db, _ = seeded
    with WebServer(create_app(db, trusted_hosts=trusted_hosts("127.0.0.1"))) as web:
        yield web.url.rstrip("/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def get_json(url: str) -> tuple[int, Any]:
    status, headers, body = get(url)
    assert headers["Content-Type"].startswith("application/json")
    return status, json.loads(body)


def save_screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    if os.environ.get("INGEST_WEB_SCREENSHOTS"):  # keep them to look at
        shutil.copy(path, Path(os.environ["INGEST_WEB_SCREENSHOTS"]) / path.name)


# --- in the browser -------------------------------------------------------------------------


def test_search_filter_and_paginate_by_clicking(server: str, page: Page) -> None:
    water = newest_first([d for d in CURRENT if has_word(d, "water")])
    water_women = [d for d in water if "Women" in d["categories"]]
    assert len(water) == 22 and 0 < len(water_women) < 20

    page.goto(server + "/")
    page.fill("#text", "water")
    page.click("#search-button")
    expect(page.locator("#total")).to_have_text(f"{len(water)} articles · page 1 of 2")
    titles = page.locator(".hit h3 a")
    expect(titles).to_have_text([d["title"] for d in water[:20]])

    page.click("#next-page")
    expect(page.locator("#total")).to_have_text(f"{len(water)} articles · page 2 of 2")
    expect(titles).to_have_text([d["title"] for d in water[20:]])
    assert "page=2" in page.url and "text=water" in page.url

    page.click("#facet-category >> text=Women")
    expect(page.locator("#total")).to_contain_text(f"{len(water_women)} articles")
    expect(titles).to_have_text([d["title"] for d in water_women])
    assert page.input_value("#text") == "water"
    expect(page.locator("#facet-category li.chosen")).to_contain_text("Women")
    assert not page.dialogs


def test_result_opens_article_with_captions_and_revision_diff(server: str, page: Page,
                                                             tmp_path: Path) -> None:
    page.goto(server + "/")
    page.fill("#text", "harbour")
    page.click("#search-button")
    expect(page.locator("#total")).to_have_text("1 article · page 1 of 1")
    page.click(".hit h3 a")
    expect(page.locator("#title")).to_have_text("Harbour flood report (updated)")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {"url": [REVISED]}

    caption = page.locator("#captions .caption")
    expect(caption).to_contain_text("Boats in the flooded harbour at dawn")
    expect(caption).to_contain_text("Photo: A. Lens")
    link = page.locator("#captions a.image-link")
    expect(link).to_have_attribute("href", "https://img.news.example/harbour.jpg")
    assert page.locator("img").count() == 0  # linked, never loaded

    changes = page.locator("#history .change")
    expect(changes).to_have_count(2)
    expect(changes.nth(0).locator("h3")).to_contain_text("revision 2 → 3")
    expect(changes.nth(0).locator(".del")).to_contain_text(["-Title: Harbour flood report"])
    expect(changes.nth(0).locator(".add").first).to_have_text("+Title: Harbour flood report (updated)")
    expect(changes.nth(1).locator("h3")).to_contain_text("revision 1 → 2")
    expect(changes.nth(1).locator(".del")).to_have_text(["-Twelve boats sank before noon."])
    expect(changes.nth(1).locator(".add")).to_have_text(["+Fourteen boats sank before noon."])
    save_screenshot(page, tmp_path / "web-article.png")


def test_hostile_article_runs_no_script(server: str, page: Page, tmp_path: Path) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    response = page.goto(server + "/article?url=" + urllib.parse.quote(HOSTILE, safe=""))
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    expect(page.locator("#title")).to_have_text("<script>window.pwned=1</script>Hostile page")
    expect(page.locator("#body")).to_contain_text("Hostile body text stays readable.")

    page.hover("#body p >> text=Hover over this paragraph")
    page.click("#body a >> text=a javascript: link")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.dialogs == []
    assert page.evaluate("""() => document.querySelectorAll(
        'script, iframe, form, style, meta[http-equiv], img, svg *:not(rect)').length""") == 0
    handlers = page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(
        e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on'))""")
    assert handlers == []
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h and not (h.startswith(("http://", "https://", "/")))]
    assert "https://news.example/2024/05/older/" in hrefs  # relative links point at their site
    caption = page.locator("#captions .caption")
    expect(caption).to_contain_text(HOSTILE_CAPTION)  # shown as text
    expect(caption.locator("a")).to_have_count(0)  # javascript: image URL: not a link
    assert page.url.startswith(server)  # no refresh, no form submitted elsewhere
    save_screenshot(page, tmp_path / "web-hostile.png")


def test_stats_chart_matches_the_store(server: str, page: Page, tmp_path: Path) -> None:
    truth = Counter((d["published_at"].strftime("%Y-%m"), c) for d in CURRENT for c in d["categories"])
    page.goto(server + "/stats")
    bars = page.locator("#chart svg rect title")
    expect(bars).to_have_count(len(truth))
    shown = set(bars.all_text_contents())
    assert shown == {f"{month} · {category}: {n}" for (month, category), n in truth.items()}
    legend = page.locator(".legend li").all_text_contents()
    assert [re.sub(r"\s+", " ", item).strip() for item in legend] == [
        "Economy 44", "Women 15", "Weather 2"]
    save_screenshot(page, tmp_path / "web-stats.png")
    page.goto(server + "/")
    save_screenshot(page, tmp_path / "web-search.png")


# --- over HTTP ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "site[$ne]=x", "site%5B%24ne%5D=x", "text[$where]=1", "$where=sleep(1000)", "category[$gt]=",
    "site=a&site=b", "page=0", "page=-1", "page=abc", "page=%C2%B2", "per_page=1000000",
    "from=yesterday", "to=2024-13-40", "from=2024-06-01&to=2024-01-01",
    "from=9999-12-31T23:59:59-23:59", "to=0001-01-01T00:00:00%2B23:59", "text=flood%00water",
    "category=News%00",
])
def test_bad_or_injected_parameters_are_refused(server: str, query: str) -> None:
    status, headers, body = get(f"{server}/?{query}")
    assert status == 400, body
    assert "Traceback" not in body and 'class="message"' in body
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    status, answer = get_json(f"{server}/api/search?{query}")
    assert status == 400 and answer["status"] == 400 and answer["error"]


@pytest.mark.parametrize("query", ['site={"$gt":""}', "site=%7B%22%24ne%22%3Anull%7D",
                                   "category=[$ne]", "text=%22%24where%22"])
def test_operator_lookalikes_are_plain_values(server: str, query: str) -> None:
    status, answer = get_json(f"{server}/api/search?{query}")
    assert status in (200, 400), answer
    if status == 200:
        assert answer["total"] == 0 and answer["items"] == []


def test_json_api(server: str) -> None:
    women = newest_first([d for d in CURRENT if "Women" in d["categories"]])
    status, answer = get_json(f"{server}/api/search?category=Women&per_page=5&page=2")
    assert status == 200
    assert (answer["total"], answer["page"], answer["per_page"]) == (len(women), 2, 5)
    assert [item["title"] for item in answer["items"]] == [d["title"] for d in women[5:10]]
    assert answer["filter"] == {"category": "Women"}
    first = answer["items"][0]
    assert datetime.fromisoformat(first["published_at"]) == women[5]["published_at"]
    assert "_id" not in first and "body_html" not in first

    status, answer = get_json(f"{server}/api/article?url={urllib.parse.quote(REVISED)}")
    assert status == 200
    assert answer["article"]["title"] == "Harbour flood report (updated)"
    assert [r["revision"] for r in answer["revisions"]] == [1, 2]
    assert "Twelve boats" in answer["revisions"][0]["body"]
    assert [(c["from_revision"], c["to_revision"]) for c in answer["changes"]] == [(2, 3), (1, 2)]
    assert ["-", "Twelve boats sank before noon."] in answer["changes"][1]["lines"]

    status, answer = get_json(f"{server}/api/article?url={urllib.parse.quote(HOSTILE)}")
    assert "<script" not in answer["article"]["body_html"]
    assert "onerror" not in answer["article"]["body_html"]
    assert "javascript:window" not in answer["article"]["body_html"]

    status, answer = get_json(f"{server}/api/stats?site=daily.example")
    assert status == 200
    daily = [d for d in CURRENT if d["site"] == "daily.example"]
    monthly = Counter()
    for row in answer["monthly_by_category"]:
        monthly[row["category"]] += row["articles"]
    assert monthly == Counter(c for d in daily for c in d["categories"])
    coverage = {name: (have, total) for name, have, total in answer["field_coverage"]}
    assert coverage["title"] == (len(daily), len(daily))
    assert coverage["body_html"] == (0, len(daily))


def test_errors_headers_and_read_only(server: str) -> None:
    for path in ("/", "/stats", "/static/style.css", "/api/search", "/nowhere",
                 "/article?url=https://nowhere.example/"):
        status, headers, _ = get(server + path)
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
    status, _, body = get(server + "/article?url=https://nowhere.example/")
    assert status == 404 and "No stored article" in body
    status, answer = get_json(server + "/api/article?url=https://nowhere.example/")
    assert status == 404 and answer["error"]
    status, _, body = get(server + "/article")
    assert status == 400 and "url: expected the article&#39;s URL" in body
    request = urllib.request.Request(server + "/api/search", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405 and sorted(refused.value.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]


def test_other_host_names_are_refused(server: str) -> None:
    """A page elsewhere that rebinds its own name to 127.0.0.1 still cannot read the API."""
    host, port = urllib.parse.urlsplit(server).netloc.split(":")
    for name, expected in ((f"attacker.example:{port}", 400), (f"localhost:{port}", 200),
                           (f"127.0.0.1:{port}", 200)):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/api/search?per_page=1", headers={"Host": name})
        assert connection.getresponse().status == expected, name
        connection.close()


def test_serve_command(mongo_uri: str, seeded: tuple[Any, str], tmp_path: Path) -> None:
    _, name = seeded
    secret_uri = f"{mongo_uri.rstrip('/')}/?appname={CANARY}"
    command = [sys.executable, "-m", "ingest", "serve", "--port", "0", "--mongo-uri", secret_uri,
               "--database", name, "--data-dir", str(tmp_path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline()
        match = re.match(r"serving (http://127\.0\.0\.1:\d+/) ", line)
        assert match, line
        status, answer = get_json(match.group(1) + "api/search?text=harbour")
        assert status == 200 and answer["total"] == 1
        _, _, page_html = get(match.group(1) + "article?url=" + urllib.parse.quote(REVISED))
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    for text in (line, out, err, page_html):
        assert CANARY not in text


# --- the parts on their own -----------------------------------------------------------------


def test_sanitizer_keeps_text_and_safe_links_only() -> None:
    cleaned = clean_html(HOSTILE_HTML, base_url=HOSTILE)
    assert "Hostile body text stays readable." in cleaned
    for bad in ("<script", "onerror", "onmouseover", "javascript:window", "<iframe", "<form", "<style",
                "<meta", "<img", "<svg", "evil.example"):
        assert bad not in cleaned
    assert 'href="https://news.example/2024/05/older/"' in cleaned
    assert "href" not in clean_html('<a href="/x">x</a>', base_url="javascript:alert(1)")
    assert web_url(" https://a.example/x.jpg ") == "https://a.example/x.jpg"
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:image/png;base64,xx",
                "//a.example/x", "/x.jpg", None, {"$ne": 1}):
        assert web_url(url) is None


def test_changes_compare_each_version_with_the_one_before() -> None:
    versions = [{**revised(v), "revision": v} for v in (1, 2, 3)]
    changes = revision_changes(versions[:2], versions[2])
    assert [(c.from_revision, c.to_revision) for c in changes] == [(2, 3), (1, 2)]
    assert ("+", "Caption: Boats in the flooded harbour at dawn "
                 "[https://img.news.example/harbour.jpg]") in changes[0].lines
    assert [line for line in changes[1].lines if line[0] in "+-"] == [
        ("-", "Twelve boats sank before noon."), ("+", "Fourteen boats sank before noon.")]


def test_chart_bars_stack_to_each_months_total() -> None:
    rows = [("2024-01", "A", 4), ("2024-01", "B", 2), ("2024-03", "A", 1)]
    chart = monthly_chart(rows, colours=1)
    assert chart.months == ["2024-01", "2024-02", "2024-03"]
    assert [name for _, name, _ in chart.legend] == ["A", "other categories"]
    january = [bar for bar in chart.bars if bar.label.startswith("2024-01")]
    march = [bar for bar in chart.bars if bar.label.startswith("2024-03")]
    per_article = march[0].height
    assert sum(bar.height for bar in january) == pytest.approx(6 * per_article)
    assert january[0].y + january[0].height == pytest.approx(chart.bottom)
    assert january[1].y + january[1].height == pytest.approx(january[0].y)
    assert not [bar for bar in chart.bars if bar.label.startswith("2024-02")]


# --- held-open connections and shared aggregations ------------------------------------------


def test_held_open_connections_do_not_starve_others(seeded: tuple[Any, str], figure) -> None:
    """Slowloris: 150 connections (over waitress's default limit of 100) each start a
    request and trickle a byte now and then; other clients are still served, and the
    trickling connections are closed once their request is overdue."""
    db, _ = seeded
    held_count, timeout = 150, 3
    with WebServer(create_app(db, trusted_hosts=trusted_hosts("127.0.0.1")),
                   request_timeout=timeout) as web:
        host, port = web.server.effective_host, web.server.effective_port
        held = []
        for _ in range(held_count):
            sock = socket.create_connection((host, port), timeout=10)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
            held.append(sock)
        started = time.monotonic()
        answered, slowest = 0, 0.0
        for n in range(20):
            for sock in held:
                sock.sendall(b"b")  # activity: waitress's idle timeout alone never fires
            began = time.monotonic()
            status, _, _ = get(f"{web.url}api/search?per_page=1&page={n % 3 + 1}")
            slowest = max(slowest, time.monotonic() - began)
            answered += status == 200
        assert answered == 20 and slowest < 5
        time.sleep(max(0.0, timeout + 3 - (time.monotonic() - started)))
        closed = 0
        for sock in held:
            sock.settimeout(5)
            try:
                closed += sock.recv(1024) == b""
            except ConnectionResetError:
                closed += 1
            sock.close()
    assert closed == held_count
    figure(f"slow clients: {held_count} connections held open with an incomplete request; 20/20 "
           f"other requests answered (slowest {slowest:.2f}s); all {held_count} closed after the "
           f"{timeout}s request deadline")


def test_concurrent_aggregations_are_computed_once_and_kept_a_while() -> None:
    calls: list[int] = []
    release = threading.Event()

    def slow() -> int:
        calls.append(1)
        release.wait(5)
        return len(calls)

    results = SharedResults(seconds=0.5)
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(results.get("k", slow))) for _ in range(20)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join()
    assert answers == [1] * 20 and len(calls) == 1
    assert results.get("other", slow) == 2  # another key: its own computation
    time.sleep(0.6)
    assert results.get("k", slow) == 3  # expired: computed again
    assert SharedResults(seconds=0).get("k", slow) == 4
