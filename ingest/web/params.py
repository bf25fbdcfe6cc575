"""The request parameters the web app reads itself (filters are ArticleFilter's business)."""

from __future__ import annotations

from collections.abc import Mapping

from ingest.store.queries import FILTER_PARAMS, QueryError

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 500  # deep pages cost a long skip; narrow the filters instead
OWN_PARAMS = ("page", "per_page", "url")
KNOWN_PARAMS = (*FILTER_PARAMS, *OWN_PARAMS)


def check_names(args: Mapping[str, str]) -> None:
    """Unknown parameters are refused, not ignored: `site[$ne]=x` or a misspelt filter must
    not quietly return every article."""
    unknown = sorted(name for name in args if name not in KNOWN_PARAMS)
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0][:40]!r}; known: {', '.join(KNOWN_PARAMS)}")


def whole_number(args: Mapping[str, str], name: str, default: int, highest: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= highest:
        raise QueryError(f"{name} must be a whole number from 1 to {highest}")
    return int(raw)


def page_and_size(args: Mapping[str, str]) -> tuple[int, int]:
    return (whole_number(args, "page", 1, MAX_PAGE),
            whole_number(args, "per_page", PER_PAGE, MAX_PER_PAGE))


def article_url(args: Mapping[str, str]) -> str:
    """Checked by article_by_url, like every value that reaches a query."""
    check_names(args)
    return args.get("url", "")
