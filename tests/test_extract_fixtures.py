"""Hand-written ground truth for extract_article over saved WordPress theme variants.

Each folder under tests/fixtures/ holding an expected.json is one case: body.html (the page),
url.txt (its URL, one line) and expected.json (written by hand from the HTML, never produced
by running the extractor). Keys of expected.json:

    title, body (paragraphs joined by "\\n\\n"), captions (list of {text, image_url, alt, credit}),
    published_at / modified_at (ISO UTC, or null), published_local and published_zone
    (optional: the date on the site's calendar, see ingest.dates.LocalDate), date_source,
    authors, categories, tags,
    language, canonical_url, source_id, must_not_contain (strings that must not be in the body),
    site_tz (optional, default "Asia/Tehran": the zone naive dates are read in).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ingest.dates import parse_datetime, parse_local
from ingest.extract import selectors
from ingest.extract.article import extract_article
from ingest.extract.body import noise_boxes
from ingest.extract.html import _compiled, _simple_members, attribute_index, parse_html, select, select_regions

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEFAULT_TZ = "Asia/Tehran"

CASES = sorted(path.parent for path in FIXTURES.rglob("expected.json"))
IDS = [case.relative_to(FIXTURES).as_posix() for case in CASES]


def load_expected(case: Path) -> dict[str, Any]:
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


@cache
def _extract(case: Path) -> dict[str, Any]:
    html = (case / "body.html").read_bytes()
    url = (case / "url.txt").read_text(encoding="utf-8").strip()
    return extract_article(html, url)


def extracted(case: Path) -> dict[str, Any]:
    return dict(_extract(case))


def iso_utc(raw: str | None, tz: str) -> str | None:
    if raw is None:
        return None
    parsed = parse_datetime(raw, timezone=tz)
    return parsed.isoformat() if parsed is not None else None


cases = pytest.mark.parametrize("case", CASES, ids=IDS)


def test_fixtures_found() -> None:
    assert len(CASES) >= 7, IDS
    for case in CASES:
        assert (case / "body.html").is_file(), case
        assert (case / "url.txt").is_file(), case


@cases
def test_title(case: Path) -> None:
    assert extracted(case)["title"] == load_expected(case)["title"]


@cases
def test_body(case: Path) -> None:
    expected = load_expected(case)
    body = extracted(case)["body"]
    assert body == expected["body"]


@cases
def test_body_excludes_noise(case: Path) -> None:
    expected = load_expected(case)
    body = extracted(case)["body"] or ""
    leaked = [text for text in expected.get("must_not_contain", []) if text in body]
    assert leaked == []


@cases
def test_captions(case: Path) -> None:
    expected = load_expected(case)
    captions = [
        {key: caption.get(key) for key in ("text", "image_url", "alt", "credit")}
        for caption in extracted(case)["captions"]
    ]
    assert captions == expected["captions"]


@cases
def test_dates(case: Path) -> None:
    expected = load_expected(case)
    fields = extracted(case)
    tz = expected.get("site_tz", DEFAULT_TZ)
    assert fields["date_source"] == expected["date_source"]
    assert iso_utc(fields["published_raw"], tz) == expected["published_at"]
    if "published_local" in expected:
        url = (case / "url.txt").read_text(encoding="utf-8").strip()
        stated = parse_local(fields["published_raw"], timezone=tz, url=url,
                             printed=fields["printed_date_raw"])
        assert stated is not None and stated.utc.isoformat() == expected["published_at"]
        assert (stated.local, stated.zone) == (expected["published_local"], expected["published_zone"])
    modified = iso_utc(fields["modified_raw"], tz)
    if expected.get("modified_at") is not None:
        assert modified == expected["modified_at"]
    else:
        # No separate modification date on the page. Themes that mark the published <time>
        # as "updated" (hAtom) may be read as modified == published; anything else is wrong.
        assert modified in (None, expected["published_at"])


@cases
def test_people_and_taxonomy(case: Path) -> None:
    expected = load_expected(case)
    fields = extracted(case)
    assert fields["authors"] == expected["authors"]
    assert fields["categories"] == expected["categories"]
    assert fields["tags"] == expected["tags"]


@cases
def test_page_metadata(case: Path) -> None:
    expected = load_expected(case)
    fields = extracted(case)
    assert fields["language"] == expected["language"]
    assert fields["canonical_url"] == expected["canonical_url"]
    assert fields["source_id"] == expected["source_id"]


EVERY_SELECTOR = sorted({sel for name in dir(selectors) if name.isupper()
                         for sel in getattr(selectors, name) if isinstance(sel, str)})
REGION_SELECTORS = (*selectors.OUTSIDE_ARTICLE, "div.Widget", ".entry-content.widget", "#main.site",
                    "ASIDE.sidebar", "[class*='Related']", "section#comments", "[class*='wid'][class*='get']")
TRICKY_SELECTORS = ("div:not(.entry-content) p", "[class!='entry-content']", "[CLASS*='Entry']",
                    "a[href$='.jpg'], img[src*='uploads']", "#MAIN, .Wp-Caption", "[lang|='en']")


@cases
def test_attribute_index_never_changes_what_a_selector_finds(case: Path) -> None:
    """select() under attribute_index skips selectors naming values absent from the page:
    it must find exactly what plain CSS selection finds, member by member."""
    root = parse_html((case / "body.html").read_bytes())
    # From the root and from elements inside: class and id selectors are answered from the
    # page's index for any element of the page, in document order.
    inside = list(root.iter("body", "article", "main", "ul"))[:3]
    for selector in (*EVERY_SELECTOR, *TRICKY_SELECTORS, *REGION_SELECTORS, ", ".join(REGION_SELECTORS),
                     ", ".join(selectors.NOISE_BOXES)):
        for start in (root, *(inside if _simple_members(selector) is not None else ())):
            plain = _compiled(selector)(start)  # element.cssselect(), translated once
            with attribute_index(root):
                indexed = select(start, selector)
            assert indexed == plain, selector


@cases
def test_regions_from_the_class_index_are_what_css_selects(case: Path) -> None:
    """select_regions answers class, id and [class*=...] selectors from the page's index
    under attribute_index: the same elements as plain CSS selection."""
    root = parse_html((case / "body.html").read_bytes())
    plain = set(root.cssselect(", ".join(REGION_SELECTORS)))
    with attribute_index(root):
        assert select_regions(root, REGION_SELECTORS) == plain


AWKWARD_CLASSES = """<html><body>
<div class="widget\tarea" id="a1">tab-separated</div>
<div class="x\u00a0widget" id="a2">no-break space: one class name to CSS</div>
<div class="Widget" id="a3">upper case</div>
<p class="  widget  " id="a4">padded</p>
<div class="main-related-box" id="a5">substring</div>
<section id="comments" class="widget">id and class</section>
<div id="comments" class="other">a second element with the same id</div>
<div class="site" id="main">id and class together</div>
<div class="site" id="MAIN">id in upper case</div>
<aside class="sidebar">tag and class</aside>
<div class="sidebar">class without the tag</div>
<div class="entry-content widget">two classes</div>
<div class="">empty class</div>
<div class="widget\nrecent">line break</div>
</body></html>"""


def test_class_index_splits_and_compares_class_names_as_css_does() -> None:
    root = parse_html(AWKWARD_CLASSES)
    for selector in (*REGION_SELECTORS, ".x", ".widget", "#comments", "p.widget", "[class*='get\tar']"):
        with attribute_index(root):
            indexed = select_regions(root, [selector])
        assert indexed == set(root.cssselect(selector)), selector
    with attribute_index(root):
        widgets = select_regions(root, [".widget"])
    assert sorted(e.text for e in widgets) == sorted(
        ["tab-separated", "padded", "id and class", "two classes", "line break"])


@cases
def test_noise_boxes_under_the_attribute_index_are_the_same_boxes(case: Path) -> None:
    """Under attribute_index the noise matcher only runs the class fragments and names
    the page carries: it must find the same elements as the full matcher, in order."""
    root = parse_html((case / "body.html").read_bytes())
    plain = noise_boxes(root)
    with attribute_index(root):
        assert noise_boxes(root) == plain


def test_parsed_pages_carry_lxml_html_element_classes() -> None:
    """parse_html picks lxml.html's element classes in C from lxml.html's own table (a
    private name): an lxml upgrade that changes the table must fail here, not change what
    the extractor's elements can do."""
    import lxml.html

    page = ("<html><body><form action='/s'><label>q</label><input name='q'><select><option>a"
            "</option></select><textarea>t</textarea></form><p>text<!-- note --></p></body></html>")
    ours = [type(element) for element in parse_html(page).iter()]
    theirs = [type(element) for element in lxml.html.document_fromstring(page).iter()
              if not isinstance(element, lxml.html.HtmlComment)]  # parse_html drops comments
    assert ours == theirs
    assert {lxml.html.FormElement, lxml.html.InputElement, lxml.html.SelectElement,
            lxml.html.TextareaElement, lxml.html.LabelElement} <= set(ours)


def test_attribute_index_finds_values_with_letters_outside_ascii() -> None:
    """The index lowers only ASCII letters, on the page and in the selector alike: a value
    with É, Σ or Persian letters is found exactly as CSS finds it."""
    page = ("<html><body><div title='Palais de l’Élysée' data-tag='ΣΥΝΤΑΞΗ'>a</div>"
            "<div data-section='سیاست' class='Étiquette'>b</div></body></html>")
    root = parse_html(page)
    for selector in ("[title*='Élysée']", "[title*='élysée']", "[data-tag='ΣΥΝΤΑΞΗ']",
                     "[data-tag='συνταξη']", "[data-section='سیاست']", ".Étiquette", ".étiquette",
                     "[title*='PALAIS']", "[title^='Palais']"):
        plain = root.cssselect(selector)
        with attribute_index(root):
            assert select(root, selector) == plain, selector
    with attribute_index(root):
        assert len(select(root, "[title*='Élysée'], [data-section='سیاست']")) == 2


STRUCTURED_PAGE = """<html><head>
<script type="application/ld+json">//<![CDATA[
{"@type": "NewsArticle", "headline": "Wrapped in CDATA", "datePublished": "2024-03-05T10:00:00+03:30"}
//]]></script>
<script type="application/json">{"@type": "NewsArticle", "headline": "not JSON-LD"}</script>
<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, {"@type": "Person", "name": "A. Writer"}]}</script>
</head><body><article id="x-post-7"><a rel="tag" href="/t/1">One</a></article>
<article id="post-42"><a rel="category tag" href="/c/news">News</a><a rel="tag" href="/t/2">Two</a>
<a rel="nofollow" href="/x">Other</a><a href="/y">No rel</a></article></body></html>"""


def test_structured_data_scripts_and_rel_links_from_the_tag_walks() -> None:
    """JSON-LD only from its own script type, in page order, a CDATA wrapper taken off;
    rel links below the scope by token; the post id from the first article id "post-N"."""
    from ingest.extract.metadata import _json_ld_objects, extract_source_id, link_texts

    root = parse_html(STRUCTURED_PAGE)
    assert [o["@type"] for o in _json_ld_objects(root)] == ["NewsArticle", "WebPage", "Person"]
    assert next(_json_ld_objects(root))["headline"] == "Wrapped in CDATA"
    assert link_texts(root, "tag") == ["One", "News", "Two"]
    assert link_texts(root, "tag", exact=True) == ["One", "Two"]
    assert link_texts(root, "category") == ["News"]
    assert extract_source_id(root, "https://example.org/a") == "42"


def test_tag_only_selectors_find_what_css_finds() -> None:
    """Groups of tag names are answered by lxml's tag iteration: the same elements as the
    CSS selection, in document order, once each, the element itself included."""
    nested = parse_html("<html><body><div><div><p>a</p><section><p>b</p></section></div>"
                        "<FORM><nav>c</nav></FORM><aside>d</aside></div></body></html>")
    roots = [nested, *(parse_html((c / "body.html").read_bytes()) for c in CASES[:8])]
    for root in roots:
        for selector in ("aside, nav, form", "p", "div", "section, p, p", "figure, figcaption", "h1"):
            for element in (root, root.find("body"), *root.iter("div")):
                if element is None:
                    continue
                assert select(element, selector) == element.cssselect(selector), selector
                with attribute_index(root):
                    assert select(element, selector) == element.cssselect(selector), selector


TAG_MEMBER_PAGE = """<html><head><meta property="og:locale" content="en_GB"><meta name="language" content="">
<link rel="canonical" href="/a"><link rel="Canonical" href="/b"></head><body class="x">
<article id="post-12" class="hentry  entry\tpost"><h1 class="entry-title main">T</h1>
<h1 class="entry-titles">not it</h1><time datetime="2024-01-02">2 Jan</time><time>none</time>
<p id="" class="a"><a href="/t" rel="tag" data-x="ab">t</a></p></article>
<article id="xpost-1"><time datetime="">empty</time></article></body></html>"""
TAG_MEMBER_SELECTORS = (
    "meta[property='og:locale']", "meta[name='language']", "link[rel='canonical']", "h1.entry-title",
    "article.hentry.post", "article[id^='post-']", "time[datetime]", "p#", "p[id='']",
    "a[data-x*='b']", "a[href^='/']#x", "article#post-12.entry", "H1.main")


def test_single_tag_selectors_find_what_css_finds() -> None:
    """A selector of one tag and conditions on the element's attributes is answered by
    iterating that tag's elements: the same elements as the CSS selection, in order."""
    from ingest.extract.html import _tag_member

    roots = [parse_html(TAG_MEMBER_PAGE), *(parse_html((c / "body.html").read_bytes()) for c in CASES[:12])]
    taken = [s for s in (*TAG_MEMBER_SELECTORS, *selectors.TITLE, *selectors.PUBLISHED_TIME,
                         *selectors.MODIFIED_TIME, *selectors.ARTICLE_SCOPE)
             if is_valid(s) and _tag_member(s) is not None]
    assert len(taken) > 20
    for root in roots:
        for selector in taken:
            for element in (root, root.find("body")):
                if element is None:
                    continue
                expected = element.cssselect(selector)
                assert select(element, selector) == expected, selector
                with attribute_index(root):
                    assert select(element, selector) == expected, selector


def is_valid(selector: str) -> bool:
    from ingest.extract.html import is_valid_selector

    return is_valid_selector(selector)


@pytest.mark.parametrize("where", ["around the container", "inside the container", "no container"])
def test_pages_nested_deeper_than_python_recurses_are_extracted(where: str) -> None:
    """Tree walks are driven by lxml, not by recursion: 1,500 nested boxes (the HTML
    parser keeps about 2,000) around or inside a theme's container lose no text."""
    paragraph = ("<p>The ferry crossed twice on Sunday, and both crossings ran full, with cars "
                 "waiting on the quay until the last boat left in the evening.</p>")
    deep_open, deep_close = "<div>" * 1500, "</div>" * 1500
    container = "<div class='entry-content'>{}</div>"
    body = {
        "around the container": deep_open + container.format(paragraph * 3) + deep_close,
        "inside the container": container.format(deep_open + paragraph * 3 + deep_close),
        "no container": deep_open + paragraph * 3 + deep_close,
    }[where]
    page = f"<html><body><h1>Ferry</h1>{body}</body></html>"
    fields = extract_article(page, "https://e.example/f")
    assert fields["body"].count("The ferry crossed twice on Sunday") == 3


def test_a_page_too_big_for_trafilatura_still_gets_its_main_content() -> None:
    """Past MAX_GENERIC_ELEMENTS trafilatura is not asked (its time grows with the square
    of the elements), but main_content is linear: the article beside a 40,000-cell price
    table is found, and the table left out."""
    from ingest.extract.article import MAX_GENERIC_ELEMENTS

    paragraph = ("<p>Prices on the fish market rose again this week, and traders said the cold "
                 "weather had kept most of the small boats in the harbour since Monday.</p>")
    rows = "".join(f"<tr><td>Lot {n}</td><td>{n % 97} kg</td><td>{n % 13}.50</td></tr>"
                   for n in range(MAX_GENERIC_ELEMENTS // 3))
    page = (f"<html><body><h1>Fish prices</h1><div class='col'><div class='story'>{paragraph * 4}"
            f"</div></div><div class='data'><table>{rows}</table></div></body></html>")
    fields = extract_article(page, "https://e.example/prices")
    assert fields["body"].split("\n\n") == [paragraph[3:-4]] * 4
