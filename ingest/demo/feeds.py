"""The demo site's machine-readable entry points, as WordPress serves them: a Yoast-style
sitemap index, RSS feeds, and the REST API's posts and categories."""

from __future__ import annotations

import json
import math
from email.utils import format_datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from ingest.demo.site import DemoArticle, DemoSite

SITEMAP_SIZE = 200
FEED_SIZE = 10
REST_MAX_PER_PAGE = 100


def sitemap_index(site: DemoSite, base: str) -> str:
    pages = max(1, math.ceil(len(site.articles) / SITEMAP_SIZE))
    newest = site.newest(1)
    lastmod = newest[0].modified_at.isoformat() if newest else ""
    entries = "".join(
        f"<sitemap><loc>{base}/post-sitemap{'' if n == 1 else n}.xml</loc><lastmod>{lastmod}</lastmod></sitemap>"
        for n in range(1, pages + 1))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>')


def post_sitemap(site: DemoSite, base: str, number: int) -> str | None:
    oldest_first = list(reversed(site.newest()))
    chunk = oldest_first[(number - 1) * SITEMAP_SIZE: number * SITEMAP_SIZE]
    if not chunk:
        return None
    urls = "".join(f"<url><loc>{base}{a.path}</loc><lastmod>{a.modified_at.isoformat()}</lastmod></url>"
                   for a in chunk)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def rss(site: DemoSite, base: str, articles: list[DemoArticle], title: str) -> str:
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}{a.path}</link>"
        f"<guid isPermaLink=\"false\">{base}/?p={a.id}</guid>"
        f"<pubDate>{format_datetime(a.published_at)}</pubDate>"
        + "".join(f"<category><![CDATA[{c.name}]]></category>" for c in a.categories)
        + f"<description>{escape(a.paragraphs[0][:200])}</description></item>"
        for a in articles[:FEED_SIZE])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>{base}/</link>{items}</channel></rss>")


def category_ids(site: DemoSite) -> dict[str, int]:
    return {f"{c.language}/{c.slug}": index + 1 for index, c in enumerate(site.categories)}


def rest_categories(site: DemoSite, base: str) -> str:
    ids = category_ids(site)
    return json.dumps([{"id": ids[f"{c.language}/{c.slug}"], "name": c.name, "slug": c.slug,
                        "count": len(site.listing(c)), "link": f"{base}{c.path}"}
                       for c in site.categories], ensure_ascii=False)


def rest_posts(site: DemoSite, base: str, query: str) -> tuple[int, str, dict[str, str]]:
    """GET /wp-json/wp/v2/posts: newest first, paged, with X-WP-Total and X-WP-TotalPages."""
    params = parse_qs(query)
    try:
        per_page = min(int(params.get("per_page", ["10"])[0]), REST_MAX_PER_PAGE)
        page = int(params.get("page", ["1"])[0])
    except ValueError:
        return 400, json.dumps({"code": "rest_invalid_param"}), {}
    posts = site.newest()
    total_pages = max(1, math.ceil(len(posts) / per_page))
    if page < 1 or page > total_pages:
        return 400, json.dumps({"code": "rest_post_invalid_page_number"}), {}
    ids = category_ids(site)
    body = [_post(a, base, ids) for a in posts[(page - 1) * per_page: page * per_page]]
    return 200, json.dumps(body, ensure_ascii=False), {
        "X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(total_pages)}


def _post(a: DemoArticle, base: str, ids: dict[str, int]) -> dict[str, Any]:
    return {
        "id": a.id,
        "date_gmt": a.published_at.replace(tzinfo=None).isoformat(),
        "modified_gmt": a.modified_at.replace(tzinfo=None).isoformat(),
        "link": f"{base}{a.path}",
        "slug": a.slug,
        "title": {"rendered": escape(a.title, quote=False)},
        "categories": [ids[f"{c.language}/{c.slug}"] for c in a.categories],
    }
