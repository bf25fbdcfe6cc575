"""Pages in legacy encodings, declared in the HTTP header, a meta tag, a BOM, or in
conflicting ways: decoded as browsers do (BOM, then header, then meta) by decode_html, as
the crawl does, which also reads UTF-8 declared as a single-byte encoding as UTF-8."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from ingest.extract.article import extract_article
from ingest.extract.html import decode_html

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
        text, _encoding = decode_html(response.body, response.headers.get("Content-Type").decode())
        fields = extract_article(text, response.url)
        if fields["title"] != TITLES[encoding]:
            wrong.append((encoding, how, fields["title"]))
        replacement_chars += (fields["title"] + fields["body"]).count("\ufffd")
    assert wrong == []
    assert replacement_chars == 0
    figure(f"encodings (header/meta/BOM, mismatches): {len(CASES) - len(wrong)}/{len(CASES)} titles exact, "
           f"{replacement_chars} U+FFFD")
