"""Pages in legacy encodings, declared in the HTTP header, a meta tag, a BOM, or in
conflicting ways: decoded as browsers do (BOM, then header, then meta) by decode_html, as
the crawl does, which also reads UTF-8 declared as a single-byte encoding as UTF-8. The
crawl hands extraction the bytes as fetched with their Content-Type."""

from __future__ import annotations

import lxml.html
import pytest
from scrapy.http import HtmlResponse

from ingest.extract.article import extract_article
from ingest.extract.html import CONTROL_CHARACTERS, decode_html, parse_page

TITLES = {
    "windows-1256": "احتجاجات المعلمين في طهران تدخل أسبوعها الثالث",
    "cp1251": "Учителя в Тегеране продолжают забастовку третью неделю",
    "gb18030": "德黑兰教师罢工进入第三周",
    "iso-8859-1": "Les enseignants de Téhéran entament leur troisième semaine de grève",
    "shift_jis": "テヘランの教師のストライキは三週目に入った",
    "utf-8": "Ο απεργία των εκπαιδευτικών στην Τεχεράνη συνεχίζεται — «τρίτη εβδομάδα»",
}
# How the page tells its encoding: (header charset, meta charset, BOM)
DECLARATIONS = {
    "header only": ("{enc}", None, False),
    "meta only": (None, "{enc}", False),
    "header and meta agree": ("{enc}", "{enc}", False),
    "header right, meta wrong": ("{enc}", "{wrong}", False),
    "meta http-equiv only": (None, "http-equiv:{enc}", False),
}
CASES = [(enc, how) for enc in TITLES if enc != "utf-8" for how in DECLARATIONS] + [
    ("utf-8", "header only"), ("utf-8", "meta only"), ("utf-8", "header and meta agree"),
    ("utf-8", "header right, meta wrong"), ("utf-8", "BOM, header wrong"), ("utf-8", "BOM only"),
    ("utf-8", "header and meta say latin-1"), ("utf-8", "meta says windows-1252"),
]


def page(encoding: str, how: str) -> tuple[bytes, dict[str, str]]:
    title = TITLES[encoding]
    wrong = "windows-1252" if encoding != "windows-1252" else "utf-8"
    header, meta, bom = {
        "BOM, header wrong": (wrong, None, True), "BOM only": (None, None, True),
        "header and meta say latin-1": ("iso-8859-1", "iso-8859-1", False),
        "meta says windows-1252": (None, "windows-1252", False),
    }.get(how) or DECLARATIONS[how]
    header = header.format(enc=encoding, wrong=wrong) if header else None
    meta_tag = ""
    if meta:
        meta = meta.format(enc=encoding, wrong=wrong)
        meta_tag = (f'<meta http-equiv="Content-Type" content="text/html; charset={meta.split(":", 1)[1]}">'
                    if meta.startswith("http-equiv:") else f'<meta charset="{meta}">')
    html = (f"<html><head>{meta_tag}<title>{title} - Site</title></head><body><article>"
            f"<h1 class='entry-title'>{title}</h1><div class='entry-content'>"
            + f"<p>{title}. {title}.</p>" * 4 + "</div></article></body></html>")
    body = html.encode(encoding)
    if bom:
        body = b"\xef\xbb\xbf" + body
    headers = {"Content-Type": f"text/html; charset={header}" if header else "text/html"}
    return body, headers


def test_titles_survive_every_declaration(figure):
    wrong, replacement_chars = [], 0
    for encoding, how in CASES:
        body, headers = page(encoding, how)
        response = HtmlResponse("https://news.example/2024/01/02/story/", body=body, headers=headers)
        fields = extract_article(response.body, response.url,
                                 content_type=response.headers.get("Content-Type").decode())
        if fields["title"] != TITLES[encoding]:
            wrong.append((encoding, how, fields["title"]))
        replacement_chars += (fields["title"] + fields["body"]).count("\ufffd")
    assert wrong == []
    assert replacement_chars == 0
    figure(f"encodings (header/meta/BOM, mismatches): {len(CASES) - len(wrong)}/{len(CASES)} titles exact, "
           f"{replacement_chars} U+FFFD")


ODD_BYTES = {
    "control characters": "<p>a\x1d b\x00c \ufffe d\x7f e\u0085</p>".encode(),
    "a non-character alone": "<p>a \uffff b</p>".encode(),
    "invalid UTF-8": b"<meta charset=utf-8><p>caf\xe9 \xe2\x80\x99 ok</p>",
    "replacement character itself": "<meta charset=utf-8><p>a \ufffd b</p>".encode(),
    "BOM": b"\xef\xbb\xbf<p>\xe2\x80\x9cquoted\xe2\x80\x9d</p>",
    "UTF-8 declared latin-1": "<meta charset=iso-8859-1><p>Téhéran — «grève»</p>".encode(),
}


@pytest.mark.parametrize("case", [*ODD_BYTES, *(f"{enc}, {how}" for enc, how in CASES)])
def test_bytes_parse_to_the_tree_of_their_decoded_text(case):
    """UTF-8 bytes go to the parser as fetched when nothing in them needs changing; every
    page, that shortcut taken or not, must give the tree its decoded text gives."""
    if case in ODD_BYTES:
        body, content_type = ODD_BYTES[case], "text/html"
    else:
        body, headers = page(*case.split(", ", 1))
        content_type = headers["Content-Type"]
    root, text = parse_page(body, content_type)
    assert text == CONTROL_CHARACTERS.sub("", decode_html(body, content_type)[0])
    from_text, _ = parse_page(text)
    assert lxml.html.tostring(root, encoding="unicode") == lxml.html.tostring(from_text, encoding="unicode")
    assert not any(c in lxml.html.tostring(root, encoding="unicode") for c in "\x00\x1d\ufffe\uffff")


def test_only_clean_utf8_goes_to_the_parser_as_fetched():
    from ingest.extract.html import _as_utf8_source

    clean, headers = page("utf-8", "header only")
    text, encoding = decode_html(clean, headers["Content-Type"])
    assert _as_utf8_source(clean, text, encoding) is clean
    for case, body in ODD_BYTES.items():
        text, encoding = decode_html(body, "text/html")
        as_fetched = case == "UTF-8 declared latin-1"  # read as UTF-8: nothing to change
        assert (_as_utf8_source(body, text, encoding) is body) == as_fetched, case
