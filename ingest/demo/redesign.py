"""The demo site after a theme change (`DemoSite.redesigned = True`), the kind that breaks a
crawl silently: article pages from another vendor's theme where none of the old selectors
match, the article text comes in many small blocks between ads while a consent notice is the
largest block of text on the page, the publication date exists only as a timestamp in a
script, photos lose their captions, the byline goes, and the page title is the site name.
Listings, URLs and the menu stay as they were, so the crawl still finds every article."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.demo.site import DemoArticle, Renderer

NOTICE = (
    "Your privacy matters to us and to our partners.",
    "We and our 842 partners store and access information on your device, such as cookies and "
    "unique identifiers, and process personal data such as browsing behaviour, to personalise "
    "advertising and content, to measure how advertising and content perform, to understand "
    "our audiences and to develop and improve our services and products.",
    "With your permission we and our partners may use precise geolocation data and "
    "identification through device scanning. You may click to consent to the processing "
    "described above, or access more detailed information and change your preferences before "
    "consenting or refusing. Some partners do not ask for your consent to process your data "
    "and rely on their legitimate business interest instead; you can object to that by "
    "opening the partner list.",
    "Your choices apply to this website only and can be changed at any time by returning to "
    "this site or visiting our privacy policy, where you will also find how we keep your "
    "data, for how long, and whom to contact about it.",
)


def article_page(renderer: Renderer, a: DemoArticle) -> str:
    from ingest.demo.site import SITE_NAME

    url = renderer.url(a.path)
    menu = "".join(f'<a class="nv-nav__link" href="{renderer.url(c.path)}">{escape(c.name)}</a>'
                   for c in renderer.site.categories)
    story = {"id": a.id, "ts": int(a.published_at.timestamp() * 1000), "section": a.categories[0].name}
    blocks: list[str] = []
    images = a.images_in_order()
    for index, text in enumerate(a.paragraphs):
        blocks += [f'<div class="nv-media"><img src="{renderer.url(i.src)}" alt="" '
                   f'data-caption-id="{i.attachment_id}"></div>'
                   for i in images if i.before_block == index]
        blocks.append(f'<div class="nv-block"><span>{escape(text, quote=False)}</span></div>')
        if index % 2 == 1:
            blocks.append('<div class="nv-promo"><a href="/subscribe/">Subscribe</a> '
                          '<span>for 1 dollar a week</span></div>')
    notice = "".join(f"<p>{escape(text)}</p>" for text in NOTICE)
    return f"""<!DOCTYPE html>
<html lang="{'fa' if a.language == 'fa' else 'en'}">
<head>
<meta charset="UTF-8">
<title>{SITE_NAME}</title>
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="{renderer.base}/static/nova.css">
</head>
<body class="nv-app">
<div class="nv-top"><a class="nv-logo" href="{renderer.base}/">{SITE_NAME}</a><div class="nv-nav">{menu}</div></div>
<div class="nv-layer" role="dialog" aria-modal="true">{notice}
<button class="nv-layer__ok">Accept all</button> <button class="nv-layer__more">Manage options</button></div>
<div class="nv-page" data-story="{a.id}">
<div class="nv-section">{escape(a.categories[0].name)}</div>
<div class="nv-headline">{escape(a.title)}</div>
<div class="nv-when"></div>
<script>window.__NV_STORY__ = {json.dumps(story)};
document.querySelector('.nv-when').textContent = new Date(window.__NV_STORY__.ts).toLocaleDateString();</script>
<div class="nv-blocks">
{chr(10).join(blocks)}
</div>
</div>
<div class="nv-bottom"><span>&copy; {SITE_NAME}</span></div>
</body>
</html>"""
