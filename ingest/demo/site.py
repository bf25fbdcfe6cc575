"""A local demo news site: WordPress-like markup modelled on the first real site (category
menu, search form, captions shown twice, "Recent Posts"), generated deterministically and
served on 127.0.0.1 by the standard library. It knows its own ground truth (`expected()`),
so crawls of it can be checked exactly.

All text is invented here from word and sentence templates filled by a seeded
`random.Random`; pages are rendered on the fly, nothing is written to disk.

    python -m ingest.demo.site --port 8089 --articles 320
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import threading
import time as time_module
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from ingest.demo import feeds, redesign
from ingest.demo.theme import Theme

TEHRAN = ZoneInfo("Asia/Tehran")
SITE_NAME = "Demo Freedom News"
TAGLINE = "Independent Reporting on Rights, Work & Daily Life"
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PERSIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                  "آذر", "دی", "بهمن", "اسفند")
SEARCH_LABELS = ("Generic selectors", "Exact matches only", "Search in title", "Search in content",
                 "Post Type Selectors", "Filter by Categories")
HTML_TYPE = "text/html; charset=UTF-8"

EN_CATEGORIES = (("news", "News"), ("human-rights", "Human Rights"), ("economy", "Economy"),
                 ("reports", "Reports"), ("women", "Women"), ("opinion", "Opinion"))
FA_CATEGORY = ("fa-news", "اخبار")
FIRST_DAY = datetime(2019, 1, 1, tzinfo=TEHRAN)
END_DAY = datetime(2025, 1, 1, tzinfo=TEHRAN)  # exclusive: the last day is 2024-12-31

# English vocabulary --------------------------------------------------------------------------
SUBJECTS = ("Teachers", "Nurses", "Retirees", "Farmers", "Students", "Truck drivers", "Workers",
            "Bakers", "Bazaar merchants", "Steelworkers", "Lawyers", "Journalists",
            "Oil & gas contractors", "Pensioners", "Shopkeepers", "Bus drivers", "Miners",
            "Railway staff", "Sugar-cane workers", "Hospital cleaners")
ACTIONS = ("rally over", "protest", "demand answers on", "strike against",
           "petition officials about", "speak out on", "gather to denounce", "report on",
           "challenge officials over", "march against")
TOPICS = ("unpaid wages", "rising bread prices", "water shortages", "the housing crisis",
          "prison conditions", "school closures", "power cuts", "the currency’s slide",
          "internet restrictions", "pension cuts", "air pollution", "medicine shortages",
          "fuel rationing", "rent increases", "job insecurity", "delayed contracts")
PLACES = ("Tehran", "Isfahan", "Tabriz", "Mashhad", "Shiraz", "Ahvaz", "Rasht", "Kermanshah",
          "Zahedan", "Karaj", "Yazd", "Arak", "Sanandaj", "Bushehr", "Qazvin", "Hamedan",
          "Urmia", "Kerman", "Gorgan", "Ardabil")
BODIES = ("the provincial council", "the labour ministry", "the city governor’s office",
          "the central bank", "the education department", "the health ministry",
          "the water utility", "the national pension fund")
VERBS = ("said", "told reporters", "wrote in a statement", "said in a video shared online",
         "told a local newspaper")
SPEAKERS = ("a union representative", "one participant", "a local council member",
            "a retired teacher", "an economist in {place}", "a spokesperson for the group",
            "a lawyer for several of the families", "a nurse who asked not to be named")
TIMES = ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "over the weekend",
         "last week", "earlier this month", "late on Sunday", "on Saturday morning")
TITLE_TEMPLATES = (
    "{Subject} in {place} {action} {topic}",
    "Concern over {topic} grows in {place}",
    "Report: the toll of {topic} across {n_prov} provinces",
    "{Subject} and {subject2_l} in {place} {action} {topic}",
    "What {topic} means for {subject_l} in {place}",
    "{place} officials face questions over {topic}",
    "In {place}, {subject_l} {action} {topic} for a {ordinal} day",
)
SENTENCE_TEMPLATES = (
    "{Subject} in {place} gathered {time} to {action_inf} {topic}, according to local reports.",
    "Witnesses said the crowd grew through the afternoon as more {subject_l} joined.",
    "Officials at {body} did not respond to requests for comment.",
    "Organizers said the gathering in {place} was peaceful and lasted {hours} hours.",
    "Prices of basic goods have risen by about {pct}% over the past {months} months.",
    "Many families in {place} now spend most of their income on rent and food.",
    "A spokesperson for {body} said the matter was “under review” but gave no date.",
    "Economists warn that the problem of {topic} is unlikely to ease without deeper reform.",
    "Several participants held signs calling for accountability and transparency.",
    "The protest followed a similar gathering in {place2} {time}.",
    "Rights monitors said at least {small} people were briefly detained in {place}.",
    "Videos shared online showed a large crowd outside {body} in {place}.",
    "“We have waited long enough,” {speaker} {verb}.",
    "{Speaker} {verb} that {subject_l} had not been paid for {months} months.",
    "{Body} blamed {topic} on drought & mismanagement in previous years.",
    "According to the statement, {pct}% of the workforce had not received full wages since spring.",
    "Observers say the movement has spread to at least {n_prov} provinces — and is still growing.",
    "In {place2}, {subject2_l} announced a {days}-day strike starting next week.",
    "The dispute began in {month} when {body} announced new rules without consultation.",
    "A petition signed by {big} people was delivered to {body} {time}.",
    "Local media in {place} reported long queues outside bakeries and pharmacies.",
    "{Speaker} {verb} that the demands were “simple, fair and long overdue.”",
    "Independent unions have called for further action in {month}.",
    "Families of detained protesters gathered outside the courthouse in {place2}.",
    "The average monthly wage, {speaker} {verb}, no longer covers rent in most of {place}.",
    "Meanwhile, {subject2_l} in {place2} said they faced the same problems.",
)
SUBHEADINGS = ("What the protesters want", "A crisis years in the making", "Reactions abroad",
               "Background", "What comes next", "Voices from {place}", "The numbers behind {topic}",
               "How officials responded")
QUOTE_TEMPLATES = (
    "“Our children deserve better than this,” {speaker} {verb}. “We will come back every week.”",
    "“No one listens to us unless we gather in the streets,” {speaker} {verb}.",
    "“Every month the same promise, and every month nothing,” {speaker} {verb}.",
)
CAPTION_TEMPLATES = (
    "Families gather outside the courthouse in {place} to ask for news of detained relatives",
    "Workers hold banners during a rally over {topic} in {place}",
    "A view of the main square in {place} where the protest began",
    "Retired workers outside the governor's office in {place}",
    "Women's rights activists march through central {place}",
    "{Subject} line up in front of the provincial building in {place}",
    "A street market in {place} during the {month} price rises",
    "Students at a sit-in on the university campus in {place}",
)
AUTHORS = ("Sara Ahmadi", "Daniel Rostami", "Mina Karimi", "Reza Tehrani", "Layla Farahani",
           "Omid Jafari", "Nasrin Kazemi")
TAGS = ("protests", "economy", "labor", "human rights", "women", "prisons", "inflation", "water",
        "pensions", "students", "health")
PHOTOGRAPHERS = ("Ali Moradi", "Nora Vahidi", "Kaveh Sadri", "Staff")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

# Persian vocabulary --------------------------------------------------------------------------
FA_SUBJECTS = ("کارگران", "معلمان", "بازنشستگان", "پرستاران", "دانشجویان", "کشاورزان",
               "رانندگان کامیون", "کاسبان بازار", "کارگران فولاد", "مستأجران")
FA_TOPICS = ("حقوق معوقه", "گرانی نان", "کمبود آب", "بحران مسکن", "قطعی برق", "تورم",
             "کمبود دارو", "افزایش اجاره‌بها", "کاهش مستمری")
FA_PLACES = ("تهران", "اصفهان", "تبریز", "مشهد", "شیراز", "اهواز", "رشت", "کرمانشاه", "یزد",
             "اراک", "سنندج", "کرمان")
FA_TITLE_TEMPLATES = (
    "تجمع {subject} {place} در اعتراض به {topic}",
    "اعتراض {subject} به {topic} در {place}",
    "گزارش: ادامه {topic} در {place}",
    "{subject} {place} خواستار رسیدگی به {topic} شدند",
)
FA_SENTENCE_TEMPLATES = (
    "به گزارش رسانه‌های محلی، تجمع {subject} در {place} {hours} ساعت ادامه داشت.",
    "مسئولان {place} تاکنون به این اعتراض‌ها پاسخی نداده‌اند.",
    "شرکت‌کنندگان خواستار رسیدگی فوری به {topic} شدند.",
    "قیمت کالاهای اساسی در {months} ماه گذشته حدود {pct} درصد افزایش یافته است.",
    "شاهدان می‌گویند شمار معترضان در طول روز افزایش یافت.",
    "فعالان صنفی از ادامه اعتراض‌ها در هفته آینده خبر دادند.",
    "{subject} {place2} نیز از مشکلات مشابهی سخن گفتند.",
    "یکی از شرکت‌کنندگان گفت: «ما فقط حق خود را می‌خواهیم.»",
    "طوماری با {big} امضا به فرمانداری {place} تحویل داده شد.",
    "نمایندگان {subject} گفتند که {months} ماه است حقوق کامل دریافت نکرده‌اند.",
    "در {place2} نیز گروهی از {subject2} در برابر ساختمان استانداری جمع شدند.",
    "کارشناسان اقتصادی هشدار می‌دهند که بدون اصلاحات جدی، {topic} ادامه خواهد یافت.",
    "ویدئوهای منتشرشده در شبکه‌های اجتماعی جمعیت زیادی را در مرکز {place} نشان می‌دهد.",
    "برگزارکنندگان گفتند این تجمع مسالمت‌آمیز بود و پس از {hours} ساعت پایان یافت.",
    "به گفته ناظران، {topic} به دست‌کم {n_prov} استان دیگر نیز رسیده است.",
)
FA_CAPTION_TEMPLATES = ("تجمع {subject} در مقابل فرمانداری {place}",
                        "نمایی از میدان اصلی {place} در روز اعتراض")
FA_AUTHOR = "تحریریه"


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
    src: str  # path of the <img>, e.g. /wp-content/uploads/2023/07/rally-16042-1.jpg
    caption: str  # visible caption text, without the credit
    alt: str  # the caption slightly varied, as the image alt/title text
    credit: str | None  # "Photo: NAME" or None
    classic: bool  # classic-editor [caption] markup rather than a block-editor figure
    attachment_id: int
    before_block: int  # index of the body block it precedes (len(paragraphs) = after the last)


@dataclass
class DemoArticle:
    id: int
    title: str
    slug: str
    language: str
    published_at: datetime  # aware, UTC
    modified_at: datetime  # aware, UTC, >= published_at
    categories: list[DemoCategory]
    tags: list[str]
    author: str
    paragraphs: list[str]  # body blocks in order: paragraphs, subheadings, quoted paragraphs
    images: list[DemoImage]
    block_kinds: dict[int, str] = field(default_factory=dict)  # index -> "h2" | "quote"; else "p"
    json_ld: bool = False
    related: list[int] = field(default_factory=list)

    @property
    def path(self) -> str:
        local = self.published_at.astimezone(TEHRAN)
        return f"/{self.language}/news/{local:%Y/%m}/{self.slug}/{self.id}/"

    def kind(self, index: int) -> str:
        return self.block_kinds.get(index, "p")

    def images_in_order(self) -> list[DemoImage]:
        """Images in page order (stable for images sharing a position)."""
        return sorted(self.images, key=lambda image: image.before_block)


# text helpers -----------------------------------------------------------------------------------
def slugify(text: str) -> str:
    """ASCII WordPress-style slug."""
    text = text.lower().replace("’", "").replace("'", "").replace("&", " ")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug if len(slug) <= 80 else slug[:80].rsplit("-", 1)[0]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _alt_variant(caption: str, rng: random.Random) -> str:
    """The caption again, slightly changed, as the real site's image alt/title shows it."""
    if "'" in caption:
        return caption.replace("'", "’")
    if "’" in caption:
        return caption.replace("’", "'")
    return caption + rng.choice((" 3", ".", " 2"))


def _decorate(text: str, rng: random.Random) -> str:
    """Invisible differences a CMS leaves in text: a non-breaking space, a zero-width space,
    a doubled space. Collapsing whitespace and dropping U+200B gives the text back."""
    words = text.split(" ")
    if len(words) > 4 and rng.random() < 0.2:
        i = rng.randrange(0, len(words) - 1)
        words[i: i + 2] = [words[i] + "\u00a0" + words[i + 1]]
    if len(words) > 4 and rng.random() < 0.12:
        i = rng.randrange(0, len(words))
        if len(words[i]) > 3:
            words[i] = words[i][:2] + "\u200b" + words[i][2:]
    if len(words) > 4 and rng.random() < 0.1:
        i = rng.randrange(1, len(words))
        words[i] = " " + words[i]
    return " ".join(words)


def solar_hijri(day: datetime) -> str:
    """'۲۳ تیر ۱۴۰۲' for the (local) calendar day of `day`."""
    return _solar_hijri(day.year, day.month, day.day)


@lru_cache(maxsize=4096)
def _solar_hijri(year: int, month: int, dom: int) -> str:
    from convertdate import persian  # exact, astronomical: over 0.1 s a day, hence the cache

    year, month, dom = persian.from_gregorian(year, month, dom)
    return f"{dom} {PERSIAN_MONTHS[month - 1]} {year}".translate(PERSIAN_DIGITS)


def english_date(moment: datetime) -> str:
    local = moment.astimezone(TEHRAN)
    return f"{MONTHS_EN[local.month - 1]} {local.day}, {local.year}"


class _Words:
    """Slot values for one article, so its title, body and captions talk about the same things."""

    def __init__(self, rng: random.Random, persian: bool) -> None:
        self.rng = rng
        self._decks: dict[tuple[str, ...], list[str]] = {}
        if persian:
            subject, subject2 = rng.sample(FA_SUBJECTS, 2)
            place, place2 = rng.sample(FA_PLACES, 2)
            self.values: dict[str, str] = {
                "subject": subject, "subject2": subject2, "place": place, "place2": place2,
                "topic": rng.choice(FA_TOPICS)}
        else:
            subject, subject2 = rng.sample(SUBJECTS, 2)
            place, place2 = rng.sample(PLACES, 2)
            topic = rng.choice(TOPICS)
            self.values = {
                "subject": subject, "subject2": subject2, "place": place, "place2": place2,
                "topic": topic, "action": rng.choice(ACTIONS), "body": rng.choice(BODIES),
                "ordinal": rng.choice(("second", "third", "fourth", "fifth"))}

    def sentences(self, templates: tuple[str, ...], count: int, persian: bool = False) -> str:
        """`count` filled sentences, none repeated within the article until all were used."""
        out = []
        for _ in range(count):
            deck = self._decks.setdefault(templates, [])
            if not deck:
                deck.extend(self.rng.sample(templates, len(templates)))
            out.append(self.fill(deck.pop(), persian=persian))
        return " ".join(out)

    def fill(self, template: str, persian: bool = False) -> str:
        rng = self.rng
        v = dict(self.values)
        numbers = {"hours": rng.randint(2, 9), "pct": rng.randint(18, 140),
                   "months": rng.randint(2, 14), "small": rng.randint(3, 40),
                   "n_prov": rng.randint(3, 21), "days": rng.randint(2, 10),
                   "big": f"{rng.randint(2, 48) * 250:,}"}
        if persian:
            v.update({k: str(n).replace(",", "٬").translate(PERSIAN_DIGITS)
                      for k, n in numbers.items()})
            return template.format(**v)
        v.update({k: str(n) for k, n in numbers.items()})
        v["time"] = rng.choice(TIMES)
        v["month"] = rng.choice(MONTHS_EN)
        v["verb"] = rng.choice(VERBS)
        v["speaker"] = rng.choice(SPEAKERS).format(place=v["place"])
        v["action_inf"] = rng.choice(("protest", "speak out on", "demand action on", "denounce"))
        for key in ("subject", "subject2"):
            v[f"{key}_l"] = v[key].lower()
        for key in ("subject", "topic", "speaker", "body", "place"):
            v[_cap(key)] = _cap(v[key])
        return template.format(**v)


# the site ---------------------------------------------------------------------------------------
class DemoSite:
    """Articles, categories and ground truth. Deterministic for a seed (and call sequence)."""

    def __init__(self, n_articles: int = 320, seed: int = 7, per_page: int = 10,
                 full_theme: bool = False) -> None:
        self.rng = random.Random(seed)
        self.per_page = per_page
        # full_theme: a production theme's chrome around every page (ingest.demo.theme)
        self.theme = Theme(self) if full_theme else None
        self.redesigned = False  # article pages in another theme (ingest.demo.redesign)
        self.categories: list[DemoCategory] = [DemoCategory(s, n, "en") for s, n in EN_CATEGORIES]
        self.categories.append(DemoCategory(*FA_CATEGORY, "fa"))
        self.articles: list[DemoArticle] = []
        self.lock = threading.RLock()  # held while changing articles or rendering a page
        self._titles: set[str] = set()
        self._by_id: dict[int, DemoArticle] = {}
        self._newest_first: list[DemoArticle] | None = None
        self._listings: dict[str, list[DemoArticle]] = {}
        n_persian = min(25, max(1, n_articles // 12)) if n_articles > 1 else 0
        start, end = FIRST_DAY.astimezone(timezone.utc), END_DAY.astimezone(timezone.utc)
        span = int((end - start).total_seconds())
        stamps = sorted(start + timedelta(seconds=self.rng.randrange(span))
                        for _ in range(n_articles))
        persian_slots = set(self.rng.sample(range(n_articles), n_persian))
        next_id = 16000
        for index, published in enumerate(stamps):
            next_id += self.rng.choice((1, 2, 3, 5, 8, 13, 21, 40, 77, 150))
            language = "fa" if index in persian_slots else "en"
            self._add(self._make_article(next_id, published, language))
        ids = list(self._by_id)
        for article in self.articles:
            others = [i for i in self.rng.sample(ids, min(4, len(ids))) if i != article.id]
            article.related = others[:3]

    # generation ---------------------------------------------------------------------------------
    def _add(self, article: DemoArticle) -> None:
        self.articles.append(article)
        self._by_id[article.id] = article
        self._newest_first = None
        self._listings = {}

    def _unique_title(self, make: Any) -> str:
        for _ in range(50):
            title = make()
            if title not in self._titles:
                break
        else:
            title = f"{title} ({len(self._titles)})"
        self._titles.add(title)
        return title

    def _make_article(self, article_id: int, published: datetime, language: str) -> DemoArticle:
        if language == "fa":
            return self._make_persian(article_id, published)
        rng = self.rng
        words = _Words(rng, persian=False)
        title = self._unique_title(lambda: _cap(words.fill(rng.choice(TITLE_TEMPLATES))))
        rest = SENTENCE_TEMPLATES[1:]
        opener = words.fill(SENTENCE_TEMPLATES[0])
        paragraphs = [f"{opener} {words.sentences(rest, rng.randint(1, 2))}"]
        for _ in range(rng.randint(3, 8)):
            paragraphs.append(words.sentences(rest, rng.randint(2, 3)))
        kinds: dict[int, str] = {}
        if rng.random() < 0.4:
            at = rng.randint(2, len(paragraphs) - 1)
            paragraphs.insert(at, words.fill(rng.choice(SUBHEADINGS)))
            kinds[at] = "h2"
        if rng.random() < 0.3:
            at = rng.randint(1, len(paragraphs))
            kinds = {(i + 1 if i >= at else i): k for i, k in kinds.items()}
            paragraphs.insert(at, words.fill(rng.choice(QUOTE_TEMPLATES)))
            kinds[at] = "quote"
        local = published.astimezone(TEHRAN)
        images = self._make_images(article_id, local, words, rng.choice((0, 0, 1, 1, 1, 2)),
                                   CAPTION_TEMPLATES, persian=False)
        categories = [self._category("en", rng.choice(EN_CATEGORIES)[0])]
        if rng.random() < 0.33:
            others = [c for c in self.categories if c.language == "en" and c != categories[0]]
            categories += rng.sample(others, rng.choice((1, 1, 2)))
        delay = rng.choice((0, 0, 0, 1, 2, 26, 240)) * 3600 + rng.randint(0, 3599)
        modified = published + timedelta(seconds=delay)
        return DemoArticle(article_id, title, slugify(title), "en", published, modified,
                           categories, sorted(rng.sample(TAGS, rng.randint(1, 3))),
                           rng.choice(AUTHORS), paragraphs, images, kinds,
                           json_ld=rng.random() < 0.5)

    def _make_persian(self, article_id: int, published: datetime) -> DemoArticle:
        """Only the day is shown on Persian pages, so they are published at midnight Tehran."""
        rng = self.rng
        day = published.astimezone(TEHRAN).date()
        published = datetime(day.year, day.month, day.day, tzinfo=TEHRAN).astimezone(timezone.utc)
        words = _Words(rng, persian=True)
        title = self._unique_title(lambda: words.fill(rng.choice(FA_TITLE_TEMPLATES), persian=True))
        paragraphs = [words.sentences(FA_SENTENCE_TEMPLATES, rng.choice((2, 2, 3)), persian=True)
                      for _ in range(rng.randint(4, 5))]
        local = published.astimezone(TEHRAN)
        images = self._make_images(article_id, local, words, rng.choice((0, 0, 1)),
                                   FA_CAPTION_TEMPLATES, persian=True)
        return DemoArticle(article_id, title, f"fa-news-{article_id}", "fa", published, published,
                           [self._category("fa", FA_CATEGORY[0])], [], FA_AUTHOR, paragraphs,
                           images)

    def _make_images(self, article_id: int, local: datetime, words: _Words, count: int,
                     templates: tuple[str, ...], persian: bool) -> list[DemoImage]:
        rng = self.rng
        images = []
        for n, template in enumerate(rng.sample(templates, min(count, len(templates)))):
            caption = words.fill(template, persian=persian)
            credit = f"Photo: {rng.choice(PHOTOGRAPHERS)}" if rng.random() < 0.2 else None
            name = slugify(caption)[:40].rstrip("-") or "photo"
            src = f"/wp-content/uploads/{local:%Y/%m}/{name}-{article_id}-{n + 1}.jpg"
            position = 0 if n == 0 and rng.random() < 0.5 else rng.randint(1, 3)
            images.append(DemoImage(src, caption, _alt_variant(caption, rng), credit,
                                    classic=(article_id + n) % 2 == 1,
                                    attachment_id=article_id * 10 + n + 1, before_block=position))
        return images

    def _category(self, language: str, slug: str) -> DemoCategory:
        return next(c for c in self.categories if c.language == language and c.slug == slug)

    # changes between crawls ---------------------------------------------------------------------
    def add_articles(self, n: int) -> list[DemoArticle]:
        """New English articles, newer than any existing one, published within the last day
        (as on a live news site between two scheduled runs), never in the future."""
        with self.lock:
            now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
            newest = max((a.published_at for a in self.articles), default=FIRST_DAY)
            newest = max(newest, now - timedelta(days=1))
            now = max(now, newest + timedelta(seconds=n + 1))
            added = []
            next_id = max(self._by_id, default=16000)
            for k in range(n):
                published = (newest + (now - newest) * (k + 1) / (n + 1)).replace(microsecond=0)
                next_id += self.rng.randint(2, 30)
                article = self._make_article(next_id, published, "en")
                article.modified_at = article.published_at
                article.related = [a.id for a in self.newest(3)]
                self._add(article)
                added.append(article)
            return added

    def edit_article(self, article_id: int, new_paragraph: str) -> None:
        """Append a paragraph to the body and move the modified date forward."""
        with self.lock:
            article = self.article(article_id)
            article.paragraphs.append(" ".join(new_paragraph.split()))
            now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
            article.modified_at = max(now, article.modified_at + timedelta(seconds=1))

    # queries --------------------------------------------------------------------------------------
    def article(self, article_id: int) -> DemoArticle:
        return self._by_id[article_id]

    def find(self, article_id: int) -> DemoArticle | None:
        return self._by_id.get(article_id)

    def _ordered(self) -> list[DemoArticle]:
        if self._newest_first is None or len(self._newest_first) != len(self.articles):
            self._newest_first = sorted(self.articles, key=lambda a: (a.published_at, a.id),
                                        reverse=True)
            self._listings = {}
        return self._newest_first

    def newest(self, n: int | None = None) -> list[DemoArticle]:
        with self.lock:
            return self._ordered()[:n] if n is not None else list(self._ordered())

    def listing(self, category: DemoCategory) -> list[DemoArticle]:
        """A category's articles, newest first (kept between requests: on a big site every
        listing page would otherwise filter all articles)."""
        with self.lock:
            ordered = self._ordered()
            members = self._listings.get(category.path)
            if members is None:
                members = [a for a in ordered if category in a.categories]
                self._listings[category.path] = members
            return list(members)

    # ground truth ---------------------------------------------------------------------------------
    def expected(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{
                "id": a.id, "url": a.path, "title": a.title, "paragraphs": list(a.paragraphs),
                "captions": [{"text": i.caption, "alt": i.alt, "credit": i.credit,
                              "image_path": i.src} for i in a.images_in_order()],
                "published_at": a.published_at, "modified_at": a.modified_at,
                "categories": [c.name for c in a.categories], "tags": list(a.tags),
                "authors": [a.author], "language": a.language,
            } for a in self.articles]


# rendering --------------------------------------------------------------------------------------
class Renderer:
    """HTML for one request; `base` is the scheme and host the request came in on."""

    def __init__(self, site: DemoSite, base: str) -> None:
        self.site = site
        self.base = base

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def page(self, title: str, main: str, head: str = "", body_class: str = "",
             lang: str = "en") -> str:
        site = self.site
        html_lang, direction = ("fa-IR", "rtl") if lang == "fa" else ("en-US", "ltr")
        chrome = site.theme.shared(self.base) if site.theme else {}
        menu = "".join(f'<li class="menu-item menu-item-type-taxonomy menu-item-object-category">'
                       f'<a href="{self.url(c.path)}">{escape(c.name)}</a>{chrome.get(c.path, "")}</li>'
                       for c in site.categories)
        labels = "".join(f'<label><input type="checkbox" checked> {escape(t)}</label>'
                         for t in SEARCH_LABELS)
        filters = "".join(f'<li><label><input type="checkbox" name="cat[]" value="{c.slug}"> '
                          f"{escape(c.name)}</label></li>" for c in site.categories)
        recent = "".join(f'<li><a href="{self.url(a.path)}">{escape(a.title)}</a> '
                         f'<span class="post-date">{english_date(a.published_at)}</span></li>'
                         for a in site.newest(5))
        return f"""<!DOCTYPE html>
<html lang="{html_lang}" dir="{direction}">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - {SITE_NAME}</title>
<link rel="stylesheet" href="{self.base}/wp-content/themes/freedom/style.css?ver=6.4" media="all">
<script src="{self.base}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1"></script>
{chrome.get("head", "")}{head}
</head>
<body class="{body_class}">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#main">Skip to content</a>
<header id="masthead" class="site-header">{chrome.get("top", "")}
<p class="site-title"><a href="{self.base}/" rel="home">{escape(TAGLINE)}</a></p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{menu}</ul></nav>
<form role="search" method="get" class="search-form" action="{self.base}/">
<input type="search" class="search-field" name="s" placeholder="Search">
<div class="search-options">
<fieldset><legend>Generic selectors</legend>{labels}</fieldset>
<ul class="search-category-filter">{filters}</ul>
</div>
<button type="submit">Search</button>
</form>
</header>
<div id="content" class="site-content">
<main id="main" class="site-main">
{main}
</main>
<aside id="secondary" class="widget-area">
<section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>{recent}</ul></section>{chrome.get("sidebar", "")}
</aside>
</div>
<footer id="colophon" class="site-footer">{chrome.get("footer", "")}<div class="site-info">&copy; 2019&ndash;2025 {SITE_NAME}. All rights reserved.</div></footer>
</div>
<script>window.demoAnalytics = {{"page": "{escape(title)}"}};</script>{chrome.get("scripts", "")}
</body>
</html>"""

    def summary(self, article: DemoArticle) -> str:
        words = article.paragraphs[0].split()
        excerpt = " ".join(words[:28]) + (" […]" if len(words) > 28 else "")
        return (f'<article class="post-{article.id} post type-post status-publish">'
                f'<h2 class="entry-title"><a href="{self.url(article.path)}" rel="bookmark">'
                f"{escape(article.title)}</a></h2>"
                f'<div class="entry-summary"><p>{escape(excerpt, quote=False)}</p></div></article>')

    def pagination(self, base: str, page: int, pages: int) -> str:
        """WordPress paginate_links(): first, last, current +/- 2, dots in between."""
        def link(n: int) -> str:
            return base if n == 1 else f"{base}page/{n}/"

        parts: list[str] = []
        if page > 1:
            parts.append(f'<a class="prev page-numbers" href="{link(page - 1)}">Previous</a>')
        dotted = False
        for n in range(1, pages + 1):
            if n == page:
                parts.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
                dotted = False
            elif n in (1, pages) or abs(n - page) <= 2:
                parts.append(f'<a class="page-numbers" href="{link(n)}">{n}</a>')
                dotted = False
            elif not dotted:
                parts.append('<span class="page-numbers dots">&hellip;</span>')
                dotted = True
        if page < pages:
            parts.append(f'<a class="next page-numbers" href="{link(page + 1)}">Next</a>')
        return ('<nav class="navigation pagination" aria-label="Posts">'
                '<h2 class="screen-reader-text">Posts navigation</h2>'
                f'<div class="nav-links">{"".join(parts)}</div></nav>')

    def listing(self, category: DemoCategory, page: int) -> str | None:
        members = self.site.listing(category)
        per_page = self.site.per_page
        pages = max(1, -(-len(members) // per_page))
        if not 1 <= page <= pages:
            return None
        items = "\n".join(self.summary(a) for a in members[(page - 1) * per_page: page * per_page])
        main = (f'<header class="page-header"><h1 class="page-title">Category: '
                f"{escape(category.name)}</h1></header>\n{items}\n"
                f"{self.pagination(self.url(category.path), page, pages)}")
        title = f"{category.name} Archives" + (f" - Page {page} of {pages}" if page > 1 else "")
        here = self.url(category.path) + (f"page/{page}/" if page > 1 else "")
        return self.page(title, main, head=f'<link rel="canonical" href="{here}">',
                         body_class=f"archive category category-{category.slug}",
                         lang=category.language)

    def home(self) -> str:
        items = "\n".join(self.summary(a) for a in self.site.newest(10))
        return self.page(SITE_NAME, f'<h1 class="screen-reader-text">Latest news</h1>\n{items}',
                         body_class="home blog")

    def article(self, a: DemoArticle) -> str:
        if self.site.redesigned:
            return redesign.article_page(self, a)
        url = self.url(a.path)
        local = a.published_at.astimezone(TEHRAN)
        modified_local = a.modified_at.astimezone(TEHRAN)
        persian = a.language == "fa"
        head = [f'<link rel="canonical" href="{url}">',
                f'<link rel="shortlink" href="{self.base}/?p={a.id}">',
                '<meta property="og:type" content="article">',
                f'<meta property="og:title" content="{escape(a.title)}">',
                f'<meta property="og:url" content="{url}">',
                f'<meta property="og:site_name" content="{SITE_NAME}">']
        if not persian:
            head += [f'<meta property="article:published_time" content="{local.isoformat()}">',
                     '<meta property="article:modified_time" '
                     f'content="{modified_local.isoformat()}">']
        if a.json_ld and not persian:
            graph = {"@context": "https://schema.org", "@graph": [
                {"@type": "NewsArticle", "@id": f"{url}#article", "headline": a.title,
                 "datePublished": local.isoformat(), "dateModified": modified_local.isoformat(),
                 "author": {"@type": "Person", "name": a.author},
                 "articleSection": [c.name for c in a.categories], "keywords": a.tags,
                 "inLanguage": "en-US", "isPartOf": {"@id": url}, "mainEntityOfPage": {"@id": url}},
                {"@type": "WebPage", "@id": url, "url": url, "name": f"{a.title} - {SITE_NAME}",
                 "datePublished": local.isoformat(), "dateModified": modified_local.isoformat(),
                 "inLanguage": "en-US"}]}
            head.append('<script type="application/ld+json" class="yoast-schema-graph">'
                        f"{json.dumps(graph, ensure_ascii=False)}</script>")
        by = "نویسنده:" if persian else "by"
        author = (f'<span class="byline"> {by} <span class="author vcard"><a class="url fn n" '
                  f'href="{self.base}/{a.language}/author/{slugify(a.author) or "editorial"}/" '
                  f'rel="author">{escape(a.author)}</a></span></span>')
        if persian:
            meta = (f'<span class="posted-on"><span class="entry-date">{solar_hijri(local)}'
                    f"</span></span>{author}")
        else:
            meta = (f'<span class="posted-on">Posted on <a href="{url}" rel="bookmark">'
                    f'<time class="entry-date published" datetime="{local.isoformat()}">'
                    f"{english_date(a.published_at)}</time>"
                    f'<time class="updated" datetime="{modified_local.isoformat()}">'
                    f"{english_date(a.modified_at)}</time></a></span>{author}")
        body: list[str] = []
        images = a.images_in_order()
        for index, text in enumerate(a.paragraphs):
            body += [self.figure(i) for i in images if i.before_block == index]
            # per-block randomness: appending a paragraph leaves earlier blocks byte-identical
            html_text = escape(_decorate(text, random.Random(f"{a.id}:{index}")), quote=False)
            kind = a.kind(index)
            if kind == "h2":
                body.append(f'<h2 class="wp-block-heading">{html_text}</h2>')
            elif kind == "quote":
                body.append(f'<blockquote class="wp-block-quote"><p>{html_text}</p></blockquote>')
            else:
                body.append(f"<p>{html_text}</p>")
        body += [self.figure(i) for i in images if i.before_block >= len(a.paragraphs)]
        related_articles = [r for r in (self.site.find(i) for i in a.related) if r is not None]
        related = "".join(f'<li class="jp-relatedposts-post"><a href="{self.url(r.path)}">'
                          f"{escape(r.title)}</a></li>" for r in related_articles)
        cats = ", ".join(f'<a href="{self.url(c.path)}" rel="category tag">{escape(c.name)}</a>'
                         for c in a.categories)
        tags = ", ".join(f'<a href="{self.base}/{a.language}/tag/{slugify(t)}/" rel="tag">'
                         f"{escape(t)}</a>" for t in a.tags)
        tag_links = f'<span class="tags-links">Tagged {tags}</span>' if tags else ""
        main = f"""<article id="post-{a.id}" class="post-{a.id} post type-post status-publish format-standard hentry">
<header class="entry-header"><h1 class="entry-title">{escape(a.title)}</h1>
<div class="entry-meta">{meta}</div></header>
<div class="entry-content">
{chr(10).join(body)}
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social">
<h3 class="sd-title">Share this:</h3><div class="sd-content"><ul>
<li><a class="share-twitter" href="#">Twitter</a></li><li><a class="share-facebook" href="#">Facebook</a></li>
<li><a class="share-telegram" href="#">Telegram</a></li></ul></div></div></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3>
<ul class="jp-relatedposts-items">{related}</ul></div>
<script>document.querySelectorAll('.share-twitter').forEach(function (el) {{ el.dataset.ready = 1; }});</script>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in {cats}</span>
{tag_links}</footer>
</article>"""
        if self.site.theme:
            main += self.site.theme.comments(a, self.base, url)
        return self.page(a.title, main, head="\n".join(head), lang=a.language,
                         body_class=f"post-template-default single single-post postid-{a.id} "
                                    "single-format-standard")

    def figure(self, image: DemoImage) -> str:
        src = self.url(image.src)
        alt = escape(image.alt)
        caption = escape(image.caption, quote=False)
        credit = f' <span class="credit">{escape(image.credit)}</span>' if image.credit else ""
        if image.classic:
            return (f'<div id="attachment_{image.attachment_id}" style="width: 810px" '
                    f'class="wp-caption aligncenter"><img aria-describedby="caption-attachment-'
                    f'{image.attachment_id}" class="size-full wp-image-{image.attachment_id}" '
                    f'src="{src}" alt="{alt}" width="800" height="533">'
                    f'<p id="caption-attachment-{image.attachment_id}" class="wp-caption-text">'
                    f"{caption}{credit}</p></div>")
        full = src.replace(".jpg", "-full.jpg")
        return (f'<figure class="wp-block-image size-large"><a href="{full}">'
                f'<img decoding="async" src="{src}" alt="{alt}" title="{alt}" width="1024" '
                f'height="683" class="wp-image-{image.attachment_id}"></a>'
                f'<figcaption class="wp-element-caption">{caption}{credit}</figcaption></figure>')

    def error(self, heading: str) -> str:
        return self.page(heading, '<section class="error-404 not-found">'
                         '<header class="page-header">'
                         f'<h1 class="page-title">{escape(heading)}</h1></header>'
                         '<div class="page-content"><p>It looks like nothing was found at this '
                         "location. Maybe try a search?</p></div></section>", body_class="error404")


# the server -------------------------------------------------------------------------------------
CATEGORY_PATH = re.compile(r"/(en|fa)/category/([a-z0-9-]+)/(?:page/(\d+)/)?")
ARTICLE_PATH = re.compile(r"/(en|fa)/news/\d{4}/\d{2}/[a-z0-9-]+/(\d+)/")


@dataclass
class FaultPlan:
    """Misbehaviour on demand, drawn per request from a seeded generator: 503 answers,
    truncated bodies (a full Content-Length, half the bytes) and hangs."""

    error_503: float = 0.0
    truncate: float = 0.0
    hang: float = 0.0
    hang_seconds: float = 30.0
    seed: int = 1
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        with self._lock:
            roll = self._rng.random()
        for name, share in (("503", self.error_503), ("truncate", self.truncate), ("hang", self.hang)):
            if roll < share:
                return name
            roll -= share
        return None


class DemoServer:
    """Serves a DemoSite on a loopback port from a background thread."""

    def __init__(self, site: DemoSite, host: str = "127.0.0.1", port: int = 0,
                 faults: FaultPlan | None = None) -> None:
        self.site = site
        self.host = host
        self.port = port
        self.faults = faults
        self.faults_served: Counter[str] = Counter()
        self.requests_served = 0
        self.paths_served: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer((self.host, self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"demo-site-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "DemoWordPress/6.4"

            def version_string(self) -> str:
                return self.server_version

            def log_message(self, format: str, *args: Any) -> None:  # silence the request log
                pass

            def do_GET(self) -> None:
                self._reply(send_body=True)

            def do_HEAD(self) -> None:
                self._reply(send_body=False)

            def _reply(self, send_body: bool) -> None:
                server.count(self.path)
                fault = server.faults.draw() if server.faults and self.path != "/robots.txt" else None
                if fault:
                    server.faults_served[fault] += 1
                if fault == "503":
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if fault == "hang":  # say nothing until the client gives up
                    time_module.sleep(server.faults.hang_seconds)
                    self.close_connection = True
                    return
                host = self.headers.get("Host")
                status, content_type, text, extra = server.respond(self.path, host)
                data = text.encode("utf-8")
                if status == 200 and content_type == HTML_TYPE:
                    extra = {**extra, "ETag": '"%s"' % hashlib.sha1(data).hexdigest()[:20]}
                    if self.headers.get("If-None-Match") == extra["ETag"]:
                        status, data = 304, b""
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                if status == 200 and content_type == HTML_TYPE:
                    api = f"http://{host}/wp-json/" if host else f"{server.base_url}/wp-json/"
                    self.send_header("Link", f'<{api}>; rel="https://api.w.org/"')
                self.end_headers()
                if fault == "truncate":  # promise the whole page, send half, hang up
                    self.wfile.write(data[: len(data) // 2])
                    self.close_connection = True
                elif send_body:
                    self.wfile.write(data)

        return Handler

    def count(self, path: str) -> None:
        with self._count_lock:
            self.requests_served += 1
            self.paths_served[path] += 1

    def respond(self, raw_path: str, host: str | None) -> tuple[int, str, str, dict[str, str]]:
        """(status, content type, text, extra headers) for a request path; absolute URLs use
        the Host header."""
        base = f"http://{host}" if host and re.fullmatch(r"[\w.\-:\[\]]+", host) else self.base_url
        renderer = Renderer(self.site, base)
        path = raw_path.split("#", 1)[0]
        path, _, query = path.partition("?")
        with self.site.lock:
            if path == "/robots.txt":
                return (200, "text/plain; charset=UTF-8",
                        f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {base}/sitemap_index.xml\n", {})
            machine = self._machine_readable(path, query, base)
            if machine is not None:
                return machine
            if path == "/wp-admin" or path.startswith("/wp-admin/"):
                return 403, HTML_TYPE, renderer.error("Forbidden"), {}
            if path == "/":
                shortlink = re.fullmatch(r"p=(\d+)", query)
                article = self.site.find(int(shortlink.group(1))) if shortlink else None
                if article is not None:  # WordPress redirects ?p=ID to the permalink
                    return 301, HTML_TYPE, "", {"Location": renderer.url(article.path)}
                return 200, HTML_TYPE, renderer.home(), {}
            match = CATEGORY_PATH.fullmatch(path)
            if match:
                language, slug, page = match.groups()
                category = next((c for c in self.site.categories
                                 if c.slug == slug and c.language == language), None)
                html = renderer.listing(category, int(page or 1)) if category else None
                if html is not None:
                    return 200, HTML_TYPE, html, {}
            match = ARTICLE_PATH.fullmatch(path)
            if match:
                article = self.site.find(int(match.group(2)))
                if article is not None and article.path == path:
                    return 200, HTML_TYPE, renderer.article(article), {}
            return 404, HTML_TYPE, renderer.error("Oops! That page can’t be found."), {}


    def _machine_readable(self, path: str, query: str, base: str
                          ) -> tuple[int, str, str, dict[str, str]] | None:
        """Sitemaps, feeds and the REST API (ingest.demo.feeds); None for other paths."""
        xml, rss_type, js = ("application/xml; charset=UTF-8", "application/rss+xml; charset=UTF-8",
                             "application/json; charset=UTF-8")
        if path == "/sitemap_index.xml":
            return 200, xml, feeds.sitemap_index(self.site, base), {}
        match = re.fullmatch(r"/post-sitemap(\d*)\.xml", path)
        if match:
            text = feeds.post_sitemap(self.site, base, int(match.group(1) or 1))
            return (200, xml, text, {}) if text else None
        if path == "/feed/":
            return 200, rss_type, feeds.rss(self.site, base, self.site.newest(), SITE_NAME), {}
        match = re.fullmatch(r"/(en|fa)/category/([a-z0-9-]+)/feed/", path)
        if match:
            category = next((c for c in self.site.categories
                             if c.language == match.group(1) and c.slug == match.group(2)), None)
            if category:
                return 200, rss_type, feeds.rss(self.site, base, self.site.listing(category), category.name), {}
        if path == "/wp-json/wp/v2/posts":
            status, text, headers = feeds.rest_posts(self.site, base, query)
            return status, js, text, headers
        if path == "/wp-json/wp/v2/categories":
            return 200, js, feeds.rest_categories(self.site, base), {}
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the demo news site on 127.0.0.1.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--articles", type=int, default=320)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    site = DemoSite(n_articles=args.articles, seed=args.seed)
    server = DemoServer(site, host=args.host, port=args.port).start()
    print(server.base_url, flush=True)
    print(f"serving {len(site.articles)} articles in {len(site.categories)} categories "
          "(Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
