"""htmldate reads a page's dates in words in the page's languages only (ingest.extract.
htmldate_locales): the hook into htmldate must be in place, find dates in a language other
than English, and never let one page's languages decide another page's dates."""

from __future__ import annotations

import pytest

from ingest.extract import htmldate_locales
from ingest.extract.article import extract_article
from ingest.extract.htmldate_locales import date_languages, languages_for_dates, parser_for
from ingest.extract.language import guess_languages

# A Romanian blog post that states its date only in words, in a byline: no meta, no JSON-LD,
# no <time>, no date in the URL. htmldate's own patterns do not read Romanian month names,
# so only dateparser, given Romanian, finds it.
ROMANIAN_TEXT = (
    "<p>Am fost în weekend la munte cu toată familia și a fost o experiență pe care nu o vom "
    "uita prea curând. Drumul a durat mai mult decât ne așteptam, dar peisajul a meritat.</p>"
    "<p>Cabana era la marginea pădurii, iar dimineața se auzeau doar păsările. Copiii au "
    "vrut să rămână încă o zi, dar a trebuit să ne întoarcem acasă pentru că luni era școală.</p>"
    "<p>Data viitoare vom lua și bicicletele, pentru că sunt multe trasee care pornesc chiar "
    "de lângă cabană și care nu sunt foarte grele pentru cei mici.</p>"
)


def romanian_page(lang: str | None) -> str:
    html_lang = f' lang="{lang}"' if lang else ""
    return (f"<html{html_lang}><head><title>O zi la munte</title></head><body>"
            "<div class='wrap'><h1>O zi la munte</h1>"
            "<div class='byline'><span class='when'>duminică, 20 septembrie 2020</span></div>"
            f"<div class='post'>{ROMANIAN_TEXT}</div></div>"
            "<div class='side'><p>Arhiva blogului</p></div></body></html>")


URL = "https://munte.example.ro/o-zi-la-munte"


def test_the_hook_is_in_htmldate():
    """Fails when an htmldate release stops reading its parser through
    extractors.get_external_parser (looked up in _external_date at each call) or stops
    caching verdicts in try_date_expr: then our languages are silently not used."""
    from htmldate import extractors

    assert htmldate_locales.install() is True
    assert "get_external_parser" in extractors._external_date.__code__.co_names
    assert hasattr(extractors.try_date_expr, "cache_clear")
    assert extractors.get_external_parser is htmldate_locales._page_parser


def test_our_parser_has_htmldates_settings():
    """The same parser as htmldate's but for its languages."""
    htmldate_locales.install()
    shipped = htmldate_locales._state["original"]()
    ours = parser_for(("de", "en"))
    for key in htmldate_locales.SETTINGS:
        assert getattr(ours._settings, key) == getattr(shipped._settings, key), key
    assert shipped.languages is None and sorted(ours.languages) == ["de", "en"]


def test_outside_the_context_htmldate_is_as_shipped():
    from htmldate import extractors

    htmldate_locales.install()
    assert extractors.get_external_parser() is htmldate_locales._state["original"]()
    with languages_for_dates(("en", "ro")):
        assert sorted(extractors.get_external_parser().languages) == ["en", "ro"]
    assert extractors.get_external_parser().languages is None


@pytest.mark.parametrize("lang", ["ro", None, "en"], ids=["declared", "undeclared", "misdeclared"])
def test_finds_a_date_in_romanian_words(lang):
    """Declared, guessed from the text when not declared, and guessed when the theme
    declares English for a Romanian blog."""
    fields = extract_article(romanian_page(lang), URL)
    assert fields["date_source"] == "heuristic"
    assert fields["published_raw"] == "2020-09-20"


def test_the_romanian_page_is_read_in_romanian_not_in_every_locale(monkeypatch):
    asked: list[tuple[str, ...]] = []
    original = htmldate_locales.parser_for

    def spy(languages):
        asked.append(languages)
        return original(languages)

    monkeypatch.setattr(htmldate_locales, "parser_for", spy)
    extract_article(romanian_page(None), URL + "?undeclared")
    assert asked and all("ro" in languages and "en" in languages for languages in asked)
    assert all(len(languages) <= 6 for languages in asked)


def test_one_pages_languages_do_not_decide_anothers():
    """htmldate caches its verdict on a string whatever the languages: a miss in English
    must not be remembered for a Romanian page, nor a hit in Romanian for an English one."""
    from htmldate import find_date

    page = romanian_page(None)
    day = "2020-09-20"
    with languages_for_dates(("en",)):
        assert find_date(page, url=URL, original_date=True) != day  # the year alone, at best
    with languages_for_dates(("en", "ro")):
        assert find_date(page, url=URL, original_date=True) == day
    with languages_for_dates(("en",)):
        assert find_date(page, url=URL, original_date=True) != day
    assert find_date(page, url=URL, original_date=True) == day  # every locale


def test_date_languages():
    assert date_languages(["de", None]) == ("de", "en")
    assert date_languages(["iw"]) == ("en", "he")  # the old code for Hebrew
    assert date_languages([None]) is None  # nothing known: every locale
    assert date_languages(["xx"]) is None


def test_guess_languages():
    german = ("Der Verein hat am Wochenende sein neues Vereinsheim eröffnet. Die Mitglieder "
              "hatten über zwei Jahre daran gebaut, und nun ist es endlich fertig. Es gibt "
              "eine Küche, einen großen Raum für Feiern und eine Terrasse mit Blick auf den See.")
    english = ("The council said on Monday that the new bridge would open in the spring, "
               "after two years of work that had been delayed by the weather and by a "
               "shortage of steel. Residents have been waiting for it since the old one closed.")
    assert guess_languages(german)[0] == "de"
    assert guess_languages(english) == ("en",)
    assert guess_languages(ROMANIAN_TEXT)[0] == "ro"
    assert guess_languages("Login Register") == ()  # too little to tell
