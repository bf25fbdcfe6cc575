"""MongoDB connections, collection names and indexes: the one place that knows them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pymongo
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure

logger = logging.getLogger(__name__)

ARTICLES = "articles"
REVISIONS = "revisions"
RUNS = "runs"


def redact_uri(uri: str) -> str:
    """The URI safe for logs and run records: everything between the scheme and the last
    `@` masked (a password need not be escaped to be printed, and may hold `/`, `?` or `@`;
    a user name alone is masked too), options dropped (some carry secrets, e.g.
    authMechanismProperties or tlsCertificateKeyFilePassword)."""
    scheme, separator, rest = uri.partition("://")
    if not separator:
        scheme, rest = "", uri
    credentials, at, hosts = rest.rpartition("@")
    shown = f"***@{hosts}" if at else rest
    return f"{scheme}{separator}{shown.split('?', 1)[0]}"


def mongo_uri_from_env(settings_uri: str | None = None) -> str | None:
    return settings_uri or os.environ.get("MONGO_URI") or None


def connect(uri: str, **options: Any) -> pymongo.MongoClient:
    options.setdefault("tz_aware", True)
    options.setdefault("serverSelectionTimeoutMS", 10_000)
    options.setdefault("appname", "ingest")
    return pymongo.MongoClient(uri, **options)


_EMBEDDED: dict[Any, bool] = {}  # by server address: a property of the server, asked once


def is_embedded_server(db: Database) -> bool:
    """Whether the server is the embedded nx-27017, whose query plans differ from MongoDB's
    where it matters: it answers {field: {$in: [...]}} by scanning the collection (a
    json_each subquery per row), and loses $text matches in aggregations."""
    address = db.client.address
    if address not in _EMBEDDED:
        _EMBEDDED[address] = db.client.admin.command("buildInfo").get("process") == "nx_27017"
    return _EMBEDDED[address]


def find_by_values(collection: Collection, field: str, values: Iterable[Any],
                   projection: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Documents whose `field` is one of `values`: one $in query, or, where $in scans, one
    indexed equality query per value (a round trip each, but no scan)."""
    values = list(values)
    if not values:
        return
    if is_embedded_server(collection.database):
        for value in values:
            yield from collection.find({field: value}, projection)
    else:
        yield from collection.find({field: {"$in": values}}, projection)


def ensure_indexes(db: Database) -> None:
    """Idempotent: safe to call at the start of every run."""
    articles = db[ARTICLES]
    articles.create_index("canonical_url", unique=True, name="canonical_url_unique")
    articles.create_index("url", name="url")  # late listings find stored articles by either URL
    articles.create_index([("published_at", pymongo.DESCENDING)], name="published_at")
    articles.create_index([("site", pymongo.ASCENDING), ("published_at", pymongo.DESCENDING)],
                          name="site_published_at")
    articles.create_index([("categories", pymongo.ASCENDING), ("published_at", pymongo.DESCENDING)],
                          name="categories_published_at")
    # Plain copies of the publication time (see articles.published_keys): date ranges and months.
    articles.create_index("published_ms", name="published_ms")
    articles.create_index("published_local_ms", name="published_local_ms")
    articles.create_index("published_month", name="published_month")
    articles.create_index([("site", pymongo.ASCENDING), ("published_month", pymongo.ASCENDING)],
                          name="site_published_month")
    articles.create_index("tags", name="tags")
    articles.create_index("authors", name="authors")
    articles.create_index("language", name="language")
    try:
        articles.create_index([("title", pymongo.TEXT), ("body", pymongo.TEXT)],
                              name="title_body_text", default_language="none")
    except OperationFailure as exc:
        # The embedded nx-27017 server does not list its text indexes and refuses to create
        # one again once the collection holds data; MongoDB treats this as a no-op.
        logger.debug("text index not (re)created: %s", exc)
    db[REVISIONS].create_index([("canonical_url", pymongo.ASCENDING), ("revision", pymongo.ASCENDING)],
                               unique=True, name="canonical_url_revision")
    db[RUNS].create_index([("site", pymongo.ASCENDING), ("started_at", pymongo.DESCENDING)],
                          name="site_started_at")
