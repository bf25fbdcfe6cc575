"""The local demo news site: structure, pagination, ground truth and changes between crawls."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from ingest.demo.site import DemoServer, DemoSite

ARTICLE_LINK = re.compile(r'<h2 class="entry-title"><a href="([^"]+)"')
NEXT_LINK = re.compile(r'<a class="next page-numbers" href="([^"]+)"')
ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff]")  # not ZWNJ/ZWJ: Persian spelling needs them


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def visible(html: str) -> str:
    """Tag-free, entity-decoded text with whitespace collapsed (NBSP as space), no zero-width."""
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    return " ".join(ZERO_WIDTH.sub("", text).replace("\u00a0", " ").split())


def crawl_category(base_url: str, path: str) -> tuple[list[str], list[str]]:
    """All article URLs on a category's listing pages (in order) and the pages visited."""
    url: str | None = base_url + path
    found: list[str] = []
    pages: list[str] = []
    while url:
        status, html = fetch(url)
        assert status == 200, url
        assert "<h1 class=\"page-title\">Category: " in html
        pages.append(html)
        found += ARTICLE_LINK.findall(html)
        match = NEXT_LINK.search(html)
        url = match.group(1) if match else None
        assert len(pages) < 100
    return found, pages


@pytest.fixture
def served() -> Iterator[tuple[DemoSite, DemoServer]]:
    site = DemoSite(n_articles=40, seed=3, per_page=5)
    with DemoServer(site) as server:
        yield site, server


def test_generation_is_deterministic_and_well_formed() -> None:
    one, two = DemoSite(n_articles=60, seed=11), DemoSite(n_articles=60, seed=11)
    assert one.expected() == two.expected()
    assert one.expected() != DemoSite(n_articles=60, seed=12).expected()
    assert len({c.slug for c in one.categories if c.language == "en"}) >= 6
    assert [c for c in one.categories if c.language == "fa"]
    ids = [a.id for a in one.articles]
    assert len(set(ids)) == len(ids)
    assert len({a.path for a in one.articles}) == len(ids)
    for truth in one.expected():
        assert truth["published_at"].tzinfo is not None
        assert truth["published_at"].utcoffset().total_seconds() == 0
        assert truth["modified_at"] >= truth["published_at"]
        assert 1 <= len(truth["categories"]) <= 3
        assert truth["language"] in ("en", "fa")
        for text in truth["paragraphs"] + [truth["title"]]:
            assert text == " ".join(text.split()) and not ZERO_WIDTH.search(text)
    assert any(t["captions"] for t in one.expected())


def test_home_menu_search_form_and_sidebar(served: tuple[DemoSite, DemoServer]) -> None:
    site, server = served
    status, html = fetch(server.base_url + "/")
    assert status == 200
    menu = html.split('<ul id="primary-menu" class="menu">', 1)[1].split("</ul>", 1)[0]
    for category in site.categories:
        assert f'href="{server.base_url}{category.path}"' in menu
        assert category.name in menu
    for label in ("Generic selectors", "Exact matches only", "Search in title", "Search in content",
                  "Post Type Selectors", "Filter by Categories"):
        assert f"{label}</label>" in html
    assert "Recent Posts" in html and 'class="site-footer"' in html
    newest = sorted(site.articles, key=lambda a: a.published_at, reverse=True)
    assert ARTICLE_LINK.findall(html) == [server.base_url + a.path for a in newest[:10]]


def test_every_category_paginates_to_each_article_exactly_once(
        served: tuple[DemoSite, DemoServer]) -> None:
    site, server = served
    seen: set[str] = set()
    for category in site.categories:
        found, pages = crawl_category(server.base_url, category.path)
        members = [a for a in site.articles if category in a.categories]
        assert sorted(found) == sorted(server.base_url + a.path for a in members)
        assert len(found) == len(set(found))
        assert len(pages) == -(-len(members) // site.per_page)
        assert not NEXT_LINK.search(pages[-1])
        beyond = f"{server.base_url}{category.path}page/{len(pages) + 1}/"
        assert fetch(beyond)[0] == 404
        seen.update(found)
    assert seen == {server.base_url + a.path for a in site.articles}
    assert any(len(a.categories) > 1 for a in site.articles)


def test_article_page_shows_the_ground_truth(served: tuple[DemoSite, DemoServer]) -> None:
    site, server = served
    truths = site.expected()
    with_caption = next(t for t in truths if t["captions"] and t["language"] == "en")
    for truth in (with_caption, next(t for t in truths if t["language"] == "fa")):
        status, html = fetch(server.base_url + truth["url"])
        assert status == 200
        lang = "fa-IR" if truth["language"] == "fa" else "en-US"
        assert f'<html lang="{lang}"' in html
        assert f'<link rel="canonical" href="{server.base_url}{truth["url"]}">' in html
        assert f'postid-{truth["id"]}' in html
        content = html.split('<div class="entry-content">', 1)[1]
        content = content.split('<div class="sharedaddy', 1)[0]
        text = visible(content)
        assert truth["title"] in visible(html)
        for paragraph in truth["paragraphs"]:
            assert paragraph in text
        for caption in truth["captions"]:
            assert caption["text"] in text
            assert caption["image_path"] in content
            if caption["credit"]:
                assert caption["credit"] in text
        cat_links = re.findall(r'rel="category tag">([^<]+)</a>', html)
        assert cat_links == truth["categories"]
    html = fetch(server.base_url + with_caption["url"])[1]
    local = with_caption["published_at"].astimezone(ZoneInfo("Asia/Tehran"))
    assert f'<meta property="article:published_time" content="{local.isoformat()}">' in html
    assert f"{local:%B} {local.day}, {local.year}" in visible(html)


def test_persian_dates_are_visible_text_only(served: tuple[DemoSite, DemoServer]) -> None:
    site, server = served
    article = next(a for a in site.articles if a.language == "fa")
    html = fetch(server.base_url + article.path)[1]
    assert 'dir="rtl"' in html
    assert "datetime=" not in html and "article:published_time" not in html
    assert "application/ld+json" not in html
    date = re.search(r'<span class="entry-date">([^<]+)</span>', html)
    assert date and re.fullmatch(r"[۰-۹]+ \S+ [۰-۹]{4}", date.group(1))
    local = article.published_at.astimezone(ZoneInfo("Asia/Tehran"))
    assert (local.hour, local.minute, local.second) == (0, 0, 0)  # only the day is shown


def test_edit_changes_page_and_modified_date(served: tuple[DemoSite, DemoServer]) -> None:
    site, server = served
    article = next(a for a in site.articles if a.language == "en")
    before_html = fetch(server.base_url + article.path)[1]
    before = next(t for t in site.expected() if t["id"] == article.id)
    site.edit_article(article.id, "A correction was added to this report later.")
    after_html = fetch(server.base_url + article.path)[1]
    after = next(t for t in site.expected() if t["id"] == article.id)
    added = "A correction was added to this report later."
    assert after["paragraphs"] == before["paragraphs"] + [added]
    assert after["modified_at"] > before["modified_at"]
    assert "A correction was added to this report later." in visible(after_html)
    assert "A correction was added" not in visible(before_html)
    stamp = re.compile(r'<meta property="article:modified_time" content="([^"]+)"')
    assert stamp.search(after_html).group(1) != stamp.search(before_html).group(1)


def test_added_articles_come_first(served: tuple[DemoSite, DemoServer]) -> None:
    site, server = served
    newest_before = max(a.published_at for a in site.articles)
    added = site.add_articles(3)
    assert len(added) == 3 and all(a.published_at > newest_before for a in added)
    assert all(a in site.articles for a in added)
    home = ARTICLE_LINK.findall(fetch(server.base_url + "/")[1])
    newest_first = sorted(added, key=lambda a: a.published_at, reverse=True)
    assert home[:3] == [server.base_url + a.path for a in newest_first]
    for article in added:
        first_page = ARTICLE_LINK.findall(fetch(server.base_url + article.categories[0].path)[1])
        assert server.base_url + article.path in first_page
        assert fetch(server.base_url + article.path)[0] == 200


def test_robots_admin_and_not_found(served: tuple[DemoSite, DemoServer]) -> None:
    site, server = served
    assert fetch(server.base_url + "/robots.txt") == (
        200, f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {server.base_url}/sitemap_index.xml\n")
    assert fetch(server.base_url + "/wp-admin/")[0] == 403
    status, html = fetch(server.base_url + "/no/such/page/")
    assert status == 404 and 'class="site-header"' in html
    assert fetch(server.base_url + site.categories[0].path + "page/0/")[0] == 404
    assert server.requests_served >= 4
    assert server.paths_served["/robots.txt"] == 1


def test_full_theme_pages_are_news_sized_and_extract_the_same() -> None:
    from ingest.extract.article import extract_article
    from ingest.sites import load_profile

    light, full = DemoSite(n_articles=30, seed=9), DemoSite(n_articles=30, seed=9, full_theme=True)
    assert light.expected() == full.expected()
    rules = load_profile("demo").extraction
    with DemoServer(light) as light_server, DemoServer(full) as full_server:
        for truth in full.expected()[:6]:
            light_html = fetch(light_server.base_url + truth["url"])[1]
            html = fetch(full_server.base_url + truth["url"])[1]
            assert 'class="comments-area"' not in light_html and len(light_html.encode()) < 16_000
            assert 'class="comments-area"' in html and "global-styles-inline-css" in html
            assert 24_000 < len(html.encode()) < 48_000
            fields = extract_article(html, full_server.base_url + truth["url"], rules)
            assert fields["title"] == truth["title"]
            assert fields["body"] == "\n\n".join(truth["paragraphs"])
            assert fields["categories"] == truth["categories"]
        listing = fetch(full_server.base_url + full.categories[0].path)[1]
        assert 'class="widget widget_archive"' in listing
        first_page = full.listing(full.categories[0])[:full.per_page]
        assert ARTICLE_LINK.findall(listing) == [full_server.base_url + a.path for a in first_page]
