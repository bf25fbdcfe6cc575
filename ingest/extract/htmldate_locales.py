"""htmldate's reading of dates in words, told which languages the page is in.

htmldate hands text that looks like a date in words to dateparser, built once with every
locale it knows (about 200). A string that is no date in any of them, most of those it is
given, costs tens of milliseconds as each locale is checked in turn; told the page's
languages, dateparser checks those alone, at a few milliseconds.

The one place that touches htmldate's globals: `languages_for_dates(codes)` is a context in
which htmldate.extractors.get_external_parser, which htmldate looks up each time it parses
(in _external_date), returns a parser limited to `codes`. Outside that context it returns
htmldate's own parser, so htmldate called by anything else behaves as shipped. If an
htmldate release no longer reads its parser that way, nothing is replaced and every locale
is tried as before (tests/test_pubdate_languages.py fails, to say so).

htmldate caches its verdict on each string (extractors.try_date_expr, by string alone): a
verdict reached with one page's languages must not be reused for another's, so the cache
is emptied after a call whose dateparser verdicts came from a language subset, and before
one if others came in between. The lock keeps two threads from mixing parsers and caches;
extraction runs on one thread per process (the reactor's, or a worker process's)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

# htmldate.extractors.get_external_parser's settings (checked by the tests): the same
# parser but for its languages.
SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
# Tried on every page whatever its language: dates on the web are often written in
# English, and English numeric dates are read the same in any locale.
ALWAYS = "en"
# Codes pages still declare that dateparser knows by their current name.
OLD_CODES = {"iw": "he", "in": "id", "ji": "yi", "no": "nb", "sh": "hr"}

_lock = threading.RLock()
_state: dict[str, Any] = {"installed": None, "original": None, "languages": None,
                          "used_since_clear": set()}


@lru_cache(maxsize=None)
def known_language(code: str) -> bool:
    """Whether dateparser has this language (an ISO 639 code as pages declare them)."""
    from dateparser.languages.loader import default_loader

    try:
        return next(default_loader.get_locales(languages=[code]), None) is not None
    except ValueError:  # "Unknown language(s)"
        return False


def date_languages(codes: Iterable[str | None]) -> tuple[str, ...] | None:
    """The languages to read a page's dates in: those given that dateparser knows, and
    English; None (every locale) when none is known."""
    known = {OLD_CODES.get(code, code) for code in codes if code}
    known = {code for code in known if known_language(code)}
    return tuple(sorted(known | {ALWAYS})) if known else None


@lru_cache(maxsize=64)
def parser_for(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser

    return DateDataParser(languages=list(languages), settings=SETTINGS)


def _page_parser() -> Any:
    """Stands in for htmldate.extractors.get_external_parser."""
    languages = _state["languages"]
    _state["used_since_clear"].add(languages)
    return parser_for(languages) if languages else _state["original"]()


def install() -> bool:
    """Put _page_parser in htmldate's place, once; False (and a warning) if this htmldate
    does not read its parser through extractors.get_external_parser and cache its verdicts
    in extractors.try_date_expr as this module expects."""
    with _lock:
        if _state["installed"] is not None:
            return _state["installed"]
        from htmldate import extractors

        original = getattr(extractors, "get_external_parser", None)
        external = getattr(extractors, "_external_date", None)
        verdicts = getattr(extractors, "try_date_expr", None)
        if (original is None or external is None or verdicts is None
                or "get_external_parser" not in external.__code__.co_names
                or not hasattr(verdicts, "cache_clear")):
            logger.warning("htmldate %s reads dates in words some other way: every locale is tried",
                           getattr(__import__("htmldate"), "__version__", "?"))
            _state["installed"] = False
            return False
        _state["original"] = original
        extractors.get_external_parser = _page_parser
        _state["installed"] = True
        return True


def _clear_verdicts() -> None:
    from htmldate.extractors import try_date_expr

    try_date_expr.cache_clear()
    _state["used_since_clear"] = set()


@contextmanager
def languages_for_dates(languages: tuple[str, ...] | None) -> Iterator[None]:
    """htmldate, within this context, reads dates in words in these languages only (None:
    in every locale, as shipped)."""
    with _lock:
        if not install():
            yield
            return
        if _state["used_since_clear"] - {languages}:
            _clear_verdicts()
        _state["languages"] = languages
        try:
            yield
        finally:
            _state["languages"] = None
            if languages and languages in _state["used_since_clear"]:
                _clear_verdicts()
