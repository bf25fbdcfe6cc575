"""MongoDB connections, collection names and indexes: the one place that knows them."""

from __future__ import annotations

import logging
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


# Which query shapes the store is given: "auto" asks the server; "mongodb" gives MongoDB's
# (what a real MongoDB receives, runnable on the embedded server too, only slower);
# "embedded" gives the shapes the embedded nx-27017 answers fast and right.
DIALECTS = ("auto", "mongodb", "embedded")


class StoreClient(pymongo.MongoClient):
    """A MongoClient that knows which query dialect its server is given."""

    def __init__(self, uri: str, dialect: str = "auto", **options: Any) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown store dialect {dialect!r}; known: {', '.join(DIALECTS)}")
        self.dialect = dialect
        super().__init__(uri, **options)


def connect(uri: str, dialect: str = "auto", **options: Any) -> StoreClient:
    options.setdefault("tz_aware", True)
    options.setdefault("serverSelectionTimeoutMS", 10_000)
    options.setdefault("appname", "ingest")
    return StoreClient(uri, dialect, **options)


def server_is_embedded(client: pymongo.MongoClient) -> bool:
    """Whether the server is the embedded nx-27017."""
    return client.admin.command("buildInfo").get("process") == "nx_27017"


def is_embedded_server(db: Database) -> bool:
    """Whether the store is given the embedded nx-27017's query shapes: its query plans
    differ from MongoDB's where it matters: it answers {field: {$in: [...]}} by scanning
    the collection (a json_each subquery per row), and loses $text matches in
    aggregations. The client's dialect decides; "auto" asks the server (once a client)."""
    client = db.client
    dialect = client.dialect if isinstance(client, StoreClient) else "auto"
    if dialect == "auto":
        dialect = "embedded" if server_is_embedded(client) else "mongodb"
        if isinstance(client, StoreClient):
            client.dialect = dialect
    return dialect == "embedded"


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
