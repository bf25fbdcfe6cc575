"""The stored article as a JSON Schema (types, required fields, formats), checked by the
validate pipeline: a compiled check of every article, Spidermon's JSONSchemaValidator listing
the violations of those that fail it. Dates are checked as RFC 3339
strings: `json_view` gives the item as JSON would carry it. Fields not named here (ones a
later version adds) are allowed."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import fastjsonschema
from spidermon.contrib.validation.jsonschema.formats import format_checker

_STRING = {"type": "string"}
_TEXT = {"type": "string", "minLength": 1}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_NAMES = {"type": "array", "items": _TEXT}

ARTICLE_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "stored article",
    "type": "object",
    "required": ["url", "canonical_url", "site", "title", "body", "captions", "authors",
                 "categories", "tags", "published_at", "fetched_at", "crawl_id"],
    "properties": {
        "url": _URL,
        "canonical_url": _URL,
        "site": _TEXT,
        "source_id": _OPTIONAL_TEXT,
        "title": {"type": "string", "minLength": 1, "maxLength": 1000},
        "body": _TEXT,
        "body_html": _OPTIONAL_TEXT,
        "lead": _OPTIONAL_TEXT,
        "captions": {"type": "array", "items": {
            "type": "object", "required": ["text"],
            "properties": {"text": _TEXT, "image_url": {"type": ["string", "null"], "format": "uri"},
                           "alt": _OPTIONAL_TEXT, "credit": _OPTIONAL_TEXT}}},
        "authors": _NAMES,
        "categories": _NAMES,
        "listed_in": {"type": "array", "items": _STRING},
        "tags": _NAMES,
        "language": {"type": ["string", "null"], "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
        "published_at": _INSTANT,
        "modified_at": _INSTANT,
        "date_source": _OPTIONAL_TEXT,
        "fetched_at": {"type": "string", "format": "date-time"},
        "http_status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
        "etag": _OPTIONAL_TEXT,
        "last_modified": _OPTIONAL_TEXT,
        "crawl_id": _TEXT,
        "word_count": {"type": "integer", "minimum": 0},
    },
}
_INDEX = re.compile(r"\.\d+(?=\.|$)")
# RFC 3986 URIs of the usual shape: http(s), a host name or IPv4 address (reg-name), a port,
# then path, query and fragment of unreserved characters, sub-delims, ":", "@" and
# percent-encoded octets. Every string it matches is a URI by the grammar rfc3987 checks, in a
# thousandth of the time; the others (userinfo, IPv6 hosts, other schemes, bad escapes) go to
# the full check.
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_PLAIN_URI = re.compile(rf"https?://(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{{2}})+(?::[0-9]*)?"
                        rf"(?:/{_PCHAR}*)*(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?")


def json_view(value: Any) -> Any:
    """The value as JSON would carry it: instants as RFC 3339 strings, tuples as lists."""
    if value is None or type(value) is str:  # most values: no isinstance test against Mapping's ABC
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: json_view(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_view(item) for item in value]
    return value


def article_check(schema: Mapping[str, Any] = ARTICLE_SCHEMA) -> Callable[[Any], bool]:
    """Whether a json_view of an article conforms: the schema compiled to Python once
    (fastjsonschema), its formats checked by the same functions as Spidermon's validator, so
    that an article it passes has no violation there either."""
    formats = {name: lru_cache(maxsize=256)(partial(format_checker.conforms, format=name))
               for name in format_checker.checkers}  # cached: url and canonical_url mostly agree
    full_uri_check = formats["uri"]

    def uri(value: Any) -> bool:
        return (isinstance(value, str) and _PLAIN_URI.fullmatch(value) is not None) or full_uri_check(value)

    formats["uri"] = uri
    validate = fastjsonschema.compile(dict(schema), formats=formats)

    def conforms(article: Any) -> bool:
        try:
            validate(article)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return conforms


def violation_field(path: str) -> str:
    """A violation's field without list positions: captions.3.image_url -> captions.image_url."""
    return _INDEX.sub("", path) or "(article)"
