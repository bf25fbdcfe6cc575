"""The HTML pages: search, article, stats."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, render_template, request, url_for
from pymongo.database import Database

from ingest.store import queries
from ingest.store.queries import ArticleFilter
from ingest.web.chart import monthly_chart
from ingest.revisions import revision_changes
from ingest.web.params import MAX_PAGE, PER_PAGE, article_url, check_names, page_and_size
from ingest.web.sanitize import clean_html, web_url

bp = Blueprint("pages", __name__)
T = TypeVar("T")

FACETS = ("site", "category", "language")
FACET_SIZE = 12
SNIPPET_CHARS = 280


def store() -> Database:
    return current_app.extensions["ingest_db"]


def shared(name: str, flt: ArticleFilter, compute: Callable[[], T], *extra: Hashable) -> T:
    """An aggregation over the filter's articles, computed once for concurrent requests and
    kept for a while (ingest.web.cache)."""
    key = (name, tuple(sorted(flt.as_params().items())), *extra)
    return current_app.extensions["ingest_results"].get(key, compute)


def request_filter() -> ArticleFilter:
    check_names(request.args)
    return ArticleFilter.from_params(request.args.to_dict(flat=False))


def snippet(item: Mapping[str, Any]) -> str:
    text = item.get("snippet") or item.get("lead") or item.get("body") or ""
    return textwrap.shorten(text, SNIPPET_CHARS, placeholder=" …")


def search_link(params: Mapping[str, str], **changes: Any) -> str:
    """The search page with some parameters changed (None or "" drops one)."""
    merged = {**params, **changes}
    return url_for("pages.search", **{k: v for k, v in merged.items() if v not in (None, "")})


@bp.get("/")
def search() -> str:
    flt = request_filter()
    page, per_page = page_and_size(request.args)
    result = queries.search_articles(store(), flt, page=page, per_page=per_page)
    facets = {by: shared("counts_by", flt, lambda by=by: queries.counts_by(store(), flt, by), by)[:FACET_SIZE]
              for by in FACETS}
    last_page = min(result.pages, MAX_PAGE)
    return render_template("search.html", flt=flt, params=flt.as_params(), result=result,
                           facets=facets, last_page=last_page, snippet=snippet,
                           search_link=search_link,
                           per_page_param=per_page if per_page != PER_PAGE else None)


@bp.get("/article")
def article() -> str:
    url = article_url(request.args)
    doc = queries.article_by_url(store(), url)
    if doc is None:
        abort(404, "No stored article has this URL or canonical URL.")
    revisions = queries.revisions_of(store(), doc["canonical_url"])
    body_html = clean_html(doc["body_html"], doc.get("url")) if doc.get("body_html") else ""
    paragraphs = [p for p in (doc.get("body") or "").split("\n\n") if p.strip()]
    captions = [{**c, "link": web_url(c.get("image_url"))} for c in doc.get("captions") or []
                if isinstance(c, Mapping)]
    return render_template("article.html", doc=doc, link=web_url(doc.get("url")),
                           body_html=body_html, paragraphs=paragraphs, captions=captions,
                           revisions=revisions, changes=revision_changes(revisions, doc))


@bp.get("/stats")
def stats() -> str:
    flt = request_filter()
    rows = shared("monthly", flt, lambda: queries.monthly_counts_by_category(store(), flt))
    coverage = shared("coverage", flt, lambda: queries.field_coverage(store(), flt))
    return render_template("stats.html", flt=flt, params=flt.as_params(), rows=rows,
                           chart=monthly_chart(rows), coverage=coverage)
