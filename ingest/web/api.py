"""The JSON API: the same queries as the pages, datetimes in ISO 8601."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, abort, request

from ingest.store import queries
from ingest.revisions import revision_changes
from ingest.web.pages import request_filter, shared, store
from ingest.web.params import article_url, page_and_size
from ingest.web.sanitize import clean_html

bp = Blueprint("api", __name__)


@bp.get("/search")
def search() -> dict[str, Any]:
    flt = request_filter()
    page, per_page = page_and_size(request.args)
    result = queries.search_articles(store(), flt, page=page, per_page=per_page)
    return {"filter": flt.as_params(), "total": result.total, "more": result.more,
            "page": result.page, "per_page": result.per_page, "items": result.items}


@bp.get("/article")
def article() -> dict[str, Any]:
    doc = queries.article_by_url(store(), article_url(request.args))
    if doc is None:
        abort(404, "No stored article has this URL or canonical URL.")
    revisions = queries.revisions_of(store(), doc["canonical_url"])
    changes = [asdict(c) for c in revision_changes(revisions, doc)]
    if doc.get("body_html"):
        doc["body_html"] = clean_html(doc["body_html"], doc.get("url"))
    for revision in revisions:
        revision.pop("article_id", None)
        if revision.get("body_html"):
            revision["body_html"] = clean_html(revision["body_html"], revision.get("url"))
    return {"article": doc, "revisions": revisions, "changes": changes}


@bp.get("/stats")
def stats() -> dict[str, Any]:
    flt = request_filter()
    monthly = [{"month": m, "category": c, "articles": n}
               for m, c, n in shared("monthly", flt, lambda: queries.monthly_counts_by_category(store(), flt))]
    return {"filter": flt.as_params(), "monthly_by_category": monthly,
            "categories": shared("counts_by", flt, lambda: queries.counts_by(store(), flt, "category"), "category"),
            "field_coverage": shared("coverage", flt, lambda: queries.field_coverage(store(), flt))}
