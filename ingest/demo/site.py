"""A local demo news site: WordPress-like markup modelled on the first real site (category
menu, search form, captions shown twice, "Recent Posts"), generated deterministically and
served on 127.0.0.1 by the standard library. It knows its own ground truth (`expected()`),
so crawls of it can be checked exactly."""

from __future__ import annotations

import argparse
import json
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

TEHRAN = ZoneInfo("Asia/Tehran")
SITE_NAME = "Demo Freedom News"
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PERSIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                  "آذر", "دی", "بهمن", "اسفند")
SEARCH_LABELS = ("Generic selectors", "Exact matches only", "Search in title", "Search in content",
                 "Post Type Selectors", "Filter by Categories")

EN_CATEGORIES = (("news", "News"), ("human-rights", "Human Rights"), ("economy", "Economy"),
                 ("reports", "Reports"), ("women", "Women"), ("opinion", "Opinion"))
FA_CATEGORY = ("fa-news", "اخبار")

SUBJECTS = ("Teachers", "Nurses", "Retirees", "Farmers", "Students", "Truck drivers", "Workers",
            "Families of prisoners", "Bazaar merchants", "Steelworkers", "Lawyers", "Journalists",
            "Oil contractors", "Pensioners", "Shopkeepers", "Bus drivers")
ACTIONS = ("rally over", "protest", "demand answers on", "strike against", "petition about",
           "speak out on", "gather to denounce", "report on", "challenge officials over")
TOPICS = ("unpaid wages", "rising bread prices", "water shortages", "the housing crisis",
          "prison conditions", "school closures", "power cuts", "currency collapse",
          "internet restrictions", "pension cuts", "air pollution", "medicine shortages")
PLACES = ("Tehran", "Isfahan", "Tabriz", "Mashhad", "Shiraz", "Ahvaz", "Rasht", "Kermanshah",
          "Zahedan", "Karaj", "Yazd", "Arak")
OPENERS = ("On {day}, {subject} in {place} {action} {topic}, according to local reports.",
           "{subject} in {place} again took to the streets over {topic}.",
           "Reports from {place} describe growing anger among {subject_l} over {topic}.")
SENTENCES = (
    "Witnesses said the crowd grew through the afternoon as more people joined.",
    "Officials did not respond to requests for comment.",
    "Organizers said the gathering was peaceful and lasted several hours.",
    "Prices of basic goods have more than doubled over the past two years.",
    "Many families now spend most of their income on rent and food.",
    "Local media reported that security forces were deployed near the main square.",
    "A spokesperson for the group said the demands had been ignored for months.",
    "Economists warn that the situation is unlikely to improve without reform.",
    "Several participants held signs calling for accountability and transparency.",
    "The protest followed a similar gathering in a neighbouring city last week.",
    "Human rights monitors said at least a dozen people were briefly detained.",
    "Videos shared online showed a large crowd chanting slogans outside the governor’s office.",
    "“We have waited long enough,” one participant told reporters.",
    "The provincial council said it would review the complaints — but gave no date.",
    "Independent unions have called for further action next month.",
    "Officials blamed the shortages on drought & mismanagement in previous years.",
    "According to the statement, 40% of the workers have not been paid since spring.",
    "Observers say the movement has spread to at least five provinces.",
)
SUBHEADINGS = ("What the protesters want", "A crisis years in the making", "Reactions abroad",
               "Background", "What comes next")
QUOTES = ("“Our children deserve better than this,” said a teacher who asked not to be named.",
          "“No one listens to us unless we gather in the streets,” a retired worker said.")
CAPTIONS = ("Families gather outside the courthouse in {place} to demand news of detained relatives",
            "Workers hold banners during a rally over {topic} in {place}",
            "A view of the main square in {place} where the protest began",
            "Retired workers at the mullahs' regime offices in {place}",
            "Women's rights activists march through central {place}")
AUTHORS = ("Sara Ahmadi", "Daniel Rostami", "Mina Karimi", "Reza Tehrani", "Layla Farahani")
TAGS = ("protests", "economy", "labor", "human rights", "women", "prisons", "inflation", "water")
PHOTOGRAPHERS = ("Ali Moradi", "Nora Vahidi", "staff")

FA_WORDS = ("کارگران", "معلمان", "بازنشستگان", "پرستاران", "دانشجویان", "کشاورزان")
FA_TOPICS = ("حقوق معوقه", "گرانی نان", "کمبود آب", "بحران مسکن", "قطعی برق", "تورم")
FA_SENTENCES = (
    "به گزارش رسانه‌های محلی، این تجمع چند ساعت ادامه داشت.",
    "مسئولان تاکنون به این اعتراض‌ها پاسخی نداده‌اند.",
    "شرکت‌کنندگان خواستار رسیدگی فوری به مطالبات خود شدند.",
    "قیمت کالاهای اساسی در دو سال گذشته بیش از دو برابر شده است.",
    "شاهدان می‌گویند شمار معترضان در طول روز افزایش یافت.",
    "فعالان صنفی از ادامه اعتراض‌ها در هفته آینده خبر دادند.",
)


@dataclass
class DemoCategory:
    slug: str
    name: str
    language: str

    @property
    def path(self) -> str:
        return f"/{self.language}/category/{self.slug}/"


@dataclass
class DemoImage:
    src: str
    caption: str
    alt: str
    credit: str | None
    classic: bool
    attachment_id: int


@dataclass
class DemoArticle:
    id: int
    title: str
    slug: str
    language: str
    published_at: datetime
    modified_at: datetime
    categories: list[DemoCategory]
    tags: list[str]
    author: str
    blocks: list[tuple[str, str]]  # (kind, text): p, h2, quote
    images: list[DemoImage]
    image_positions: list[int]  # before which block each image goes
    json_ld: bool
    related: list[int] = field(default_factory=list)

    @property
    def path(self) -> str:
        local = self.published_at.astimezone(TEHRAN)
        return f"/{self.language}/news/{local:%Y/%m}/{self.slug}/{self.id}/"

    @property
    def paragraphs(self) -> list[str]:
        return [text for _kind, text in self.blocks]


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70]


def _alt_variant(caption: str, rng: random.Random) -> str:
    """The caption again, slightly changed, as the real site's image alt/title shows it."""
    if "'" in caption:
        return caption.replace("'", "’")
    return caption + rng.choice((" 3", ".", " 2"))


def _decorate(text: str, rng: random.Random) -> str:
    """Invisible differences a CMS leaves in text: a non-breaking space, a zero-width space."""
    words = text.split(" ")
    if len(words) > 4 and rng.random() < 0.15:
        i = rng.randrange(1, len(words) - 1)
        words[i] = words[i] + "\u00a0" + words.pop(i + 1) if i + 1 < len(words) else words[i]
    if len(words) > 4 and rng.random() < 0.1:
        i = rng.randrange(0, len(words))
        if len(words[i]) > 3:
            words[i] = words[i][:2] + "\u200b" + words[i][2:]
    return " ".join(words)


def solar_hijri(day: datetime) -> str:
    from convertdate import persian

    year, month, dom = persian.from_gregorian(day.year, day.month, day.day)
    return f"{dom} {PERSIAN_MONTHS[month - 1]} {year}".translate(PERSIAN_DIGITS)


class DemoSite:
    def __init__(self, n_articles: int = 320, seed: int = 7, per_page: int = 10) -> None:
        self.rng = random.Random(seed)
        self.per_page = per_page
        self.categories = [DemoCategory(s, n, "en") for s, n in EN_CATEGORIES]
        self.categories.append(DemoCategory(*FA_CATEGORY, "fa"))
        self.articles: list[DemoArticle] = []
        self._titles: set[str] = set()
        self._lock = threading.Lock()
        n_persian = min(25, max(1, n_articles // 12))
        start = datetime(2019, 1, 1, tzinfo=TEHRAN).astimezone(timezone.utc)
        end = datetime(2024, 12, 31, tzinfo=TEHRAN).astimezone(timezone.utc)
        span = (end - start).total_seconds()
        stamps = sorted(start + timedelta(seconds=self.rng.uniform(0, span)) for _ in range(n_articles))
        persian_slots = set(self.rng.sample(range(n_articles), n_persian))
        next_id = 16000
        for index, published in enumerate(stamps):
            next_id += self.rng.randint(3, 40)
            language = "fa" if index in persian_slots else "en"
            self.articles.append(self._make_article(next_id, published.replace(microsecond=0), language))
        self._link_related()

    # generation -------------------------------------------------------------------------
    def _make_article(self, article_id: int, published: datetime, language: str) -> DemoArticle:
        rng = self.rng
        if language == "fa":
            published = datetime.combine(published.astimezone(TEHRAN).date(), datetime.min.time(),
                                         tzinfo=TEHRAN).astimezone(timezone.utc)
            return self._make_persian(article_id, published)
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        subject, action = rng.choice(SUBJECTS), rng.choice(ACTIONS)
        title = f"{subject} in {place} {action} {topic}"
        while title in self._titles:
            title += f" ({rng.randint(2, 99)})"
        self._titles.add(title)
        local = published.astimezone(TEHRAN)
        opener = rng.choice(OPENERS).format(day=f"{local:%A}", subject=subject, place=place,
                                            action=action, topic=topic, subject_l=subject.lower())
        blocks: list[tuple[str, str]] = [("p", opener)]
        for _ in range(rng.randint(3, 8)):
            blocks.append(("p", " ".join(rng.sample(SENTENCES, rng.randint(2, 4)))))
        if rng.random() < 0.4:
            blocks.insert(rng.randint(2, len(blocks) - 1), ("h2", rng.choice(SUBHEADINGS)))
        if rng.random() < 0.3:
            blocks.insert(rng.randint(1, len(blocks)), ("quote", rng.choice(QUOTES)))
        images, positions = self._make_images(article_id, local, place, topic)
        main = self._category("en", rng.choice(EN_CATEGORIES)[0])
        categories = [main]
        if rng.random() < 0.35:
            others = [c for c in self.categories if c.language == "en" and c is not main]
            categories += rng.sample(others, rng.randint(1, 2))
        modified = published + timedelta(hours=rng.choice((0, 0, 2, 26, 240)))
        return DemoArticle(article_id, title, _slugify(title), "en", published, modified,
                           categories, sorted(rng.sample(TAGS, rng.randint(1, 3))),
                           rng.choice(AUTHORS), blocks, images, positions,
                           json_ld=article_id % 2 == 0)

    def _make_persian(self, article_id: int, published: datetime) -> DemoArticle:
        rng = self.rng
        title = f"تجمع {rng.choice(FA_WORDS)} در اعتراض به {rng.choice(FA_TOPICS)}"
        while title in self._titles:
            title += f" {rng.randint(2, 99)}".translate(PERSIAN_DIGITS)
        self._titles.add(title)
        blocks = [("p", " ".join(rng.sample(FA_SENTENCES, rng.randint(2, 3))))
                  for _ in range(rng.randint(3, 6))]
        return DemoArticle(article_id, title, f"fa-article-{article_id}", "fa", published, published,
                           [self._category("fa", FA_CATEGORY[0])], [], "تحریریه", blocks, [], [],
                           json_ld=False)

    def _make_images(self, article_id: int, local: datetime, place: str, topic: str
                     ) -> tuple[list[DemoImage], list[int]]:
        rng = self.rng
        count = rng.choice((0, 0, 1, 1, 2))
        images, positions = [], []
        for n in range(count):
            caption = rng.choice(CAPTIONS).format(place=place, topic=topic)
            credit = f"Photo: {rng.choice(PHOTOGRAPHERS)}" if rng.random() < 0.2 else None
            src = f"/wp-content/uploads/{local:%Y/%m}/photo-{article_id}-{n + 1}.jpg"
            images.append(DemoImage(src, caption, _alt_variant(caption, rng), credit,
                                    classic=(article_id + n) % 2 == 1, attachment_id=article_id * 10 + n))
            positions.append(0 if n == 0 and rng.random() < 0.5 else rng.randint(1, 3))
        return images, positions

    def _category(self, language: str, slug: str) -> DemoCategory:
        return next(c for c in self.categories if c.language == language and c.slug == slug)

    def _link_related(self) -> None:
        ids = [a.id for a in self.articles]
        for article in self.articles:
            article.related = self.rng.sample([i for i in ids if i != article.id], min(3, len(ids) - 1))

    # changes between crawls ----------------------------------------------------------------
    def add_articles(self, n: int) -> list[DemoArticle]:
        """New English articles, newer than any existing one (and not in the future)."""
        with self._lock:
            newest = max(a.published_at for a in self.articles)
            now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
            added = []
            for k in range(n):
                published = newest + (now - newest) * (k + 1) / (n + 1)
                article = self._make_article(max(a.id for a in self.articles) + 7,
                                             published.replace(microsecond=0), "en")
                article.modified_at = article.published_at
                article.related = [a.id for a in self.articles[-3:]]
                self.articles.append(article)
                added.append(article)
            return added

    def edit_article(self, article_id: int, new_paragraph: str) -> None:
        with self._lock:
            article = self.article(article_id)
            article.blocks.append(("p", new_paragraph))
            article.modified_at = max(article.published_at,
                                      datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1))

    def article(self, article_id: int) -> DemoArticle:
        return next(a for a in self.articles if a.id == article_id)

    # ground truth ----------------------------------------------------------------------------
    def expected(self) -> list[dict[str, Any]]:
        return [{
            "id": a.id, "url": a.path, "title": a.title, "paragraphs": a.paragraphs,
            "captions": [{"text": i.caption, "alt": i.alt, "credit": i.credit, "image_path": i.src}
                         for _, i in sorted(zip(a.image_positions, a.images), key=lambda p: p[0])],
            "published_at": a.published_at, "modified_at": a.modified_at,
            "categories": [c.name for c in a.categories], "tags": a.tags,
            "authors": [a.author], "language": a.language,
        } for a in self.articles]

    def listing(self, category: DemoCategory) -> list[DemoArticle]:
        members = [a for a in self.articles if category in a.categories]
        return sorted(members, key=lambda a: a.published_at, reverse=True)

    def newest(self, n: int) -> list[DemoArticle]:
        return sorted(self.articles, key=lambda a: a.published_at, reverse=True)[:n]


# rendering ----------------------------------------------------------------------------------
class Renderer:
    def __init__(self, site: DemoSite, base: str) -> None:
        self.site = site
        self.base = base

    def page(self, title: str, main: str, head: str = "", body_class: str = "", lang: str = "en") -> str:
        site = self.site
        html_lang, direction = ("fa-IR", "rtl") if lang == "fa" else ("en-US", "ltr")
        menu = "".join(f'<li class="menu-item"><a href="{self.base}{c.path}">{escape(c.name)}</a></li>'
                       for c in site.categories)
        labels = "".join(f"<label><input type=\"checkbox\"> {escape(t)}</label>" for t in SEARCH_LABELS)
        filters = "".join(f"<li><label><input type=\"checkbox\"> {escape(c.name)}</label></li>"
                          for c in site.categories)
        recent = "".join(
            f'<li><a href="{self.base}{a.path}">{escape(a.title)}</a> '
            f'<span class="post-date">{a.published_at.astimezone(TEHRAN):%B %-d, %Y}</span></li>'
            for a in site.newest(5))
        return f"""<!DOCTYPE html>
<html lang="{html_lang}" dir="{direction}">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - {SITE_NAME}</title>
<link rel="stylesheet" href="{self.base}/wp-content/themes/freedom/style.css?ver=6.4" media="all">
<script src="{self.base}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1"></script>
{head}
</head>
<body class="{body_class}">
<div id="page" class="site">
<header id="masthead" class="site-header">
<p class="site-title"><a href="{self.base}/" rel="home">Uniting for Freedom, Democracy &amp; Equality</a></p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{menu}</ul></nav>
<form role="search" method="get" class="search-form" action="{self.base}/">
<input type="search" class="search-field" name="s" placeholder="Search">
<div class="search-options">{labels}<ul class="search-category-filter">{filters}</ul></div>
<button type="submit">Search</button>
</form>
</header>
<div id="content" class="site-content">
<main id="main" class="site-main">
{main}
</main>
<aside id="secondary" class="widget-area">
<section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>{recent}</ul></section>
</aside>
</div>
<footer id="colophon" class="site-footer"><p>&copy; {SITE_NAME}. All rights reserved.</p></footer>
</div>
<script>window.demoAnalytics = {{"page": "{escape(title)}"}};</script>
</body>
</html>"""

    def listing(self, category: DemoCategory, page: int) -> str | None:
        members = self.site.listing(category)
        per_page = self.site.per_page
        pages = max(1, -(-len(members) // per_page))
        if page > pages:
            return None
        items = "".join(
            f'<article class="post-{a.id} post type-post"><h2 class="entry-title">'
            f'<a href="{self.base}{a.path}" rel="bookmark">{escape(a.title)}</a></h2>'
            f'<div class="entry-summary"><p>{escape(a.paragraphs[0][:140])}…</p></div></article>'
            for a in members[(page - 1) * per_page: page * per_page])
        base = f"{self.base}{category.path}"
        numbers = "".join(
            f'<span aria-current="page" class="page-numbers current">{n}</span>' if n == page
            else f'<a class="page-numbers" href="{base}page/{n}/">{n}</a>'
            for n in range(max(1, page - 2), min(pages, page + 2) + 1))
        nxt = f'<a class="next page-numbers" href="{base}page/{page + 1}/">Next</a>' if page < pages else ""
        prev = (f'<a class="prev page-numbers" href="{base}{"" if page == 2 else f"page/{page - 1}/"}">'
                f"Previous</a>" if page > 1 else "")
        main = (f'<header class="page-header"><h1 class="page-title">Category: {escape(category.name)}</h1>'
                f"</header>{items}<nav class=\"navigation pagination\"><div class=\"nav-links\">"
                f"{prev}{numbers}{nxt}</div></nav>")
        return self.page(f"{category.name} Archives", main, body_class="archive category",
                         lang=category.language)

    def home(self) -> str:
        items = "".join(f'<article class="post-{a.id} post"><h2 class="entry-title"><a href="{self.base}{a.path}">'
                        f"{escape(a.title)}</a></h2></article>" for a in self.site.newest(10))
        return self.page(SITE_NAME, items, body_class="home blog")

    def article(self, a: DemoArticle) -> str:
        rng = random.Random(a.id)
        url = f"{self.base}{a.path}"
        local = a.published_at.astimezone(TEHRAN)
        modified_local = a.modified_at.astimezone(TEHRAN)
        persian = a.language == "fa"
        head = [f'<link rel="canonical" href="{url}">',
                f'<link rel="shortlink" href="{self.base}/?p={a.id}">',
                f'<meta property="og:title" content="{escape(a.title)}">',
                f'<meta property="og:url" content="{url}">']
        if not persian:
            head += [f'<meta property="article:published_time" content="{local.isoformat()}">',
                     f'<meta property="article:modified_time" content="{modified_local.isoformat()}">']
        if a.json_ld:
            graph = {"@context": "https://schema.org", "@graph": [
                {"@type": "NewsArticle", "@id": f"{url}#article", "headline": a.title,
                 "datePublished": local.isoformat(), "dateModified": modified_local.isoformat(),
                 "author": {"@type": "Person", "name": a.author},
                 "articleSection": [c.name for c in a.categories], "inLanguage": "en-US",
                 "mainEntityOfPage": {"@id": url}},
                {"@type": "WebPage", "@id": url, "url": url, "name": f"{a.title} - {SITE_NAME}",
                 "datePublished": local.isoformat()}]}
            head.append(f'<script type="application/ld+json">{json.dumps(graph, ensure_ascii=False)}</script>')
        if persian:
            meta = (f'<span class="posted-on"><span class="entry-date">{solar_hijri(local)}</span></span>'
                    f' <span class="byline">{escape(a.author)}</span>')
        else:
            meta = (f'<span class="posted-on"><a href="{url}" rel="bookmark">'
                    f'<time class="entry-date published" datetime="{local.isoformat()}">{local:%B %-d, %Y}</time>'
                    f'<time class="updated" datetime="{modified_local.isoformat()}">{modified_local:%B %-d, %Y}</time>'
                    f'</a></span> <span class="byline">by <span class="author vcard">'
                    f'<a class="url fn n" href="{self.base}/en/author/{_slugify(a.author)}/" rel="author">'
                    f"{escape(a.author)}</a></span></span>")
        body: list[str] = []
        placed = sorted(zip(a.image_positions, range(len(a.images))))
        for index, (kind, text) in enumerate(a.blocks):
            body += [self.figure(a.images[i]) for pos, i in placed if pos == index]
            html_text = escape(_decorate(text, rng), quote=False)
            if kind == "h2":
                body.append(f"<h2 class=\"wp-block-heading\">{html_text}</h2>")
            elif kind == "quote":
                body.append(f"<blockquote class=\"wp-block-quote\"><p>{html_text}</p></blockquote>")
            else:
                body.append(f"<p>{html_text}</p>")
        body += [self.figure(a.images[i]) for pos, i in placed if pos >= len(a.blocks)]
        related = "".join(f'<li><a href="{self.base}{self.site.article(r).path}">'
                          f"{escape(self.site.article(r).title)}</a></li>" for r in a.related)
        cats = ", ".join(f'<a href="{self.base}{c.path}" rel="category tag">{escape(c.name)}</a>'
                         for c in a.categories)
        tags = ", ".join(f'<a href="{self.base}/{a.language}/tag/{_slugify(t)}/" rel="tag">{escape(t)}</a>'
                         for t in a.tags)
        main = f"""<article id="post-{a.id}" class="post-{a.id} post type-post status-publish format-standard">
<header class="entry-header"><h1 class="entry-title">{escape(a.title)}</h1>
<div class="entry-meta">{meta}</div></header>
<div class="entry-content">
{chr(10).join(body)}
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul>
<li><a class="share-twitter" href="#">Twitter</a></li><li><a class="share-facebook" href="#">Facebook</a></li>
<li><a class="share-telegram" href="#">Telegram</a></li></ul></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">Related</h3><ul>{related}</ul></div>
<script>document.querySelectorAll('.share-twitter').forEach(function (el) {{ el.dataset.ready = 1; }});</script>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in {cats}</span>
{f'<span class="tags-links">Tagged {tags}</span>' if tags else ''}</footer>
</article>"""
        return self.page(a.title, main, head="\n".join(head), lang=a.language,
                         body_class=f"post-template-default single single-post postid-{a.id} single-format-standard")

    def figure(self, image: DemoImage) -> str:
        src = f"{self.base}{image.src}"
        alt = escape(image.alt)
        caption = escape(image.caption, quote=False)
        credit = f' <span class="credit">{escape(image.credit)}</span>' if image.credit else ""
        if image.classic:
            return (f'<div id="attachment_{image.attachment_id}" style="width: 810px" class="wp-caption aligncenter">'
                    f'<img class="size-full wp-image-{image.attachment_id}" src="{src}" alt="{alt}" width="800" height="533">'
                    f'<p class="wp-caption-text">{caption}{credit}</p></div>')
        full = src.replace(".jpg", "-full.jpg")
        return (f'<figure class="wp-block-image size-large"><a href="{full}" title="{alt}">'
                f'<img src="{src}" alt="{alt}" title="{alt}" width="1024" height="683"></a>'
                f'<figcaption class="wp-element-caption">{caption}{credit}</figcaption></figure>')

    def not_found(self) -> str:
        return self.page("Page not found", '<section class="error-404"><h1 class="page-title">'
                         "Oops! That page can’t be found.</h1></section>", body_class="error404")


class DemoServer:
    """Serves a DemoSite on a loopback port in a background thread."""

    def __init__(self, site: DemoSite, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self.host = host
        self.port = port
        self.requests_served = 0
        self.paths_served: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._count(self.path)
                status, content_type, body = server.respond(self.path, self.headers.get("Host"))
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="demo-site")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _count(self, path: str) -> None:
        with self._count_lock:
            self.requests_served += 1
            self.paths_served[path] += 1

    def respond(self, path: str, host: str | None) -> tuple[int, str, str]:
        html = "text/html; charset=UTF-8"
        renderer = Renderer(self.site, f"http://{host}" if host else self.base_url)
        path = path.split("?")[0].split("#")[0]
        if path == "/robots.txt":
            return 200, "text/plain; charset=UTF-8", "User-agent: *\nDisallow: /wp-admin/\n"
        if path.startswith("/wp-admin"):
            return 403, html, renderer.page("Forbidden", "<h1>Forbidden</h1>")
        if path == "/":
            return 200, html, renderer.home()
        match = re.fullmatch(r"/(en|fa)/category/([\w-]+)/(?:page/(\d+)/)?", path)
        if match:
            language, slug, page = match.groups()
            category = next((c for c in self.site.categories
                             if c.slug == slug and c.language == language), None)
            page_html = renderer.listing(category, int(page or 1)) if category else None
            if page_html:
                return 200, html, page_html
        match = re.fullmatch(r"/(en|fa)/news/\d{4}/\d{2}/[^/]+/(\d+)/", path)
        if match:
            article = next((a for a in self.site.articles if a.id == int(match.group(2))), None)
            if article and article.path == path:
                return 200, html, renderer.article(article)
        return 404, html, renderer.not_found()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the demo news site on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--articles", type=int, default=320)
    args = parser.parse_args()
    server = DemoServer(DemoSite(n_articles=args.articles), port=args.port).start()
    print(f"demo site at {server.base_url}/ (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
