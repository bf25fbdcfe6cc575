"""The read side: every query analysts, the CLI and the web app run goes through here.

User input reaches MongoDB only as plain strings and datetimes placed inside operators
chosen here (ArticleFilter validates types before any query is built), and every query
carries a limit and a time bound."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta, timezone
from typing import Any, Literal, get_args

from pymongo.database import Database
from pymongo.errors import OperationFailure

from ingest.store.client import ARTICLES, REVISIONS, is_embedded_server
from ingest.store.counts import (
    counted_by, counted_by_month_and_category, counted_fields, counts_complete,
)
from ingest.store.fields import ARTICLE_FIELDS
from ingest.store.times import as_datetime, as_utc, epoch_ms

MAX_LIMIT = 1000
QUERY_TIME_LIMIT_MS = 10_000
MAX_PARAM_LENGTH = 200
MAX_SEARCH_WORDS = 16
# Deeper pages cost a skip over everything before them: narrow the filter instead.
MAX_SKIP = 100_000
# A word search counts its matches up to this: counting every match of a common word costs
# as much as reading them (the embedded store loads each one), and no one pages that far.
# Other filters are counted exactly (an index count).
SEARCH_COUNT_CAP = 1_000
# Distinct values one count returns at most (authors and tags can be many).
MAX_GROUPS = 10_000
INDEX_NOT_FOUND = 27  # MongoDB's answer to $text without a text index
TEXT_FIELDS = ("title", "body")
CountBy = Literal["category", "month", "site", "language", "author", "tag"]
_GROUP_FIELDS: dict[str, str] = {"category": "categories", "site": "site", "language": "language",
                                 "author": "authors", "tag": "tags", "month": "published_month"}
_LIST_FIELDS = {"categories", "authors", "tags"}
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD_EDGES = ".,;:!?()[]{}<>'-\u00ab\u00bb\u201c\u201d\u2018\u2019"


class QueryError(ValueError):
    """User input that cannot become a query; the message says what to fix."""


def search_words(text: str) -> list[str]:
    """The words of a search: every word must appear. Quotes, a leading '-' and edge
    punctuation have no special meaning (they never reach the server's search syntax)."""
    tokens = (token.strip(_WORD_EDGES) for token in re.split(r'[\s"]+', text))
    return [token for token in tokens if token]


def _one_value(key: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):
        if not raw:
            return None
        if len(raw) > 1:
            raise QueryError(f"{key}: give one value, not {len(raw)}")
        raw = raw[0]
    if not isinstance(raw, str):
        raise QueryError(f"{key}: expected text, not {type(raw).__name__}")
    if len(raw) > MAX_PARAM_LENGTH:
        raise QueryError(f"{key}: longer than {MAX_PARAM_LENGTH} characters")
    if _CONTROL_CHARACTERS.search(raw):  # a NUL breaks the embedded store's full-text query
        raise QueryError(f"{key}: contains a control character")
    return raw.strip() or None


def parse_date_param(key: str, text: str, end_of_day: bool = False) -> datetime:
    """YYYY-MM-DD (the whole day when it ends a range) or an ISO 8601 instant, as UTC."""
    if _DATE_ONLY.fullmatch(text):
        try:
            day = datetime.combine(datetime.fromisoformat(text).date(), time.min, timezone.utc)
        except ValueError:
            raise QueryError(f"{key}: {text!r} is not a date") from None
        return day + timedelta(days=1, milliseconds=-1) if end_of_day else day
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise QueryError(f"{key}: {text!r} is not a date (use YYYY-MM-DD or ISO 8601)") from None
    except OverflowError:
        raise QueryError(f"{key}: {text!r} is outside the years 1 to 9999 in UTC") from None


def _day_param(value: datetime, end_of_day: bool) -> str:
    day_start = datetime.combine(value.date(), time.min, timezone.utc)
    boundary = day_start + timedelta(days=1, milliseconds=-1) if end_of_day else day_start
    return value.date().isoformat() if value == boundary else value.isoformat()


# Parameter name (query string, CLI) -> ArticleFilter field.
FILTER_PARAMS: dict[str, str] = {
    "text": "text", "site": "site", "category": "category", "tag": "tag", "author": "author",
    "language": "language", "from": "published_from", "to": "published_to",
}
_STRING_FIELDS = ("text", "site", "category", "tag", "author", "language")
# Filter field -> stored field it matches by equality (array fields match any element).
_EQUALITY_FIELDS = {"site": "site", "category": "categories", "tag": "tags",
                    "author": "authors", "language": "language"}


@dataclass(frozen=True)
class ArticleFilter:
    """What to select. Every value is checked here, whoever builds the filter, so a query
    built from one holds only plain strings and datetimes."""

    text: str | None = None
    site: str | None = None
    category: str | None = None
    tag: str | None = None
    author: str | None = None
    language: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None
    # The bounds are days on each site's own calendar (YYYY-MM-DD parameters), matched
    # against the local publication time, not instants.
    local_days: bool = False

    def __post_init__(self) -> None:
        for name in _STRING_FIELDS:
            object.__setattr__(self, name, _one_value(name, getattr(self, name)))
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, datetime):
                raise QueryError(f"{name}: expected a datetime, not {type(value).__name__}")
            try:
                object.__setattr__(self, name, as_utc(value))
            except OverflowError:
                raise QueryError(f"{name}: outside the years 1 to 9999 in UTC") from None
        if not isinstance(self.local_days, bool):
            raise QueryError(f"local_days: expected true or false, not {type(self.local_days).__name__}")
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise QueryError("from: the range starts after it ends")
        if self.text is not None:
            words = search_words(self.text)
            if not words:
                raise QueryError("text: no word to search for")
            if len(words) > MAX_SEARCH_WORDS:
                raise QueryError(f"text: more than {MAX_SEARCH_WORDS} words")

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]]) -> ArticleFilter:
        """From untrusted parameters (a web query string, CLI flags). Keys are those of
        FILTER_PARAMS; other keys (page, format...) are ignored."""
        if not isinstance(params, Mapping):
            raise QueryError("parameters: expected a mapping of names to text")
        values: dict[str, Any] = {}
        days: list[bool] = []
        for key, name in FILTER_PARAMS.items():
            value = _one_value(key, params.get(key))
            if value is None:
                continue
            if name in ("published_from", "published_to"):
                values[name] = parse_date_param(key, value, end_of_day=name == "published_to")
                days.append(bool(_DATE_ONLY.fullmatch(value)))
            else:
                values[name] = value
        return cls(**values, local_days=bool(days) and all(days))

    def as_params(self) -> dict[str, str]:
        """The parameters from_params turns back into this filter (for links, pagination)."""
        params: dict[str, str] = {}
        for key, name in FILTER_PARAMS.items():
            value = getattr(self, name)
            if isinstance(value, datetime):
                params[key] = (_day_param(value, end_of_day=name == "published_to")
                               if self.local_days else value.isoformat())
            elif value is not None:
                params[key] = value
        return params

    def is_empty(self) -> bool:
        return not narrowed_by(self)

    @property
    def date_key(self) -> str:
        """The stored field the date bounds compare with (see articles.published_keys)."""
        return "published_local_ms" if self.local_days else "published_ms"

    def to_query(self, text_index: bool = True) -> dict[str, Any]:
        """The MongoDB filter. Text goes to $text (each word a quoted phrase, so all must
        appear) or, with text_index=False, to escaped case-insensitive regexes on title
        and body.

        Every condition but the regexes is a top-level field the embedded server turns into
        SQL (milliseconds at 100k articles; it evaluates any $and in Python, seconds), and
        $text combines there with the others only while all of them do. Date bounds are a
        range on published_ms, or on published_local_ms for days (local_days): the embedded
        server scans and compares stored datetimes in Python, integers it compares on an
        index."""
        query: dict[str, Any] = {}
        for name, stored in _EQUALITY_FIELDS.items():
            value = getattr(self, name)
            if value is not None:
                # On array fields $in rather than a bare value: the embedded server's find()
                # misses equality matches on array fields that have a single-field index.
                # On the others a bare value: the embedded server's $match runs $in in Python.
                query[stored] = {"$in": [value]} if stored in _LIST_FIELDS else value
        published: dict[str, int] = {}
        if self.published_from is not None:
            published["$gte"] = epoch_ms(self.published_from)
        if self.published_to is not None:
            published["$lte"] = epoch_ms(self.published_to)
        if published:
            query[self.date_key] = published
        if self.text is not None:
            words = search_words(self.text)
            if text_index:
                query["$text"] = {"$search": " ".join(f'"{word}"' for word in words)}
            else:
                query["$and"] = [{"$or": [{field: {"$regex": re.escape(word), "$options": "i"}}
                                          for field in TEXT_FIELDS]} for word in words]
        return query


def narrowed_by(flt: ArticleFilter) -> set[str]:
    """The conditions a filter sets (local_days only says how its dates read)."""
    return {f.name for f in fields(flt) if f.name != "local_days" and getattr(flt, f.name) is not None}


@dataclass(frozen=True)
class SearchPage:
    """One page of results. For a word search `total` is exact up to SEARCH_COUNT_CAP; beyond,
    it is the cap and `more` is True (exact counts: `counts_by`; every match: `export`)."""

    total: int
    page: int
    per_page: int
    items: list[dict[str, Any]]
    more: bool = False

    @property
    def pages(self) -> int:
        """Pages known to exist: with `more`, at least one after a full page."""
        known = max(1, -(-self.total // self.per_page))
        if self.more and len(self.items) == self.per_page:
            return max(known, self.page + 1)
        return max(known, self.page) if self.more else known


def uses_text_index(db: Database) -> bool:
    """Whether text search goes through $text here: on MongoDB with the text index, and on
    the embedded server, which answers $text from the SQLite full-text tables its text
    index keeps (created by ensure_indexes before any article is stored)."""
    try:
        db[ARTICLES].find_one({"$text": {"$search": "probe"}}, {"_id": 1},
                              max_time_ms=QUERY_TIME_LIMIT_MS)
    except OperationFailure as exc:
        if exc.code == INDEX_NOT_FOUND or "text index" in str(exc):
            return False
        raise
    return True


def article_query(db: Database, flt: ArticleFilter) -> dict[str, Any]:
    """The filter's query for this server."""
    return flt.to_query(text_index=flt.text is not None and uses_text_index(db))


def _page_number(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise QueryError(f"{name}: a whole number from 1, not {value!r}")
    return value


def count_matching(db: Database, query: dict[str, Any]) -> int:
    # What count_documents does, spelt out: the embedded server's count_documents misses
    # $text matches that this pipeline finds.
    # No empty $match: the embedded server then evaluates every document in Python.
    match = [{"$match": query}] if query else []
    rows = list(db[ARTICLES].aggregate([*match, {"$count": "n"}], maxTimeMS=QUERY_TIME_LIMIT_MS))
    return int(rows[0]["n"]) if rows else 0


LISTING_PROJECTION = {"_id": 0, "body_html": 0}
NEWEST_FIRST = [("published_at", -1)]


def newest_first(flt: ArticleFilter) -> list[tuple[str, int]]:
    """The listing order. With date bounds, on the field they compare with (published_ms
    is published_at in milliseconds, as stored; published_local_ms the site's wall time,
    the same order within a site): the embedded server then walks that index through the
    range and stops at the page, where sorting on published_at reads every article in
    the range."""
    if flt.published_from is None and flt.published_to is None:
        return NEWEST_FIRST
    return [(flt.date_key, -1)]


def search_articles(db: Database, flt: ArticleFilter, page: int = 1,
                    per_page: int = 20) -> SearchPage:
    """One page of the matching articles, newest first, without _id and body_html."""
    page = _page_number("page", page)
    per_page = min(_page_number("per_page", per_page), MAX_LIMIT)
    skip = (page - 1) * per_page
    if skip > MAX_SKIP:
        raise QueryError(f"page: only the first {MAX_SKIP} results can be paged through; "
                         "narrow the filter")
    query = article_query(db, flt)
    if "$text" in query:
        found = len(db[ARTICLES].find(query, {"_id": 1}).limit(SEARCH_COUNT_CAP + 1)
                    .max_time_ms(QUERY_TIME_LIMIT_MS).to_list())
        total, more = min(found, SEARCH_COUNT_CAP), found > SEARCH_COUNT_CAP
    else:
        total, more = count_matching(db, query), False
    cursor = (db[ARTICLES].find(query, LISTING_PROJECTION).sort(newest_first(flt)).skip(skip)
              .limit(per_page).max_time_ms(QUERY_TIME_LIMIT_MS))
    return SearchPage(total=total, page=page, per_page=per_page, items=list(cursor), more=more)


# Articles per $in (SQLite takes at most 32,766 parameters in one statement).
KEY_CHUNK = 20_000


def _aggregate(db: Database, flt: ArticleFilter, stages: list[dict[str, Any]],
               limit: int = MAX_GROUPS) -> list[dict[str, Any]]:
    """Rows of a $group whose numeric fields are sums, over the matching articles."""
    query = article_query(db, flt)
    if "$text" in query and is_embedded_server(db):
        return _aggregate_text_matches(db, query, stages, limit)
    pipeline = [*([{"$match": query}] if query else []), *stages, {"$limit": limit}]  # as above
    return list(db[ARTICLES].aggregate(pipeline, maxTimeMS=QUERY_TIME_LIMIT_MS))


def _aggregate_text_matches(db: Database, query: dict[str, Any], stages: list[dict[str, Any]],
                            limit: int) -> list[dict[str, Any]]:
    """The embedded server answers find() with $text and other conditions in SQL, but
    loses matches when an aggregation stage it runs in Python follows a $match with $text.
    So: the matching articles' canonical URLs first (its $match on _id refuses ObjectIds),
    then the stages over those articles, chunk by chunk, the sums of each group added up."""
    keys = [doc["canonical_url"] for doc in
            db[ARTICLES].find(query, {"_id": 0, "canonical_url": 1}).max_time_ms(QUERY_TIME_LIMIT_MS)]
    merged: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start: start + KEY_CHUNK]
        pipeline = [{"$match": {"canonical_url": {"$in": chunk}}}, *stages]
        for row in db[ARTICLES].aggregate(pipeline, maxTimeMS=QUERY_TIME_LIMIT_MS):
            total = merged.setdefault(repr(row["_id"]), {"_id": row["_id"]})
            for key, value in row.items():
                if key != "_id":
                    total[key] = total.get(key, 0) + value
    return list(merged.values())[:limit]


# What the writer's counts (ingest.store.counts) answer: stats per site and language.
_COUNTED_BY = {"category", "month", "site", "language"}
_COUNTED_FILTERS = {"site", "language"}


def _counts_answer(db: Database, flt: ArticleFilter) -> bool:
    """Whether the writer's counts answer for this filter: no condition but site and
    language, and counts complete."""
    return narrowed_by(flt) <= _COUNTED_FILTERS and counts_complete(db)


def counts_by(db: Database, flt: ArticleFilter, by: CountBy) -> list[tuple[str, int]]:
    """Matching articles per value of a field: months in order, others most frequent first.
    An article counts once under each of its categories, authors and tags; articles
    without the field are not counted (field_coverage tells how many)."""
    if by not in get_args(CountBy):
        raise QueryError(f"by: one of {', '.join(get_args(CountBy))}, not {by!r}")
    if by in _COUNTED_BY and _counts_answer(db, flt):
        rows = [(str(value), n) for value, n in
                counted_by(db, by, flt.site, flt.language, MAX_GROUPS, QUERY_TIME_LIMIT_MS)
                if value not in (None, "")]
    else:
        rows = _aggregated_counts(db, flt, by)
    if by == "month":
        return sorted(rows)
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _aggregated_counts(db: Database, flt: ArticleFilter, by: CountBy) -> list[tuple[str, int]]:
    stored = _GROUP_FIELDS[by]
    stages: list[dict[str, Any]] = [{"$unwind": f"${stored}"}] if stored in _LIST_FIELDS else []
    key = f"${stored}"
    # Sorted again below: the embedded server ignores $sort after $group.
    stages += [{"$group": {"_id": key, "n": {"$sum": 1}}}, {"$sort": {"n": -1, "_id": 1}}]
    return [(str(r["_id"]), r["n"]) for r in _aggregate(db, flt, stages)
            if r["_id"] not in (None, "")]


def monthly_counts_by_category(db: Database, flt: ArticleFilter) -> list[tuple[str, str, int]]:
    """(month "YYYY-MM", category, articles), by month then category."""
    if _counts_answer(db, flt):
        return sorted((month, str(category), n) for month, category, n in
                      counted_by_month_and_category(db, flt.site, flt.language, MAX_GROUPS,
                                                    QUERY_TIME_LIMIT_MS)
                      if category not in (None, ""))
    # One string key: the embedded server does not evaluate expressions inside a compound _id.
    key = {"$concat": ["$published_month", "|", "$categories"]}
    stages = [{"$unwind": "$categories"}, {"$group": {"_id": key, "n": {"$sum": 1}}},
              {"$sort": {"_id": 1}}]
    rows = [(r["_id"][:7], r["_id"][8:], r["n"]) for r in _aggregate(db, flt, stages)
            if isinstance(r["_id"], str) and r["_id"][7:8] == "|"]
    return sorted(rows)


def _present(field: str) -> dict[str, Any]:
    """True when a document holds a value for the field: a non-empty list, or anything but
    null and the empty string."""
    value = f"${field}"
    return {"$cond": {"if": {"$isArray": value}, "then": {"$gt": [{"$size": value}, 0]},
                      "else": {"$not": [{"$in": [{"$ifNull": [value, ""]}, ["", None]]}]}}}


def field_coverage(db: Database, flt: ArticleFilter) -> list[tuple[str, int, int]]:
    """(field, matching articles holding a value for it, matching articles), for every
    stored field, counted in one pass."""
    if _counts_answer(db, flt):
        total, filled = counted_fields(db, flt.site, flt.language, QUERY_TIME_LIMIT_MS)
        return [(field, filled[field], total) for field in ARTICLE_FIELDS]
    group: dict[str, Any] = {"_id": None, "_total": {"$sum": 1}}
    for field in ARTICLE_FIELDS:
        # $cond in its {if, then, else} form: the embedded server runs that one in SQL.
        group[field] = {"$sum": {"$cond": {"if": _present(field), "then": 1, "else": 0}}}
    rows = _aggregate(db, flt, [{"$group": group}], limit=1)
    row = rows[0] if rows else {}
    total = int(row.get("_total", 0))
    return [(field, int(row.get(field, 0)), total) for field in ARTICLE_FIELDS]


def count_articles(db: Database, site: str | None = None) -> int:
    return db[ARTICLES].count_documents({"site": site} if site else {},
                                        maxTimeMS=QUERY_TIME_LIMIT_MS)


def category_counts(db: Database, site: str | None = None) -> list[tuple[str, int]]:
    return counts_by(db, ArticleFilter(site=site), "category")


def date_range(db: Database, site: str | None = None) -> tuple[datetime | None, datetime | None]:
    match: dict[str, Any] = {"published_at": {"$ne": None}}
    if site:
        match["site"] = site
    projection = {"published_at": 1, "_id": 0}
    oldest = (db[ARTICLES].find(match, projection).sort("published_at", 1).limit(1)
              .max_time_ms(QUERY_TIME_LIMIT_MS))
    newest = (db[ARTICLES].find(match, projection).sort("published_at", -1).limit(1)
              .max_time_ms(QUERY_TIME_LIMIT_MS))
    first = next(iter(oldest), None)
    last = next(iter(newest), None)
    return (as_datetime(first["published_at"]) if first else None,
            as_datetime(last["published_at"]) if last else None)


def latest_articles(db: Database, site: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    query = {"site": site} if site else {}
    cursor = (db[ARTICLES].find(query, {"_id": 0}).sort("published_at", -1)
              .limit(min(limit, MAX_LIMIT)).max_time_ms(QUERY_TIME_LIMIT_MS))
    return list(cursor)


def sample_article(db: Database, site: str | None = None) -> dict[str, Any] | None:
    """A recent article with a caption if there is one: the most telling example."""
    # $elemMatch rather than "captions.0": the embedded server answers the latter wrongly.
    query: dict[str, Any] = {"captions": {"$elemMatch": {"text": {"$exists": True}}}}
    if site:
        query["site"] = site
    doc = db[ARTICLES].find_one(query, {"_id": 0}, sort=[("published_at", -1)],
                                max_time_ms=QUERY_TIME_LIMIT_MS)
    return doc or next(iter(latest_articles(db, site, 1)), None)


def article_by_url(db: Database, url: str) -> dict[str, Any] | None:
    if not isinstance(url, str) or not url.strip() or len(url) > 4 * MAX_PARAM_LENGTH:
        raise QueryError("url: expected the article's URL")
    url = url.strip()
    return db[ARTICLES].find_one({"$or": [{"canonical_url": url}, {"url": url}]}, {"_id": 0},
                                 max_time_ms=QUERY_TIME_LIMIT_MS)


def revisions_of(db: Database, canonical_url: str) -> list[dict[str, Any]]:
    cursor = db[REVISIONS].find({"canonical_url": canonical_url}, {"_id": 0}).sort("revision", 1)
    return list(cursor.limit(MAX_LIMIT).max_time_ms(QUERY_TIME_LIMIT_MS))


def corpus_summary(db: Database, site: str | None = None) -> dict[str, Any]:
    oldest, newest = date_range(db, site)
    return {
        "articles": count_articles(db, site),
        "revisions": db[REVISIONS].count_documents({"site": site} if site else {},
                                                   maxTimeMS=QUERY_TIME_LIMIT_MS),
        "categories": category_counts(db, site),
        "published_from": oldest,
        "published_to": newest,
        "sample": sample_article(db, site),
    }
